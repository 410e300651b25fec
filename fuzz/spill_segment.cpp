// libFuzzer harness: a spill segment file an earlier process left (the input is the file), read
// back through SpillStore: open() scans it, take() decodes its records until none is left.
#include "ltf/spill_store.hpp"

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

// One private directory per fuzzing process, made once; each input replaces its one segment.
const std::filesystem::path& directory() {
  static const std::filesystem::path dir = [] {
    std::string name = (std::filesystem::temp_directory_path() / "ltf-fuzz-spill-XXXXXX").string();
    if (!::mkdtemp(name.data())) std::abort();
    return std::filesystem::path(name);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& dir = directory();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directory(dir);
  {
    std::ofstream segment(dir / "segment-00000000000000000001.spill", std::ios::binary);
    segment.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  ltf::pipeline::SpillStore store(dir, 16 * 1024 * 1024);
  if (store.open()) return 0;
  // Each take() returns at least one event while any is left, so this ends; the bound is a
  // second guard against a reader that never advances.
  for (int batch = 0; batch < 100000 && !store.empty(); ++batch) {
    ltf::pipeline::SpillCursor cursor;
    const auto events = store.take(64 * 1024, cursor);
    if (events.empty()) break;
    store.acknowledge(cursor);
  }
  return 0;
}
