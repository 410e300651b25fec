// libFuzzer harness: configuration loading (ltf::load_config) from an environment the input
// spells as lines of NAME=value.
#include "ltf/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ltf::Environment env;
  while (!input.empty()) {
    const auto end = input.find('\n');
    const std::string_view line = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);
    const auto equals = line.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;
    env[std::string(line.substr(0, equals))] = std::string(line.substr(equals + 1));
  }
  const auto loaded = ltf::load_config(env);
  if (const auto* errors = std::get_if<std::vector<ltf::ConfigError>>(&loaded)) {
    if (errors->empty()) __builtin_trap();  // a refusal names at least one problem
    (void)ltf::describe(*errors);
  }
  return 0;
}
