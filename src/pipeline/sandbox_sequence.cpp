#include "ltf/sequence.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace ltf::pipeline {

namespace {

// The file holds the next number as fixed-width decimal digits, so every write replaces all of it
// in place and a reader never sees a mix of an old and a new value of different lengths.
constexpr std::size_t width = 20;

}  // namespace

SandboxSequence::~SandboxSequence() {
  if (fd_ >= 0) ::close(fd_);
}

std::string SandboxSequence::open(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return file.string() + ": " + std::strerror(errno);
  char text[width + 1] = {};
  const ssize_t got = ::pread(fd_, text, width, 0);
  if (got > 0) {
    std::uint64_t kept = 0;
    const auto [end, error] = std::from_chars(text, text + got, kept);
    if (error != std::errc() || end != text + got || kept == 0)
      return file.string() + ": not a sequence number; numbering starts again at " +
             std::to_string(next_);
    next_ = kept;
  }
  return {};
}

void SandboxSequence::stamp(std::vector<telemetry::Event>& events) {
  if (events.empty()) return;
  for (auto& event : events) event.sequence = next_++;
  persist();
}

void SandboxSequence::persist() {
  if (fd_ < 0) return;
  char text[width];
  const auto [end, error] = std::to_chars(text, text + width, next_);
  if (error != std::errc()) return;
  const std::size_t digits = static_cast<std::size_t>(end - text);
  // Right-aligned with leading zeros, so the width never changes.
  char padded[width];
  std::memset(padded, '0', width - digits);
  std::memcpy(padded + (width - digits), text, digits);
  if (::pwrite(fd_, padded, width, 0) != static_cast<ssize_t>(width)) {
    ::close(fd_);  // a full or broken disk: carry on in memory rather than write garbage
    fd_ = -1;
  }
}

}  // namespace ltf::pipeline
