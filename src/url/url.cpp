// parse_http_url: Boost.URL does the parsing; the checks around it turn its terse errors into
// what a user must change, and refuse what Boost.URL would accept but a connection cannot use.
#include "ltf/url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ltf {

namespace {

constexpr std::string_view kExample = "an absolute http(s) URL such as https://logs.example.com/ingest";

// URLs are ASCII: anything else (UTF-8 included) must be percent-encoded. Checked before Boost.URL
// sees the text, whose debug builds assert on some invalid sequences.
bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

}  // namespace

std::optional<HttpUrl> parse_http_url(std::string_view text, std::string* why) {
  auto fail = [why](std::string message) -> std::optional<HttpUrl> {
    if (why) *why = std::move(message);
    return std::nullopt;
  };
  if (text.empty()) return fail("is empty: expected " + std::string(kExample));
  if (!printable_ascii(text))
    return fail("holds spaces, control or non-ASCII characters (percent-encode them): expected " +
                std::string(kExample));
  // Only text of the form http(s)://... reaches Boost.URL: that is all we accept, and 1.81's
  // debug builds assert on some other forms ("x:]", found by fuzz_url).
  const auto separator = text.find("://");
  if (separator == std::string_view::npos) return fail("is not " + std::string(kExample));
  std::string scheme(text.substr(0, separator));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  if (scheme != "http" && scheme != "https")
    return fail("must start with http:// or https://, not '" + scheme.substr(0, 16) + "://'");
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return fail("is not " + std::string(kExample));
  const boost::urls::url_view& url = *parsed;
  HttpUrl out;
  out.scheme = scheme;  // lower case: schemes are case-insensitive (RFC 3986 3.1)
  out.host = url.host_address();
  if (out.host.empty()) return fail("has no host: expected " + std::string(kExample));
  if (url.has_userinfo())
    return fail("must not hold credentials (user:password@): put them in a secret instead");
  if (url.has_port()) {
    // Boost.URL's port_number() is 16 bits and wraps: read the digits ourselves.
    const std::string_view digits = url.port();
    unsigned long port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || port == 0 ||
        port > 65535)
      return fail("has port '" + std::string(digits) + "': a port must be 1-65535");
    out.port = std::to_string(port);
  } else {
    out.port = out.scheme == "https" ? "443" : "80";
  }
  out.target = url.encoded_target();
  if (out.target.empty() || out.target.front() != '/') out.target = "/" + out.target;
  return out;
}

}  // namespace ltf
