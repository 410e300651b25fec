#pragma once
// What the spill store's tests share: events to spill, draining, a fixture with a private temporary
// directory, capturing the log, and losing root's power to ignore file permissions.

#include "ltf/log.hpp"
#include "ltf/spill_store.hpp"

#include <gtest/gtest.h>

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace spill_test {

namespace fs = std::filesystem;
using ltf::pipeline::SpillCursor;
using ltf::pipeline::SpillStore;
using ltf::telemetry::Event;

// The format's sizes, for tests that fill segments or damage files: the segment header, and one
// record of event(n) for a one-digit n (8 header + 8 sequence + 5 lengths + the strings).
constexpr std::uint64_t kHeader = 8;
constexpr std::uint64_t kRecord = 8 + 8 + 5 * 4 + 40 + 8 + 24 + 5 + 4;
constexpr std::uint64_t kThreePerSegment = kHeader + 3 * kRecord;

// An event whose raw JSON is at least `size` bytes; `n` is its sequence and part of every field.
inline Event event(std::uint64_t n, std::size_t size = 40) {
  Event e;
  e.raw = "{\"n\":" + std::to_string(n) + "}";
  e.raw.resize(std::max(size, e.raw.size()), ' ');
  e.type = "function";
  e.time = "2022-10-12T00:03:50.000Z";
  e.request_id = "req-" + std::to_string(n);
  e.id = "id-" + std::to_string(n);
  e.sequence = n;
  return e;
}

inline std::vector<Event> events(std::uint64_t first, std::uint64_t count, std::size_t size = 40) {
  std::vector<Event> out;
  for (std::uint64_t n = first; n < first + count; ++n) out.push_back(event(n, size));
  return out;
}

inline std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t count) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t n = first; n < first + count; ++n) out.push_back(n);
  return out;
}

inline std::vector<std::uint64_t> sequences(const std::vector<Event>& batch) {
  std::vector<std::uint64_t> out;
  for (const Event& e : batch) out.push_back(e.sequence);
  return out;
}

// Takes and acknowledges everything, returning the sequences in the order they came.
inline std::vector<std::uint64_t> drain(SpillStore& store, std::uint64_t max_batch_bytes = 1 << 20) {
  std::vector<std::uint64_t> out;
  while (true) {
    SpillCursor cursor;
    const auto batch = store.take(max_batch_bytes, cursor);
    if (batch.empty()) break;
    for (const Event& e : batch) out.push_back(e.sequence);
    store.acknowledge(cursor);
  }
  return out;
}

class SpillStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ltf-spill-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ / "spill";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::vector<fs::path> segments() const {
    std::vector<fs::path> out;
    if (!fs::exists(dir_)) return out;
    for (const auto& entry : fs::directory_iterator(dir_)) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::uint64_t on_disk() const {
    std::uint64_t total = 0;
    for (const fs::path& file : segments()) total += fs::file_size(file);
    return total;
  }

  fs::path root_;
  fs::path dir_;
};

// Lines logged while `act` ran.
template <typename Act>
std::string logged_by(Act act) {
  ltf::log::init(ltf::log::Level::info);
  testing::internal::CaptureStdout();
  act();
  std::string out = testing::internal::GetCapturedStdout();
  ltf::log::init(std::nullopt);
  return out;
}

inline std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// While alive, file permissions apply to this thread even as root (the tests run as root in CI
// containers): CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH leave the effective set, and come back.
class PermissionsApply {
 public:
  PermissionsApply() {
    if (::syscall(SYS_capget, &header_, saved_) != 0) return;
    __user_cap_data_struct lowered[2] = {saved_[0], saved_[1]};
    lowered[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    active_ = ::syscall(SYS_capset, &header_, lowered) == 0;
  }
  ~PermissionsApply() {
    if (active_) ::syscall(SYS_capset, &header_, saved_);
  }
  PermissionsApply(const PermissionsApply&) = delete;
  PermissionsApply& operator=(const PermissionsApply&) = delete;

 private:
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved_[2]{};
  bool active_ = false;
};

}  // namespace spill_test
