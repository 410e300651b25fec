// The read buffer of an HTTP connection, sized for the body about to be read.
#pragma once

#include "ltf/defaults.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/optional/optional.hpp>

#include <algorithm>
#include <cstdint>

namespace ltf::net {

// Beast reads max(512, the buffer's free capacity) bytes per system call: left as it grows for
// a header, the buffer takes a 1 MB body 512 bytes at a time, one recv() and one epoll_wait()
// each. Made room for before the body (its Content-Length, at most defaults::socket_read_bytes;
// that much when the length is unknown), a body arrives in reads of up to that size. An idle
// connection, and one whose bodies are small, keeps a small buffer.
inline void make_room_for_body(boost::beast::flat_buffer& buffer,
                               boost::optional<std::uint64_t> content_length) {
  const std::uint64_t wanted = std::min<std::uint64_t>(
      content_length.value_or(defaults::socket_read_bytes), defaults::socket_read_bytes);
  if (wanted > buffer.capacity()) buffer.reserve(static_cast<std::size_t>(wanted));
}

}  // namespace ltf::net
