#pragma once
// Destination URLs: an absolute http(s) URL taken apart (Boost.URL) into what a connection needs.
// Its own module, below config and net, so that checking a setting needs no HTTP machinery.

#include <optional>
#include <string>
#include <string_view>

namespace ltf {

struct HttpUrl {
  std::string scheme;  // "http" or "https"
  std::string host;
  std::string port;    // always set, 1-65535: the scheme's default when the URL has none
  std::string target;  // path and query, at least "/"
};

// Parses an absolute http(s) URL. Returns nullopt and sets `why` (a sentence saying what to fix)
// when it is not one: not ASCII, no scheme or host, another scheme, credentials, a bad port.
std::optional<HttpUrl> parse_http_url(std::string_view text, std::string* why = nullptr);

}  // namespace ltf
