// The fakes' own SigV4 check (sigv4::verify) against the official vectors in shared/vectors/sigv4:
// each signed request, as a service would receive it, must give the vector's canonical request,
// string to sign and signature, be accepted, and be refused once anything signed is changed.
#include "ltf/fake_aws.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ltf::emulator {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace http = net::http;

const fs::path kRoot = fs::path(LTF_SHARED_DIR) / "vectors" / "sigv4";

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing vector file " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string chomp(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// How the suites write a header line that starts with whitespace: the classic suite means
// another value of the same header, aws-c-auth an obs-fold continuing the value.
enum class Fold { another_value, same_value };

struct Case {
  std::string name;
  net::Request request;  // as received: signed headers, Authorization, body
  AwsCredentials credentials;
  std::string region = "us-east-1", service = "service";
  std::chrono::system_clock::time_point time;
  bool normalize = true;
  bool token_unsigned = false;     // S3-style token added after signing
  // SOURCE.txt: two classic .creq files list content-length, which their .sts and .authz left out.
  bool creq_is_defective = false;
  // Found here: post-x-www-form-urlencoded-parameters' .sts was computed over "charset=utf8"
  // while its .req and .sreq send "charset=utf-8", so no request matches its signature.
  bool request_is_inconsistent = false;
  std::string creq, sts, signature;
};

// A raw HTTP/1.1 request file, read as bytes: the request line's target is kept verbatim (some
// carry raw spaces and UTF-8 on purpose).
net::Request read_request(const std::string& raw, Fold fold) {
  net::Request request;
  request.version(11);
  std::istringstream in(raw);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto first_space = line.find(' ');
  const auto version_at = line.rfind(" HTTP/");
  request.method_string(line.substr(0, first_space));
  request.target(line.substr(first_space + 1, version_at - first_space - 1));
  std::string name, value;  // the header being read; continuation lines may extend it
  bool pending = false;
  const auto flush = [&] {
    if (pending) request.insert(name, value);
    pending = false;
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      if (fold == Fold::same_value) {
        value += "\n" + line;
      } else {
        flush();
        value = line;
        pending = true;
      }
      continue;
    }
    flush();
    const auto colon = line.find(':');
    name = line.substr(0, colon);
    value = line.substr(colon + 1);
    pending = true;
  }
  flush();
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  request.body() = body;
  return request;
}

std::chrono::system_clock::time_point at_2015_08_30() {
  using namespace std::chrono;
  return sys_days{year{2015} / August / 30} + hours{12} + minutes{36};
}

std::vector<Case> classic_suite() {
  std::vector<Case> cases;
  for (const auto& entry : fs::recursive_directory_iterator(kRoot / "aws-sig-v4-test-suite")) {
    if (entry.path().extension() != ".sreq") continue;
    const fs::path stem = entry.path().parent_path() / entry.path().stem();
    Case c;
    c.name = "classic_" + entry.path().stem().string();
    c.request = read_request(slurp(entry.path()), Fold::another_value);
    c.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
    if (auto token = c.request.find("X-Amz-Security-Token"); token != c.request.end())
      c.credentials.session_token = std::string(token->value());
    c.time = at_2015_08_30();
    c.creq = chomp(slurp(stem.string() + ".creq"));
    c.sts = chomp(slurp(stem.string() + ".sts"));
    const std::string authz = chomp(slurp(stem.string() + ".authz"));
    c.signature = authz.substr(authz.rfind('=') + 1);
    c.token_unsigned = c.name.ends_with("header-after");
    c.creq_is_defective = c.name.ends_with("x-www-form-urlencoded") ||
                          c.name.ends_with("x-www-form-urlencoded-parameters");
    c.request_is_inconsistent = c.name.ends_with("x-www-form-urlencoded-parameters");
    cases.push_back(std::move(c));
  }
  return cases;
}

