// Stable event ids: SHA-256 over the function's identity, the event and its ordinal among equal
// events of its batch (telemetry.hpp says what goes in and why).
#include "ltf/telemetry.hpp"

#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace ltf::telemetry {

namespace {

// SHA-256 as OpenSSL's default provider implements it, looked up once. EVP_sha256() would have
// EVP_DigestInit_ex look the algorithm up again on every event (OpenSSL 3's implicit fetch),
// which cost more than hashing the event itself. Never freed: it lives as long as the process.
const EVP_MD* sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!md) throw std::runtime_error("SHA-256 is unavailable");
  return md;
}

// Ids for the events of one function: one digest context, and one message buffer that keeps the
// identity's lines and takes each event's after them, so that each id costs one digest call and
// no allocation once the buffer has grown to the batch's largest event.
class EventHasher {
 public:
  explicit EventHasher(const FunctionIdentity& function) : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_) throw std::runtime_error("SHA-256 is unavailable");
    line(function.region);
    line(function.function_name);
    line(function.function_version);
    identity_size_ = message_.size();
    if (function.restored) sandbox_ = function.sandbox;
  }
  ~EventHasher() { EVP_MD_CTX_free(ctx_); }
  EventHasher(const EventHasher&) = delete;
  EventHasher& operator=(const EventHasher&) = delete;

  std::string id(const Event& event, std::size_t ordinal) {
    message_.resize(identity_size_);
    line(event.type);
    line(event.time);
    line(event.raw);
    if (sandbox_) line(*sandbox_);
    std::array<char, 20> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), ordinal).ptr;
    message_.append(digits.data(), end);

    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_DigestInit_ex2(ctx_, sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx_, message_.data(), message_.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_, digest.data(), &length) != 1)
      throw std::runtime_error("SHA-256 failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string id(32, '0');  // the first 16 bytes of the digest, in hex
    for (std::size_t i = 0; i < 16; ++i) {
      id[2 * i] = hex[digest[i] >> 4];
      id[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    return id;
  }

 private:
  void line(std::string_view text) {
    message_.append(text);
    message_.push_back('\n');
  }

  EVP_MD_CTX* ctx_;
  std::string message_;
  std::size_t identity_size_ = 0;
  std::optional<std::string> sandbox_;  // after a SnapStart restore only
};

}  // namespace

std::string event_id(const FunctionIdentity& function, const Event& event, std::size_t ordinal) {
  return EventHasher(function).id(event, ordinal);
}

void assign_event_ids(const FunctionIdentity& function, std::vector<Event>& events) {
  EventHasher hasher(function);
  std::unordered_map<std::string_view, std::size_t> seen;
  for (Event& event : events) event.id = hasher.id(event, seen[event.raw]++);
}

}  // namespace ltf::telemetry
