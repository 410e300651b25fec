// The extension's own log lines: the level filter and a formatter that keeps every record one line.
#include "ltf/log.hpp"

#include <boost/log/core.hpp>
#include <boost/log/expressions.hpp>
#include <boost/log/utility/setup/console.hpp>

#include <boost/log/attributes/value_extraction.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
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

namespace {

// The escape for one byte that would break or hide a line, or nothing when it is printable.
std::string_view escape(unsigned char c, char (&buffer)[8]) {
  switch (c) {
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: break;
  }
  if (c >= 0x20 && c != 0x7f) return {};
  std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
  return buffer;
}

// The UTF-8 encodings of the Unicode line breaks some log readers honour: NEL, LS and PS.
std::string_view unicode_break(std::string_view rest) {
  if (rest.starts_with("\xc2\x85")) return "\\u0085";
  if (rest.starts_with("\xe2\x80\xa8")) return "\\u2028";
  if (rest.starts_with("\xe2\x80\xa9")) return "\\u2029";
  return {};
}

}  // namespace

std::string one_line(std::string_view text, std::size_t limit) {
  constexpr std::string_view ellipsis = "...";
  const std::size_t room = limit > ellipsis.size() ? limit - ellipsis.size() : 0;
  std::string out;
  out.reserve(std::min(text.size(), limit) + 8);
  std::size_t cut = std::string::npos;  // where the text ends if it has to be cut, "..." after it
  char buffer[8];
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view piece = escape(static_cast<unsigned char>(text[i]), buffer);
    std::size_t width = 1;
    if (const auto wide = unicode_break(text.substr(i)); !wide.empty()) {
      piece = wide;
      width = text[i] == '\xc2' ? 2 : 3;
    }
    const std::size_t grows = piece.empty() ? 1 : piece.size();
    // Cut only between pieces, so that an escape is never left half written.
    if (cut == std::string::npos && out.size() + grows > room) cut = out.size();
    if (out.size() + grows > limit) {
      out.resize(cut);
      // Nor half of a UTF-8 character: drop its continuation bytes, then its lead byte.
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80) out.pop_back();
      if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0) out.pop_back();
      if (limit >= ellipsis.size()) out += ellipsis;
      return out;
    }
    if (piece.empty()) out += text[i];
    else out += piece;
    i += width - 1;
  }
  return out;
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
  auto sink = boost::log::add_console_log(std::cout, boost::log::keywords::auto_flush = true);
  // Every message is escaped here, in the one place all of them pass, rather than value by value
  // at each call site: a value nobody thought of as foreign still cannot forge a line.
  sink->set_formatter([prefix = "[" + std::string(program_name) + "] "](
                          const boost::log::record_view& record,
                          boost::log::formatting_ostream& stream) {
    stream << prefix << record[boost::log::trivial::severity] << " ";
    if (const auto message = record[expr::smessage]) stream << one_line(*message);
  });
  core->set_filter(boost::log::trivial::severity >= *min);
}

}  // namespace ltf::log
