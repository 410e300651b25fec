#include "ltf/spill_store.hpp"

#include <zlib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string_view>

// On-disk format, version 1. Every integer is little-endian and fixed-width.
//
//   file name  segment-<20-digit decimal number>.spill: numbers only grow, so the names sort
//              (lexically and numerically) in the order the segments were written.
//   segment    "LTFSPIL" then one version byte (1), then records back to back. The header goes
//              out in the same write() as the segment's first records, so a file holds either
//              nothing at all (killed between open and write: ignored) or a complete header.
//   record     u32 payload length | u32 CRC-32 (zlib) of the 4 length bytes then the payload |
//              payload. The length is inside the checksum so that a damaged length is caught
//              even when it happens to point at plausible bytes.
//   payload    u64 sequence, then raw, type, time, request_id, id, each as u32 length + bytes.
//
// A reader trusts a record only when its length stays within the file, its checksum matches and
// its payload decodes to exactly its length. The first record that fails ends the segment: what
// follows a torn or damaged length cannot be framed reliably, so it is skipped and counted once.
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

namespace ltf::pipeline {

namespace {

constexpr char kMagic[7] = {'L', 'T', 'F', 'S', 'P', 'I', 'L'};
constexpr unsigned char kVersion = 1;
constexpr std::uint64_t kSegmentHeader = 8;
constexpr std::uint64_t kRecordHeader = 8;
// Reads are done through a window of at least this much, so a batch of small records costs a
// few pread() calls rather than two per record.
constexpr std::size_t kReadChunk = 64 * 1024;

void put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t get_le(std::string_view bytes, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    value |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  }
  return value;
}

std::uint32_t checksum(std::string_view length_bytes, std::string_view payload) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(length_bytes.data()),
              static_cast<uInt>(length_bytes.size()));
  crc = crc32(crc, reinterpret_cast<const Bytef*>(payload.data()),
              static_cast<uInt>(payload.size()));
  return static_cast<std::uint32_t>(crc);
}

// Appends one record to `out`. False (and `out` unchanged) when a field is too large for the
// format's 32-bit lengths.
bool encode(const telemetry::Event& event, std::string& out) {
  const std::string* fields[] = {&event.raw, &event.type, &event.time, &event.request_id,
                                 &event.id};
  std::uint64_t payload_size = 8;
  for (const std::string* field : fields) payload_size += 4 + field->size();
  if (payload_size > UINT32_MAX) return false;

  const std::size_t start = out.size();
  put_u32(out, static_cast<std::uint32_t>(payload_size));
  put_u32(out, 0);  // the checksum, filled in below
  put_u64(out, event.sequence);
  for (const std::string* field : fields) {
    put_u32(out, static_cast<std::uint32_t>(field->size()));
    out += *field;
  }
  const std::string_view record(out.data() + start, out.size() - start);
  const std::uint32_t crc = checksum(record.substr(0, 4), record.substr(kRecordHeader));
  for (std::size_t i = 0; i < 4; ++i) {
    out[start + 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  }
  return true;
}

bool decode(std::string_view payload, telemetry::Event& event) {
  if (payload.size() < 8) return false;
  event.sequence = get_le(payload, 8);
  payload.remove_prefix(8);
  for (std::string* field : {&event.raw, &event.type, &event.time, &event.request_id, &event.id}) {
    if (payload.size() < 4) return false;
    const std::uint64_t size = get_le(payload, 4);
    payload.remove_prefix(4);
    if (size > payload.size()) return false;
    field->assign(payload.substr(0, size));
    payload.remove_prefix(size);
  }
  return payload.empty();
}

std::string segment_name(std::uint64_t number) {
  char name[48];
  std::snprintf(name, sizeof name, "segment-%020llu.spill", static_cast<unsigned long long>(number));
  return name;
}

std::optional<std::uint64_t> segment_number(const std::string& name) {
  constexpr std::string_view prefix = "segment-";
  constexpr std::string_view suffix = ".spill";
  if (name.size() != prefix.size() + 20 + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return std::nullopt;
  }
  std::uint64_t number = 0;
  for (std::size_t i = prefix.size(); i < prefix.size() + 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    const std::uint64_t digit = static_cast<std::uint64_t>(name[i] - '0');
    if (number > (UINT64_MAX - digit) / 10) return std::nullopt;
    number = number * 10 + digit;
  }
  return number;
}

std::error_code last_error() { return {errno, std::generic_category()}; }

}  // namespace

