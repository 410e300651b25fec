#include "ltf/net.hpp"

#include <boost/asio/ssl/context.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>

namespace ltf::net {

namespace fs = std::filesystem;

namespace {

constexpr std::array hashed_directories{"/etc/ssl/certs", "/etc/pki/tls/certs"};
constexpr std::array bundles{
    "/etc/pki/tls/certs/ca-bundle.crt",    // Amazon Linux 2 and 2023, RHEL, Fedora
    "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Alpine
    "/etc/ssl/cert.pem",                   // Alpine, macOS, some minimal images
};

// "002c0b4f.0": c_rehash's name for a CA certificate (and ".r0" for a CRL, not wanted here).
bool is_hash_name(std::string_view name) {
  const auto dot = name.find('.');
  if (dot != 8 || name.size() == 9) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    const bool ok = i < 8 ? std::isxdigit(c) != 0 : i == 8 || std::isdigit(c) != 0;
    if (!ok) return false;
  }
  return true;
}

bool readable_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  return std::ifstream(path).good();
}

// VmRSS of this process in kB, 0 where /proc is not there.
long resident_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

class CertificateCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "certificate"; }
  std::string message(int value) const override { return X509_verify_cert_error_string(value); }
};

}  // namespace

bool is_hashed_ca_directory(const std::string& directory) {
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec))
    if (is_hash_name(it->path().filename().native())) return true;
  return false;
}

CaSource find_ca_source(const TlsOptions& options,
                        const std::function<const char*(const char*)>& getenv) {
  using Kind = CaSource::Kind;
  if (!options.ca_file.empty()) return {Kind::file, options.ca_file, "LTF_CA_FILE"};
  if (const char* file = getenv("SSL_CERT_FILE"); file && *file)
    return {Kind::file, file, "SSL_CERT_FILE"};
  if (const char* dirs = getenv("SSL_CERT_DIR"); dirs && *dirs)
    return {Kind::directories, dirs, "SSL_CERT_DIR"};
  for (const char* dir : hashed_directories)
    if (is_hashed_ca_directory(dir)) return {Kind::directories, dir, "system"};
  for (const char* bundle : bundles)
    if (readable_file(bundle)) return {Kind::file, bundle, "system"};
  return {Kind::none, {}, "system"};
}

TlsSetup make_tls_context(const TlsOptions& options) {
  const long before = resident_kb();
  TlsSetup setup;
  setup.context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  auto& context = *setup.context;
  SSL_CTX* native = context.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // An idle kept-alive connection gives its read and write buffers (about 34 kB each) back.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (!options.verify) {
    context.set_verify_mode(asio::ssl::verify_none);  // nothing to trust, nothing to load
  } else {
    context.set_verify_mode(asio::ssl::verify_peer);
    setup.source = find_ca_source(options, [](const char* name) { return std::getenv(name); });
    boost::system::error_code ec;
    switch (setup.source.kind) {
      case CaSource::Kind::file:
        context.load_verify_file(setup.source.path, ec);
        if (ec) setup.problem = "cannot load CA file " + setup.source.path + ": " + ec.message();
        break;
      case CaSource::Kind::directories: {
        std::string_view rest = setup.source.path;
        while (!rest.empty()) {
          const auto colon = rest.find(':');
          const std::string dir(rest.substr(0, colon));
          rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
          if (dir.empty()) continue;
          context.add_verify_path(dir, ec);
          if (ec) setup.problem = "cannot use CA directory " + dir + ": " + ec.message();
        }
        break;
      }
      case CaSource::Kind::none:
        setup.problem =
            "no CA certificates found (looked for SSL_CERT_FILE, SSL_CERT_DIR, /etc/ssl/certs, "
            "/etc/pki/tls/certs/ca-bundle.crt, /etc/ssl/certs/ca-certificates.crt); set LTF_CA_FILE";
        break;
    }
  }
  setup.rss_growth_kb = resident_kb() - before;
  return setup;
}

const boost::system::error_category& certificate_category() {
  static const CertificateCategory category;
  return category;
}

}  // namespace ltf::net
