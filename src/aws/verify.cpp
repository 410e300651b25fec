// The receiving side of SigV4, as the fake services need it. Rather than a second implementation
// of the canonical request, the signature is recomputed with sign() over exactly the headers the
// request lists as signed; everything else here is the checks a service makes before that, each
// with the error code the real services answer.
#include "ltf/aws.hpp"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>

namespace ltf::aws {
namespace {

constexpr std::string_view kPrefix = "AWS4-HMAC-SHA256 ";

Verification refuse(std::string code, std::string reason) {
  return Verification{false, std::move(code), std::move(reason)};
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

struct Authorization {
  std::string_view access_key_id, date, region, service, terminator;
  std::vector<std::string_view> signed_headers;
  std::string_view signed_headers_text;
  std::string_view signature;
};

// "AWS4-HMAC-SHA256 Credential=AKID/yyyymmdd/region/service/aws4_request,
//  SignedHeaders=a;b;c, Signature=hex"; nullopt (and `why`) when a part is missing or malformed.
std::optional<Authorization> parse_authorization(std::string_view value, std::string& why) {
  if (!value.starts_with(kPrefix)) {
    why = "Authorization does not use AWS4-HMAC-SHA256";
    return std::nullopt;
  }
  Authorization out;
  bool credential = false, headers = false, signature = false;
  for (std::string_view part : split(value.substr(kPrefix.size()), ',')) {
    part = trim(part);
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = part.substr(0, eq), val = part.substr(eq + 1);
    if (key == "Credential") {
      const auto scope = split(val, '/');
      if (scope.size() != 5) {
        why = "Credential must be <key id>/<date>/<region>/<service>/aws4_request";
        return std::nullopt;
      }
      out.access_key_id = scope[0];
      out.date = scope[1];
      out.region = scope[2];
      out.service = scope[3];
      out.terminator = scope[4];
      credential = true;
    } else if (key == "SignedHeaders") {
      out.signed_headers_text = val;
      out.signed_headers = split(val, ';');
      headers = !val.empty();
    } else if (key == "Signature") {
      out.signature = val;
      signature = !val.empty();
    }
  }
  if (!credential || !headers || !signature) {
    why = std::string("Authorization lacks ") +
          (!credential ? "Credential" : !headers ? "SignedHeaders" : "Signature");
    return std::nullopt;
  }
  return out;
}

// X-Amz-Date in its only accepted form, yyyymmddThhmmssZ.
std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  auto number = [&](std::size_t at, std::size_t size) -> std::optional<int> {
    int value = 0;
    const char* first = text.data() + at;
    auto [end, ec] = std::from_chars(first, first + size, value);
    if (ec != std::errc{} || end != first + size) return std::nullopt;
    return value;
  };
  const auto year = number(0, 4), month = number(4, 2), day = number(6, 2);
  const auto hour = number(9, 2), minute = number(11, 2), second = number(13, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(*hour) +
         std::chrono::minutes(*minute) + std::chrono::seconds(*second);
}

std::optional<std::string_view> header(const net::Request& request, std::string_view name) {
  const auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  return std::string_view(it->value());
}

}  // namespace

Verification verify_signature(const net::Request& request, const Credentials& expected,
                              const VerifyParams& params) {
  const auto authorization = header(request, "Authorization");
  if (!authorization)
    return refuse("MissingAuthenticationTokenException",
                  "Missing Authentication Token: the request is not signed");
  std::string why;
  const auto auth = parse_authorization(*authorization, why);
  if (!auth) return refuse("IncompleteSignatureException", why);

  if (auth->access_key_id != expected.access_key_id)
    return refuse("UnrecognizedClientException",
                  "The security token included in the request is invalid (unknown access key id)");
  if (!expected.session_token.empty()) {
    const auto token = header(request, "X-Amz-Security-Token");
    if (!token || *token != expected.session_token)
      return refuse("UnrecognizedClientException",
                    "The security token included in the request is invalid");
  }
  const auto is_signed = [&](std::string_view name) {
    return std::find(auth->signed_headers.begin(), auth->signed_headers.end(), name) !=
           auth->signed_headers.end();
  };
  for (std::string_view required : {"host", "x-amz-date"})
    if (!is_signed(required))
      return refuse("IncompleteSignatureException",
                    "SignedHeaders must include " + std::string(required));
  if (!expected.session_token.empty() && !is_signed("x-amz-security-token"))
    return refuse("IncompleteSignatureException",
                  "SignedHeaders must include x-amz-security-token with temporary credentials");

  const auto date_text = header(request, "X-Amz-Date");
  const auto date = date_text ? parse_amz_date(*date_text) : std::nullopt;
  if (!date)
    return refuse("IncompleteSignatureException",
                  "X-Amz-Date is missing or not in yyyymmddThhmmssZ form");
  if (auth->date != date_text->substr(0, 8) || auth->terminator != "aws4_request")
    return refuse("InvalidSignatureException",
                  "Credential scope date does not match X-Amz-Date or the scope does not end in "
                  "aws4_request");
  if (auth->region != params.region)
    return refuse("InvalidSignatureException", "Credential should be scoped to a valid region ('" +
                                                   params.region + "'), not '" +
                                                   std::string(auth->region) + "'");
  if (auth->service != params.service)
    return refuse("InvalidSignatureException", "Credential should be scoped to correct service: '" +
                                                   params.service + "'");
  const auto skew = *date > params.now ? *date - params.now : params.now - *date;
  if (skew > params.max_skew)
    return refuse("InvalidSignatureException",
                  "Signature expired or not yet valid: X-Amz-Date " + std::string(*date_text) +
                      " is more than " + std::to_string(params.max_skew.count()) +
                      " s away from the service's clock");

  const std::string body_hash = sha256_hex(request.body());
  const auto content_sha256 = header(request, "X-Amz-Content-Sha256");
  if (params.require_content_sha256 && (!content_sha256 || !is_signed("x-amz-content-sha256")))
    return refuse("IncompleteSignatureException",
                  "x-amz-content-sha256 must be sent and signed");
  if (content_sha256 && *content_sha256 != body_hash)
    return refuse("InvalidSignatureException",
                  "x-amz-content-sha256 does not match the SHA-256 of the body received");

  const auto target = boost::urls::parse_origin_form(request.target());
  if (!target) return refuse("InvalidSignatureException", "the request target is not a path");
  SigningRequest input;
  input.method = std::string(request.method_string());
  input.path = std::string(target->encoded_path());
  const boost::urls::encoding_opts plain{/*space_as_plus=*/false};
  for (const auto& param : target->params(plain))
    input.query.push_back({param.key, param.has_value ? param.value : std::string()});
  for (std::string_view name : auth->signed_headers) {
    auto [first, last] = request.equal_range(name);
    if (first == last)
      return refuse("IncompleteSignatureException",
                    "signed header '" + std::string(name) + "' is not in the request");
    for (auto it = first; it != last; ++it)
      input.headers.push_back({std::string(name), std::string(it->value())});
  }
  input.payload_hash = body_hash;

  SigningParams signing;
  signing.region = params.region;
  signing.service = params.service;
  signing.time = *date;
  const Signature computed = sign(input, expected, signing);
  if (computed.signed_headers != auth->signed_headers_text)
    return refuse("IncompleteSignatureException",
                  "SignedHeaders must be lowercase, sorted and without duplicates");
  const bool same = computed.signature.size() == auth->signature.size() &&
                    CRYPTO_memcmp(computed.signature.data(), auth->signature.data(),
                                  computed.signature.size()) == 0;
  if (!same)
    return refuse("InvalidSignatureException",
                  "The request signature we calculated does not match the signature you "
                  "provided. Check your AWS Secret Access Key and signing method.");
  return Verification{true, {}, {}};
}

}  // namespace ltf::aws
