#pragma once
// Peak memory of a piece of work, measured in a child process so that nothing else the test binary
// did before (or does after) counts: for tests that bound what a hostile input may cost.

#include <functional>

namespace ltf::test {

struct PeakGrowth {
  long mib = -1;       // how far the child's peak RSS rose above its RSS when `act` started
  int exit_code = -1;  // what `act` returned (0..255), -1 when the child did not exit normally
};

// Runs `act` in a forked child (the parent's memory is shared with it, not copied) and reports
// the growth of the child's peak resident set while it ran.
PeakGrowth peak_rss_growth_in_child(const std::function<int()>& act);

}  // namespace ltf::test