std::vector<Case> context_suite(const std::string& prefix, const fs::path& root) {
  std::vector<Case> cases;
  for (const auto& entry : fs::directory_iterator(root)) {
    const fs::path dir = entry.path();
    if (!fs::exists(dir / "context.json")) continue;
    const json::object context = json::parse(slurp(dir / "context.json")).as_object();
    const auto text = [&](const json::object& o, const char* key) {
      return std::string(o.at(key).as_string());
    };
    const json::object& creds = context.at("credentials").as_object();
    Case c;
    c.name = prefix + dir.filename().string();
    c.request = read_request(slurp(dir / "header-signed-request.txt"), Fold::same_value);
    if (fs::exists(dir / "body.bin")) c.request.body() = slurp(dir / "body.bin");
    c.credentials = {text(creds, "access_key_id"), text(creds, "secret_access_key"),
                     creds.contains("token") ? text(creds, "token") : ""};
    c.region = text(context, "region");
    c.service = text(context, "service");
    // Every vector of both suites is signed at 2015-08-30T12:36:00Z; a different one is loud.
    if (text(context, "timestamp") != "2015-08-30T12:36:00Z")
      throw std::runtime_error(c.name + ": unexpected timestamp");
    c.time = at_2015_08_30();
    if (context.contains("normalize")) c.normalize = context.at("normalize").as_bool();
    c.token_unsigned =
        context.contains("omit_session_token") && context.at("omit_session_token").as_bool();
    c.creq = chomp(slurp(dir / "header-canonical-request.txt"));
    c.sts = chomp(slurp(dir / "header-string-to-sign.txt"));
    c.signature = chomp(slurp(dir / "header-signature.txt"));
    cases.push_back(std::move(c));
  }
  return cases;
}

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = [] {
    std::vector<Case> all = classic_suite();
    for (auto& c : context_suite("crt_", kRoot / "aws-c-auth-v4")) all.push_back(std::move(c));
    for (auto& c : context_suite("botocore_", kRoot / "botocore-generated"))
      all.push_back(std::move(c));
    std::sort(all.begin(), all.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
    return all;
  }();
  return cases;
}

sigv4::Expectation expectation(const Case& c) {
  sigv4::Expectation e;
  e.credentials = c.credentials;
  e.region = c.region;
  e.service = c.service;
  e.now = c.time;
  e.normalize_path = c.normalize;
  return e;
}

class SigV4Vector : public testing::TestWithParam<Case> {};

TEST_P(SigV4Vector, GivesTheVectorsCanonicalRequestStringToSignAndSignature) {
  const Case& c = GetParam();
  const auto authorization =
      sigv4::parse_authorization(c.request.at(http::field::authorization));
  ASSERT_TRUE(authorization);
  const std::string creq = sigv4::canonical_request(
      c.request, authorization->signed_headers, sigv4::sha256_hex(c.request.body()), c.normalize);
  if (!c.creq_is_defective) {
    EXPECT_EQ(creq, c.creq);
  }
  const std::string scope = authorization->date + "/" + c.region + "/" + c.service + "/aws4_request";
  const std::string amz_date(c.request.at("X-Amz-Date"));
  const std::string sts = sigv4::string_to_sign(amz_date, scope, creq);
  if (!c.request_is_inconsistent) {
    EXPECT_EQ(sts, c.sts);
  }
  EXPECT_EQ(sigv4::signature(c.credentials.secret_access_key, authorization->date, c.region,
                             c.service, c.sts),
            c.signature);
  EXPECT_EQ(authorization->signature, c.signature);
}

TEST_P(SigV4Vector, IsAcceptedAsSignedAndRefusedWhenTampered) {
  const Case& c = GetParam();
  const auto verdict = sigv4::verify(c.request, expectation(c));
  if (c.request_is_inconsistent) {
    EXPECT_EQ(verdict.code, "InvalidSignatureException");  // see request_is_inconsistent
    return;
  }
  if (c.token_unsigned) {
    // The fakes' services want the session token signed (spec 3.2); the S3-style variant is not.
    EXPECT_EQ(verdict.code, "IncompleteSignatureException") << verdict.reason;
    return;
  }
  ASSERT_TRUE(verdict) << verdict.code << ": " << verdict.reason;

  net::Request other_body = c.request;
  other_body.body() += "x";
  EXPECT_EQ(sigv4::verify(other_body, expectation(c)).code, "InvalidSignatureException");

  net::Request other_date = c.request;
  other_date.set("X-Amz-Date", "20150830T123601Z");
  EXPECT_EQ(sigv4::verify(other_date, expectation(c)).code, "InvalidSignatureException");

  auto wrong_secret = expectation(c);
  wrong_secret.credentials.secret_access_key += "x";
  EXPECT_EQ(sigv4::verify(c.request, wrong_secret).code, "InvalidSignatureException");
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
  std::string name = info.param.name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Official, SigV4Vector, testing::ValuesIn(all_cases()), case_name);

TEST(SigV4Vectors, EveryCaseOfTheThreeSuitesIsRead) {
  const auto& cases = all_cases();
  const auto count = [&](std::string_view prefix) {
    return std::count_if(cases.begin(), cases.end(),
                         [&](const Case& c) { return c.name.starts_with(prefix); });
  };
  EXPECT_EQ(count("classic_"), 31);
  EXPECT_EQ(count("crt_"), 38);
  EXPECT_EQ(count("botocore_"), 8);
}

}  // namespace
}  // namespace ltf::emulator
