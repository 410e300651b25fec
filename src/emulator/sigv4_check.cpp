// The service's side of SigV4 for the fakes, written from the specification with OpenSSL's
// SHA-256 and HMAC directly. It shares no code with src/aws on purpose: a signing mistake in the
// extension must not be repeated here, or the fakes would accept it and the tests would pass.
#include "ltf/fake_aws.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <utility>

namespace ltf::emulator::sigv4 {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0xf]);
  }
  return out;
}

using Mac = std::array<unsigned char, 32>;

Mac hmac(std::string_view key, std::string_view data) {
  Mac out{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size);
  return out;
}

std::string_view as_key(const Mac& mac) {
  return {reinterpret_cast<const char*>(mac.data()), mac.size()};
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trimmed, with every inner run of whitespace (obs-fold line breaks included) made one space.
std::string collapse_spaces(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding as a service reads a query: invalid escapes stay as they are, '+' stays '+'.
std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
        hex_digit(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Removes "." and ".." segments and empty ones ("//"), keeping a trailing slash: RFC 3986's
// remove_dot_segments as the SigV4 normalisation asks for it.
std::string normalized_path(std::string_view path) {
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
  std::string out;
  for (auto segment : kept) out.append("/").append(segment);
  const bool trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
  if (out.empty() || trailing) out.push_back('/');
  return out;
}

struct Target {
  std::string_view path, query;
};

Target split_target(std::string_view target) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

bool parse_amz_date(std::string_view text, std::chrono::system_clock::time_point& out) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return false;
  for (std::size_t i = 0; i < 15; ++i)
    if (i != 8 && !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  const auto number = [&](std::size_t at, std::size_t digits) {
    int value = 0;
    for (std::size_t i = at; i < at + digits; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  using namespace std::chrono;
  const year_month_day day{year{number(0, 4)}, month{static_cast<unsigned>(number(4, 2))},
                           std::chrono::day{static_cast<unsigned>(number(6, 2))}};
  if (!day.ok()) return false;
  out = sys_days{day} + hours{number(9, 2)} + minutes{number(11, 2)} + seconds{number(13, 2)};
  return true;
}

std::string header_values(const net::Request& request, std::string_view lowercase_name) {
  std::string joined;
  bool first = true;
  for (const auto& field : request) {
    if (lowercase(field.name_string()) != lowercase_name) continue;
    if (!first) joined.push_back(',');
    joined += collapse_spaces(field.value());
    first = false;
  }
  return joined;
}

bool has_header(const net::Request& request, std::string_view lowercase_name) {
  return std::any_of(request.begin(), request.end(), [&](const auto& field) {
    return lowercase(field.name_string()) == lowercase_name;
  });
}

Verdict refuse(std::string code, std::string reason) { return {false, std::move(code), std::move(reason)}; }

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return hex(digest, sizeof digest);
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(digits[byte >> 4]);
      out.push_back(digits[byte & 0xf]);
    }
  }
  return out;
}

std::optional<AuthorizationHeader> parse_authorization(std::string_view value) {
  const std::string text = collapse_spaces(value);
  if (!text.starts_with(kAlgorithm) || text.size() == kAlgorithm.size() ||
      text[kAlgorithm.size()] != ' ')
    return std::nullopt;
  AuthorizationHeader out;
  bool have_credential = false, have_headers = false, have_signature = false;
  std::string_view rest = std::string_view(text).substr(kAlgorithm.size() + 1);
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view name = part.substr(0, eq), v = part.substr(eq + 1);
    if (name == "Credential") {
      // AKID/yyyymmdd/region/service/aws4_request
      std::vector<std::string> pieces;
      std::size_t start = 0;
      for (std::size_t slash; (slash = v.find('/', start)) != std::string_view::npos;
           start = slash + 1)
        pieces.emplace_back(v.substr(start, slash - start));
      pieces.emplace_back(v.substr(start));
      if (pieces.size() != 5) return std::nullopt;
      out.access_key_id = pieces[0];
      out.date = pieces[1];
      out.region = pieces[2];
      out.service = pieces[3];
      out.terminator = pieces[4];
      have_credential = true;
    } else if (name == "SignedHeaders") {
      std::size_t start = 0;
      for (std::size_t semi; (semi = v.find(';', start)) != std::string_view::npos;
           start = semi + 1)
        out.signed_headers.emplace_back(v.substr(start, semi - start));
      out.signed_headers.emplace_back(v.substr(start));
      have_headers = !v.empty();
    } else if (name == "Signature") {
      out.signature = v;
      have_signature = !v.empty();
    }
  }
  if (!have_credential || !have_headers || !have_signature) return std::nullopt;
  return out;
}

std::string canonical_uri(std::string_view wire_path, bool normalize) {
  // The path arrives encoded once by the client; every service but S3 encodes it again.
  const std::string path = normalize ? normalized_path(wire_path) : std::string(wire_path);
  return path.empty() ? std::string("/") : uri_encode(path, true);
}

std::string canonical_query(std::string_view wire_query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start <= wire_query.size() && !wire_query.empty()) {
    std::size_t amp = wire_query.find('&', start);
    if (amp == std::string_view::npos) amp = wire_query.size();
    const std::string_view pair = wire_query.substr(start, amp - start);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      const std::string_view name = pair.substr(0, eq);
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      pairs.emplace_back(uri_encode(percent_decode(name), false),
                         uri_encode(percent_decode(value), false));
    }
    start = amp + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out.push_back('&');
    out += name + "=" + value;
  }
  return out;
}

