// fake-lambda's verdicts and measurements with real extension processes (a small Python
// extension whose behaviour each test picks): exit statuses 5 and 6, the version, error messages
// and echoed lines, peak RSS from the process's own VmHWM, telemetry flushed before SHUTDOWN.
#include "ltf/version.hpp"

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

// The extension. MODE (from --env) picks what it does:
//   plain      registers, never subscribes, prints two lines, exits at SHUTDOWN
//   init-error registers, reports an init error with a message, exits 1
//   drop       subscribes; its listener takes every batch and forwards nothing
//   count      subscribes with a 30 s buffering window, so only a flush at Shutdown's start can
//              bring the lines before SHUTDOWN; prints how many function lines it had then
//   grow       as count, and at SHUTDOWN fills 96 MiB, holds it a little, then exits
constexpr const char* kExtension = R"(#!/usr/bin/env python3
import http.client, http.server, json, os, sys, threading, time
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
mode = os.environ.get("MODE", "plain")
name = os.path.basename(sys.argv[0])
def call(method, path, body=None, headers={}):
    c = http.client.HTTPConnection(api, timeout=60)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    return r, r.read()
r, _ = call("POST", "/2020-01-01/extension/register",
            json.dumps({"events": ["INVOKE", "SHUTDOWN"]}), {"Lambda-Extension-Name": name})
me = {"Lambda-Extension-Identifier": r.getheader("Lambda-Extension-Identifier")}
if mode == "init-error":
    call("POST", "/2020-01-01/extension/init/error",
         json.dumps({"errorMessage": "LTF_FLUSH_TIMEOUT_MS is not a number: 'soon'",
                     "errorType": "Extension.ConfigInvalid", "stackTrace": []}),
         dict(me, **{"Lambda-Extension-Function-Error-Type": "Extension.ConfigInvalid"}))
    sys.exit(1)
lines = [0]
class Listener(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        events = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        lines[0] += sum(1 for e in events if e["type"] == "function")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
if mode != "plain":
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    window = 30000 if mode in ("count", "grow") else 25
    call("PUT", "/2022-07-01/telemetry", json.dumps({
        "schemaVersion": "2022-12-13", "types": ["platform", "function"],
        "buffering": {"maxItems": 10000, "maxBytes": 1048576, "timeoutMs": window},
        "destination": {"protocol": "HTTP",
                        "URI": "http://sandbox.localdomain:%d/" % server.server_port}}), me)
print("[%s] says hello" % name, flush=True)
print("plain words", flush=True)
while True:
    r, body = call("GET", "/2020-01-01/extension/event/next", headers=me)
    if json.loads(body)["eventType"] == "SHUTDOWN":
        print("function lines before SHUTDOWN: %d" % lines[0], flush=True)
        hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
        print("own VmHWM at SHUTDOWN: %s kB" % hwm, flush=True)
        if mode == "grow":
            ballast = b"x" * (96 << 20)
            time.sleep(0.3)  # held long enough to be sampled: fake-lambda samples every 10 ms
        sys.exit(0)
)";

