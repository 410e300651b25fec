// The environment fake-lambda gives its extensions: its own, Lambda's variables, the fakes'
// endpoints and credentials, then --env.
#include "cli.hpp"

#include <algorithm>

extern char** environ;

namespace ltf::emulator::cli {

std::optional<std::string> env_option(const CommandLine& o, const std::string& key) {
  std::optional<std::string> out;
  for (const auto& e : o.env)
    if (e.rfind(key + "=", 0) == 0) out = e.substr(key.size() + 1);
  return out;
}

// What the fake Secrets Manager expects: the credentials and region the extensions are given.
FakeSecretsManager::Options fake_secrets_options(const CommandLine& o) {
  FakeSecretsManager::Options options;
  options.region = env_option(o, "AWS_REGION").value_or(o.scenario.region);
  options.credentials.access_key_id = env_option(o, "AWS_ACCESS_KEY_ID").value_or(std::string(kFakeAccessKeyId));
  options.credentials.secret_access_key =
      env_option(o, "AWS_SECRET_ACCESS_KEY").value_or(std::string(kFakeSecretAccessKey));
  options.credentials.session_token =
      env_option(o, "AWS_SESSION_TOKEN").value_or(std::string(kFakeSessionToken));
  return options;
}

std::vector<std::string> child_environment(const CommandLine& o, const std::string& runtime_api,
                                           const std::string& sink_url,
                                           const FakeSecretsManager* secrets) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry; ++entry) env.emplace_back(*entry);
  const auto& s = o.scenario;
  std::vector<std::string> lambda{"AWS_LAMBDA_RUNTIME_API=" + runtime_api,
                                  "AWS_REGION=" + s.region,
                                  "AWS_DEFAULT_REGION=" + s.region,
                                  "AWS_LAMBDA_FUNCTION_NAME=" + s.function_name,
                                  "AWS_LAMBDA_FUNCTION_VERSION=" + s.function_version,
                                  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + std::to_string(s.memory_mb)};
  auto set = [&](const std::string& entry) {
    const auto key = entry.substr(0, entry.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    env.push_back(entry);
  };
  for (const auto& entry : lambda) set(entry);
  if (s.managed_instances) {
    set("AWS_LAMBDA_INITIALIZATION_TYPE=lambda-managed-instances");
    set("AWS_LAMBDA_MAX_CONCURRENCY=" + std::to_string(s.max_concurrency));
  }
  auto user_set = [&](const std::string& key) {
    return std::any_of(env.begin(), env.end(), [&](const auto& e) { return e.rfind(key + "=", 0) == 0; }) ||
           std::any_of(o.env.begin(), o.env.end(), [&](const auto& e) { return e.rfind(key + "=", 0) == 0; });
  };
  if (!sink_url.empty() && o.otlp_protocol) {
    if (!user_set("LTF_OTLP_ENDPOINT")) set("LTF_OTLP_ENDPOINT=" + sink_url);
    if (!user_set("LTF_OTLP_PROTOCOL")) set("LTF_OTLP_PROTOCOL=http/" + *o.otlp_protocol);
  } else if (!sink_url.empty() && !user_set("DISPATCH_POST_URI")) {
    set("DISPATCH_POST_URI=" + sink_url);
  }
  if (secrets) {
    // The parent's own AWS credentials never reach the fake: it expects these (or --env's).
    const auto expected = fake_secrets_options(o);
    set("AWS_ACCESS_KEY_ID=" + expected.credentials.access_key_id);
    set("AWS_SECRET_ACCESS_KEY=" + expected.credentials.secret_access_key);
    set("AWS_SESSION_TOKEN=" + expected.credentials.session_token);
    if (!env_option(o, "AWS_ENDPOINT_URL_SECRETS_MANAGER"))
      set("AWS_ENDPOINT_URL_SECRETS_MANAGER=" + secrets->url());
    if (!env_option(o, "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"))
      set("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=" + std::to_string(secrets->port()));
  }
  for (const auto& entry : o.env) set(entry);
  return env;
}

}  // namespace ltf::emulator::cli
