// Extension processes: spawned, read line by line, frozen, killed, sampled and reaped.
#include "launcher.hpp"

#include "ltf/notifier.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <utility>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ltf::emulator {

namespace asio = boost::asio;

namespace {

constexpr std::size_t max_line_bytes = 256 * 1024;  // longer lines are cut, as a pipe reader must

struct Child {
  std::string name;
  pid_t pid = -1;
  bool alive = true;    // until its exit was announced
  bool reaped = false;  // waited for: the pid is no longer ours
  int open_streams = 2;  // stdout, stderr still being read
  std::uint64_t peak_kb = 0;  // the largest VmHWM read so far
  // The largest file-backed (RssFile: the executable's and libraries' pages) and anonymous
  // (RssAnon: heap, stacks) resident sizes seen at a sample; the kernel keeps no peak of these.
  std::uint64_t peak_file_kb = 0, peak_anon_kb = 0;
};

// The "Vm..."/"Rss..." figures of /proc/PID/status fake-lambda reads, in KiB.
struct StatusFigures {
  std::uint64_t rss = 0, hwm = 0, file = 0, anon = 0;
};

// A live process's memory figures, 0 where they cannot be read (gone, or a zombie: no memory
// map). /proc is served from memory: reading it does not block the thread.
StatusFigures status_figures(pid_t pid) {
  StatusFigures out;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  const std::pair<std::string_view, std::uint64_t*> fields[] = {
      {"VmRSS", &out.rss}, {"VmHWM", &out.hwm}, {"RssFile", &out.file}, {"RssAnon", &out.anon}};
  std::string line;
  while (std::getline(status, line))
    for (const auto& [field, value] : fields)
      if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':')
        *value = std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
  return out;
}

StatusFigures sample(Child& child) {
  if (child.reaped) return {};  // its pid may belong to someone else by now
  const StatusFigures now = status_figures(child.pid);
  child.peak_kb = std::max(child.peak_kb, now.hwm);
  child.peak_file_kb = std::max(child.peak_file_kb, now.file);
  child.peak_anon_kb = std::max(child.peak_anon_kb, now.anon);
  return now;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

}  // namespace

struct Launcher::Processes : std::enable_shared_from_this<Launcher::Processes> {
  Processes(asio::any_io_executor ex, LineHandler l, ExitHandler e)
      : executor(ex), signals(ex, SIGCHLD), changed(std::make_shared<async::Notifier>(ex)),
        on_line(std::move(l)), on_exit(std::move(e)) {}

  asio::any_io_executor executor;
  asio::signal_set signals;
  std::shared_ptr<async::Notifier> changed;
  LineHandler on_line;
  ExitHandler on_exit;
  std::vector<std::shared_ptr<Child>> children;
  std::vector<std::shared_ptr<asio::posix::stream_descriptor>> pipes;
  bool stopped = false;

  void reap_finished();
};

namespace {
asio::awaitable<void> announce_exit(std::shared_ptr<Launcher::Processes> state,
                                    std::shared_ptr<Child> child, int status, ProcessUsage usage);
}  // namespace

void Launcher::Processes::reap_finished() {
  for (auto& child : children) {
    if (!child->alive || child->reaped) continue;
    int status = 0;
    rusage usage{};
    if (::wait4(child->pid, &status, WNOHANG, &usage) != child->pid) continue;
    child->reaped = true;  // its pid may be reused from now on: never signal it again
    ProcessUsage summary;
    summary.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    summary.peak_rss_kb = child->peak_kb;  // see launcher.hpp: not ru_maxrss
    summary.peak_rss_file_kb = child->peak_file_kb;
    summary.peak_rss_anon_kb = child->peak_anon_kb;
    asio::co_spawn(executor, announce_exit(shared_from_this(), child, exit_code(status), summary),
                   asio::detached);
  }
}

