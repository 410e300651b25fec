// FakeOpenSearch against the OpenAPI bundle (every operation it serves exists there, its bulk
// responses carry the required fields), and fake-lambda --opensearch run as a user runs it.
#include "fake_opensearch_fixture.hpp"

#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace ltf::emulator {
namespace {

using namespace ostest;

// --- the OpenAPI bundle

// path -> methods, read from the bundle's `paths:` section by indentation: a path is a
// two-space-indented "/...:" line, its methods four-space-indented "get:" lines under it.
std::map<std::string, std::set<std::string>> openapi_operations(const std::string& yaml) {
  static const std::set<std::string> methods{"get", "put", "post", "head", "delete", "patch"};
  std::map<std::string, std::set<std::string>> out;
  std::istringstream lines(yaml);
  std::string line, path;
  bool in_paths = false;
  while (std::getline(lines, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (!line.empty() && line[0] != ' ') break;  // the next top-level section
    if (line.empty() || line.back() != ':') continue;
    const auto key = line.substr(0, line.size() - 1);
    if (key.rfind("  /", 0) == 0 && key.find(' ', 2) == std::string::npos) path = key.substr(2);
    else if (!path.empty() && key.rfind("    ", 0) == 0 && methods.count(key.substr(4)))
      out[path].insert(key.substr(4));
  }
  return out;
}

// The `required:` list of one schema under components.schemas.
std::set<std::string> required_fields(const std::string& yaml, const std::string& schema) {
  const auto at = yaml.find("\n    " + schema + ":\n");
  EXPECT_NE(at, std::string::npos) << schema;
  std::set<std::string> out;
  if (at == std::string::npos) return out;
  std::istringstream lines(yaml.substr(at + 1));
  std::string line;
  std::getline(lines, line);  // the schema's own line
  bool in_required = false;
  while (std::getline(lines, line)) {
    if (line.rfind("    ", 0) != 0 || line[4] != ' ') break;  // the next schema
    if (line == "      required:") in_required = true;
    else if (in_required && line.rfind("        - ", 0) == 0) out.insert(line.substr(10));
    else in_required = false;
  }
  return out;
}

TEST(FakeOpenSearchOpenApi, EveryServedOperationExistsInTheBundle) {
  const auto yaml = shared_file("specs/opensearch-openapi.yaml");
  ASSERT_GT(yaml.size(), 1000000u);
  const auto operations = openapi_operations(yaml);
  ASSERT_GT(operations.size(), 100u);
  const auto served = fake_opensearch_operations();
  ASSERT_GE(served.size(), 15u);
  for (const auto& op : served) {
    std::string method = op.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto it = operations.find(op.path);
    ASSERT_NE(it, operations.end()) << op.path;
    EXPECT_TRUE(it->second.count(method)) << op.method << " " << op.path;
  }
}

TEST_F(FakeOpenSearchTest, BulkResponsesCarryTheSchemasRequiredFields) {
  const auto yaml = shared_file("specs/opensearch-openapi.yaml");
  const auto response_required = required_fields(yaml, "_core.bulk___BulkResponse");
  const auto item_required = required_fields(yaml, "_core.bulk___ResponseItem");
  EXPECT_EQ(response_required, (std::set<std::string>{"took", "errors", "items"}));
  EXPECT_EQ(item_required, (std::set<std::string>{"_index", "status"}));

  os->set_item_rejection_rate(0.5);
  std::string body;  // every kind of outcome: created, 409, 429, mapping failure, not_found
  for (int i = 0; i < 6; ++i)
    body += R"({"create":{"_index":"shape","_id":"s)" + std::to_string(i % 3) + "\"}}\n" +
            (i == 4 ? R"({"v":{"o":1}})" : R"({"v":1})") + "\n";
  body += R"({"delete":{"_index":"shape","_id":"gone"}})" "\n";
  body += R"({"update":{"_index":"shape","_id":"gone"}})" "\n" R"({"doc":{"v":2}})" "\n";
  const auto answer = bulk(body);
  ASSERT_EQ(answer.status, 200u);
  for (const auto& field : response_required) EXPECT_TRUE(answer.body.as_object().contains(field)) << field;
  std::set<std::int64_t> statuses;
  for (const auto& entry : answer.body.at("items").as_array()) {
    ASSERT_EQ(entry.as_object().size(), 1u);  // keyed by the op type sent
    const auto& result = entry.as_object().begin()->value().as_object();
    for (const auto& field : item_required) EXPECT_TRUE(result.contains(field)) << field;
    if (result.contains("error")) {
      EXPECT_TRUE(result.at("error").as_object().contains("type"));
    }
    statuses.insert(result.at("status").as_int64());
  }
  EXPECT_TRUE(statuses.count(429));
  EXPECT_TRUE(statuses.count(201));
}

// --- fake-lambda --opensearch

// An "extension" that is only a bash script: it posts the same bulk request twice to $URL over
// /dev/tcp during Init and exits (which fails Init; the report is written all the same).
class FakeLambdaOpenSearchCli : public ::testing::Test {
 protected:
  FakeLambdaOpenSearchCli() {
    dir = std::filesystem::temp_directory_path() /
          ("fake-lambda-opensearch-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir / "extensions");
  }
  ~FakeLambdaOpenSearchCli() override { std::filesystem::remove_all(dir); }

  void poster(const std::string& authorization) {
    const auto path = dir / "extensions" / "poster";
    std::ofstream(path) << "#!/bin/bash\n"
                        << "hostport=${URL#http://}\n"
                        << "AUTH=" << (authorization.empty() ? "''" : "$'Authorization: " + authorization + "\\r\\n'") << "\n"
                        << R"(BODY=$'{"create":{"_index":"lambda-function","_id":"a"}}\n{"n":1}\n')" "\n"
                        << "post() {\n"
                        << "  exec 3<>/dev/tcp/${hostport%:*}/${hostport#*:} || exit 9\n"
                        << "  printf 'POST /_bulk HTTP/1.1\\r\\nHost: %s\\r\\nContent-Type: application/x-ndjson\\r\\n"
                           "%sContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s' "
                           "\"$hostport\" \"$AUTH\" \"${#BODY}\" \"$BODY\" >&3\n"
                        << "  cat <&3 >/dev/null\n"
                        << "  exec 3<&-\n"
                        << "}\n"
                        << "post\npost\nexit 0\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  }

  int run(const std::string& args) {
    const auto command = std::string(LTF_FAKE_LAMBDA_BIN) + " --extensions-dir " +
                         (dir / "extensions").string() + " --report " +
                         (dir / "report.json").string() + " --invocations 2 " + args + " > " +
                         (dir / "out.txt").string() + " 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  json::value report() const {
    std::ifstream file(dir / "report.json");
    return json::parse(std::string((std::istreambuf_iterator<char>(file)),
                                   std::istreambuf_iterator<char>()));
  }
  std::string output() const {
    std::ifstream file(dir / "out.txt");
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  }

  std::filesystem::path dir;
};

TEST_F(FakeLambdaOpenSearchCli, ReportsDocumentsPerIndexAndConflicts) {
  poster("");
  EXPECT_EQ(run("--opensearch --sink-down 1-1"), 3) << output();  // the poster "crashed" Init
  const auto r = report();
  EXPECT_EQ(r.at_pointer("/opensearch/requests"), 2) << output();
  EXPECT_EQ(r.at_pointer("/opensearch/conflicts"), 1);
  EXPECT_EQ(r.at_pointer("/opensearch/indices/lambda-function/documents"), 1);
  EXPECT_EQ(r.at_pointer("/opensearch/indices/lambda-function/duplicates"), 0);
  EXPECT_FALSE(r.as_object().contains("sink"));  // --sink-down went to OpenSearch, no sink ran
  EXPECT_NE(output().find("lambda-function: 1 documents, 0 duplicates"), std::string::npos)
      << output();
}

TEST_F(FakeLambdaOpenSearchCli, AuthOptionRequiresTheLogin) {
  poster("Basic " + base64("user:pa:ss"));
  EXPECT_EQ(run("--opensearch-auth user:pa:ss"), 3) << output();
  EXPECT_EQ(report().at_pointer("/opensearch/auth_failures"), 0) << output();
  EXPECT_EQ(report().at_pointer("/opensearch/documents"), 1);

  poster("Basic " + base64("user:wrong"));
  EXPECT_EQ(run("--opensearch-auth user:pa:ss --opensearch-429-rate 0.5"), 3) << output();
  EXPECT_EQ(report().at_pointer("/opensearch/auth_failures"), 2);
  EXPECT_EQ(report().at_pointer("/opensearch/documents"), 0);

  EXPECT_EQ(run("--opensearch-auth nocolon"), 1);
  EXPECT_EQ(run("--opensearch-429-rate 2"), 1);
}

}  // namespace
}  // namespace ltf::emulator
