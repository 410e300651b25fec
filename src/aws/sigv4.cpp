// SigV4 canonicalisation and signing. The rules are those of the AWS test suites copied under
// shared/vectors/sigv4/; botocore agrees with them on every request shape we send.
#include "ltf/aws.hpp"

#include <algorithm>
#include <ctime>
#include <map>

namespace ltf::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool is_fold_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trims the value and turns every run of whitespace inside it into one space. CR and LF count
// as whitespace so that an obs-folded value ("a\r\n  b") signs as "a b", like the suites expect.
std::string fold_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (is_fold_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// RFC 3986 dot-segment removal, plus the collapsing of empty segments ("//") that AWS services
// apply. A trailing slash survives when something is left ("//example//" -> "/example/").
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> kept;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!segment.empty() && segment != ".") {
      kept.push_back(segment);
    }
    start = end + 1;
  }
  std::string out = "/";
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out += '/';
    out += kept[i];
  }
  if (!kept.empty() && path.ends_with('/')) out += '/';
  return out;
}

std::string canonical_uri(std::string_view path, const SigningParams& params) {
  if (path.empty()) path = "/";
  const std::string normalized = params.normalize_path ? normalize_path(path) : std::string(path);
  return params.encode_path ? uri_encode(normalized, /*keep_slash=*/true) : normalized;
}

std::string canonical_query(const std::vector<QueryParam>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const QueryParam& p : query) {
    encoded.emplace_back(uri_encode(p.name, false), uri_encode(p.value, false));
  }
  // Sorted by encoded name, then by encoded value: byte order of what is signed.
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0x0f]);
    }
  }
  return out;
}

bool is_unsignable_header(std::string_view name) {
  static constexpr std::string_view never[] = {
      "authorization",  "connection",          "content-length",   "expect",
      "keep-alive",     "proxy-authorization", "proxy-connection", "te",
      "trailer",        "transfer-encoding",   "upgrade",          "user-agent",
      "x-amzn-trace-id"};
  return std::find(std::begin(never), std::end(never), name) != std::end(never);
}

Signature sign(const SigningRequest& request, const Credentials& credentials,
               const SigningParams& params) {
  Signature result;
  const std::string date_time = amz_date(params.time);
  const std::string date = date_time.substr(0, 8);
  const bool has_token = !credentials.session_token.empty();
  const std::string payload_hash =
      request.payload_hash ? *request.payload_hash : sha256_hex(request.payload);

  result.headers.push_back({"X-Amz-Date", date_time});
  if (has_token) result.headers.push_back({"X-Amz-Security-Token", credentials.session_token});
  if (params.add_content_sha256) result.headers.push_back({"X-Amz-Content-Sha256", payload_hash});

  // Name -> folded values in the order given. The signer's own headers replace any the caller
  // passed under the same name, so a re-signed request (a retry) does not sign stale values.
  std::map<std::string, std::vector<std::string>> headers;
  for (const Header& h : request.headers) {
    std::string name = lowercase(h.name);
    if (name == "authorization" || name == "x-amz-date") continue;
    if (has_token && name == "x-amz-security-token") continue;
    if (params.add_content_sha256 && name == "x-amz-content-sha256") continue;
    headers[std::move(name)].push_back(fold_value(h.value));
  }
  for (const Header& h : result.headers) headers[lowercase(h.name)].push_back(h.value);

  std::string canonical_headers;
  for (const auto& [name, values] : headers) {
    canonical_headers += name;
    canonical_headers += ':';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) canonical_headers += ',';
      canonical_headers += values[i];
    }
    canonical_headers += '\n';
    if (!result.signed_headers.empty()) result.signed_headers += ';';
    result.signed_headers += name;
  }

  result.canonical_request = request.method + '\n' + canonical_uri(request.path, params) + '\n' +
                             canonical_query(request.query) + '\n' + canonical_headers + '\n' +
                             result.signed_headers + '\n' + payload_hash;

  const std::string scope = date + '/' + params.region + '/' + params.service + "/aws4_request";
  result.string_to_sign = std::string(kAlgorithm) + '\n' + date_time + '\n' + scope + '\n' +
                          sha256_hex(result.canonical_request);

  const SigningKey key =
      derive_signing_key(credentials.secret_access_key, date, params.region, params.service);
  result.signature = signature_of(key, result.string_to_sign);
  result.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id +
                         '/' + scope + ", SignedHeaders=" + result.signed_headers +
                         ", Signature=" + result.signature;
  result.headers.push_back({"Authorization", result.authorization});
  return result;
}

}  // namespace ltf::aws
