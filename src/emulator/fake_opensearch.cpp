// FakeOpenSearch's public face (include/ltf/fake_opensearch.hpp): setup, faults, and what is
// stored, read from the server's state (opensearch_server.hpp).
#include "ltf/fake_opensearch.hpp"

#include "opensearch_http.hpp"
#include "opensearch_server.hpp"

#include <boost/json/serialize.hpp>

#include <set>

namespace ltf::emulator {

using namespace opensearch;

std::vector<OpenSearchOperation> fake_opensearch_operations() {
  std::vector<OpenSearchOperation> out;
  for (const auto& spec : routes())
    for (auto verb : spec.verbs) out.push_back({verb_name(verb), std::string(spec.path)});
  return out;
}

OpenSearchAuth OpenSearchAuth::basic(std::string username, std::string password) {
  OpenSearchAuth auth;
  auth.kind = Kind::basic;
  auth.username = std::move(username);
  auth.password = std::move(password);
  return auth;
}

OpenSearchAuth OpenSearchAuth::sigv4(std::string service, std::string region,
                                     std::string access_key_id, std::string secret_access_key,
                                     std::string session_token) {
  OpenSearchAuth auth;
  auth.kind = Kind::sigv4;
  auth.service = std::move(service);
  auth.region = std::move(region);
  auth.access_key_id = std::move(access_key_id);
  auth.secret_access_key = std::move(secret_access_key);
  auth.session_token = std::move(session_token);
  return auth;
}

// ---------------------------------------------------------------------------------------------

FakeOpenSearch::FakeOpenSearch(asio::any_io_executor executor, FakeOpenSearchOptions options)
    : server_(std::make_shared<Server>(std::move(executor), std::move(options))) {}

FakeOpenSearch::~FakeOpenSearch() { stop(); }

boost::system::error_code FakeOpenSearch::listen(std::uint16_t port) {
  server_->port = port;
  // Bound first even when the fault is `refuse`, so that port 0 becomes a real port to keep.
  if (auto ec = server_->open()) return ec;
  server_->listening = true;
  return server_->apply_fault();
}

std::uint16_t FakeOpenSearch::port() const { return server_->port; }
std::string FakeOpenSearch::url() const { return "http://127.0.0.1:" + std::to_string(server_->port); }

void FakeOpenSearch::stop() {
  server_->listening = false;
  server_->close();
}

void FakeOpenSearch::set_fault(OpenSearchFault fault) {
  server_->fault = fault;
  if (auto ec = server_->apply_fault())
    throw boost::system::system_error(ec, "FakeOpenSearch: cannot reopen port " +
                                              std::to_string(server_->port));
}

OpenSearchFault FakeOpenSearch::fault() const { return server_->fault; }
void FakeOpenSearch::set_item_rejection_rate(double fraction) { server_->rejection_rate = fraction; }
void FakeOpenSearch::set_max_body_bytes(std::uint64_t bytes) { server_->options.max_body_bytes = bytes; }
void FakeOpenSearch::set_auth(OpenSearchAuth auth) { server_->options.auth = std::move(auth); }
const FakeOpenSearchOptions& FakeOpenSearch::options() const { return server_->options; }

std::string FakeOpenSearch::create_index(const std::string& index, const boost::json::object& body) {
  auto refused = server_->cluster.create_index(index, body);
  return refused ? refused->type + ": " + refused->reason : std::string();
}

std::string FakeOpenSearch::put_index_template(const std::string& name,
                                               const boost::json::object& body) {
  auto refused = server_->cluster.put_template(name, body);
  return refused ? refused->type + ": " + refused->reason : std::string();
}

bool FakeOpenSearch::has_index(const std::string& index) const { return server_->find(index); }
bool FakeOpenSearch::has_index_template(const std::string& name) const {
  return server_->cluster.find_template(name) != nullptr;
}
bool FakeOpenSearch::is_data_stream(const std::string& name) const {
  const auto* index = server_->cluster.find(name);
  return index && index->timestamp_field;
}
std::vector<std::string> FakeOpenSearch::indices() const { return server_->cluster.names(); }

std::size_t FakeOpenSearch::document_count(const std::string& index) const {
  const auto* found = server_->find(index);
  return found ? found->documents.size() : 0;
}

std::size_t FakeOpenSearch::document_count() const {
  std::size_t total = 0;
  for (const auto& name : server_->cluster.names()) total += server_->cluster.find(name)->documents.size();
  return total;
}

std::map<std::string, std::size_t> FakeOpenSearch::document_counts() const {
  std::map<std::string, std::size_t> out;
  for (const auto& name : server_->cluster.names()) out[name] = server_->cluster.find(name)->documents.size();
  return out;
}

std::optional<boost::json::object> FakeOpenSearch::document(const std::string& index,
                                                            const std::string& id) const {
  const auto* found = server_->find(index);
  if (!found) return std::nullopt;
  auto it = found->documents.find(id);
  if (it == found->documents.end()) return std::nullopt;
  return it->second.source;
}

std::vector<StoredDocument> FakeOpenSearch::documents(const std::string& index) const {
  std::vector<StoredDocument> out;
  if (const auto* found = server_->find(index))
    for (const auto& [_, doc] : found->documents) out.push_back(doc);
  return out;
}

std::optional<boost::json::object> FakeOpenSearch::mapping(const std::string& index) const {
  const auto* found = server_->find(index);
  if (!found) return std::nullopt;
  return found->mappings;
}

std::size_t FakeOpenSearch::duplicate_documents(const std::string& index) const {
  const auto* found = server_->find(index);
  if (!found) return 0;
  std::set<std::string> seen;
  std::size_t repeats = 0;
  for (const auto& [_, doc] : found->documents) {
    const auto* event_id = doc.source.if_contains("event_id");
    auto key = event_id && event_id->is_string() ? "event_id:" + std::string(event_id->get_string())
                                                 : "source:" + json::serialize(doc.source);
    if (!seen.insert(std::move(key)).second) ++repeats;
  }
  return repeats;
}

std::string FakeOpenSearch::summary() const {
  const auto& c = server_->counters;
  std::string out = "opensearch: " + std::to_string(c.requests) + " requests (" +
                    std::to_string(c.bulk_requests) + " bulk, " + std::to_string(c.malformed) +
                    " malformed, " + std::to_string(c.auth_failures) + " refused by auth, " +
                    std::to_string(c.too_large) + " too large, " + std::to_string(c.faulted) +
                    " faulted), " + std::to_string(c.items) + " items: " +
                    std::to_string(c.created) + " created, " + std::to_string(c.updated) +
                    " updated, " + std::to_string(c.conflicts) + " 409 (already stored), " +
                    std::to_string(c.rejected_items) + " 429, " +
                    std::to_string(c.item_errors - c.conflicts - c.rejected_items) +
                    " other errors\n";
  for (const auto& name : server_->cluster.names())
    out += "  " + name + ": " + std::to_string(document_count(name)) + " documents, " +
           std::to_string(duplicate_documents(name)) + " duplicates\n";
  return out;
}

boost::json::object FakeOpenSearch::summary_json() const {
  const auto& c = server_->counters;
  json::object indices;
  for (const auto& name : server_->cluster.names())
    indices[name] = json::object{{"documents", document_count(name)},
                                 {"duplicates", duplicate_documents(name)}};
  return json::object{{"requests", c.requests},
                      {"bulk_requests", c.bulk_requests},
                      {"items", c.items},
                      {"created", c.created},
                      {"updated", c.updated},
                      {"deleted", c.deleted},
                      {"conflicts", c.conflicts},
                      {"rejected_items", c.rejected_items},
                      {"item_errors", c.item_errors},
                      {"malformed", c.malformed},
                      {"auth_failures", c.auth_failures},
                      {"too_large", c.too_large},
                      {"faulted", c.faulted},
                      {"documents", document_count()},
                      {"indices", std::move(indices)}};
}

const OpenSearchCounters& FakeOpenSearch::counters() const { return server_->counters; }
const std::vector<OpenSearchRequest>& FakeOpenSearch::received() const { return server_->received; }

asio::awaitable<bool> FakeOpenSearch::wait_until(std::function<bool()> condition,
                                                 std::chrono::milliseconds limit) {
  auto changed = server_->changed;
  co_return co_await changed->wait_until(std::move(condition), std::chrono::steady_clock::now() + limit);
}

// The conditions are named before the co_await: GCC 12 destroys a closure temporary inside a
// co_await expression twice, which is fatal for one that owns a shared_ptr.
asio::awaitable<bool> FakeOpenSearch::wait_for_requests(std::uint64_t n,
                                                        std::chrono::milliseconds limit) {
  auto core = server_;
  std::function<bool()> enough = [core, n] { return core->counters.requests >= n; };
  co_return co_await core->changed->wait_until(std::move(enough), std::chrono::steady_clock::now() + limit);
}

asio::awaitable<bool> FakeOpenSearch::wait_for_documents(std::size_t n,
                                                         std::chrono::milliseconds limit) {
  auto core = server_;
  std::function<bool()> enough = [core, n] {
    std::size_t total = 0;
    for (const auto& name : core->cluster.names()) total += core->cluster.find(name)->documents.size();
    return total >= n;
  };
  co_return co_await core->changed->wait_until(std::move(enough), std::chrono::steady_clock::now() + limit);
}

}  // namespace ltf::emulator
