// The configuration's OpenSearch settings, with what is left unset worked out from the endpoint's
// host name: AWS endpoints say which service they are, and in which region.
#include "ltf/opensearch.hpp"

#include "ltf/log.hpp"

#include <stdexcept>

namespace ltf::opensearch {

namespace {

// "search-logs-abc.eu-west-1.es.amazonaws.com" -> {"eu-west-1", "es"}; also for aoss, VPC
// endpoints ("vpc-...") and the China partition (.amazonaws.com.cn). Empty for other hosts.
struct AwsHost {
  std::string region;
  std::string service;
};

AwsHost aws_host(std::string_view host) {
  for (std::string_view suffix : {".amazonaws.com", ".amazonaws.com.cn"}) {
    if (!host.ends_with(suffix)) continue;
    std::string_view rest = host.substr(0, host.size() - suffix.size());  // ...<region>.<service>
    const auto service_dot = rest.rfind('.');
    if (service_dot == std::string_view::npos) return {};
    const std::string_view service = rest.substr(service_dot + 1);
    if (service != "es" && service != "aoss") return {};
    rest = rest.substr(0, service_dot);
    const auto region_dot = rest.rfind('.');
    if (region_dot == std::string_view::npos) return {};
    return {std::string(rest.substr(region_dot + 1)), std::string(service)};
  }
  return {};
}

const char* to_string(AuthMode mode) {
  switch (mode) {
    case AuthMode::none: return "none";
    case AuthMode::basic: return "basic";
    case AuthMode::sigv4: return "sigv4";
  }
  return "?";
}

}  // namespace

AuthMode resolve_auth(const Config& config, std::string_view host) {
  using Auth = Config::OpenSearchAuth;
  switch (config.opensearch_auth) {
    case Auth::basic: return AuthMode::basic;
    case Auth::sigv4: return AuthMode::sigv4;
    case Auth::none: return AuthMode::none;
    case Auth::automatic: break;
  }
  // Serverless accepts SigV4 only: a secret could never work there.
  if (resolve_service(config, host) == "aoss") return AuthMode::sigv4;
  // The seed's way first: a function configured with AUTH_SECRET for a domain with fine-grained
  // access control keeps working unchanged.
  if (config.opensearch_auth_secret) return AuthMode::basic;
  if (!aws_host(host).service.empty()) return AuthMode::sigv4;
  return AuthMode::none;
}

std::string resolve_service(const Config& config, std::string_view host) {
  if (config.opensearch_service) return *config.opensearch_service;
  const AwsHost aws = aws_host(host);
  return aws.service.empty() ? "es" : aws.service;
}

std::string resolve_region(const Config& config, std::string_view host) {
  if (config.opensearch_region) return *config.opensearch_region;
  const AwsHost aws = aws_host(host);
  return aws.region.empty() ? config.region : aws.region;
}

std::unique_ptr<OpenSearchSink> make_opensearch_sink(boost::asio::any_io_executor executor,
                                                     const Config& config,
                                                     telemetry::FunctionIdentity function) {
  if (!config.opensearch_url) throw std::invalid_argument("URL is not set");
  std::string why;
  auto url = net::parse_http_url(*config.opensearch_url, &why);
  // load_config has refused such a value already; a Config made by hand may not have been checked.
  // The URL stays out of the message: it may carry credentials.
  if (!url) throw std::invalid_argument("URL is not a usable http(s) URL: " + why);

  const std::string service = resolve_service(config, url->host);
  TransportOptions transport;
  transport.timeout = config.sink_timeout;
  transport.connect_timeout = config.connect_timeout;
  transport.handshake_timeout = config.handshake_timeout;
  transport.tls.verify = config.tls_verify;
  if (config.ca_file) transport.tls.ca_file = *config.ca_file;
  transport.auth = resolve_auth(config, url->host);
  std::string auth_detail;
  if (transport.auth == AuthMode::basic) {
    if (!config.opensearch_auth_secret)
      throw std::invalid_argument("LTF_OPENSEARCH_AUTH is basic but AUTH_SECRET is not set");
    transport.basic = secret_basic_auth(executor, aws::secrets_options(config),
                                        *config.opensearch_auth_secret);
    auth_detail = " from " + transport.basic->describe();
  } else if (transport.auth == AuthMode::sigv4) {
    const std::string region = resolve_region(config, url->host);
    transport.signer.service = service;
    // The function role's credentials, read at each signing; the region is the endpoint's.
    transport.signer.credentials = [region, from_environment = aws::environment_credentials()](
                                       std::string* reason) -> std::optional<aws::AwsEnvironment> {
      auto aws = from_environment(reason);
      if (aws && !region.empty()) aws->region = region;
      return aws;
    };
    transport.signer.add_content_sha256 = true;  // required by aoss, harmless to es
    auth_detail = " (service " + service + ", region " + region + ")";
    if (config.opensearch_auth_secret)
      LTF_LOG(warning) << "AUTH_SECRET is ignored: requests to " << url->host
                       << " are signed with the function's role (SigV4"
                       << (service == "aoss" ? "; OpenSearch Serverless accepts nothing else)"
                                             : ", LTF_OPENSEARCH_AUTH=sigv4)");
  }
  transport.url = std::move(*url);
  const AuthMode auth = transport.auth;

  SinkOptions options;
  options.indices = {config.platform_index, config.function_index, config.extension_index};
  options.dead_letter_index = config.opensearch_dlq_index;
  // Serverless time-series and vector collections refuse custom ids; search collections take
  // them (LTF_OPENSEARCH_ID_MODE=create).
  options.document_ids = config.opensearch_document_ids.value_or(service != "aoss");
  options.data_streams = config.opensearch_data_streams;
  options.bootstrap = config.opensearch_bootstrap;
  options.gzip = config.compression == Compression::gzip;
  options.filter_response = service != "aoss";
  options.function = std::move(function);

  auto sink = std::make_unique<OpenSearchSink>(std::move(executor), std::move(transport), options);
  LTF_LOG(info) << "sending to " << sink->describe() << ", auth " << to_string(auth)
                << auth_detail << ", indices " << options.indices.platform << " "
                << options.indices.function << " " << options.indices.extension
                << (options.document_ids ? ", event ids as document ids" : ", server-made ids");
  return sink;
}

}  // namespace ltf::opensearch
