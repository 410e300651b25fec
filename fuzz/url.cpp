// libFuzzer harness: any text through net::parse_http_url (Boost.URL underneath).
#include "ltf/net.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string why;
  const auto url = ltf::net::parse_http_url(text, &why);
  if (url) {
    // What every caller relies on: a scheme it can speak, a host and port to connect to, a path.
    if (url->scheme != "http" && url->scheme != "https") __builtin_trap();
    if (url->host.empty() || url->port.empty()) __builtin_trap();
    if (url->target.empty() || url->target.front() != '/') __builtin_trap();
  } else if (why.empty()) {
    __builtin_trap();
  }
  return 0;
}
