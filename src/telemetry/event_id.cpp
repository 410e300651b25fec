#include "ltf/telemetry.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace ltf::telemetry {

namespace {

// SHA-256 through OpenSSL's EVP interface, fed piece by piece so nothing is concatenated.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("SHA-256 is unavailable");
  }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& add(std::string_view text) {
    EVP_DigestUpdate(ctx_, text.data(), text.size());
    return *this;
  }
  Sha256& line(std::string_view text) { return add(text).add("\n"); }

  std::array<unsigned char, 32> finish() {
    std::array<unsigned char, 32> digest{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_, digest.data(), &length);
    return digest;
  }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace

std::string event_id(const FunctionIdentity& function, const Event& event, std::size_t ordinal) {
  Sha256 hash;
  hash.line(function.region)
      .line(function.function_name)
      .line(function.function_version)
      .line(event.type)
      .line(event.time)
      .line(event.raw);
  if (function.restored) hash.line(function.sandbox);
  hash.add(std::to_string(ordinal));
  const auto digest = hash.finish();
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (std::size_t i = 0; i < 16; ++i) {
    id[2 * i] = hex[digest[i] >> 4];
    id[2 * i + 1] = hex[digest[i] & 0x0f];
  }
  return id;
}

void assign_event_ids(const FunctionIdentity& function, std::vector<Event>& events) {
  std::unordered_map<std::string_view, std::size_t> seen;
  for (Event& event : events) event.id = event_id(function, event, seen[event.raw]++);
}

}  // namespace ltf::telemetry
