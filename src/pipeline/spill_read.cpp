// The spill store's reading side: records checked before they are trusted (or allocated), the
// segments an earlier process left, and the one-time reports of what could not be read.
#include "pipeline/spill_state.hpp"

#include "ltf/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ltf::pipeline {

namespace {

// Reads go through a window of at least this much, so a batch of small records costs a few
// pread() calls rather than two per record. Larger records are checked through it piece by piece.
constexpr std::size_t read_chunk = 64 * 1024;

// Reads up to `size` bytes at `offset`; fewer at the end of the file or on an error.
std::size_t pread_fully(int fd, char* out, std::size_t size, std::uint64_t offset) {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd, out + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

}  // namespace

void SpillStore::State::close_reader() {
  if (read_fd >= 0) ::close(read_fd);
  read_fd = -1;
  window.clear();
  // A large record may have grown the window; do not keep that memory between batches.
  if (window.capacity() > 4 * read_chunk) window.shrink_to_fit();
}

bool SpillStore::State::open_reader(const Segment& segment, std::error_code& ec) {
  if (read_fd >= 0 && read_segment == segment.number) return true;
  close_reader();
  read_fd = dir.open_file(spill::segment_name(segment.number), O_RDONLY, ec);
  if (read_fd < 0) return false;
  read_segment = segment.number;
  return true;
}

// Bytes [offset, offset + size) of `segment` (whose reader is open), from the window; empty
// optional when the file is shorter than that (truncated behind our back) or cannot be read.
std::optional<std::string_view> SpillStore::State::bytes_at(const Segment& segment,
                                                            std::uint64_t offset,
                                                            std::size_t size) {
  if (read_fd < 0 || read_segment != segment.number) return std::nullopt;
  if (offset < window_offset || offset + size > window_offset + window.size()) {
    const std::uint64_t wanted =
        std::min<std::uint64_t>(std::max(size, read_chunk), segment.end - offset);
    window.resize(wanted);
    window_offset = offset;
    window.resize(pread_fully(read_fd, window.data(), wanted, offset));
    if (window.size() < size) return std::nullopt;
  }
  return std::string_view(window).substr(offset - window_offset, size);
}

// The checksum of a large record, computed a chunk at a time before the record is given memory of
// its own: a damaged length (or a sparse file's) costs reading, never allocating.
bool SpillStore::State::checksum_streamed(const Segment& segment, std::uint64_t offset,
                                          std::uint64_t length, std::uint32_t expected) {
  const auto length_bytes = bytes_at(segment, offset, 4);
  if (!length_bytes) return false;
  std::uint32_t crc = spill::crc_add(spill::crc_start(), *length_bytes);
  window.resize(read_chunk);
  window_offset = 0;
  bool complete = true;
  for (std::uint64_t done = 0; done < length && complete;) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(read_chunk, length - done));
    const std::size_t got =
        pread_fully(read_fd, window.data(), want, offset + spill::record_header + done);
    crc = spill::crc_add(crc, std::string_view(window.data(), got));
    complete = got == want;
    done += got;
  }
  window.clear();  // what it holds is not the window any more
  return complete && crc == expected;
}

// Reads the record at `offset`; on success `next` is the offset just past it.
SpillStore::State::Read SpillStore::State::read_record(const Segment& segment,
                                                       std::uint64_t offset,
                                                       telemetry::Event& event,
                                                       std::uint64_t& next, std::error_code& ec) {
  if (offset >= segment.end) return Read::end;
  if (!open_reader(segment, ec)) return Read::unreadable;
  if (segment.end - offset < spill::record_header) return Read::bad;
  const auto header = bytes_at(segment, offset, spill::record_header);
  if (!header) return Read::bad;
  const std::uint64_t length = spill::get_le(*header, 4);
  const auto crc = static_cast<std::uint32_t>(spill::get_le(header->substr(4), 4));
  // Never trust a length that points past the end (it is how a torn tail shows) or past what a
  // writer ever writes (a sparse file's size proves nothing).
  if (length > segment.end - offset - spill::record_header || length > spill::max_payload_bytes)
    return Read::bad;
  // Copied first: the window under `header` moves below (the streamed checksum reuses it).
  const std::string length_bytes(header->substr(0, 4));
  if (length > read_chunk && !checksum_streamed(segment, offset, length, crc)) return Read::bad;
  const auto payload = bytes_at(segment, offset + spill::record_header, length);
  if (!payload || spill::checksum(length_bytes, *payload) != crc ||
      !spill::decode(*payload, event)) {
    return Read::bad;
  }
  next = offset + spill::record_header + length;
  return Read::ok;
}

