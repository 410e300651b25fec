// fake-lambda's Lambda kinds as a user's own extension sees them (a small Python extension that
// subscribes with the schema SCHEMA names and counts the records it gets): the JSON log format
// and the tenant under each schema, a Lambda that knows only older schemas, and a SnapStart
// restore that an extension which does not expect its long-poll to be cut does not survive.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kExtension = R"(#!/usr/bin/env python3
import http.client, http.server, json, os, sys, threading
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
name = os.path.basename(sys.argv[0])
def call(method, path, body=None, headers={}):
    c = http.client.HTTPConnection(api, timeout=60)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    return r, r.read()
r, _ = call("POST", "/2020-01-01/extension/register",
            json.dumps({"events": ["INVOKE", "SHUTDOWN"]}), {"Lambda-Extension-Name": name})
me = {"Lambda-Extension-Identifier": r.getheader("Lambda-Extension-Identifier")}
seen = {"strings": 0, "objects": 0, "tenant": 0, "platform_tenant": 0}
class Listener(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        for e in json.loads(self.rfile.read(int(self.headers["Content-Length"]))):
            record = e.get("record")
            if e["type"] == "function":
                seen["strings" if isinstance(record, str) else "objects"] += 1
                text = record if isinstance(record, str) else json.dumps(record)
                seen["tenant"] += '"tenantId"' in text
            elif isinstance(record, dict) and "tenantId" in record:
                seen["platform_tenant"] += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Listener)
threading.Thread(target=server.serve_forever, daemon=True).start()
r, _ = call("PUT", "/2022-07-01/telemetry", json.dumps({
    "schemaVersion": os.environ["SCHEMA"], "types": ["platform", "function"],
    "buffering": {"maxItems": 1000, "maxBytes": 262144, "timeoutMs": 25},
    "destination": {"protocol": "HTTP", "URI": "http://sandbox.localdomain:%d/" % server.server_port}}), me)
print("subscribed: %d" % r.status, flush=True)
while True:
    r, body = call("GET", "/2020-01-01/extension/event/next", headers=me)
    if json.loads(body)["eventType"] == "SHUTDOWN":
        print("records: strings=%(strings)d objects=%(objects)d tenant=%(tenant)d "
              "platform_tenant=%(platform_tenant)d" % seen, flush=True)
        sys.exit(0)
)";

class FakeLambdaKinds : public ::testing::Test {
 protected:
  FakeLambdaKinds() {
    dir = fs::temp_directory_path() /
          ("fake-lambda-kinds-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir / "extensions");
    const auto path = dir / "extensions" / "pyext";
    std::ofstream(path) << kExtension;
    fs::permissions(path, fs::perms::owner_all);
  }
  ~FakeLambdaKinds() override { fs::remove_all(dir); }

  // Runs fake-lambda on the extension subscribing with `schema`; returns its exit status.
  int run(const std::string& schema, const std::string& args) {
    const auto command = std::string(LTF_FAKE_LAMBDA_BIN) + " --extensions-dir " +
                         (dir / "extensions").string() + " --env SCHEMA=" + schema +
                         " --verbose --report " + (dir / "report.json").string() + " " + args +
                         " > " + (dir / "out.txt").string() + " 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  json::value report() const { return json::parse(read(dir / "report.json")); }
  std::string output() const { return read(dir / "out.txt"); }
  static std::string read(const fs::path& path) {
    std::ifstream file(path);
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  }
  bool said(const std::string& text) const { return output().find(text) != std::string::npos; }

  fs::path dir;
};

// 2 invocations x 5 lines: 4 of each 5 formatted by the runtime (with the tenant), 1 the
// function's own JSON (without); platform.start, runtimeDone and report for each invocation.
constexpr const char* kWorkload = "--json-logs --tenant-id t1 --invocations 2 --lines 5";

TEST_F(FakeLambdaKinds, Schema2022_07_01GetsEveryJsonLineAsAStringAndNoPlatformTenant) {
  EXPECT_EQ(run("2022-07-01", std::string(kWorkload) + " --schema 2022-07-01"), 0) << output();
  EXPECT_TRUE(said("records: strings=10 objects=0 tenant=8 platform_tenant=0")) << output();
}

TEST_F(FakeLambdaKinds, Schema2025_01_29GetsObjectsAndTheTenantOnEveryInvocationEvent) {
  EXPECT_EQ(run("2025-01-29", kWorkload), 0) << output();
  EXPECT_TRUE(said("records: strings=0 objects=10 tenant=8 platform_tenant=6")) << output();
}

TEST_F(FakeLambdaKinds, Schema2022_12_13GetsObjectsButThePlatformTenantIsNotInIt) {
  EXPECT_EQ(run("2022-12-13", kWorkload), 0) << output();
  EXPECT_TRUE(said("records: strings=0 objects=10 tenant=8 platform_tenant=0")) << output();
}

TEST_F(FakeLambdaKinds, ALambdaThatKnowsOnlyOlderSchemasRefusesTheNewest) {
  EXPECT_EQ(run("2025-01-29", std::string(kWorkload) + " --schema 2022-12-13"), 5) << output();
  EXPECT_TRUE(said("subscribed: 400")) << output();
  EXPECT_EQ(report().at_pointer("/api_errors/0/error_type").as_string(), "ValidationError");
}

TEST_F(FakeLambdaKinds, AnExtensionThatDoesNotSurviveItsLongPollBeingCutFailsTheRestore) {
  EXPECT_EQ(run("2025-01-29", "--snapstart --invocations 2 --lines 1"), 4) << output();
  const auto r = report();
  EXPECT_EQ(r.at_pointer("/restores").as_int64(), 1);
  EXPECT_EQ(r.at_pointer("/extensions/0/error_type").as_string(), "Extension.Crash");
  EXPECT_EQ(r.at_pointer("/invocations").as_array().size(), 0u);
}

}  // namespace
