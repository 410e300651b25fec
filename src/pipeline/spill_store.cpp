// The spill store's writing side and its public face: appends, batches taken, acknowledged or
// given back (the format is in spill_format.hpp, reading in spill_read.cpp, trust in
// spill_directory.hpp).
#include "pipeline/spill_state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace ltf::pipeline {

void SpillStore::State::close_writer() {
  if (write_fd >= 0) ::close(write_fd);
  write_fd = -1;
}

void SpillStore::State::remove(std::map<std::uint64_t, Segment>::iterator it) {
  if (write_fd >= 0 && write_segment == it->first) close_writer();
  if (read_fd >= 0 && read_segment == it->first) close_reader();
  dir.remove(spill::segment_name(it->first));
  disk_bytes -= it->second.size;
  segments.erase(it);
}

void SpillStore::State::set_aside(std::map<std::uint64_t, Segment>::iterator it,
                                  const std::error_code& why) {
  if (write_fd >= 0 && write_segment == it->first) close_writer();
  if (read_fd >= 0 && read_segment == it->first) close_reader();
  ++stats.unreadable_segments;
  report_unreadable(spill::segment_name(it->first), why);
  disk_bytes -= it->second.size;
  segments.erase(it);
}

SpillStore::SpillStore(std::filesystem::path directory, std::uint64_t max_bytes,
                       std::uint64_t segment_bytes)
    : state_(std::make_unique<State>()) {
  state_->directory = std::move(directory);
  state_->max_bytes = max_bytes;
  state_->segment_bytes = segment_bytes;
}

SpillStore::~SpillStore() {
  state_->close_writer();
  state_->close_reader();
}

std::error_code SpillStore::open() {
  State& s = *state_;
  if (s.opened) return {};
  std::error_code ec;
  s.dir = PrivateDirectory::open(s.directory, ec);
  if (ec) return ec;
  if ((ec = s.scan())) return ec;
  s.opened = true;
  return {};
}

