// docs/configuration.md and the code's defaults table (ltf::numeric_settings(), built from
// ltf/defaults.hpp) must agree: every numeric variable documented, with the code's default and
// range. A change to either without the other fails here.
#include "ltf/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct DocRow {
  std::string defaults;
  std::string range;
};

// The table rows of docs/configuration.md, by variable (a row may name several: `A`, `B`).
std::map<std::string, DocRow> documented() {
  std::ifstream in(std::string(LTF_SOURCE_DIR) + "/docs/configuration.md");
  std::map<std::string, DocRow> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream cells_in(line.substr(1));
    std::string cell;
    while (std::getline(cells_in, cell, '|')) cells.push_back(cell);
    if (cells.size() < 3) continue;
    for (std::size_t at = cells[0].find('`'); at != std::string::npos;) {
      const auto end = cells[0].find('`', at + 1);
      if (end == std::string::npos) break;
      rows[cells[0].substr(at + 1, end - at - 1)] = {cells[1], cells[2]};
      at = cells[0].find('`', end + 1);
    }
  }
  return rows;
}

// The numbers in a cell, in order ("1,024–65,535" gives 1024 and 65535; "1 GiB" gives 2^30).
std::vector<std::uint64_t> numbers(const std::string& cell) {
  std::vector<std::uint64_t> out;
  std::string digits;
  auto flush = [&](std::string_view rest) {
    if (digits.empty()) return;
    std::uint64_t value = std::stoull(digits);
    if (rest.starts_with(" GiB")) value <<= 30;
    else if (rest.starts_with(" MiB")) value <<= 20;
    else if (rest.starts_with(" KiB")) value <<= 10;
    out.push_back(value);
    digits.clear();
  };
  for (std::size_t i = 0; i < cell.size(); ++i) {
    const char c = cell[i];
    if (c >= '0' && c <= '9') digits += c;
    else if (c == ',' && !digits.empty() && i + 1 < cell.size() && cell[i + 1] >= '0' && cell[i + 1] <= '9') continue;
    else flush(std::string_view(cell).substr(i));
  }
  flush({});
  return out;
}

TEST(DocumentedDefaults, EveryNumericSettingIsDocumentedWithTheCodesDefaultAndRange) {
  const auto docs = documented();
  ASSERT_FALSE(docs.empty()) << "docs/configuration.md has no table";
  for (const auto& setting : ltf::numeric_settings()) {
    const std::string name(setting.variable);
    auto row = docs.find(name);
    ASSERT_NE(row, docs.end()) << name << " is not in docs/configuration.md";
    const auto range = numbers(row->second.range);
    ASSERT_GE(range.size(), 2u) << name << ": no range in '" << row->second.range << "'";
    EXPECT_EQ(range[0], setting.min) << name << " minimum";
    EXPECT_EQ(range[1], setting.max) << name << " maximum";
    if (row->second.defaults.find("unset") != std::string::npos) continue;  // optional settings
    const auto fallback = numbers(row->second.defaults);
    ASSERT_FALSE(fallback.empty()) << name << ": no default in '" << row->second.defaults << "'";
    EXPECT_EQ(fallback[0], setting.fallback) << name << " default";
  }
}

TEST(DocumentedDefaults, TheParserOfTheDocsTableReadsWhatItShould) {
  EXPECT_EQ(numbers("1,024–65,535"), (std::vector<std::uint64_t>{1024, 65535}));
  EXPECT_EQ(numbers("65,536–1 GiB"), (std::vector<std::uint64_t>{65536, 1ull << 30}));
  EXPECT_EQ(numbers("`4194304`"), (std::vector<std::uint64_t>{4194304}));
}

}  // namespace
