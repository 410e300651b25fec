#pragma once
// Runs extension executables the way Lambda does: each its own process (and process group, so a
// freeze or a kill reaches whatever it started), stdin from /dev/null, stdout and stderr read back
// line by line, reaped on SIGCHLD with its resource usage.
//
// Peak memory is the process's own high-water mark, VmHWM in /proc/PID/status, as Lambda's
// maxMemoryUsed counts the sandbox's pages and not ours. wait4's ru_maxrss would be simpler but
// is wrong here: posix_spawn starts the child in fake-lambda's address space, and Linux keeps
// that high-water mark across exec, so every small figure would be fake-lambda's size. VmHWM
// cannot be read once the process has exited (a zombie has no memory map), so it is sampled
// while the process lives, when it matters: at every freeze (the invocation's peak is behind
// it), before every kill, and every few milliseconds during Shutdown, where an extension does its
// last work and exits. Only growth in the last moments before an unannounced exit is missed.

#include "ltf/emulator.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ltf::emulator {

class Launcher {
 public:
  using LineHandler = std::function<void(const std::string& name, const std::string& line)>;
  using ExitHandler =
      std::function<void(const std::string& name, int status, const ProcessUsage& usage)>;

  // Installs the SIGCHLD handler at once, so no child's end can be missed.
  Launcher(boost::asio::any_io_executor executor, LineHandler on_line, ExitHandler on_exit);
  ~Launcher();
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  // Starts `path` as extension `name` with exactly `environment` ("K=V" entries). Returns why it
  // could not be started, if it could not.
  std::optional<std::string> spawn(const std::string& name, const std::string& path,
                                   const std::vector<std::string>& environment);
  void signal_all(int signal);            // SIGSTOP / SIGCONT every live child's group
  void sample_memory();                   // reads every live child's VmHWM now
  // Every live child's memory now, by name, in KiB (0 when unreadable): VmRSS and VmHWM, and
  // of VmRSS the file-backed and the anonymous pages.
  struct Memory {
    std::uint64_t rss_kb = 0, peak_kb = 0, file_kb = 0, anon_kb = 0;
  };
  std::map<std::string, Memory> memory_now();
  // Samples every `interval` until every child was reaped (or stop()): for Shutdown.
  void watch_memory(std::chrono::milliseconds interval);
  void kill(const std::string& name);     // SIGKILL one child's group
  void kill_all();
  bool any_alive() const;
  // Resumes once every child was reaped and its output read to the end, or after `limit`.
  boost::asio::awaitable<bool> wait_until_all_reaped(std::chrono::milliseconds limit);
  void stop();  // no more reaping or reading: lets the io_context run out of work

  struct Processes;  // the children and their pipes: launcher.cpp

 private:
  std::shared_ptr<Processes> state_;
};

}  // namespace ltf::emulator
