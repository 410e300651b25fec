#pragma once
// The parts the three coroutines share, owned together so that their lifetimes match: a plain
// struct without behaviour. Each part does one thing; the coroutines (lifecycle.cpp, intake.cpp,
// shutdown_drain.cpp) and the policies (ltf/policies.hpp) decide what happens to them.

#include "intake.hpp"
#include "invocation_tracker.hpp"

#include "ltf/config.hpp"
#include "ltf/lambda.hpp"
#include "ltf/listener.hpp"
#include "ltf/pipeline.hpp"
#include "ltf/sequence.hpp"
#include "ltf/sink.hpp"
#include "ltf/spill_store.hpp"
#include "ltf/telemetry.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace ltf::forwarder {

struct Stages;
// A SnapStart restore: a new sandbox id and sequence origin, so that environments restored from
// one snapshot never share event ids; the sink's connections and credentials dropped (restore.cpp).
void renew_after_restore(Stages& stages);

struct Stages {
  Stages(boost::asio::any_io_executor executor, Config config,
         std::unique_ptr<lambda::ExtensionsClient> client,
         telemetry::FunctionIdentity function, std::unique_ptr<pipeline::SpillStore> spill,
         std::unique_ptr<sinks::Sink> sink);
  Stages(const Stages&) = delete;
  Stages& operator=(const Stages&) = delete;

  boost::asio::any_io_executor executor;
  const Config config;
  std::unique_ptr<lambda::ExtensionsClient> client;  // registered
  telemetry::FunctionIdentity function;  // the one source of who produced the events (renewed
                                         // after a SnapStart restore: restore.cpp)
  std::unique_ptr<pipeline::SpillStore> spill;  // null when spilling is off or impossible
  pipeline::Buffer buffer;
  std::unique_ptr<sinks::Sink> sink;
  pipeline::Dispatcher dispatcher;
  InvocationTracker tracker;
  pipeline::SandboxSequence sequence;
  pipeline::RestoreWatch restore_watch;
  Intake intake;
  telemetry::Listener listener;
  // Lambda will send this invocation's runtimeDone: subscribed to platform events, and Lambda
  // delivers telemetry (a 202 to the subscription means it will not).
  bool runtime_done_expected = false;
  std::string schema;  // the Telemetry API schema Lambda accepted
  bool stopping = false;  // SHUTDOWN handled: background work ends
};

}  // namespace ltf::forwarder
