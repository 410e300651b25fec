// SHA-256 and HMAC-SHA256 through OpenSSL's one-shot calls: no contexts to manage, and both are
// the non-deprecated OpenSSL 3 entry points.
#include "ltf/aws.hpp"

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace ltf::aws {
namespace {

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0f];
  }
  return out;
}

SigningKey hmac(const unsigned char* key, std::size_t key_size, std::string_view data) {
  SigningKey out{};
  unsigned int size = 0;
  // Only fails on allocation failure or a broken OpenSSL: nothing a caller could recover from.
  if (!HMAC(EVP_sha256(), key, static_cast<int>(key_size),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size) ||
      size != out.size()) {
    throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
  }
  return out;
}

SigningKey hmac(const SigningKey& key, std::string_view data) {
  return hmac(key.data(), key.size(), data);
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr)) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  return to_hex(digest, size);
}

SigningKey derive_signing_key(std::string_view secret_access_key, std::string_view date,
                              std::string_view region, std::string_view service) {
  std::string first = "AWS4" + std::string(secret_access_key);
  const SigningKey k_date =
      hmac(reinterpret_cast<const unsigned char*>(first.data()), first.size(), date);
  // The secret must not linger in freed heap memory, where a core dump would keep it.
  OPENSSL_cleanse(first.data(), first.size());
  return hmac(hmac(hmac(k_date, region), service), "aws4_request");
}

std::string signature_of(const SigningKey& key, std::string_view string_to_sign) {
  const SigningKey mac = hmac(key, string_to_sign);
  return to_hex(mac.data(), mac.size());
}

}  // namespace ltf::aws
