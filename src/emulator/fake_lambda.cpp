// FakeLambda's public face and the small state helpers every other file uses.
#include "managed_instances.hpp"
#include "sandbox.hpp"

#include <boost/asio/ip/address_v4.hpp>

namespace ltf::emulator {

bool Subscriber::wants(const std::string& type) const {
  const std::string stream = type.rfind("platform.", 0) == 0 ? "platform" : type;
  return std::find(request.types.begin(), request.types.end(), stream) != request.types.end();
}

FakeLambda::Sandbox::Sandbox(asio::any_io_executor ex, Scenario s)
    : executor(ex),
      scenario(std::move(s)),
      changed(std::make_shared<async::Notifier>(ex)),
      rng(std::random_device{}()),
      instance_id(random_uuid()) {
  apply_managed_instances(scenario);
  // Configured externals are listed (in configuration order) even if they never register, so
  // the report shows who failed to show up.
  for (const auto& name : scenario.external_extensions) add_extension(name, true);
}

Extension* FakeLambda::Sandbox::find_by_name(const std::string& name) {
  for (auto& e : extensions)
    if (e->name == name) return e.get();
  return nullptr;
}

Extension* FakeLambda::Sandbox::find_by_id(const std::string& id) {
  for (auto& e : extensions)
    if (e->registered && e->id == id) return e.get();
  return nullptr;
}

Extension& FakeLambda::Sandbox::add_extension(const std::string& name, bool external) {
  auto extension = std::make_unique<Extension>();
  extension->name = name;
  extension->external = external;
  extension->launched_at = Clock::now();
  extension->report_index = report.extensions.size();
  ExtensionReport entry;
  entry.name = name;
  entry.external = external;
  report.extensions.push_back(std::move(entry));
  extensions.push_back(std::move(extension));
  return *extensions.back();
}

ExtensionReport& FakeLambda::Sandbox::report_of(const Extension& extension) {
  return report.extensions[extension.report_index];
}

void FakeLambda::Sandbox::fail(const std::string& error_type, const std::string& problem) {
  if (!fatal_error) fatal_error = error_type;
  report.problems.push_back(problem);
  notify();
}

void FakeLambda::Sandbox::call(const std::function<void()>& hook) {
  if (owner && hook) hook();
}

void FakeLambda::Sandbox::kill(Extension& extension) {
  if (extension.killed || extension.exited) return;
  extension.killed = true;
  report_of(extension).killed = true;
  if (owner && owner->on_kill) owner->on_kill(extension.name);
  notify();
}

// ---------------------------------------------------------------------------------------------

FakeLambda::FakeLambda(asio::any_io_executor executor, Scenario scenario)
    : sandbox_(std::make_shared<Sandbox>(std::move(executor), std::move(scenario))) {
  sandbox_->owner = this;
}

FakeLambda::~FakeLambda() {
  stop();
  sandbox_->owner = nullptr;
}

boost::system::error_code FakeLambda::listen(std::uint16_t port) {
  std::weak_ptr<Sandbox> weak = sandbox_;
  // The handler holds the core only while a request is being answered, so a parked /next keeps
  // it alive but the server (which the core owns) never does.
  sandbox_->server = std::make_unique<net::HttpServer>(
      sandbox_->executor, [weak](net::Request& request) -> asio::awaitable<net::Response> {
        auto core = weak.lock();
        if (!core) co_return net::Response{net::http::status::service_unavailable, 11};
        co_return co_await core->handle(request);
      });
  auto ec = sandbox_->server->listen({asio::ip::address_v4::loopback(), port});
  if (!ec) sandbox_->server->start();
  return ec;
}

std::uint16_t FakeLambda::port() const { return sandbox_->server ? sandbox_->server->port() : 0; }

std::string FakeLambda::runtime_api() const { return "127.0.0.1:" + std::to_string(port()); }

asio::awaitable<Report> FakeLambda::run() {
  auto core = sandbox_;
  co_return co_await core->run();
}

void FakeLambda::stop() {
  auto& c = *sandbox_;
  if (c.stopping) return;
  c.stopping = true;
  if (c.phase != Phase::done) c.report.aborted = true;
  c.delivery_stopped = true;
  if (c.server) c.server->stop();
  c.notify();
}

void FakeLambda::extension_launched(const std::string& name) {
  auto* extension = sandbox_->find_by_name(name);
  if (!extension) extension = &sandbox_->add_extension(name, false);
  extension->launched = true;
  extension->launched_at = Clock::now();
}

void FakeLambda::extension_launch_failed(const std::string& name, const std::string& why) {
  auto* extension = sandbox_->find_by_name(name);
  if (!extension) extension = &sandbox_->add_extension(name, false);
  sandbox_->report_of(*extension).error_type = "Extension.LaunchError";
  sandbox_->fail("Extension.LaunchError", "extension " + name + " could not be launched: " + why);
}

void FakeLambda::extension_exited(const std::string& name, int status) {
  auto& c = *sandbox_;
  auto* extension = c.find_by_name(name);
  if (!extension) return;
  auto& entry = c.report_of(*extension);
  entry.exit_status = status;
  if (extension->exited) return;
  const bool was_killed = extension->killed;
  extension->exited = true;
  entry.exited = true;
  extension->parked = false;
  if (c.phase == Phase::shutdown) {
    entry.exited_before_deadline =
        !was_killed && c.shutdown_deadline && Clock::now() < *c.shutdown_deadline;
  } else if (!was_killed && !extension->failed && c.phase != Phase::done &&
             c.phase != Phase::created) {
    // Outside Shutdown an exit, even a clean one, is a crash that resets the sandbox.
    entry.error_type = "Extension.Crash";
    c.fail("Extension.Crash", "extension " + name + " exited with status " +
                                  std::to_string(status) + " outside Shutdown");
  }
  c.notify();
}

void FakeLambda::extension_log(const std::string& name, const std::string& line) {
  auto* extension = sandbox_->find_by_name(name);
  if (!extension || sandbox_->delivery_stopped) return;
  sandbox_->emit_extension_line(*extension, line);
}

Phase FakeLambda::phase() const { return sandbox_->phase; }
const Report& FakeLambda::report() const { return sandbox_->report; }

asio::awaitable<bool> FakeLambda::wait_until(std::function<bool()> condition,
                                             milliseconds limit) {
  auto changed = sandbox_->changed;
  co_return co_await changed->wait_until(std::move(condition), Clock::now() + limit);
}

const char* to_string(Phase phase) {
  switch (phase) {
    case Phase::created: return "created";
    case Phase::init: return "init";
    case Phase::invoke: return "invoke";
    case Phase::frozen: return "frozen";
    case Phase::shutdown: return "shutdown";
    case Phase::done: return "done";
    case Phase::restore: return "restore";
  }
  return "?";
}

}  // namespace ltf::emulator
