#pragma once
// The spill files' on-disk format (private to the pipeline module): records, checksums, names.
//
// Version 1. Every integer is little-endian and fixed-width.
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
// A reader trusts a record only when its length stays within the file and within
// max_payload_bytes, its checksum matches and its payload decodes to exactly its length.

#include "ltf/telemetry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ltf::pipeline::spill {

inline constexpr char magic[7] = {'L', 'T', 'F', 'S', 'P', 'I', 'L'};
inline constexpr unsigned char version = 1;
inline constexpr std::uint64_t segment_header = 8;
inline constexpr std::uint64_t record_header = 8;
// The largest payload written or read: an event as large as the largest POST the listener can be
// configured to take (LTF_LISTENER_MAX_BODY_BYTES, at most 64 MiB), with room for its other
// fields. A length beyond it is damage, whatever the file's size says (a sparse file can claim
// anything).
inline constexpr std::uint64_t max_payload_bytes = 65ull * 1024 * 1024;

std::uint64_t get_le(std::string_view bytes, std::size_t width);

// CRC-32 continued over `bytes` (start from crc_start()).
std::uint32_t crc_start();
std::uint32_t crc_add(std::uint32_t crc, std::string_view bytes);
std::uint32_t checksum(std::string_view length_bytes, std::string_view payload);

// Appends one record to `out`. False (and `out` unchanged) when the event is larger than
// max_payload_bytes.
bool encode(const telemetry::Event& event, std::string& out);
// A record's payload back into an event; false when it does not decode to exactly its length.
bool decode(std::string_view payload, telemetry::Event& event);

std::string segment_name(std::uint64_t number);
std::optional<std::uint64_t> segment_number(std::string_view name);

}  // namespace ltf::pipeline::spill