// The record at `offset` is bad: the segment ends there for us.
void SpillStore::State::mark_bad(Segment& segment, std::uint64_t offset) {
  ++stats.corrupt_records;
  if (opened) report_corrupt();  // at open(), scan() reports them all in one line
  segment.end = offset;
  segment.read = std::min(segment.read, offset);
  finish_count(segment);
  // Never append after bytes we cannot frame.
  if (write_fd >= 0 && write_segment == segment.number) close_writer();
}

// The reader reached the segment's end: its record count is now exact.
void SpillStore::State::finish_count(Segment& segment) {
  if (segment.exact || segment.counted_to < segment.end) return;
  segment.records = segment.counted;
  segment.exact = true;
}

// Called for every record read, to count records of recovered segments the first time.
void SpillStore::State::note_read(Segment& segment, std::uint64_t offset, std::uint64_t next) {
  if (segment.exact || offset < segment.counted_to) return;
  ++segment.counted;
  segment.counted_to = next;
  if (segment.recovered) ++stats.recovered_events;
  finish_count(segment);
}

// Finds the segments an earlier process left, checks each one's header and first record, and
// estimates its record count from the size of that first record.
std::error_code SpillStore::State::scan() {
  std::error_code ec;
  std::map<std::uint64_t, std::string> found;  // number -> name
  for (std::string& name : dir.names(ec))
    if (const auto number = spill::segment_number(name)) found.emplace(*number, std::move(name));
  if (ec) return ec;

  std::optional<std::pair<std::string, std::error_code>> first_unreadable;
  for (const auto& [number, name] : found) {
    next_number = std::max(next_number, number + 1);
    close_reader();
    std::error_code why;
    struct stat st {};
    read_fd = dir.open_file(name, O_RDONLY, why);
    if (read_fd >= 0 && ::fstat(read_fd, &st) != 0) why = {errno, std::generic_category()};
    if (why) {
      // Kept, not deleted: its events may be readable by someone who can fix what is wrong.
      ++stats.unreadable_segments;
      if (!first_unreadable) first_unreadable.emplace(name, why);
      continue;
    }
    read_segment = number;
    const auto size = static_cast<std::uint64_t>(st.st_size);
    Segment segment;
    segment.number = number;
    segment.size = size;
    segment.end = std::min(size, spill::segment_header);  // read just the header first
    segment.recovered = true;
    segment.exact = false;
    auto [it, inserted] = segments.emplace(number, std::move(segment));
    disk_bytes += size;
    Segment& seg = it->second;
    if (size == 0) {  // killed between creating the file and its first write: nothing lost
      remove(it);
      continue;
    }
    const auto header =
        size >= spill::segment_header ? bytes_at(seg, 0, spill::segment_header) : std::nullopt;
    if (!header || std::memcmp(header->data(), spill::magic, sizeof spill::magic) != 0 ||
        static_cast<unsigned char>((*header)[7]) != spill::version) {
      // Not ours, or another version of the format: unreadable either way. It is counted and
      // deleted so that it does not hold on to the byte budget for ever.
      ++stats.corrupt_records;
      remove(it);
      continue;
    }
    seg.end = size;
    telemetry::Event first;
    std::uint64_t next = 0;
    switch (read_record(seg, spill::segment_header, first, next, why)) {
      case Read::ok:
        seg.records = std::max<std::uint64_t>(
            1, (size - spill::segment_header) / (next - spill::segment_header));
        break;
      case Read::end:
      case Read::unreadable:  // cannot happen: the file is open
        seg.records = 0;
        seg.exact = true;
        remove(it);
        break;
      case Read::bad:
        mark_bad(seg, spill::segment_header);
        remove(it);
        break;
    }
  }
  close_reader();
  report_corrupt();
  if (first_unreadable) report_unreadable(first_unreadable->first, first_unreadable->second);
  return {};
}

void SpillStore::State::report_corrupt() {
  if (corrupt_reported || stats.corrupt_records == 0) return;
  corrupt_reported = true;
  LTF_LOG(warning) << "spill directory " << directory.string() << ": " << stats.corrupt_records
                   << " corrupt record(s) skipped (a write torn by a kill, or damage); the "
                      "records after each in its file cannot be framed and are lost. Later ones "
                      "are only counted";
}

void SpillStore::State::report_unreadable(const std::string& name, const std::error_code& why) {
  if (unreadable_reported) return;
  unreadable_reported = true;
  LTF_LOG(warning) << "spill directory " << directory.string() << ": "
                   << stats.unreadable_segments << " segment(s) cannot be read (" << name << ": "
                   << why.message() << "): kept on disk, not sent. Later ones are only counted";
}

void SpillStore::State::report_write_failure(const std::error_code& why) {
  ++stats.write_failures;
  if (write_failure_reported) return;
  write_failure_reported = true;
  LTF_LOG(warning) << "cannot write to the spill directory " << directory.string() << " ("
                   << why.message() << "): events past the memory budget stay in memory, and "
                      "are shed by priority and counted when it is full. Reported once";
}

}  // namespace ltf::pipeline
