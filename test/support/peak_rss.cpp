// Peak RSS growth of a piece of work, read from /proc in a forked child.
#include "support/peak_rss.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace ltf::test {

namespace {

// A "Vm...:   1234 kB" line of /proc/self/status, in kB; -1 when missing.
long status_kb(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with(field + ":")) return std::stol(line.substr(field.size() + 1));
  return -1;
}

}  // namespace

PeakGrowth peak_rss_growth_in_child(const std::function<int()>& act) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {};
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::ofstream("/proc/self/clear_refs") << "5";  // the peak starts again from here
    const long start = status_kb("VmRSS");
    const int code = act();
    const long growth = (status_kb("VmHWM") - start) / 1024;
    const ssize_t written = ::write(pipe_fds[1], &growth, sizeof growth);
    ::_exit(written == sizeof growth ? code : 254);
  }
  ::close(pipe_fds[1]);
  PeakGrowth result;
  if (::read(pipe_fds[0], &result.mib, sizeof result.mib) != sizeof result.mib) result.mib = -1;
  ::close(pipe_fds[0]);
  int status = 0;
  if (::waitpid(child, &status, 0) == child && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace ltf::test
