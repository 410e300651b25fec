#pragma once
// The one version of this project, from CMake's project(): what --version prints, the start log
// line, the User-Agent, the counters event and fake-lambda's report all say the same.

#include <string_view>

namespace ltf {

// "0.2.0": semantic version of this build.
std::string_view version();
// "telemetry-forwarder/0.2.0": the User-Agent of every request the extension sends.
std::string_view user_agent();

}  // namespace ltf
