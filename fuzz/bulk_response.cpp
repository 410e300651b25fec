// libFuzzer harness: an OpenSearch _bulk answer body through sinks::parse_bulk_response, and in two
// pieces through the streamed BulkAnswerReader, which must agree.
#include "ltf/opensearch.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The first byte chooses how many actions the request had, so that both the matching and the
  // mismatching item counts are explored.
  const std::size_t expected = data[0] % 8;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string why;
  const auto items = ltf::opensearch::parse_bulk_response(body, expected, &why);
  if (items) {
    if (items->size() != expected) __builtin_trap();
    for (const auto& item : *items) {
      if (item.reason.size() > ltf::opensearch::max_reason_bytes) __builtin_trap();
      (void)ltf::opensearch::fate_of(item);
    }
  } else if (why.empty()) {
    __builtin_trap();  // a refusal always says why
  }
  // As the transport reads it: in pieces, cut where the first byte says. Same verdict, same items.
  ltf::opensearch::BulkAnswerReader reader(expected);
  const std::size_t cut = body.empty() ? 0 : data[0] % body.size();
  if (reader.write(body.substr(0, cut))) reader.write(body.substr(cut));
  const auto streamed = reader.finish();
  if (streamed.has_value() != items.has_value()) __builtin_trap();
  if (items)
    for (std::size_t i = 0; i < items->size(); ++i)
      if ((*streamed)[i].status != (*items)[i].status ||
          (*streamed)[i].error_type != (*items)[i].error_type)
        __builtin_trap();
  (void)ltf::opensearch::error_summary(body, 256);
  return 0;
}
