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

}  // namespace ltf::net
