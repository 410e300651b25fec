// Differential test against botocore, the signer of the AWS Python SDK: a spread of requests
// (methods, paths with characters that need encoding, queries, repeated and untidy headers,
// bodies with and without bytes outside ASCII, with and without a session token, for es, aoss,
// osis and execute-api) is signed by sign_request() here and by botocore.auth.SigV4Auth in
// botocore_sign.py, and everything must match. botocore is required: CI installs
// python3-botocore (scripts/setup.sh), and its absence fails the test instead of skipping it.
#include "ltf/aws.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace http = ltf::net::http;
using namespace std::chrono;

// Beside this file. Not from __FILE__: with Ninja it is relative to the build directory, which is
// not where ctest runs the test. LTF_SHARED_DIR is "<project>/../shared", so its grandparent
// path is the project.
const fs::path kScript = fs::path(LTF_SHARED_DIR).parent_path().parent_path() / "test" / "unit" /
                         "aws" / "botocore_sign.py";

struct Shape {
  http::verb method;
  std::string target;  // origin-form, as sent
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

std::string binary_body() {
  // gzip magic, NULs and high bytes: the payload hash must cover the raw bytes.
  std::string body = "\x1f\x8b\x08";
  body.push_back('\0');
  for (int i = 0; i < 300; ++i) body.push_back(static_cast<char>((i * 37) & 0xff));
  return body;
}

std::vector<Shape> shapes() {
  const std::string ndjson =
      "{\"create\":{\"_index\":\"lambda-function\",\"_id\":\"3f1c\"}}\n"
      "{\"@timestamp\":\"2024-02-29T23:59:59.999Z\",\"message\":\"caf\xc3\xa9 \\\"quoted\\\"\"}\n";
  return {
      {http::verb::post, "/_bulk", {{"Content-Type", "application/x-ndjson"}}, ndjson},
      {http::verb::post,
       "/lambda-logs/_bulk",
       {{"Content-Type", "application/x-ndjson"}, {"Content-Encoding", "gzip"}},
       binary_body()},
      {http::verb::put,
       "/_index_template/lambda-telemetry?cluster_manager_timeout=30s&create=false",
       {{"Content-Type", "application/json"}},
       "{\"index_patterns\":[\"lambda-*\"],\"priority\":100}"},
      {http::verb::head, "/lambda-platform", {}, ""},
      {http::verb::get,
       "/lambda-logs-2024.01.01/_search?q=level%3AERROR%20AND%20x&size=10&from=0",
       {{"Accept", "application/json"}},
       ""},
      {http::verb::delete_, "/idx/_doc/a%2Fb%20c", {}, ""},
      {http::verb::get, "/%E2%9C%93/caf%C3%A9?%E1%88%B4=%E2%9C%93&b=&a=2&a=1&a=10", {}, ""},
      {http::verb::get, "/a/./b/../c//d/?x=%2B%26%3D", {}, ""},
      {http::verb::get, "/_plugins/../_cluster/health/", {}, ""},
      {http::verb::post, "/a/b!$&'()*+,;=:@c~d", {{"Content-Type", "text/plain"}}, "x"},
      {http::verb::patch,
       "/prod/users/123",
       {{"Content-Type", "application/json"},
        {"X-Custom", "  first   value  "},
        {"x-custom", "second\tvalue"},
        {"X-MiXeD-Case", "Keeps  Value Case"},
        {"User-Agent", "ltf-test/1.0"}},
       "{\"name\":\"\xe2\x9c\x93\"}"},
      {http::verb::get, "/?list-type=2&prefix=logs%2F2024", {}, ""},
      {http::verb::options, "/", {{"Origin", "https://example.com"}}, ""},
      {http::verb::post,
       "/",
       {{"Content-Type", "application/x-amz-json-1.1"},
        {"X-Amz-Target", "secretsmanager.GetSecretValue"}},
       "{\"SecretId\":\"prod/opensearch\"}"},
  };
}

struct Case {
  std::string id;
  ltf::net::Request request;
  std::string host;
  std::string token;
  ltf::aws::SigningParams params;
  ltf::aws::Signature ours;
};

std::string amz(system_clock::time_point t) {
  const std::time_t s = system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&s, &utc);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(digits[static_cast<unsigned char>(c) >> 4]);
    out.push_back(digits[static_cast<unsigned char>(c) & 0x0f]);
  }
  return out;
}

std::vector<Case> build_cases() {
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"es", "search-telemetry-abc123.us-east-1.es.amazonaws.com"},
      {"aoss", "abcdefghij0123456789.eu-west-3.aoss.amazonaws.com"},
      {"osis", "pipeline-xyz.ap-southeast-2.osis.amazonaws.com"},
      {"execute-api", "a1b2c3.execute-api.us-east-1.amazonaws.com:8443"},
  };
  const std::vector<system_clock::time_point> times = {
      sys_days{2015y / 8 / 30} + 12h + 36min,
      sys_days{2024y / 2 / 29} + 23h + 59min + 59s,
      sys_days{2031y / 1 / 1},
  };
  const ltf::aws::Credentials base{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  std::vector<Case> cases;
  int n = 0;
  for (const auto& [service, host] : endpoints) {
    for (const Shape& shape : shapes()) {
      for (bool with_token : {false, true}) {
        Case c;
        c.id = std::to_string(n) + ":" + service + " " +
               std::string(http::to_string(shape.method)) + " " + shape.target +
               (with_token ? " +token" : "");
        c.request = ltf::net::Request{shape.method, shape.target, 11};
        for (const auto& [name, value] : shape.headers) c.request.insert(name, value);
        c.request.body() = shape.body;
        c.host = host;
        c.token = with_token ? "IQoJb3JpZ2luX2VjEXAMPLE/+=TOKEN" + std::to_string(n) : "";
        c.params.service = service;
        c.params.region = service == "aoss"   ? "eu-west-3"
                          : service == "osis" ? "ap-southeast-2"
                                              : "us-east-1";
        c.params.time = times[static_cast<std::size_t>(n) % times.size()];
        // Required for aoss; harmless elsewhere, so exercised for es on every other case too.
        c.params.add_content_sha256 = service == "aoss" || (service == "es" && n % 2 == 0);
        cases.push_back(std::move(c));
        ++n;
      }
    }
  }
  return cases;
}

