// The version compiled into this one file only (LTF_VERSION from CMake), so a version change
// rebuilds one object, not the project.
#include "ltf/version.hpp"

namespace ltf {

std::string_view version() { return LTF_VERSION; }
std::string_view user_agent() { return "telemetry-forwarder/" LTF_VERSION; }

}  // namespace ltf
