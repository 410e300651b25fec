#pragma once
// What an HTTP answer's status means for whoever sent the request: the one rule every client of
// ours (the HTTP and OpenSearch sinks, index bootstrap, bulk items, Secrets Manager) follows.

namespace ltf::net {

enum class StatusMeaning {
  success,         // 2xx: the peer has it
  retry,           // 408, 429, 5xx: timeouts, throttling, server trouble pass; also a 1xx or 3xx
                   // that reached us (nothing was accepted; redirects are not followed, since the
                   // body would go somewhere the user did not configure)
  reauthenticate,  // 401, 403: credentials refused: fetch them again, retry with backoff
  too_large,       // 413: the request is too large: split it
  refused,         // any other 4xx: the request itself is wrong; sending it again won't help
};

// Whose rules: ours for every destination, or OTLP's (its specification retries only 429, 502,
// 503 and 504; any other 4xx or 5xx is refused). Under both, 401/403 re-authenticate and retry
// with backoff (a rotated credential must not cost events) and 413 splits the batch.
enum class StatusRules { general, otlp };

StatusMeaning meaning_of_status(unsigned status, StatusRules rules = StatusRules::general);

}  // namespace ltf::net
