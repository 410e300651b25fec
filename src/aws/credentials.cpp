// Lambda hands an extension the function role's temporary credentials through its environment.
// They are secrets: nothing here ever puts the secret key or the token into a message.
#include "ltf/aws.hpp"

namespace ltf::aws {
namespace {

const std::string* find(const Environment& env, std::string_view name) {
  auto it = env.find(name);
  return (it == env.end() || it->second.empty()) ? nullptr : &it->second;
}

}  // namespace

std::string Credentials::describe() const {
  // The key id is not secret, but its tail is enough to tell two roles apart in a log.
  std::string id =
      access_key_id.size() > 8
          ? access_key_id.substr(0, 4) + "..." + access_key_id.substr(access_key_id.size() - 4)
          : std::string(access_key_id.empty() ? "(none)" : "(short)");
  return "access key " + id + ", secret " + (secret_access_key.empty() ? "missing" : "set") +
         ", session token " + (session_token.empty() ? "absent" : "present");
}

std::variant<AwsEnvironment, std::vector<ConfigError>> aws_from_environment(
    const Environment& env) {
  std::vector<ConfigError> errors;
  AwsEnvironment out;
  auto required = [&](std::string_view name, std::string& into) {
    if (const std::string* value = find(env, name)) {
      into = *value;
    } else {
      errors.push_back({std::string(name),
                        "is not set: the function's role credentials are "
                        "needed to sign requests to AWS"});
    }
  };
  required("AWS_ACCESS_KEY_ID", out.credentials.access_key_id);
  required("AWS_SECRET_ACCESS_KEY", out.credentials.secret_access_key);
  if (const std::string* token = find(env, "AWS_SESSION_TOKEN"))
    out.credentials.session_token = *token;

  if (const std::string* region = find(env, "AWS_REGION")) {
    out.region = *region;
  } else if (const std::string* fallback = find(env, "AWS_DEFAULT_REGION")) {
    out.region = *fallback;
  } else {
    errors.push_back({"AWS_REGION", "is not set: the signing region cannot be known"});
  }
  if (!errors.empty()) return errors;
  return out;
}

}  // namespace ltf::aws

namespace ltf::aws {

CredentialsProvider environment_credentials() {
  return [](std::string* why) -> std::optional<AwsEnvironment> {
    auto result = aws_from_environment(process_environment());
    if (auto* aws = std::get_if<AwsEnvironment>(&result)) return std::move(*aws);
    if (why) *why = describe(std::get<std::vector<ConfigError>>(result));
    return std::nullopt;
  };
}

CredentialsProvider fixed_credentials(AwsEnvironment aws) {
  return [aws = std::move(aws)](std::string*) -> std::optional<AwsEnvironment> { return aws; };
}

}  // namespace ltf::aws
