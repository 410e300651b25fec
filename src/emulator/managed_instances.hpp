#pragma once
// Lambda Managed Instances in the fake Lambda: what the mode changes in a Scenario, what its
// Extensions API answers to an INVOKE registration, and the Sequence-Id its telemetry POSTs
// carry. The concurrent invocations themselves are Sandbox::managed_invocations()
// (managed_instances.cpp).

#include "ltf/emulator.hpp"

#include <string>
#include <string_view>

namespace ltf::emulator {

// The 403 Extension.InvalidEventType message for INVOKE, word for word as AWS's RIE (v1.30,
// Managed Instances mode) words it: the event, then its core error's text.
inline constexpr std::string_view invoke_registration_refused = "INVOKE: ErrorInvalidEventType";

// The schema version Managed Instances accept, and the only one.
inline constexpr std::string_view managed_instances_schema = "2025-01-29";

// Makes a Managed Instances scenario consistent: its initialization type, no freeze, only
// schema 2025-01-29, a concurrency of at least 1. Nothing changes unless managed_instances.
void apply_managed_instances(Scenario& scenario);

// The Sequence-Id header of a telemetry POST: base64 of the SHA-256 of its body, as the RIE
// sends it in Managed Instances mode (AWS's documentation does not describe the header).
std::string sequence_id(std::string_view body);

}  // namespace ltf::emulator
