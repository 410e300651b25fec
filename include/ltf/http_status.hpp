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

StatusMeaning meaning_of_status(unsigned status);

}  // namespace ltf::net
