// After a SnapStart restore: what was chosen at Init and is now shared by every clone of the
// snapshot (the sandbox id) is chosen again, and what did not survive the snapshot (connections,
// cached credentials) is dropped.
#include "stages.hpp"

#include "ltf/log.hpp"
#include "ltf/resolver.hpp"

#include <filesystem>

namespace ltf::forwarder {

void renew_after_restore(Stages& stages) {
  const std::filesystem::path dir(stages.config.spill_dir);
  std::error_code ignored;
  std::filesystem::remove(dir / "sandbox", ignored);  // the snapshot's id, shared by every clone
  std::string problem;
  stages.function.sandbox = pipeline::sandbox_id(dir / "sandbox", &problem);
  stages.function.restored = true;
  if (!problem.empty()) LTF_LOG(warning) << "the restored sandbox's id is not kept: " << problem;
  // The sequence goes on rather than starting again: events numbered before the snapshot and
  // sent after it carry the new id too (the sink labels a batch as it sends it), so under one id
  // every number stays unique. Clones are told apart by the id, and their event ids by it too.
  stages.sink->restored(stages.function);
  net::shared_resolver(stages.executor)->forget();  // answers from before may point elsewhere now
  LTF_LOG(info) << "restored from a SnapStart snapshot: new sandbox id " << stages.function.sandbox
                << ", connections and cached credentials dropped";
}

}  // namespace ltf::forwarder