// Writes `pending` (records, preceded by a segment header when no segment is open) to the write
// segment, creating it if needed. On a failed or short write, the complete records stay, the
// torn rest is cut off, and the segment is closed so that nothing is appended after a tear.
// `written` grows by the records now on disk. False when the write failed.
bool SpillStore::State::write_out(std::string& pending,
                                  const std::vector<std::uint64_t>& record_ends,
                                  std::size_t& written) {
  if (record_ends.empty()) return true;
  const bool fresh = write_fd < 0;
  if (fresh) {
    const std::uint64_t number = next_number++;
    // O_EXCL: a new segment never continues a file (or follows a link) that is already there.
    std::error_code ec;
    write_fd = dir.open_file(spill::segment_name(number), O_WRONLY | O_APPEND | O_CREAT | O_EXCL, ec);
    if (write_fd < 0) {
      report_write_failure(ec);
      return false;
    }
    write_segment = number;
    Segment segment;
    segment.number = number;
    segment.size = segment.end = 0;  // the header is counted with the first write below
    segments.emplace(number, std::move(segment));
  }
  Segment& segment = segments.at(write_segment);
  std::size_t done = 0;
  int error = 0;
  while (done < pending.size()) {
    const ssize_t n = ::write(write_fd, pending.data() + done, pending.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : ENOSPC;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  // Only whole records count; record_ends are offsets within `pending`.
  const auto complete = static_cast<std::size_t>(
      std::upper_bound(record_ends.begin(), record_ends.end(), done) - record_ends.begin());
  const std::uint64_t kept = complete == 0 ? 0 : record_ends[complete - 1];
  const std::uint64_t base = segment.size;
  segment.size = segment.end = base + kept;
  segment.records += complete;
  disk_bytes += kept;
  written += complete;
  if (done == pending.size()) return true;
  report_write_failure({error, std::generic_category()});

  // Cut the torn record off. Should that fail too, the tear stays in the file: this process never
  // reads past segment.end, and a later one stops at the tear and counts it.
  if (done > kept) {
    [[maybe_unused]] const int cut = ::ftruncate(write_fd, static_cast<off_t>(base + kept));
  }
  close_writer();
  if (fresh && complete == 0) {
    const std::uint64_t number = segment.number;
    dir.remove(spill::segment_name(number));
    segments.erase(number);
  }
  return false;
}

std::size_t SpillStore::append(std::span<const telemetry::Event> events) {
  State& s = *state_;
  std::size_t written = 0;
  if (s.opened) {
    std::string pending;
    std::vector<std::uint64_t> record_ends;
    // Bytes of the write segment, written or pending; 0 when a new segment would start.
    auto segment_size = [&] {
      const std::uint64_t on_disk = s.write_fd >= 0 ? s.segments.at(s.write_segment).size : 0;
      return on_disk + pending.size();
    };
    std::string record;
    bool failed = false;
    for (const telemetry::Event& event : events) {
      record.clear();
      if (!spill::encode(event, record)) break;
      // Rotate when this record would overflow a segment that already holds records; a record
      // larger than segment_bytes gets a segment of its own.
      if (segment_size() > spill::segment_header &&
          segment_size() + record.size() > s.segment_bytes) {
        if (!s.write_out(pending, record_ends, written)) {
          failed = true;
          break;
        }
        pending.clear();
        record_ends.clear();
        s.close_writer();
      }
      const std::uint64_t header = segment_size() == 0 ? spill::segment_header : 0;
      if (s.disk_bytes + pending.size() + header + record.size() > s.max_bytes) break;
      if (header != 0) {
        pending.append(spill::magic, sizeof spill::magic);
        pending.push_back(static_cast<char>(spill::version));
      }
      pending += record;
      record_ends.push_back(pending.size());
    }
    if (!failed) s.write_out(pending, record_ends, written);
  }
  s.stats.spilled_events += written;
  s.stats.refused_events += events.size() - written;
  return written;
}

std::vector<telemetry::Event> SpillStore::take(std::uint64_t max_batch_bytes,
                                                SpillCursor& cursor) {
  State& s = *state_;
  cursor = {};
  std::vector<telemetry::Event> batch;
  for (auto it = s.segments.begin(); it != s.segments.end();) {
    Segment& segment = it->second;
    const std::uint64_t begin = segment.read;
    std::uint64_t offset = begin;
    // Counted as the sink will send them, like Buffer::take: '[' then each event and a separator.
    std::uint64_t batch_bytes = 1;
    std::error_code unreadable;
    while (true) {
      telemetry::Event event;
      std::uint64_t next = 0;
      const State::Read result = s.read_record(segment, offset, event, next, unreadable);
      if (result == State::Read::unreadable) break;
      if (result == State::Read::end) {
        s.finish_count(segment);
        break;
      }
      if (result == State::Read::bad) {
        s.mark_bad(segment, offset);
        break;
      }
      s.note_read(segment, offset, next);
      // The record that does not fit has been read and checked all the same: so a segment's
      // next record is always known to be good, and empty() is exact without reading.
      const std::uint64_t grown = batch_bytes + event.raw.size() + 1;
      if (!batch.empty() && grown > max_batch_bytes) break;
      batch_bytes = grown;
      batch.push_back(std::move(event));
      offset = next;
    }
    if (!batch.empty()) {
      segment.read = offset;
      cursor = {segment.number, begin, offset, batch.size()};
      return batch;
    }
    // Nothing readable left here; a segment holding nothing outstanding can go now. One that
    // cannot be opened any more is left on disk, as it is.
    const auto current = it++;
    if (unreadable) s.set_aside(current, unreadable);
    else if (current->second.acked >= current->second.end) s.remove(current);
  }
  s.close_reader();  // everything is read: release the file and the window
  return batch;
}

void SpillStore::acknowledge(const SpillCursor& cursor) {
  State& s = *state_;
  const auto it = s.segments.find(cursor.segment);
  if (it == s.segments.end()) return;  // already deleted: a repeated acknowledgement
  Segment& segment = it->second;
  if (cursor.begin < segment.acked || cursor.end <= cursor.begin) return;  // stale or repeated
  // The dispatcher has one batch in flight, so acknowledgements come oldest first. One that
  // comes early is kept aside rather than dropped, and applied once the batches before it are.
  segment.early_acks.emplace(cursor.begin, std::pair{cursor.end, cursor.events});
  for (auto next = segment.early_acks.find(segment.acked); next != segment.early_acks.end();
       next = segment.early_acks.find(segment.acked)) {
    segment.acked = next->second.first;
    segment.acked_records += next->second.second;
    segment.early_acks.erase(next);
  }
  segment.read = std::max(segment.read, segment.acked);
  s.remove_if_done(it);
}

void SpillStore::restore(const SpillCursor& cursor) {
  State& s = *state_;
  const auto it = s.segments.find(cursor.segment);
  if (it == s.segments.end()) return;
  Segment& segment = it->second;
  // Records of a batch acknowledged out of order after this one will be read again: duplicates,
  // not losses.
  segment.read = std::max(segment.acked, std::min(segment.read, cursor.begin));
}

bool SpillStore::empty() const {
  for (const auto& [number, segment] : state_->segments) {
    if (segment.read < segment.end) return false;
  }
  return true;
}

std::uint64_t SpillStore::bytes() const { return state_->disk_bytes; }

std::uint64_t SpillStore::events() const {
  std::uint64_t total = 0;
  for (const auto& [number, segment] : state_->segments) total += segment.unacked();
  return total;
}

const SpillStats& SpillStore::stats() const { return state_->stats; }

const std::filesystem::path& SpillStore::directory() const { return state_->directory; }

}  // namespace ltf::pipeline
