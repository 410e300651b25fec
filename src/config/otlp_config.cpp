// The OTLP destination's variables (LTF_OTLP_*). Header and attribute lists use the headers'
// syntax (parse_header_list, headers.cpp).
#include "reader.hpp"

#include "ltf/url.hpp"

#include <charconv>

namespace ltf {

namespace config_detail {

namespace {

// A signal's endpoint: its own variable used as it is, else the base with `path` appended (as
// OpenTelemetry's exporters do: "http://host:4318" and "http://host:4318/" give
// "http://host:4318/v1/logs").
std::optional<std::string> signal_endpoint(Reader& r, std::string_view variable,
                                           const std::string* base, std::string_view path) {
  std::string why;
  if (const std::string* own = r.raw(variable); own && !own->empty()) {
    if (parse_http_url(*own, &why)) return *own;
    r.fail(variable, why);
    return std::nullopt;
  }
  if (!base || base->empty()) return std::nullopt;
  std::string url = *base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += path;
  if (parse_http_url(url, &why)) return url;
  return std::nullopt;  // the base itself is reported once, by read_otlp
}

}  // namespace

void read_otlp(Reader& r, Config& c) {
  const std::string* base = r.raw("LTF_OTLP_ENDPOINT");
  if (base && !base->empty()) {
    std::string why;
    if (!parse_http_url(*base, &why)) r.fail("LTF_OTLP_ENDPOINT", why);
    else if (base->find_first_of("?#") != std::string::npos)
      r.fail("LTF_OTLP_ENDPOINT", "is a base URL that /v1/logs, /v1/metrics and /v1/traces are "
                                  "appended to: it may not hold a query or fragment");
  }
  c.otlp_logs_endpoint = signal_endpoint(r, "LTF_OTLP_LOGS_ENDPOINT", base, "/v1/logs");
  c.otlp_metrics_endpoint = signal_endpoint(r, "LTF_OTLP_METRICS_ENDPOINT", base, "/v1/metrics");
  c.otlp_traces_endpoint = signal_endpoint(r, "LTF_OTLP_TRACES_ENDPOINT", base, "/v1/traces");
  r.choice("LTF_OTLP_PROTOCOL", c.otlp_protocol,
           {{"http/protobuf", OtlpProtocol::protobuf}, {"http/json", OtlpProtocol::json}});

  // Attribute names are dotted words (service.name), within the header names' syntax.
  for (auto [variable, into] : {std::pair{"LTF_OTLP_HEADERS", &c.otlp_headers},
                                std::pair{"LTF_OTLP_RESOURCE_ATTRIBUTES", &c.otlp_resource_attributes}}) {
    const std::string* text = r.raw(variable);
    if (!text) continue;
    std::string why;
    if (auto list = parse_header_list(*text, &why)) *into = std::move(*list);
    else r.fail(variable, why);
  }

  // Lambda's own variable: a wrong value only leaves faas.max_memory out.
  if (const std::string* memory = r.raw("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")) {
    std::uint64_t mb = 0;
    auto [end, ec] = std::from_chars(memory->data(), memory->data() + memory->size(), mb);
    if (ec == std::errc{} && end == memory->data() + memory->size() && mb <= 1'048'576)
      c.function_memory_mb = mb;
  }

  // LTF_HEADERS belongs to DISPATCH_POST_URI; ignoring it silently would be worse than saying so.
  // (LTF_HEADERS_SECRET and AUTH_SECRET serve the OTLP endpoints too.)
  if (const std::string* value = r.raw("LTF_HEADERS"); c.otlp() && value && !value->empty())
    r.fail("LTF_HEADERS", "applies to DISPATCH_POST_URI; the OTLP destination's are LTF_OTLP_HEADERS");
  if (c.otlp() && (c.dispatch_post_uri || c.opensearch_url))
    r.fail("LTF_OTLP_ENDPOINT", std::string("and ") +
                                    (c.dispatch_post_uri ? "DISPATCH_POST_URI" : "URL") +
                                    " are both set: choose one destination");
}

}  // namespace config_detail

}  // namespace ltf