json::array botocore_input(const std::vector<Case>& cases) {
  json::array out;
  for (const Case& c : cases) {
    json::array headers;
    for (const auto& field : c.request) {
      const std::string name(field.name_string());
      // Host comes from the URL on botocore's side. User-Agent is passed on purpose: neither
      // signer may sign it.
      if (name == "Host") continue;
      headers.push_back(json::array{json::string(name), json::string(field.value())});
    }
    json::object o;
    o["id"] = c.id;
    o["method"] = std::string(c.request.method_string());
    o["url"] = "https://" + c.host + std::string(c.request.target());
    o["headers"] = std::move(headers);
    o["body_hex"] = hex(c.request.body());
    o["region"] = c.params.region;
    o["service"] = c.params.service;
    o["access_key"] = "AKIDEXAMPLE";
    o["secret_key"] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    o["token"] = c.token.empty() ? json::value(nullptr) : json::value(c.token);
    o["timestamp"] = amz(c.params.time);
    o["content_sha256"] = c.params.add_content_sha256;
    out.push_back(std::move(o));
  }
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The first interpreter on which `import botocore` works: python3 from PATH, else Debian's own
// (python3-botocore installs for /usr/bin/python3, which a pyenv or venv python3 may shadow).
std::optional<std::string> python_with_botocore() {
  for (std::string candidate : {"python3", "/usr/bin/python3"}) {
    const std::string probe = candidate + " -c 'import botocore.auth' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return candidate;
  }
  return std::nullopt;
}

TEST(BotocoreDifferential, SignsEveryRequestExactlyLikeBotocore) {
  const auto python = python_with_botocore();
  ASSERT_TRUE(python) << "botocore is not importable from python3 or /usr/bin/python3. This test "
                         "compares our SigV4 signer with botocore's and needs it: install the "
                         "Debian package python3-botocore (scripts/setup.sh does).";
  ASSERT_TRUE(fs::exists(kScript)) << kScript;

  std::vector<Case> cases = build_cases();
  for (Case& c : cases) {
    const ltf::aws::Credentials credentials{"AKIDEXAMPLE",
                                            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", c.token};
    std::string why;
    auto signature = ltf::aws::sign_request(c.request, c.host, credentials, c.params, &why);
    ASSERT_TRUE(signature) << c.id << ": " << why;
    c.ours = std::move(*signature);
  }

  // botocore gets each request as it was before signing: rebuild them without our headers.
  std::vector<Case> unsigned_cases = build_cases();
  const fs::path dir = fs::temp_directory_path();
  const std::string tag = "ltf-botocore-" + std::to_string(::getpid());
  const fs::path input = dir / (tag + ".in.json");
  const fs::path output = dir / (tag + ".out.json");
  const fs::path errors = dir / (tag + ".err.txt");
  std::ofstream(input, std::ios::binary) << json::serialize(botocore_input(unsigned_cases));

  const std::string command = *python + " '" + kScript.string() + "' '" + input.string() + "' > '" +
                              output.string() + "' 2> '" + errors.string() + "'";
  const int status = std::system(command.c_str());
  const std::string out = read_file(output);
  const std::string err = read_file(errors);
  fs::remove(input);
  fs::remove(output);
  fs::remove(errors);
  ASSERT_EQ(status, 0) << "botocore_sign.py failed:\n" << err;

  std::map<std::string, json::object> theirs;
  boost::system::error_code parse_error;
  const json::value parsed = json::parse(out, parse_error);
  ASSERT_TRUE(!parse_error && parsed.is_array()) << "botocore_sign.py printed:\n" << out;
  for (const json::value& v : parsed.as_array()) {
    theirs[std::string(v.as_object().at("id").as_string())] = v.as_object();
  }
  ASSERT_EQ(theirs.size(), cases.size());

  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    const json::object& b = theirs.at(c.id);
    EXPECT_EQ(c.ours.canonical_request, std::string(b.at("canonical_request").as_string()));
    EXPECT_EQ(c.ours.string_to_sign, std::string(b.at("string_to_sign").as_string()));
    EXPECT_EQ(c.ours.authorization, std::string(b.at("authorization").as_string()));
    // And the request as it will be sent carries the same signing headers.
    EXPECT_EQ(c.request[http::field::authorization], b.at("authorization").as_string());
    EXPECT_EQ(c.request["X-Amz-Date"], b.at("x_amz_date").as_string());
    if (c.token.empty()) {
      EXPECT_TRUE(b.at("x_amz_security_token").is_null());
      EXPECT_EQ(c.request.count("X-Amz-Security-Token"), 0u);
    } else {
      EXPECT_EQ(c.request["X-Amz-Security-Token"], b.at("x_amz_security_token").as_string());
    }
    if (c.params.add_content_sha256) {
      EXPECT_EQ(c.request["X-Amz-Content-Sha256"], b.at("x_amz_content_sha256").as_string());
    }
  }
}

}  // namespace
