// Header lists (LTF_HEADERS, and LTF_OTLP_HEADERS through parse_header_list): the syntax of
// OTEL_EXPORTER_OTLP_HEADERS, and the checks every header we add must pass, so that no value can
// split a request (CR/LF) or take over its framing. Values may be credentials: no message here
// quotes one.
#include "reader.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace ltf {

namespace {

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && is_ows(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ows(text.back())) text.remove_suffix(1);
  return text;
}

// RFC 9110 tchar.
bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (std::isalnum(u) && u < 0x80) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded; '+' is a plus (Baggage percent-encodes a space as %20). nullopt on a '%' without
// two hex digits after it.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const int high = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Names the request's framing and connection own: a user's value would contradict the body we
// send or the connection we keep (RFC 9110 7.6.1's hop-by-hop fields among them).
bool is_owned_by_framing(std::string_view name) {
  static const std::set<std::string, std::less<>> owned{
      "host",    "content-length", "content-type", "content-encoding", "transfer-encoding",
      "connection", "keep-alive",  "proxy-connection", "te",           "trailer",
      "upgrade", "expect"};
  return owned.contains(lower(name));
}

}  // namespace

std::string check_headers(const HttpHeaders& headers) {
  if (headers.size() > defaults::max_added_headers)
    return "holds " + std::to_string(headers.size()) + " headers, at most " +
           std::to_string(defaults::max_added_headers) + " are allowed";
  std::size_t bytes = 0;
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const HttpHeader& header = headers[i];
    const std::string which = "header " + std::to_string(i + 1);
    if (header.name.empty()) return which + " has an empty name";
    if (!std::all_of(header.name.begin(), header.name.end(), is_token_char))
      // The name is not quoted: a mistyped list may have put a token where the name goes.
      return which + "'s name is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)";
    const std::string named = which + " (" + header.name + ")";
    for (char c : header.value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f)
        return named + " has a control character in its value (CR, LF, NUL, ...)";
    }
    if (is_owned_by_framing(header.name))
      return named + " is set by the extension itself and cannot be given";
    if (!seen.insert(lower(header.name)).second) return named + " is given twice";
    bytes += header.name.size() + header.value.size();
  }
  if (bytes > defaults::added_headers_max_bytes)
    return "holds " + std::to_string(bytes) + " bytes of names and values, at most " +
           std::to_string(defaults::added_headers_max_bytes) + " are allowed";
  return {};
}

std::optional<HttpHeaders> parse_header_list(std::string_view text, std::string* why) {
  const auto fail = [&](std::string reason) -> std::optional<HttpHeaders> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  // Bounded before any work: a list this long could not pass check_headers anyway.
  if (text.size() > 2 * defaults::added_headers_max_bytes)
    return fail("is " + std::to_string(text.size()) + " bytes long, at most " +
                std::to_string(2 * defaults::added_headers_max_bytes) + " are allowed");
  HttpHeaders headers;
  std::size_t member = 0;
  for (std::size_t start = 0; start <= text.size();) {
    const auto comma = text.find(',', start);
    const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
    const std::string_view item = trim_ows(text.substr(start, end - start));
    start = end + 1;
    ++member;
    if (item.empty()) continue;  // "a=b,,c=d" and a trailing comma: nothing to send
    const std::string which = "member " + std::to_string(member);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return fail(which + " has no '=' (name=value)");
    auto name = percent_decode(trim_ows(item.substr(0, eq)));
    auto value = percent_decode(trim_ows(item.substr(eq + 1)));
    if (!name || !value) return fail(which + " has a '%' not followed by two hex digits");
    if (name->empty()) return fail(which + " has no name before '='");
    headers.push_back({std::move(*name), std::move(*value)});
    if (headers.size() > defaults::max_added_headers) break;  // check_headers says so
  }
  if (auto problem = check_headers(headers); !problem.empty()) return fail(problem);
  return headers;
}

namespace config_detail {

void read_headers(Reader& r, Config& c) {
  const std::string* list = r.raw("LTF_HEADERS");
  if (list && !list->empty()) {
    std::string why;
    if (auto headers = parse_header_list(*list, &why)) c.http_headers = std::move(*headers);
    else r.fail("LTF_HEADERS", why);
  }
  const std::string* secret = r.raw("LTF_HEADERS_SECRET");
  if (secret && !secret->empty()) {
    if (secret->size() > 2048)
      r.fail("LTF_HEADERS_SECRET", "must be a secret name or ARN of at most 2048 characters");
    else c.headers_secret = *secret;
  }
  // OpenSearch authenticates through AUTH_SECRET or SigV4; headers there would be ignored, and a
  // setting that is silently ignored is worse than a refused one.
  if (c.opensearch_url)
    for (const char* name : {"LTF_HEADERS", "LTF_HEADERS_SECRET"})
      if (const std::string* value = r.raw(name); value && !value->empty())
        r.fail(name, "applies to DISPATCH_POST_URI, not to the OpenSearch destination (URL)");
  if (!c.dispatch_post_uri) return;
  const bool fixed_authorization =
      std::any_of(c.http_headers.begin(), c.http_headers.end(),
                  [](const HttpHeader& h) { return lower(h.name) == "authorization"; });
  if (fixed_authorization && c.opensearch_auth_secret)
    r.fail("LTF_HEADERS", "sets Authorization and AUTH_SECRET asks for basic auth: choose one");
  if (fixed_authorization && c.sigv4_service)
    r.fail("LTF_HEADERS", "sets Authorization, which LTF_SIGV4_SERVICE's signature replaces");
  if (c.opensearch_auth_secret && c.sigv4_service)
    r.fail("AUTH_SECRET", "asks for basic auth to DISPATCH_POST_URI and LTF_SIGV4_SERVICE for "
                          "SigV4: both set Authorization, choose one");
}

}  // namespace config_detail

}  // namespace ltf
