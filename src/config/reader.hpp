#pragma once
// The config module's reader: one variable at a time into a Config field, each bad value recorded
// as a ConfigError that names it. Private to src/config.

#include "ltf/config.hpp"

#include <charconv>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace ltf::config_detail {

// A value from the environment as an error message may quote it: one line, bounded, so that a
// newline in a variable cannot forge a log line and a huge value cannot flood the log.
inline std::string quote_value(std::string_view value) {
  constexpr std::size_t limit = 80;
  std::string out = "'";
  for (char c : value.substr(0, limit)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (value.size() > limit) out += "...";
  return out + "'";
}

// Reads one variable into `out` when present, recording a clear error when its value is bad.
class Reader {
 public:
  explicit Reader(const Environment& env) : env_(env) {}

  const std::string* raw(std::string_view name) const {
    auto it = env_.find(name);
    return it == env_.end() ? nullptr : &it->second;
  }

  // A numeric setting within its range (kNumericSettings); `out` keeps its default otherwise.
  template <typename T>
  bool number(std::string_view name, T& out) {
    const std::string* text = raw(name);
    if (!text) return false;
    const NumericSetting& setting = find(name);
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size() || text->empty()) {
      fail(name, "must be a whole number, got " + quote_value(*text));
      return false;
    }
    if (value < setting.min || value > setting.max) {
      fail(name, "must be between " + std::to_string(setting.min) + " and " +
                     std::to_string(setting.max) + ", got " + quote_value(*text));
      return false;
    }
    if constexpr (std::is_integral_v<T>) out = static_cast<T>(value);
    else out = T(static_cast<typename T::rep>(value));
    return true;
  }

  // A numeric setting that is unset by default.
  template <typename T>
  void number(std::string_view name, std::optional<T>& out) {
    T value{};
    if (number(name, value)) out = value;
  }

  // One of a few words; `out` keeps its default otherwise.
  template <typename T>
  void choice(std::string_view name, T& out, std::initializer_list<std::pair<std::string_view, T>> words) {
    const std::string* text = raw(name);
    if (!text) return;
    std::string allowed;
    for (const auto& [word, value] : words) {
      if (*text == word) {
        out = value;
        return;
      }
      allowed += (allowed.empty() ? "" : ", ") + std::string(word);
    }
    fail(name, "must be one of " + allowed + ", got " + quote_value(*text));
  }

  void boolean(std::string_view name, bool& out) {
    choice(name, out, {{"true", true}, {"false", false}});
  }

  void fail(std::string_view name, std::string message) {
    errors_.push_back({std::string(name), std::move(message)});
  }

  std::vector<ConfigError> take_errors() { return std::move(errors_); }

 private:
  static const NumericSetting& find(std::string_view name) {
    for (const auto& setting : numeric_settings())
      if (setting.variable == name) return setting;
    throw std::logic_error("no range for " + std::string(name) + " in settings.cpp");
  }

  const Environment& env_;
  std::vector<ConfigError> errors_;
};

// URL, AUTH_SECRET, the *_INDEX names and LTF_OPENSEARCH_* (opensearch_config.cpp).
void read_opensearch(Reader& r, Config& c);
// LTF_HEADERS and LTF_HEADERS_SECRET (headers.cpp), after the destination, AUTH_SECRET and
// LTF_SIGV4_SERVICE: a header list that conflicts with them is refused.
void read_headers(Reader& r, Config& c);
// LTF_OTLP_* (otlp_config.cpp); after read_destination and read_opensearch.
void read_otlp(Reader& r, Config& c);

}  // namespace ltf::config_detail
