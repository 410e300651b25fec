#include "ltf/log.hpp"

#include <boost/log/core.hpp>
#include <boost/log/expressions.hpp>
#include <boost/log/utility/setup/console.hpp>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <string>

namespace ltf::log {

std::optional<Level> parse_level(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  using boost::log::trivial::severity_level;
  if (lower == "trace") return severity_level::trace;
  if (lower == "debug") return severity_level::debug;
  if (lower == "info") return severity_level::info;
  if (lower == "warn" || lower == "warning") return severity_level::warning;
  if (lower == "error") return severity_level::error;
  if (lower == "fatal") return severity_level::fatal;
  return std::nullopt;
}

void init(std::optional<Level> min, std::string_view program_name) {
  namespace expr = boost::log::expressions;
  auto core = boost::log::core::get();
  core->remove_all_sinks();
  if (!min) {
    core->set_logging_enabled(false);
    return;
  }
  core->set_logging_enabled(true);
  auto sink = boost::log::add_console_log(
      std::cout, boost::log::keywords::format =
                     (expr::stream << "[" << std::string(program_name) << "] "
                                   << boost::log::trivial::severity << " " << expr::smessage),
      boost::log::keywords::auto_flush = true);
  core->set_filter(boost::log::trivial::severity >= *min);
}

}  // namespace ltf::log
