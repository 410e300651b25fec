// The OpenSearch seed's variables (URL, AUTH_SECRET, PLATFORM_INDEX, FUNCTION_INDEX,
// EXTENSION_INDEX) and our LTF_OPENSEARCH_* settings.
#include "reader.hpp"

#include "ltf/url.hpp"

namespace ltf::config_detail {

namespace {

// Why `pattern` cannot name an OpenSearch index, or "" when it can. Names are kept to
// [a-z0-9._+-] so that they need no encoding anywhere (URL paths, SigV4); date fields only where
// `dated` (the dead-letter index has a fixed name).
std::string index_pattern_problem(std::string_view pattern, bool dated) {
  if (pattern.empty()) return "must not be empty";
  if (pattern.size() > 200) return "must be at most 200 characters";
  if (pattern == "." || pattern == "..") return "must not be '.' or '..'";
  const char first = pattern.front();
  if (first == '-' || first == '_' || first == '+' || first == '.' || first == '%')
    return "must start with a letter or digit, got " + quote_value(pattern);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
        c == '+')
      continue;
    if (c == '%' && dated && i + 1 < pattern.size() &&
        std::string_view("YmdH").find(pattern[i + 1]) != std::string_view::npos) {
      ++i;
      continue;
    }
    if (c == '%')
      return dated ? "may hold only the date fields %Y %m %d %H, got " + quote_value(pattern)
                   : "must be a fixed name without date fields, got " + quote_value(pattern);
    return "may hold only lowercase letters, digits and . _ - +, got " + quote_value(pattern);
  }
  return {};
}

}  // namespace

void read_opensearch(Reader& r, Config& c) {

  if (const std::string* url = r.raw("URL"); url && !url->empty()) {
    std::string why;
    auto parsed = parse_http_url(*url, &why);
    if (!parsed) r.fail("URL", why + " (the OpenSearch endpoint)");
    else if (parsed->target.find('?') != std::string::npos)
      r.fail("URL", "must be the OpenSearch endpoint without a query string");
    else c.opensearch_url = *url;
    if (c.dispatch_post_uri)
      r.fail("URL", "and DISPATCH_POST_URI are both set: choose one destination (URL for "
                    "OpenSearch, DISPATCH_POST_URI for an HTTP endpoint)");
  }
  if (const std::string* secret = r.raw("AUTH_SECRET"); secret && !secret->empty()) {
    if (secret->size() > 2048) r.fail("AUTH_SECRET", "must be a secret name or ARN of at most 2048 characters");
    else c.opensearch_auth_secret = *secret;
  }
  const std::pair<const char*, std::string*> indices[] = {{"PLATFORM_INDEX", &c.platform_index},
                                                          {"FUNCTION_INDEX", &c.function_index},
                                                          {"EXTENSION_INDEX", &c.extension_index}};
  for (const auto& [name, field] : indices) {
    const std::string* value = r.raw(name);
    if (!value || value->empty()) continue;  // the seed's functions may leave one empty
    if (auto problem = index_pattern_problem(*value, true); !problem.empty()) r.fail(name, problem);
    else *field = *value;
  }
  if (const std::string* dlq = r.raw("LTF_OPENSEARCH_DLQ_INDEX")) {
    if (dlq->empty()) c.opensearch_dlq_index.clear();
    else if (auto problem = index_pattern_problem(*dlq, false); !problem.empty())
      r.fail("LTF_OPENSEARCH_DLQ_INDEX", problem);
    else c.opensearch_dlq_index = *dlq;
  }
  for (const auto& [name, field] : indices)
    if (!c.opensearch_dlq_index.empty() && *field == c.opensearch_dlq_index)
      r.fail("LTF_OPENSEARCH_DLQ_INDEX", std::string("must differ from ") + name +
                                             ": refused events would land among the others");

  if (r.raw("LTF_OPENSEARCH_AUTH")) {
    using Auth = Config::OpenSearchAuth;
    r.choice("LTF_OPENSEARCH_AUTH", c.opensearch_auth,
             {{"basic", Auth::basic}, {"sigv4", Auth::sigv4}, {"none", Auth::none}});
    if (c.opensearch_auth == Auth::basic && !c.opensearch_auth_secret)
      r.fail("LTF_OPENSEARCH_AUTH", "is basic but AUTH_SECRET names no secret to take the "
                                    "username and password from");
  }
  if (const std::string* service = r.raw("LTF_OPENSEARCH_SERVICE")) {
    if (*service == "es" || *service == "aoss") c.opensearch_service = *service;
    else r.fail("LTF_OPENSEARCH_SERVICE", "must be es (OpenSearch Service) or aoss (Serverless), "
                                          "got " + quote_value(*service));
  }
  if (const std::string* region = r.raw("LTF_OPENSEARCH_REGION")) {
    const bool plausible = !region->empty() && region->find_first_not_of(
        "abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
    if (plausible) c.opensearch_region = *region;
    else r.fail("LTF_OPENSEARCH_REGION", "must be a region name such as eu-west-1, got " + quote_value(*region));
  }
  if (r.raw("LTF_OPENSEARCH_ID_MODE")) {
    bool ids = true;
    r.choice("LTF_OPENSEARCH_ID_MODE", ids, {{"create", true}, {"none", false}});
    c.opensearch_document_ids = ids;
  }
  r.boolean("LTF_OPENSEARCH_DATA_STREAMS", c.opensearch_data_streams);
  r.boolean("LTF_OPENSEARCH_BOOTSTRAP", c.opensearch_bootstrap);
  if (c.opensearch_url && !r.raw("LTF_DISPATCH_MAX_BATCH_BYTES"))
    c.dispatch_max_batch_bytes = defaults::opensearch_max_batch_bytes;
}


}  // namespace ltf::config_detail
