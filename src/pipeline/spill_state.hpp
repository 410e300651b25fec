#pragma once
// The spill store's inner state (private to the pipeline module): what it knows of each segment,
// its open files, and the reading and reporting that spill_read.cpp implements.
//
// Durability: no fsync. The goal is to survive a crash or SIGKILL of this process, not of the
// machine; a completed write() is in the page cache, which the next process in the same sandbox
// reads. A process killed in the middle of a write() leaves at worst a torn last record.
//
// Acknowledgement is kept in memory only. A restarted process reads a partly acknowledged segment
// from its start, so some events may be delivered twice; their ids are the same both times, so a
// backend can drop the copies. A fully acknowledged segment is deleted at once.
//
// One process per directory: two SpillStores writing the same directory at once are not
// supported (Lambda runs one extension process of a kind per sandbox).

#include "ltf/spill_store.hpp"
#include "pipeline/spill_directory.hpp"
#include "pipeline/spill_format.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ltf::pipeline {

// What the store knows of one segment file. Offsets are from the start of the file.
struct Segment {
  std::uint64_t number = 0;
  std::uint64_t size = 0;    // bytes of the file, counted in bytes()
  std::uint64_t end = 0;     // readable end: the file's end, or the first record found bad
  std::uint64_t read = spill::segment_header;   // next record to take
  std::uint64_t acked = spill::segment_header;  // every record before this is acknowledged
  // Acknowledgements that arrived ahead of an older outstanding batch: begin -> (end, events).
  // They take effect when the batches before them are acknowledged.
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> early_acks;
  bool recovered = false;  // left by an earlier process
  // Records in [header, end). Exact for segments this process wrote; for a recovered one an
  // estimate until the reader has passed its end once (`counted` records up to `counted_to`).
  std::uint64_t records = 0;
  bool exact = true;
  std::uint64_t counted = 0;
  std::uint64_t counted_to = spill::segment_header;
  std::uint64_t acked_records = 0;

  std::uint64_t unacked() const {
    const std::uint64_t total = exact ? records : std::max(records, counted);
    return total > acked_records ? total - acked_records : 0;
  }
};

struct SpillStore::State {
  std::filesystem::path directory;
  PrivateDirectory dir;  // open once open() succeeded; every file is reached from it
  std::uint64_t max_bytes;
  std::uint64_t segment_bytes;
  bool opened = false;
  SpillStats stats;
  std::map<std::uint64_t, Segment> segments;  // by number: oldest first
  std::uint64_t disk_bytes = 0;
  std::uint64_t next_number = 1;
  // Each kind of trouble is logged once, with counts; afterwards only the stats grow.
  bool corrupt_reported = false;
  bool unreadable_reported = false;
  bool write_failure_reported = false;

  // The segment being appended to (always the newest), or none: the next append starts one.
  int write_fd = -1;
  std::uint64_t write_segment = 0;

  // The reader's file and its window of bytes [window_offset, window_offset + window.size()).
  int read_fd = -1;
  std::uint64_t read_segment = 0;
  std::uint64_t window_offset = 0;
  std::string window;

  enum class Read {
    ok,
    end,
    bad,         // torn or damaged: the segment ends here
    unreadable,  // the file cannot be opened (any more): kept on disk, left alone
  };

  void close_writer();
  void close_reader();
  void remove(std::map<std::uint64_t, Segment>::iterator it);
  // Deletes a segment once every record in it is acknowledged (the one being written too: the
  // next append starts a fresh file rather than growing one that is already delivered).
  void remove_if_done(std::map<std::uint64_t, Segment>::iterator it) {
    if (it->second.acked >= it->second.end) remove(it);
  }
  // Forgets a segment that cannot be read without deleting its file, and reports it.
  void set_aside(std::map<std::uint64_t, Segment>::iterator it, const std::error_code& why);

  // spill_read.cpp
  bool open_reader(const Segment& segment, std::error_code& ec);
  std::optional<std::string_view> bytes_at(const Segment& segment, std::uint64_t offset,
                                           std::size_t size);
  bool checksum_streamed(const Segment& segment, std::uint64_t offset, std::uint64_t length,
                         std::uint32_t expected);
  Read read_record(const Segment& segment, std::uint64_t offset, telemetry::Event& event,
                   std::uint64_t& next, std::error_code& ec);
  void mark_bad(Segment& segment, std::uint64_t offset);
  void finish_count(Segment& segment);
  void note_read(Segment& segment, std::uint64_t offset, std::uint64_t next);
  std::error_code scan();
  void report_corrupt();
  void report_unreadable(const std::string& name, const std::error_code& why);
  void report_write_failure(const std::error_code& why);

  // spill_store.cpp
  bool write_out(std::string& pending, const std::vector<std::uint64_t>& record_ends,
                 std::size_t& written);
};

}  // namespace ltf::pipeline
