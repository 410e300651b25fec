#pragma once
// The per-sandbox sequence number every event carries, so a backend can see gaps: 1, 2, 3, ... in
// order of arrival, continued by a restarted extension in the same sandbox rather than started
// over (Lambda keeps /tmp across an extension's restart, as it keeps the spill files).

#include "ltf/telemetry.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ltf::pipeline {

// A random identifier for this sandbox, kept in `file` (made when missing) so that a restarted
// extension in the same sandbox goes on under the same name, as its sequence numbers do. 16 hex
// digits. When the file cannot be used the identifier is new for this process, and `problem`
// says why.
std::string sandbox_id(const std::filesystem::path& file, std::string* problem);

class SandboxSequence {
 public:
  SandboxSequence() = default;
  SandboxSequence(const SandboxSequence&) = delete;
  SandboxSequence& operator=(const SandboxSequence&) = delete;
  ~SandboxSequence();

  // Continues from the number kept in `file` (created when missing). Returns a description of
  // the problem when the file cannot be used; numbering then goes on in memory only.
  std::string open(const std::filesystem::path& file);
  // Numbers the events in order and records the next number (one small write, no fsync: the
  // page cache outlives a killed process, which is the crash this guards against).
  void stamp(std::vector<telemetry::Event>& events);
  std::uint64_t next() const { return next_; }

 private:
  void persist();
  std::uint64_t next_ = 1;
  int fd_ = -1;
};

}  // namespace ltf::pipeline