namespace {

// The exit is told once the child's last lines were read, so that everything it wrote reaches
// Lambda before its end does; a grandchild keeping the pipes open delays that only briefly.
asio::awaitable<void> announce_exit(std::shared_ptr<Launcher::Processes> state,
                                    std::shared_ptr<Child> child, int status, ProcessUsage usage) {
  std::function<bool()> drained = [child] { return child->open_streams == 0; };
  co_await state->changed->wait_until(std::move(drained),
                                      std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
  child->alive = false;
  if (state->on_exit) state->on_exit(child->name, status, usage);
  state->changed->notify();
}

asio::awaitable<void> reap(std::shared_ptr<Launcher::Processes> state) {
  while (!state->stopped) {
    auto [ec, signal] = co_await state->signals.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    state->reap_finished();
  }
}

// Forwards each line of one of a child's output streams; a partial last line is forwarded at EOF.
asio::awaitable<void> read_lines(std::shared_ptr<Launcher::Processes> state,
                                 std::shared_ptr<Child> child,
                                 std::shared_ptr<asio::posix::stream_descriptor> pipe) {
  std::string pending;
  std::array<char, 16 * 1024> chunk{};
  for (;;) {
    auto [ec, n] = co_await pipe->async_read_some(asio::buffer(chunk),
                                                  asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    pending.append(chunk.data(), n);
    std::size_t start = 0;
    for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n', start)) {
      auto line = pending.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (state->on_line) state->on_line(child->name, line);
      start = end + 1;
    }
    pending.erase(0, start);
    if (pending.size() > max_line_bytes) {
      if (state->on_line) state->on_line(child->name, pending);
      pending.clear();
    }
  }
  if (!pending.empty() && state->on_line) state->on_line(child->name, pending);
  --child->open_streams;
  state->changed->notify();
}

}  // namespace

Launcher::Launcher(asio::any_io_executor executor, LineHandler on_line, ExitHandler on_exit)
    : state_(std::make_shared<Processes>(std::move(executor), std::move(on_line), std::move(on_exit))) {
  asio::co_spawn(state_->executor, reap(state_), asio::detached);
}

Launcher::~Launcher() {
  kill_all();
  stop();
}

std::optional<std::string> Launcher::spawn(const std::string& name, const std::string& path,
                                           const std::vector<std::string>& environment) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return std::string("pipe: ") + std::strerror(errno);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  // Asio's sockets are not close-on-exec: a child holding a copy of a listening socket would keep
  // a port "open" (connections queue and time out) after we closed it to refuse them.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group (so SIGSTOP/SIGKILL reach its children too), default signal handling
  // and an empty mask, whatever this process did with its own.
  sigset_t defaults, empty;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int s : {SIGCHLD, SIGINT, SIGTERM, SIGPIPE, SIGHUP}) sigaddset(&defaults, s);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setsigdefault(&attributes, &defaults);

  std::vector<char*> argv{const_cast<char*>(path.c_str()), nullptr};
  std::vector<char*> envp;
  for (const auto& entry : environment) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int result = ::posix_spawn(&pid, path.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(out[1]);
  ::close(err[1]);
  if (result != 0) {
    ::close(out[0]);
    ::close(err[0]);
    return std::string(std::strerror(result));
  }
  auto child = std::make_shared<Child>();
  child->name = name;
  child->pid = pid;
  state_->children.push_back(child);
  for (int fd : {out[0], err[0]}) {
    auto pipe = std::make_shared<asio::posix::stream_descriptor>(state_->executor, fd);
    state_->pipes.push_back(pipe);
    asio::co_spawn(state_->executor, read_lines(state_, child, pipe), asio::detached);
  }
  // A child that ended before the handler saw its SIGCHLD is reaped here.
  state_->reap_finished();
  return std::nullopt;
}

void Launcher::signal_all(int signal) {
  for (auto& child : state_->children)
    if (!child->reaped) ::kill(-child->pid, signal);
}

void Launcher::sample_memory() {
  for (auto& child : state_->children) sample(*child);
}

std::map<std::string, Launcher::Memory> Launcher::memory_now() {
  std::map<std::string, Memory> out;
  for (auto& child : state_->children) {
    if (child->reaped) continue;
    const StatusFigures now = sample(*child);
    out[child->name] = {now.rss, child->peak_kb, now.file, now.anon};
  }
  return out;
}

namespace {
asio::awaitable<void> watch(std::shared_ptr<Launcher::Processes> state,
                            std::chrono::milliseconds interval) {
  asio::steady_timer timer(state->executor);
  for (;;) {
    bool any_left = false;
    for (auto& child : state->children) {
      sample(*child);
      any_left = any_left || !child->reaped;
    }
    if (!any_left || state->stopped) co_return;
    timer.expires_after(interval);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}
}  // namespace

void Launcher::watch_memory(std::chrono::milliseconds interval) {
  asio::co_spawn(state_->executor, watch(state_, interval), asio::detached);
}

void Launcher::kill(const std::string& name) {
  for (auto& child : state_->children)
    if (!child->reaped && child->name == name) {
      sample(*child);  // its last chance: a killed process's peak is gone with it
      ::kill(-child->pid, SIGCONT);  // harmless if running; a stopped group must not linger
      ::kill(-child->pid, SIGKILL);
    }
}

void Launcher::kill_all() {
  for (auto& child : state_->children) kill(child->name);
}

bool Launcher::any_alive() const {
  for (const auto& child : state_->children)
    if (child->alive) return true;
  return false;
}

asio::awaitable<bool> Launcher::wait_until_all_reaped(std::chrono::milliseconds limit) {
  auto state = state_;
  // Named, not a temporary in the co_await: GCC 12 would destroy the closure twice.
  std::function<bool()> all_done = [state] {
    for (const auto& child : state->children)
      if (child->alive || child->open_streams > 0) return false;
    return true;
  };
  co_return co_await state->changed->wait_until(std::move(all_done),
                                                std::chrono::steady_clock::now() + limit);
}

void Launcher::stop() {
  auto& s = *state_;
  if (s.stopped) return;
  s.stopped = true;
  boost::system::error_code ignored;
  s.signals.cancel(ignored);
  for (auto& pipe : s.pipes) pipe->close(ignored);
  s.changed->notify();
}

}  // namespace ltf::emulator