namespace {

// What the store knows of one segment file. Offsets are from the start of the file.
struct Segment {
  std::uint64_t number = 0;
  std::uint64_t size = 0;    // bytes of the file, counted in bytes()
  std::uint64_t end = 0;     // readable end: the file's end, or the first record found bad
  std::uint64_t read = kSegmentHeader;   // next record to take
  std::uint64_t acked = kSegmentHeader;  // every record before this is acknowledged
  // Acknowledgements that arrived ahead of an older outstanding batch: begin -> (end, events).
  // They take effect when the batches before them are acknowledged.
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> early_acks;
  bool recovered = false;  // left by an earlier process
  // Records in [header, end). Exact for segments this process wrote; for a recovered one an
  // estimate until the reader has passed its end once (`counted` records up to `counted_to`).
  std::uint64_t records = 0;
  bool exact = true;
  std::uint64_t counted = 0;
  std::uint64_t counted_to = kSegmentHeader;
  std::uint64_t acked_records = 0;

  std::uint64_t unacked() const {
    const std::uint64_t total = exact ? records : std::max(records, counted);
    return total > acked_records ? total - acked_records : 0;
  }
};

}  // namespace

struct SpillStore::State {
  std::filesystem::path directory;
  std::uint64_t max_bytes;
  std::uint64_t segment_bytes;
  bool opened = false;
  SpillStats stats;
  std::map<std::uint64_t, Segment> segments;  // by number: oldest first
  std::uint64_t disk_bytes = 0;
  std::uint64_t next_number = 1;

  // The segment being appended to (always the newest), or none: the next append starts one.
  int write_fd = -1;
  std::uint64_t write_segment = 0;

  // The reader's file and its window of bytes [window_offset, window_offset + window.size()).
  int read_fd = -1;
  std::uint64_t read_segment = 0;
  std::uint64_t window_offset = 0;
  std::string window;

  enum class Read { ok, end, bad };

  std::filesystem::path path(std::uint64_t number) const { return directory / segment_name(number); }

  void close_writer() {
    if (write_fd >= 0) ::close(write_fd);
    write_fd = -1;
  }

  void close_reader() {
    if (read_fd >= 0) ::close(read_fd);
    read_fd = -1;
    window.clear();
    // A large record may have grown the window; do not keep that memory between batches.
    if (window.capacity() > 4 * kReadChunk) window.shrink_to_fit();
  }

  void remove(std::map<std::uint64_t, Segment>::iterator it) {
    if (write_fd >= 0 && write_segment == it->first) close_writer();
    if (read_fd >= 0 && read_segment == it->first) close_reader();
    ::unlink(path(it->first).c_str());
    disk_bytes -= it->second.size;
    segments.erase(it);
  }

  // Deletes a segment once every record in it is acknowledged (the one being written too: the
  // next append starts a fresh file rather than growing one that is already delivered).
  void remove_if_done(std::map<std::uint64_t, Segment>::iterator it) {
    if (it->second.acked >= it->second.end) remove(it);
  }

