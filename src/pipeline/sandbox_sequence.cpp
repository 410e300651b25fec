// The sandbox's id and event sequence, kept in files of the spill directory (trusted as it is).
#include "ltf/sequence.hpp"

#include "pipeline/spill_directory.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <random>

#include <fcntl.h>
#include <unistd.h>

namespace ltf::pipeline {

namespace {

// The file holds the next number as fixed-width decimal digits, so every write replaces all of it
// in place and a reader never sees a mix of an old and a new value of different lengths.
constexpr std::size_t width = 20;

// `file`'s directory, which must be safe (PrivateDirectory); not open, with `problem` set, when
// it cannot be used.
PrivateDirectory directory_of(const std::filesystem::path& file, std::string& problem) {
  std::error_code ec;
  PrivateDirectory dir = PrivateDirectory::open(file.parent_path(), ec);
  if (ec) {
    problem = dir.path().empty() ? file.parent_path().string() : dir.path().string();
    problem += ": " + ec.message();
    return {};
  }
  return dir;
}

// Opens `file` in `dir`, never through a link. -1 with `problem` set when it cannot be used.
int open_in(const PrivateDirectory& dir, const std::filesystem::path& file, int flags,
            std::string& problem) {
  if (!dir.is_open()) return -1;
  std::error_code ec;
  const int fd = dir.open_file(file.filename().string(), flags, ec);
  if (fd < 0) problem = file.string() + ": " + ec.message();
  return fd;
}

}  // namespace

std::string sandbox_id(const std::filesystem::path& file, std::string* problem) {
  constexpr std::size_t digits = 16;
  auto is_id = [](std::string_view text) {
    return text.size() == digits && text.find_first_not_of("0123456789abcdef") == std::string::npos;
  };
  std::string why;
  const PrivateDirectory dir = directory_of(file, why);  // opened and checked once, for both
  if (const int fd = open_in(dir, file, O_RDONLY, why); fd >= 0) {
    char text[digits + 1] = {};
    const ssize_t got = ::read(fd, text, digits + 1);
    ::close(fd);
    if (got == static_cast<ssize_t>(digits) && is_id(std::string_view(text, digits)))
      return std::string(text, digits);
  }
  std::random_device entropy;
  const std::uint64_t value = (std::uint64_t{entropy()} << 32) | entropy();
  char text[digits + 1];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  const std::string id(text, digits);
  if (dir.is_open()) why.clear();  // not there yet is no problem; an unsafe directory is
  const int fd = open_in(dir, file, O_WRONLY | O_CREAT | O_TRUNC, why);
  if (fd >= 0 && ::write(fd, id.data(), id.size()) != static_cast<ssize_t>(id.size()))
    why = file.string() + ": " + std::strerror(errno);
  if (fd >= 0) ::close(fd);
  if (problem && !why.empty()) *problem = why;
  return id;
}

SandboxSequence::~SandboxSequence() {
  if (fd_ >= 0) ::close(fd_);
}

std::string SandboxSequence::open(const std::filesystem::path& file) {
  std::string problem;
  fd_ = open_in(directory_of(file, problem), file, O_RDWR | O_CREAT, problem);
  if (fd_ < 0) return problem;
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
