// Where in a run the extensions' memory is read (--rss-at): see rss_checkpoints.hpp.
#include "rss_checkpoints.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace ltf::emulator {

RssCheckpoints::RssCheckpoints(std::vector<int> percents, int invocations) {
  for (int percent : percents) {
    // The first P % of N invocations: ceil(P * N / 100) of them.
    const long long started = (static_cast<long long>(percent) * invocations + 99) / 100;
    const long long index = percent >= 100 || started >= invocations ? -1 : started;
    marks_.push_back({percent, index, false});
  }
}

std::vector<int> RssCheckpoints::at_invocation(int index) {
  std::vector<int> due;
  for (auto& mark : marks_)
    if (!mark.taken && mark.index == index) {
      mark.taken = true;
      due.push_back(mark.percent);
    }
  return due;
}

std::vector<int> RssCheckpoints::at_end() {
  std::vector<int> due;
  for (auto& mark : marks_)
    if (!mark.taken) {
      mark.taken = true;
      due.push_back(mark.percent);
    }
  return due;
}

std::vector<int> parse_percentages(const std::string& list) {
  std::vector<int> out;
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    std::size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || value < 1 || value > 100)
      throw std::invalid_argument("percentages from 1 to 100, comma-separated, not '" + item + "'");
    out.push_back(value);
  }
  if (out.empty()) throw std::invalid_argument("at least one percentage from 1 to 100");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ltf::emulator