  // Bytes [offset, offset + size) of `segment`, from the window; empty optional when the file
  // is shorter than that (truncated behind our back) or cannot be read.
  std::optional<std::string_view> bytes_at(const Segment& segment, std::uint64_t offset,
                                           std::size_t size) {
    if (read_fd < 0 || read_segment != segment.number) {
      close_reader();
      read_fd = ::open(path(segment.number).c_str(), O_RDONLY | O_CLOEXEC);
      if (read_fd < 0) return std::nullopt;
      read_segment = segment.number;
    }
    if (offset < window_offset || offset + size > window_offset + window.size()) {
      const std::uint64_t wanted =
          std::min<std::uint64_t>(std::max(size, kReadChunk), segment.end - offset);
      window.resize(wanted);
      window_offset = offset;
      std::size_t got = 0;
      while (got < wanted) {
        const ssize_t n = ::pread(read_fd, window.data() + got, wanted - got,
                                  static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      window.resize(got);
      if (got < size) return std::nullopt;
    }
    return std::string_view(window).substr(offset - window_offset, size);
  }

  // Reads the record at `offset`; on success `next` is the offset just past it.
  Read read_record(const Segment& segment, std::uint64_t offset, telemetry::Event& event,
                   std::uint64_t& next) {
    if (offset >= segment.end) return Read::end;
    if (segment.end - offset < kRecordHeader) return Read::bad;
    const auto header = bytes_at(segment, offset, kRecordHeader);
    if (!header) return Read::bad;
    const std::uint64_t length = get_le(*header, 4);
    const std::uint32_t crc = static_cast<std::uint32_t>(get_le(header->substr(4), 4));
    // Never trust a length that points past the end: it is how a torn tail shows.
    if (length > segment.end - offset - kRecordHeader) return Read::bad;
    const std::string length_bytes(header->substr(0, 4));  // the window may move below
    const auto payload = bytes_at(segment, offset + kRecordHeader, length);
    if (!payload || checksum(length_bytes, *payload) != crc || !decode(*payload, event)) {
      return Read::bad;
    }
    next = offset + kRecordHeader + length;
    return Read::ok;
  }

  // The record at `offset` is bad: the segment ends there for us.
  void mark_bad(Segment& segment, std::uint64_t offset) {
    ++stats.corrupt_records;
    segment.end = offset;
    segment.read = std::min(segment.read, offset);
    finish_count(segment);
    // Never append after bytes we cannot frame.
    if (write_fd >= 0 && write_segment == segment.number) close_writer();
  }

  // The reader reached the segment's end: its record count is now exact.
  void finish_count(Segment& segment) {
    if (segment.exact || segment.counted_to < segment.end) return;
    segment.records = segment.counted;
    segment.exact = true;
  }

  // Called for every record read, to count records of recovered segments the first time.
  void note_read(Segment& segment, std::uint64_t offset, std::uint64_t next) {
    if (segment.exact || offset < segment.counted_to) return;
    ++segment.counted;
    segment.counted_to = next;
    if (segment.recovered) ++stats.recovered_events;
    finish_count(segment);
  }

  std::error_code scan();
  bool write_out(std::string& pending, const std::vector<std::uint64_t>& record_ends,
                 std::size_t& written);
};

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
  // The parents may be shared (/tmp); only our own directory is private.
  if (s.directory.has_parent_path()) {
    std::filesystem::create_directories(s.directory.parent_path(), ec);
    if (ec) return ec;
  }
  if (::mkdir(s.directory.c_str(), 0700) != 0 && errno != EEXIST) return last_error();
  if (!std::filesystem::is_directory(s.directory, ec)) {
    return ec ? ec : std::make_error_code(std::errc::not_a_directory);
  }
  if ((ec = s.scan())) return ec;
  s.opened = true;
  return {};
}

// Finds the segments an earlier process left, checks each one's header and first record, and
// estimates its record count from the size of that first record.
std::error_code SpillStore::State::scan() {
  std::error_code ec;
  std::map<std::uint64_t, std::uint64_t> found;  // number -> size
  for (std::filesystem::directory_iterator it(directory, ec), last; !ec && it != last;
       it.increment(ec)) {
    const auto number = segment_number(it->path().filename().string());
    if (!number) continue;
    std::error_code size_ec;
    const std::uint64_t size = it->file_size(size_ec);
    if (size_ec) continue;
    found.emplace(*number, size);
  }
  if (ec) return ec;

  for (const auto& [number, size] : found) {
    next_number = std::max(next_number, number + 1);
    Segment segment;
    segment.number = number;
    segment.size = size;
    segment.end = size;
    segment.recovered = true;
    segment.exact = false;
    auto [it, inserted] = segments.emplace(number, std::move(segment));
    disk_bytes += size;
    Segment& seg = it->second;
    if (size == 0) {  // killed between creating the file and its first write: nothing lost
      remove(it);
      continue;
    }
    seg.end = std::min(size, kSegmentHeader);  // read just the header first
    const auto header = size >= kSegmentHeader ? bytes_at(seg, 0, kSegmentHeader) : std::nullopt;
    if (!header || std::memcmp(header->data(), kMagic, sizeof kMagic) != 0 ||
        static_cast<unsigned char>((*header)[7]) != kVersion) {
      // Not ours, or another version of the format: unreadable either way. It is counted and
      // deleted so that it does not hold on to the byte budget for ever.
      ++stats.corrupt_records;
      remove(it);
      continue;
    }
    seg.end = size;
    telemetry::Event first;
    std::uint64_t next = 0;
    switch (read_record(seg, kSegmentHeader, first, next)) {
      case Read::ok:
        seg.records = std::max<std::uint64_t>(1, (size - kSegmentHeader) / (next - kSegmentHeader));
        break;
      case Read::end:
        seg.records = 0;
        seg.exact = true;
        remove(it);
        break;
      case Read::bad:
        mark_bad(seg, kSegmentHeader);
        remove(it);
        break;
    }
  }
  close_reader();
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
    // O_EXCL: a new segment never continues a file that is already there.
    write_fd = ::open(path(number).c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC,
                      0600);
    if (write_fd < 0) return false;
    write_segment = number;
    Segment segment;
    segment.number = number;
    segment.size = segment.end = 0;  // the header is counted with the first write below
    segments.emplace(number, std::move(segment));
  }
  Segment& segment = segments.at(write_segment);
  std::size_t done = 0;
  while (done < pending.size()) {
    const ssize_t n = ::write(write_fd, pending.data() + done, pending.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
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

  // Cut the torn record off. Should that fail too, the tear stays in the file: this process never
  // reads past segment.end, and a later one stops at the tear and counts it.
  if (done > kept) {
    [[maybe_unused]] const int cut = ::ftruncate(write_fd, static_cast<off_t>(base + kept));
  }
  close_writer();
  if (fresh && complete == 0) {
    const std::uint64_t number = segment.number;
    ::unlink(path(number).c_str());
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
      if (!encode(event, record)) break;
      // Rotate when this record would overflow a segment that already holds records; a record
      // larger than segment_bytes gets a segment of its own.
      if (segment_size() > kSegmentHeader &&
          segment_size() + record.size() > s.segment_bytes) {
        if (!s.write_out(pending, record_ends, written)) {
          failed = true;
          break;
        }
        pending.clear();
        record_ends.clear();
        s.close_writer();
      }
      const std::uint64_t header = segment_size() == 0 ? kSegmentHeader : 0;
      if (s.disk_bytes + pending.size() + header + record.size() > s.max_bytes) break;
      if (header != 0) {
        pending.append(kMagic, sizeof kMagic);
        pending.push_back(static_cast<char>(kVersion));
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
    while (true) {
      telemetry::Event event;
      std::uint64_t next = 0;
      const State::Read result = s.read_record(segment, offset, event, next);
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
    // Nothing readable left here; a segment holding nothing outstanding can go now.
    const auto current = it++;
    if (current->second.acked >= current->second.end) s.remove(current);
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
