#pragma once
// When fake-lambda reads the extensions' memory for --rss-at: a percentage P below 100 is due
// when the invocation that follows the first P % of them is about to start; 100 (and any
// percentage the run never reached, e.g. when it ended early) is due at the end of the
// invocations, before SHUTDOWN. A plain object: the caller reads the memory.

#include <string>
#include <vector>

namespace ltf::emulator {

class RssCheckpoints {
 public:
  RssCheckpoints(std::vector<int> percents, int invocations);

  // The percentages due as invocation `index` (0-based) is about to start.
  std::vector<int> at_invocation(int index);
  // Those not taken yet: due at the end of the invocations.
  std::vector<int> at_end();

 private:
  struct Mark {
    int percent = 0;
    long long index = 0;  // the invocation at which it is due
    bool taken = false;
  };
  std::vector<Mark> marks_;
};

// "10,50,100" -> {10, 50, 100}: distinct integers from 1 to 100, sorted. Throws
// std::invalid_argument with a sentence for anything else.
std::vector<int> parse_percentages(const std::string& list);

}  // namespace ltf::emulator
