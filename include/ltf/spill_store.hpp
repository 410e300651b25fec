#pragma once
// Part of the pipeline: undelivered events kept on disk when the memory budget is spent. Segment
// files of checksummed, append-only records under one directory (in /tmp, which Lambda keeps
// across resets of the sandbox). What a crashed or killed process spilled is found and sent first
// by the next process in the same sandbox. A torn or corrupt record is skipped and counted, never
// trusted. Synchronous POSIX file I/O on the one thread: appends are small and /tmp is local.
//
// The directory is used only when it is safe (made 0700 by us, or ours and writable by nobody
// else) and no symlink in it is ever followed (src/pipeline/spill_directory.hpp). Trouble is
// logged once as a warning and counted in SpillStats: corrupt records, segments that cannot be
// opened (kept on disk, never deleted), writes that fail (a read-only or full disk: the events
// stay in the caller's memory).

#include "ltf/telemetry.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace ltf::pipeline {

struct SpillStats {
  std::uint64_t spilled_events = 0;    // appended
  std::uint64_t recovered_events = 0;  // found in segments an earlier process left (counted as read)
  std::uint64_t corrupt_records = 0;   // torn or failing their checksum: skipped
  std::uint64_t refused_events = 0;    // not written (no room in max_bytes, or a failed write):
                                       // they stay with the caller
  std::uint64_t unreadable_segments = 0;  // segments that could not be opened: left on disk
  std::uint64_t write_failures = 0;       // failed creates or writes (read-only or full disk)
};

// Where a batch taken from disk came from, so that it can be acknowledged or given back.
struct SpillCursor {
  std::uint64_t segment = 0;
  std::uint64_t begin = 0;  // offset of the batch's first record
  std::uint64_t end = 0;    // offset just past its last record
  std::uint64_t events = 0;  // records in the batch, so that events() stays exact
};

class SpillStore {
 public:
  // `max_bytes` bounds the files' total size on disk; `segment_bytes` is where a new file starts.
  SpillStore(std::filesystem::path directory, std::uint64_t max_bytes,
             std::uint64_t segment_bytes = 1024 * 1024);
  ~SpillStore();
  SpillStore(const SpillStore&) = delete;
  SpillStore& operator=(const SpillStore&) = delete;

  // Creates the directory if needed and finds segments left by an earlier process (they are read
  // first, oldest first). New appends always go to a new segment, never after a possibly torn tail.
  // A directory that is not safe is refused: the error's message says why (SpillDirError).
  std::error_code open();

  // Appends events in order (every field of telemetry::Event is kept). Returns how many of them,
  // from the front, were written; the rest did not fit in max_bytes.
  std::size_t append(std::span<const telemetry::Event> events);

  // The oldest events on disk, as many as fit in `max_batch_bytes` of raw JSON (at least one when
  // not empty), with the cursor that acknowledges or restores them. Taking again without an
  // acknowledgement or a restore in between continues after the batch already taken.
  std::vector<telemetry::Event> take(std::uint64_t max_batch_bytes, SpillCursor& cursor);
  // The batch was delivered: it will not be read again (a segment whose every record is
  // acknowledged is deleted).
  void acknowledge(const SpillCursor& cursor);
  // The batch was not delivered: it will be read again first.
  void restore(const SpillCursor& cursor);

  bool empty() const;             // nothing left to take
  std::uint64_t bytes() const;    // on disk now
  std::uint64_t events() const;   // records not yet acknowledged (an estimate for recovered files
                                  // until they are read)
  const SpillStats& stats() const;
  const std::filesystem::path& directory() const;

  struct State;  // defined in src/pipeline/spill_state.hpp

 private:
  std::unique_ptr<State> state_;
};

}  // namespace ltf::pipeline
