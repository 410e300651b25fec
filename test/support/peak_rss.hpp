#pragma once
// Peak memory of a piece of work, measured in a child process so that nothing else the test binary
// did before (or does after) counts, or in this process from a reset of its high-water mark: for
// tests that bound what a hostile input may cost, and record it (scripts/hostile_rss.sh).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>

namespace ltf::test {

// AddressSanitizer's allocator keeps freed memory in quarantine and adds shadow memory: bounds on
// peak RSS are multiplied by this in such builds (the figures are still recorded as measured).
#if defined(__SANITIZE_ADDRESS__)
inline constexpr long kRssBoundFactor = 4;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr long kRssBoundFactor = 4;
#else
inline constexpr long kRssBoundFactor = 1;
#endif
#else
inline constexpr long kRssBoundFactor = 1;
#endif

// Except where a test streams more through the allocator than the quarantine holds (256 MiB by
// default): there the quarantine, not the code under test, decides the growth, so such a bound
// holds only without AddressSanitizer (the debug suite checks it; the ASan one checks the rest).
inline constexpr bool kStreamingBoundsHold = kRssBoundFactor == 1;

struct PeakGrowth {
  long mib = -1;       // how far the child's peak RSS rose above its RSS when `act` started
  int exit_code = -1;  // what `act` returned (0..255), -1 when the child did not exit normally
};

// Runs `act` in a forked child (the parent's memory is shared with it, not copied) and reports
// the growth of the child's peak resident set while it ran.
PeakGrowth peak_rss_growth_in_child(const std::function<int()>& act);

// Peak resident memory of this process since reset(), in KiB over what it was at reset().
class PeakRss {
 public:
  PeakRss() { reset(); }
  void reset() {
    std::ofstream("/proc/self/clear_refs") << "5";  // restarts VmHWM from the current VmRSS
    base_ = field("VmRSS:");
  }
  long growth_kib() const { return std::max(0L, field("VmHWM:") - base_); }

 private:
  static long field(std::string_view name) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
      if (line.starts_with(name)) return std::stol(line.substr(name.size()));
    return 0;
  }
  long base_ = 0;
};

// One figure for the record: printed, and kept in the test's XML output.
inline void record(const char* name, long value, const char* unit) {
  std::printf("[  FIGURE  ] %s = %ld %s\n", name, value, unit);
  ::testing::Test::RecordProperty(name, std::to_string(value) + " " + unit);
}

}  // namespace ltf::test
