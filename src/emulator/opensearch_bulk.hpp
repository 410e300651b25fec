#pragma once
// The _bulk interpreter behind FakeOpenSearch, with no I/O: NDJSON in, the cluster changed, the
// BulkResponse (or a whole-request error) out. Parsing and validation happen before any item is
// applied, as on the real server: a malformed body changes nothing.

#include "opensearch_cluster.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace ltf::emulator::opensearch {

struct BulkSettings {
  std::optional<std::string> path_index;  // from POST /{index}/_bulk
  bool refuse_custom_ids = false;         // Serverless time-series and vector collections
  bool auto_create_index = true;
  double rejection_rate = 0;              // share of items answered 429
};

struct BulkTally {
  std::uint64_t items = 0, created = 0, updated = 0, deleted = 0, conflicts = 0, rejected = 0,
                errors = 0;
};

struct BulkResult {
  std::optional<Failure> request_error;  // the whole request was refused; nothing applied
  json::object response;                 // {took, errors, items} otherwise
  BulkTally tally;
};

// `draws` decides the 429s (one draw per item, in order); `ids` makes server-side _ids.
BulkResult run_bulk(Cluster& cluster, std::string_view body, const BulkSettings& settings,
                    std::mt19937_64& draws, std::mt19937_64& ids);

}  // namespace ltf::emulator::opensearch
