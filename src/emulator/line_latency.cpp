// Delivery latency per function line: from the moment the fake runtime wrote it (its record
// time in the emulator's report) to the moment the recording sink read the request that first
// carried it. Both clocks are the same steady clock of one process, so the figure is exact to the
// microsecond and includes everything in between: Lambda's batching, the extension's buffering
// and flushing, retries.
#include "ltf/emulator.hpp"

#include <algorithm>

namespace ltf::emulator {

Stats line_delivery_latency(const RecordingSink& sink, const Report& report) {
  std::vector<Micros> samples;
  const auto n = std::min(report.function_lines.size(), report.function_line_times.size());
  samples.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto arrived = sink.first_arrival(report.function_lines[i]);
    if (!arrived) continue;  // lost: counted as such by the line accounting
    samples.push_back(std::chrono::duration_cast<Micros>(
        std::max(*arrived - report.function_line_times[i], Clock::duration::zero())));
  }
  return stats_of(samples);
}

}  // namespace ltf::emulator
