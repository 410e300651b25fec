// libFuzzer harness: header lists (ltf::parse_header_list, LTF_HEADERS' syntax) and header
// secrets (ltf::aws::parse_header_secret). Whatever either accepts must pass check_headers: no
// control character in a value, token names, within the bounds.
#include "ltf/config.hpp"
#include "ltf/secrets.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

void check(const ltf::HttpHeaders& headers) {
  if (!ltf::check_headers(headers).empty()) __builtin_trap();
  for (const auto& header : headers)
    for (char c : header.value)
      if (c == '\r' || c == '\n' || c == '\0') __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string why;
  if (auto headers = ltf::parse_header_list(input, &why)) check(*headers);
  else if (why.empty()) __builtin_trap();  // a refusal says why
  if (auto headers = ltf::aws::parse_header_secret(input, &why)) check(*headers);
  return 0;
}
