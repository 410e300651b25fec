#include "ltf/sinks.hpp"

#include "ltf/opensearch.hpp"
#include "ltf/otlp_sink.hpp"

#include <stdexcept>

namespace ltf::sinks {

boost::asio::awaitable<Delivery> DiscardSink::deliver(std::span<const telemetry::Event>) {
  co_return Delivery{Outcome::delivered, 0, {}, {}};
}

std::unique_ptr<Sink> make_sink(boost::asio::any_io_executor executor, const Config& config,
                                telemetry::FunctionIdentity function) {
  // load_config refuses URL together with DISPATCH_POST_URI: one destination per function.
  if (config.opensearch_url)
    return opensearch::make_opensearch_sink(std::move(executor), config, std::move(function));
  if (!config.dispatch_post_uri && !config.otlp()) return std::make_unique<DiscardSink>();
  HttpSinkOptions options;
  options.timeout = config.sink_timeout;
  options.connect_timeout = config.connect_timeout;
  options.handshake_timeout = config.handshake_timeout;
  options.compression = config.compression;
  options.sandbox = function.sandbox;
  options.tls.verify = config.tls_verify;
  if (config.ca_file) options.tls.ca_file = *config.ca_file;
  if (config.sigv4_service) {
    aws::RequestSigner signer;  // credentials and region from the environment, per request
    signer.service = *config.sigv4_service;
    options.sigv4 = std::move(signer);
  }
  // Headers for either destination: fixed ones (LTF_HEADERS, or LTF_OTLP_HEADERS for OTLP) and
  // those from LTF_HEADERS_SECRET and AUTH_SECRET; one source, shared by OTLP's three signals.
  const HttpHeaders& fixed = config.otlp() ? config.otlp_headers : config.http_headers;
  if (!fixed.empty() || config.headers_secret || config.opensearch_auth_secret)
    options.headers = std::make_shared<HeaderSource>(executor, header_source_options(config, fixed));
  if (config.otlp())
    return otlp::make_otlp_sink(std::move(executor), config, std::move(options), std::move(function));
  std::string why;
  auto url = net::parse_http_url(*config.dispatch_post_uri, &why);
  // load_config has already refused such a value; a Config built by hand may not have been
  // validated. The URL itself stays out of the message: it may carry credentials.
  if (!url) throw std::invalid_argument("DISPATCH_POST_URI is not a usable http(s) URL: " + why);
  return std::make_unique<HttpSink>(std::move(executor), std::move(*url), std::move(options));
}

}  // namespace ltf::sinks