std::string canonical_request(const net::Request& request,
                              const std::vector<std::string>& signed_headers,
                              std::string_view payload_hash, bool normalize_path) {
  const Target target = split_target(request.target());
  std::string out(request.method_string());
  out += "\n" + canonical_uri(target.path, normalize_path);
  out += "\n" + canonical_query(target.query) + "\n";
  std::string list;
  for (const auto& name : signed_headers) {
    out += name + ":" + header_values(request, name) + "\n";
    if (!list.empty()) list.push_back(';');
    list += name;
  }
  out += "\n" + list + "\n";
  out += payload_hash;
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                            std::string_view canonical) {
  return std::string(kAlgorithm) + "\n" + std::string(amz_date) + "\n" + std::string(scope) +
         "\n" + sha256_hex(canonical);
}

std::string signature(std::string_view secret_access_key, std::string_view date,
                      std::string_view region, std::string_view service,
                      std::string_view to_sign) {
  const Mac k_date = hmac("AWS4" + std::string(secret_access_key), date);
  const Mac k_region = hmac(as_key(k_date), region);
  const Mac k_service = hmac(as_key(k_region), service);
  const Mac k_signing = hmac(as_key(k_service), kTerminator);
  const Mac mac = hmac(as_key(k_signing), to_sign);
  return hex(mac.data(), mac.size());
}

Verdict verify(const net::Request& request, const Expectation& expected) {
  const auto authorization = request.find(net::http::field::authorization);
  if (authorization == request.end())
    return refuse("MissingAuthenticationTokenException", "Missing Authentication Token");
  const auto parsed = parse_authorization(authorization->value());
  if (!parsed)
    return refuse("IncompleteSignatureException",
                  "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
                  "parameters after AWS4-HMAC-SHA256");

  const std::string amz_date = header_values(request, "x-amz-date");
  std::chrono::system_clock::time_point signed_at;
  if (!parse_amz_date(amz_date, signed_at))
    return refuse("IncompleteSignatureException",
                  "X-Amz-Date is missing or not in the form yyyyMMddTHHmmssZ");

  if (parsed->access_key_id != expected.credentials.access_key_id)
    return refuse("UnrecognizedClientException",
                  "The security token included in the request is invalid.");
  if (parsed->date != amz_date.substr(0, 8) || parsed->region != expected.region ||
      parsed->service != expected.service || parsed->terminator != kTerminator)
    return refuse("InvalidSignatureException",
                  "Credential should be scoped to " + amz_date.substr(0, 8) + "/" +
                      expected.region + "/" + expected.service + "/aws4_request");
  const auto skew = expected.now - signed_at;
  if (skew > expected.max_skew || -skew > expected.max_skew)
    return refuse("InvalidSignatureException",
                  "Signature expired: the request's X-Amz-Date is more than 5 minutes away "
                  "from the server's time");

  const auto& names = parsed->signed_headers;
  const auto is_signed = [&](std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  if (!std::is_sorted(names.begin(), names.end()) ||
      std::any_of(names.begin(), names.end(),
                  [](const std::string& n) { return n.empty() || lowercase(n) != n; }))
    return refuse("IncompleteSignatureException",
                  "SignedHeaders must be lowercase names, sorted and separated by ';'");
  if (!is_signed("host") || !is_signed("x-amz-date"))
    return refuse("IncompleteSignatureException",
                  "'Host' and 'X-Amz-Date' must be SignedHeaders in the AWS Authorization");
  for (const auto& name : names)
    if (!has_header(request, name))
      return refuse("IncompleteSignatureException",
                    "signed header '" + name + "' is not in the request");

  const bool has_token = has_header(request, "x-amz-security-token");
  if (has_token != !expected.credentials.session_token.empty() ||
      (has_token &&
       header_values(request, "x-amz-security-token") != expected.credentials.session_token))
    return refuse("UnrecognizedClientException",
                  "The security token included in the request is invalid.");
  if (has_token && !is_signed("x-amz-security-token"))
    return refuse("IncompleteSignatureException",
                  "X-Amz-Security-Token must be a SignedHeader in the AWS Authorization");

  const std::string payload_hash = sha256_hex(request.body());
  const bool has_content_hash = has_header(request, "x-amz-content-sha256");
  if (expected.require_content_sha256 && (!has_content_hash || !is_signed("x-amz-content-sha256")))
    return refuse("IncompleteSignatureException",
                  "x-amz-content-sha256 must be sent and signed");
  if (has_content_hash && header_values(request, "x-amz-content-sha256") != payload_hash)
    return refuse("InvalidSignatureException",
                  "x-amz-content-sha256 does not match the hash of the body received");

  const std::string scope = parsed->date + "/" + expected.region + "/" + expected.service + "/" +
                            std::string(kTerminator);
  const std::string canonical =
      canonical_request(request, names, payload_hash, expected.normalize_path);
  const std::string computed =
      signature(expected.credentials.secret_access_key, parsed->date, expected.region,
                expected.service, string_to_sign(amz_date, scope, canonical));
  if (computed.size() != parsed->signature.size() ||
      CRYPTO_memcmp(computed.data(), parsed->signature.data(), computed.size()) != 0)
    return refuse("InvalidSignatureException",
                  "The request signature we calculated does not match the signature you "
                  "provided. Check your AWS Secret Access Key and signing method.");
  return {true, {}, {}};
}

}  // namespace ltf::emulator::sigv4
