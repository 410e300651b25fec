#include "ltf/net.hpp"

#include <zlib.h>

#include <limits>
#include <memory>
#include <new>
#include <stdexcept>

namespace ltf::net {

std::string gzip(std::string_view data, int level) {
  // zlib counts in uInt; request bodies are bounded far below that (LTF_DISPATCH_MAX_BATCH_BYTES).
  if (data.size() > std::numeric_limits<uInt>::max() / 2)
    throw std::length_error("gzip: body too large");
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer around the deflate stream, as Content-Encoding:
  // gzip expects. memLevel 8 is zlib's default (about 256 kB while it runs).
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::bad_alloc();
  std::unique_ptr<z_stream, decltype(&deflateEnd)> end(&z, &deflateEnd);
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  // deflateBound() leaves room for everything, so one call finishes the stream.
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) throw std::bad_alloc();
  out.resize(z.total_out);
  return out;
}

Inflated gunzip(std::string_view data, std::size_t max_size) {
  Inflated result;
  if (data.size() > std::numeric_limits<uInt>::max() / 2) {
    result.status = Inflated::Status::too_large;
    return result;
  }
  z_stream z{};
  // windowBits 15 + 16: gzip framing only (a raw or zlib stream is not Content-Encoding: gzip).
  if (inflateInit2(&z, 15 + 16) != Z_OK) throw std::bad_alloc();
  std::unique_ptr<z_stream, decltype(&inflateEnd)> end(&z, &inflateEnd);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char chunk[64 * 1024];
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = sizeof chunk - z.avail_out;
    if (result.data.size() + produced > max_size) {
      result.status = Inflated::Status::too_large;
      result.data.clear();
      return result;
    }
    result.data.append(chunk, produced);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) return result;
      // Concatenated members are one valid gzip body (RFC 1952 2.2).
      if (inflateReset(&z) != Z_OK) break;
      continue;
    }
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    if (rc != Z_OK) break;                      // corrupt data, bad header or checksum
    if (z.avail_in == 0 && produced == 0) break;  // truncated: no input left, stream not ended
  }
  result.status = Inflated::Status::invalid;
  result.data.clear();
  return result;
}

}  // namespace ltf::net