class FakeLambdaOutcome : public ::testing::Test {
 protected:
  FakeLambdaOutcome() {
    dir = fs::temp_directory_path() /
          ("fake-lambda-outcome-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir / "extensions");
    const auto path = dir / "extensions" / "pyext";
    std::ofstream(path) << kExtension;
    fs::permissions(path, fs::perms::owner_all);
  }
  ~FakeLambdaOutcome() override { fs::remove_all(dir); }

  // Runs fake-lambda on the extension in `mode`; returns its exit status.
  int run(const std::string& mode, const std::string& args) {
    const auto command = std::string(LTF_FAKE_LAMBDA_BIN) + " --extensions-dir " +
                         (dir / "extensions").string() + " --env MODE=" + mode + " --report " +
                         (dir / "report.json").string() + " " + args + " > " +
                         (dir / "out.txt").string() + " 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  json::value report() const { return json::parse(read(dir / "report.json")); }
  std::string output() const { return read(dir / "out.txt"); }
  static std::string read(const fs::path& path) {
    std::ifstream file(path);
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  }
  std::uint64_t peak_rss_kb() const {
    return report().at_pointer("/extensions/0/peak_rss_kb").to_number<std::uint64_t>();
  }

  fs::path dir;
};

TEST_F(FakeLambdaOutcome, VersionAndHelpWorkWithoutExtensionsAndHelpListsEveryExitStatus) {
  const auto version = std::string(LTF_FAKE_LAMBDA_BIN) + " --version > " + (dir / "out.txt").string();
  EXPECT_EQ(std::system(version.c_str()), 0);
  EXPECT_EQ(output(), "fake-lambda " + std::string(ltf::version()) + "\n");
  const auto help = std::string(LTF_FAKE_LAMBDA_BIN) + " --help > " + (dir / "out.txt").string();
  EXPECT_EQ(std::system(help.c_str()), 0);
  for (const char* status : {"\n  5  ", "\n  6  ", "--version"})
    EXPECT_NE(output().find(status), std::string::npos) << status;
}

TEST_F(FakeLambdaOutcome, AnExtensionThatNeverSubscribesEndsTheRunWithStatus5) {
  EXPECT_EQ(run("plain", "--invocations 2 --lines 3"), 5) << output();
  const auto r = report();
  EXPECT_EQ(r.at_pointer("/exit_status").as_int64(), 5);
  EXPECT_NE(std::string(r.at_pointer("/exit_reason").as_string()).find("never subscribed"),
            std::string::npos);
  EXPECT_EQ(r.at_pointer("/version").as_string(), ltf::version());
}

TEST_F(FakeLambdaOutcome, LinesThatNeverReachTheSinkEndTheRunWithStatus6) {
  EXPECT_EQ(run("drop", "--invocations 2 --lines 3 --sink"), 6) << output();
  EXPECT_EQ(report().at_pointer("/sink/lines/lost").to_number<std::uint64_t>(), 6u);
  EXPECT_NE(output().find("6 of 6 function lines never reached the sink"), std::string::npos)
      << output();
}

TEST_F(FakeLambdaOutcome, ASubscribedExtensionWithoutASinkCompletesWithStatus0) {
  EXPECT_EQ(run("drop", "--invocations 2 --lines 3"), 0) << output();
  EXPECT_EQ(report().at_pointer("/exit_reason").as_string(), "");
}

TEST_F(FakeLambdaOutcome, AnInitErrorsMessageIsShownWithoutVerbose) {
  EXPECT_EQ(run("init-error", "--invocations 1"), 3) << output();
  const std::string message = "LTF_FLUSH_TIMEOUT_MS is not a number: 'soon'";
  EXPECT_NE(output().find("error: Extension.ConfigInvalid: " + message), std::string::npos)
      << output();
  EXPECT_EQ(report().at_pointer("/extensions/0/error_message").as_string(), message);
}

TEST_F(FakeLambdaOutcome, EchoedLinesCarryTheExtensionsNameOnce) {
  EXPECT_EQ(run("drop", "--invocations 1 --lines 1 --verbose"), 0) << output();
  const std::string out = "\n" + output();  // every line, the first included, follows a '\n'
  EXPECT_NE(out.find("\n[pyext] says hello\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("[pyext] [pyext]"), std::string::npos) << out;
  EXPECT_NE(out.find("\n[pyext] plain words\n"), std::string::npos) << out;
}

TEST_F(FakeLambdaOutcome, BufferedTelemetryReachesTheExtensionBeforeShutdown) {
  // The extension's window is 30 s: without a flush at Shutdown's start, none of the 15 lines
  // would have reached it when SHUTDOWN came, and it exits at once.
  EXPECT_EQ(run("count", "--invocations 3 --lines 5 --shutdown-budget-ms 4000 --verbose"), 0)
      << output();
  EXPECT_NE(output().find("function lines before SHUTDOWN: 15"), std::string::npos) << output();
  EXPECT_EQ(report().at_pointer("/events_delivered/platform.report").to_number<std::uint64_t>(),
            3u);
}

TEST_F(FakeLambdaOutcome, PeakRssIsTheExtensionsOwnHighWaterMarkUpToItsExit) {
  ASSERT_EQ(run("count", "--invocations 1 --lines 1 --verbose"), 0) << output();
  // What the process itself read just before exiting, not fake-lambda's pages at spawn.
  const std::string said = "own VmHWM at SHUTDOWN: ";
  const auto at = output().find(said);
  ASSERT_NE(at, std::string::npos) << output();
  const auto own = std::stoull(output().substr(at + said.size()));
  // fake-lambda samples every 10 ms during Shutdown and cannot read an exited process: the
  // pages the extension touches between its print and its exit may fall after the last sample
  // (4 KiB once, in CI). Far less than fake-lambda's own pages at spawn would add.
  EXPECT_GE(peak_rss_kb() + 64, own);
  EXPECT_LE(peak_rss_kb(), own + 1024);  // at most a little growth between its print and its end

  // 96 MiB filled after SHUTDOWN, held briefly, then exit: only a sample taken during Shutdown,
  // from the process itself, sees it.
  ASSERT_EQ(run("grow", "--invocations 1 --lines 1 --shutdown-budget-ms 4000"), 0) << output();
  EXPECT_GE(peak_rss_kb(), 96u * 1024);
  // Of which anonymous memory, not pages of the interpreter's files.
  const auto figure = [&](const char* pointer) {
    return report().at_pointer(pointer).to_number<std::uint64_t>();
  };
  EXPECT_GE(figure("/extensions/0/peak_rss_anon_kb"), 96u * 1024);
  EXPECT_GT(figure("/extensions/0/peak_rss_file_kb"), 0u);
  EXPECT_LT(figure("/extensions/0/peak_rss_file_kb"), 96u * 1024);
}

}  // namespace
