// Signing a Beast request in place: the request's own target, headers and body are what gets
// signed, so what is sent and what is signed cannot drift apart.
#include "ltf/aws.hpp"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace ltf::aws {

std::optional<Signature> sign_request(net::Request& request, std::string_view host_header,
                                      const Credentials& credentials, const SigningParams& params,
                                      std::string* why) {
  const auto target = boost::urls::parse_origin_form(request.target());
  if (!target) {
    if (why) *why = "request target is not a valid path and query: " + target.error().message();
    return std::nullopt;
  }

  request.set(net::http::field::host, host_header);

  SigningRequest input;
  input.method = std::string(request.method_string());
  input.path = std::string(target->encoded_path());
  // '+' stays a literal plus: SigV4 services decode the query without form rules, so a space
  // must be sent as %20 (which is what uri_encode produces).
  const boost::urls::encoding_opts plain{/*space_as_plus=*/false};
  for (const auto& param : target->params(plain)) {
    input.query.push_back({param.key, param.has_value ? param.value : std::string()});
  }
  for (const auto& field : request) {
    std::string name(field.name_string());
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (is_unsignable_header(name)) continue;
    input.headers.push_back({std::move(name), std::string(field.value())});
  }
  input.payload = request.body();

  Signature signature = sign(input, credentials, params);
  for (const Header& h : signature.headers) request.set(h.name, h.value);
  return signature;
}

}  // namespace ltf::aws

namespace ltf::aws {

std::string host_header(const net::HttpUrl& url) {
  // Mirrors HttpClient, which sets Host itself: a mismatch here would be a 403 at the service.
  std::string out = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != "80" && url.port != "443") out += ":" + url.port;
  return out;
}

std::optional<std::string> RequestSigner::sign(net::Request& request,
                                               std::string_view host) const {
  std::string why;
  const std::optional<AwsEnvironment> aws = credentials ? credentials(&why) : std::nullopt;
  if (!aws) return "no AWS credentials to sign with: " + (why.empty() ? "none configured" : why);
  SigningParams params;
  params.region = aws->region;
  params.service = service;
  params.time = std::chrono::system_clock::now();
  params.add_content_sha256 = add_content_sha256;
  if (!sign_request(request, host, aws->credentials, params, &why)) return why;
  return std::nullopt;
}

}  // namespace ltf::aws
