// Stable event ids: SHA-256 over the function's identity, the event and its ordinal among equal
// events of its batch (telemetry.hpp says what goes in and why).
#include "ltf/telemetry.hpp"

// SHA256_Init/Update/Final are deprecated since OpenSSL 3.0 in favour of EVP, but they are kept
// on purpose (see EventHasher). Defining this silences the deprecation, not the declarations.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <array>
#include <charconv>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace ltf::telemetry {

namespace {

// Ids for the events of one function: one message buffer that keeps the identity's lines and
// takes each event's after them, so that each id costs one digest call and no allocation once the
// buffer has grown to the batch's largest event.
//
// The digest is OpenSSL's SHA-256 block function called directly (the same assembly, SHA-NI where
// the CPU has it), not through EVP: the first EVP digest initialises all of OpenSSL 3 (its
// configuration file, the default provider, the algorithm name map). With an http destination
// nothing else in the extension needs OpenSSL, and that set-up alone was about 0.3 MB of code
// and 0.1 MB of heap resident for the life of the process (docs/performance.md).
class EventHasher {
 public:
  explicit EventHasher(const FunctionIdentity& function) {
    line(function.region);
    line(function.function_name);
    line(function.function_version);
    identity_size_ = message_.size();
    if (function.restored) sandbox_ = function.sandbox;
  }
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

    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256_CTX ctx;
    // These return 0 only for a null argument, which cannot happen here.
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, message_.data(), message_.size());
    SHA256_Final(digest.data(), &ctx);
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
  // Equal events are counted by their first one's id, its ordinal 0: the id names the event's
  // bytes (type and time come from them) as surely as the bytes do, since SHA-256 does not
  // collide, and it is 32 bytes to hash and compare where the event is hundreds. Only an event
  // equal to an earlier one is hashed a second time, with its ordinal.
  // (Not reserve()d: its bucket count is a call to libm's ceil, a library the binary has no other
  // use for; NOTICE lists what is linked.)
  std::unordered_map<std::string_view, std::size_t> equal_before;  // keys: first events' ids
  for (Event& event : events) {
    event.id = hasher.id(event, 0);
    const auto [counted, first] = equal_before.try_emplace(event.id, 0);
    if (!first) event.id = hasher.id(event, ++counted->second);
  }
}

}  // namespace ltf::telemetry
