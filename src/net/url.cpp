#include "ltf/net.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace ltf::net {

std::optional<HttpUrl> parse_http_url(std::string_view text, std::string* why) {
  auto fail = [why](std::string message) -> std::optional<HttpUrl> {
    if (why) *why = std::move(message);
    return std::nullopt;
  };
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return fail("not an absolute URL (" + parsed.error().message() + ")");
  const boost::urls::url_view& url = *parsed;
  HttpUrl out;
  out.scheme = url.scheme();
  if (out.scheme != "http" && out.scheme != "https")
    return fail("scheme must be http or https, not '" + out.scheme + "'");
  out.host = url.host_address();
  if (out.host.empty()) return fail("the URL has no host");
  if (url.has_userinfo()) return fail("credentials in the URL are not supported");
  out.port = url.has_port() ? std::string(url.port()) : (out.scheme == "https" ? "443" : "80");
  if (url.has_port() && url.port_number() == 0) return fail("port must be 1-65535");
  out.target = url.encoded_target();
  if (out.target.empty() || out.target.front() != '/') out.target = "/" + out.target;
  return out;
}

}  // namespace ltf::net
