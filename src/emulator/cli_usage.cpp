// fake-lambda's usage text (--help, and after a usage error): every option, grouped as the
// parsing in cli_options.cpp reads them, and the exit statuses.
#include "cli.hpp"

namespace ltf::emulator::cli {

const char* usage() {
  return R"(usage: fake-lambda [options] (--extension PATH ... | --extensions-dir DIR)

Runs Lambda extensions as real processes against an emulated Lambda (Extensions API + Telemetry
API on 127.0.0.1), drives Init -> N invocations -> Shutdown and prints what happened. Each
executable's file name is its extension name and counts as external, as in /opt/extensions.

Extensions
  --extension PATH         run this executable (repeatable)
  --extensions-dir DIR     run every non-directory entry of DIR, in lexical order
  --env K=V                extra environment for the extensions (repeatable)
  --verbose                echo the extensions' output to stderr ("[name] line"); without it,
                           an extension's init or exit error message and the last lines it
                           wrote are still shown when it fails

Workload
  --invocations N          invocations to run (default 10)
  --lines K                function log lines per invocation (default 10)
  --line-bytes B           bytes per function line (default 100)
  --log-format text|json   function log format (default text)
  --json-logs              Lambda's JSON log format (--log-format json): the runtime's lines
                           arrive as {"timestamp","level","requestId","message"} objects, every
                           5th line as the object the function wrote as JSON itself; under
                           schema 2022-07-01 every record is a string
  --tenant-id ID           a tenant-isolated function invoked for tenant ID: tenantId on
                           platform.start, runtimeDone and report (schema 2025-01-29) and in the
                           JSON-format lines
  --function-ms MS         how long the fake runtime works per invoke (default 1)
  --idle-ms MS             frozen time between invocations (default 0)
  --no-tracing             no X-Ray tracing in INVOKE and platform events
  --seed N                 seed for the sink's failure draws (default 1)

Telemetry API and SnapStart
  --schema V               the newest schemaVersion this Lambda knows: 2022-07-01, 2022-12-13 or
                           2025-01-29 (default). A subscription with a newer one is refused with
                           400 ValidationError; each subscriber's events are shaped by the
                           version it asked for
  --snapstart              SnapStart: Init once, then the frozen sandbox is the snapshot and is
                           restored before the first invocation: every connection the extensions
                           had is cut (the parked /event/next too), event times jump an hour,
                           platform.restoreStart, restoreRuntimeDone and restoreReport are sent
                           once every extension is back in /event/next (within 10 s)
  --restores N             with --snapstart: restore N times, at even intervals among the
                           invocations (default 1). The same processes are restored each time:
                           a process cannot be copied, so this is not N clones of one snapshot

Limits
  --timeout-ms MS          function timeout: INVOKE deadlineMs (default 3000)
  --init-timeout-ms MS     Init limit (default 10000)
  --shutdown-budget-ms MS  Shutdown phase (default 2000; 300 ms of it is the runtime's)
  --no-freeze              do not SIGSTOP/SIGCONT the extensions between invocations
  --port N                 serve the Runtime API on this port (default: any free port)
  --kill-extension-at N    SIGKILL the extensions after invocation N (1-based) and start them
                           again as Lambda does after a crash: Init runs again before
                           invocation N+1, /tmp is kept

Lambda Managed Instances
  --managed-instances      emulate a Managed Instances environment: the extensions get
                           AWS_LAMBDA_INITIALIZATION_TYPE=lambda-managed-instances and
                           AWS_LAMBDA_MAX_CONCURRENCY; they may register for SHUTDOWN only
                           (INVOKE: 403 Extension.InvalidEventType) and subscribe with schema
                           2025-01-29 only (others: 400 ValidationError); /event/next gives
                           SHUTDOWN alone; no freeze; invocations run concurrently and their
                           lines interleave; no platform.runtimeDone; platform.report carries
                           durationMs and the responseLatency/responseDuration spans only; each
                           telemetry POST carries a Sequence-Id header
  --concurrency N          invocations in flight at once, as AWS_LAMBDA_MAX_CONCURRENCY says
                           (1-1600, default 8); needs --managed-instances

Sink (a recording HTTP destination on 127.0.0.1)
  --sink                   run it; DISPATCH_POST_URI points at it unless already set
  --otlp protobuf|json     the sink is an OTLP/HTTP receiver: LTF_OTLP_ENDPOINT (instead of
                           DISPATCH_POST_URI) and LTF_OTLP_PROTOCOL point at it unless already
                           set; it decodes /v1/logs, /v1/metrics, /v1/traces and the report
                           counts LogRecords, data points, spans and the resource (implies --sink)
  --sink-port N            listen on this port (default: any free port), e.g. behind a proxy
  --sink-down A-B          it refuses connections during invocations A..B (1-based, inclusive)
  --sink-fail-rate P       it answers 503 to a fraction P of requests
  --sink-fault F           it fails in this way, for the whole run unless --sink-fault-during:
                             refuse          connections refused
                             hang            reads the request, never answers
                             garbage         answers bytes that are not HTTP
                             reset           records the batch, then resets the connection
                                             half-way through the answer's head
                             drip:MS         records the batch, answers one byte per MS ms
                             status:CODE     answers CODE (100-599), records nothing
                             throttle:S      answers 429 with Retry-After: S (seconds)
                             max-body:BYTES  answers 413 to bodies larger than BYTES
  --sink-fault-during A-B  only during invocations A..B (1-based, inclusive); --sink-down wins
                           where both apply, --sink-fail-rate applies elsewhere
  --sink-require-header [N:]NAME=VALUE
                           it answers 401 (and records nothing) to requests whose header NAME
                           is not VALUE, from invocation N on (default 1: from the start; a
                           later N for the same NAME replaces the value then, as a rotated
                           token does). Repeatable

Secrets (a fake AWS Secrets Manager on 127.0.0.1, for destinations whose credentials are in one)
  --secret ID=JSON         serve the secret named ID (no '=' in it) with JSON as its SecretString
                           (repeatable). The extensions get AWS_ENDPOINT_URL_SECRETS_MANAGER and
                           PARAMETERS_SECRETS_EXTENSION_HTTP_PORT pointing at it (it also plays the
                           Parameters and Secrets extension) and fake credentials
                           (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) unless
                           --env gives them; requests must be SigV4-signed with those credentials
                           for AWS_REGION (--env AWS_REGION=..., default us-east-1)
  --rotate-secret N:ID=JSON
                           when invocation N starts, the secret ID's SecretString becomes JSON
                           (a rotation; it needs --secret ID=...). Repeatable

OpenSearch (a fake OpenSearch on 127.0.0.1, see include/ltf/fake_opensearch.hpp)
  --opensearch             run it; URL points at it unless already set. --sink-down A-B takes
                           it down (connections refused) during those invocations instead of
                           starting the recording sink
  --opensearch-auth U:P    it requires HTTP basic auth with user U and password P
  --opensearch-429-rate F  it answers 429 rejected_execution_exception to a fraction F of the
                           bulk items (seeded by --seed)

Output
  --report FILE            write the full report as JSON (it carries fake-lambda's version)
  --rss-at LIST            read the extensions' VmRSS and VmHWM when these percentages of the
                           invocations have started (default 10,50,100; see Measurements)
  --version                print the version and exit
  --help, -h               print this and exit

Measurements
  peak RSS                 each extension process's own high-water mark (VmHWM in
                           /proc/PID/status), sampled at every freeze, before every kill and
                           every 10 ms during Shutdown, until it exits
  RSS at points of the run VmRSS and VmHWM of each extension when P % of the invocations
                           have started, for each P of --rss-at LIST (default 10,50,100;
                           100: after the last invocation, before SHUTDOWN)
  line delivery latency    per function line, from the fake runtime writing it to --sink
                           reading it: p50, p99, max
  telemetry at Shutdown    what is still buffered for a subscriber is delivered before
                           SHUTDOWN is sent, as Lambda does (within half the Shutdown budget)

Exit codes (the first that applies)
  0  the run completed: every extension subscribed, no line was lost
  1  bad command line
  2  emulator error (cannot listen, interrupted, ...)
  3  Init failed (an extension failed to launch or register in time, called init/error, crashed)
  4  an extension failed after Init (crash, exit/error, or an invocation timed out)
  5  an extension never subscribed to the Telemetry API
  6  function lines were lost: produced but never received by --sink, or dropped by the
     platform because a subscriber fell behind
)";
}

}  // namespace ltf::emulator::cli
