// The spill files' on-disk format: encoding and checking records (see spill_format.hpp).
#include "pipeline/spill_format.hpp"

#include <zlib.h>

#include <cstdio>

namespace ltf::pipeline::spill {

namespace {

void put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace

std::uint64_t get_le(std::string_view bytes, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    value |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  }
  return value;
}

std::uint32_t crc_start() { return static_cast<std::uint32_t>(crc32(0L, Z_NULL, 0)); }

std::uint32_t crc_add(std::uint32_t crc, std::string_view bytes) {
  return static_cast<std::uint32_t>(crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()),
                                          static_cast<uInt>(bytes.size())));
}

std::uint32_t checksum(std::string_view length_bytes, std::string_view payload) {
  return crc_add(crc_add(crc_start(), length_bytes), payload);
}

bool encode(const telemetry::Event& event, std::string& out) {
  const std::string* fields[] = {&event.raw, &event.type, &event.time, &event.request_id,
                                 &event.id};
  std::uint64_t payload_size = 8;
  for (const std::string* field : fields) payload_size += 4 + field->size();
  // What the reader would refuse is never written.
  if (payload_size > max_payload_bytes) return false;

  const std::size_t start = out.size();
  put_u32(out, static_cast<std::uint32_t>(payload_size));
  put_u32(out, 0);  // the checksum, filled in below
  put_u64(out, event.sequence);
  for (const std::string* field : fields) {
    put_u32(out, static_cast<std::uint32_t>(field->size()));
    out += *field;
  }
  const std::string_view record(out.data() + start, out.size() - start);
  const std::uint32_t crc = checksum(record.substr(0, 4), record.substr(record_header));
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

std::optional<std::uint64_t> segment_number(std::string_view name) {
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

}  // namespace ltf::pipeline::spill
