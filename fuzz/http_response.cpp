// libFuzzer harness: bytes a destination sends, read as HTTP answers the way HttpClient reads them
// (http_client.cpp, round_trip: a response_parser<string_body> with the client's body limit, one
// flat_buffer kept across the answers of a kept-alive connection).
#include "ltf/net.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

// A SyncReadStream over the fuzz input, handing it out in pieces of a size the input chooses, so
// that answers split across reads (as TCP splits them) are explored too.
class InputStream {
 public:
  using executor_type = asio::any_io_executor;
  InputStream(const std::uint8_t* data, std::size_t size, std::size_t piece)
      : data_(data), size_(size), piece_(piece) {}

  template <typename Buffers>
  std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    if (offset_ == size_) {
      ec = asio::error::eof;
      return 0;
    }
    ec = {};
    std::size_t copied = 0;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
         ++it) {
      asio::mutable_buffer buffer = *it;
      const std::size_t n = std::min({buffer.size(), size_ - offset_, piece_ - copied});
      std::memcpy(buffer.data(), data_ + offset_, n);
      offset_ += n;
      copied += n;
      if (copied == piece_ || offset_ == size_) break;
    }
    return copied;
  }
  template <typename Buffers>
  std::size_t read_some(const Buffers& buffers) {
    boost::system::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t piece_;
  std::size_t offset_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  InputStream stream(data + 1, size - 1, std::size_t{1} + data[0]);
  const ltf::net::ClientLimits limits{.response_body_limit = 64 * 1024};
  boost::beast::flat_buffer buffer;
  // At most as many answers as a kept-alive connection could carry in this input.
  for (int answer = 0; answer < 16; ++answer) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(limits.response_body_limit);
    boost::system::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) break;
    const ltf::net::Response& response = parser.get();
    if (response.body().size() > limits.response_body_limit) __builtin_trap();
  }
  return 0;
}
