// meaning_of_status: the retry / re-authenticate / give-up rule, written once.
#include "ltf/http_status.hpp"

namespace ltf::net {

StatusMeaning meaning_of_status(unsigned status, StatusRules rules) {
  if (status >= 200 && status < 300) return StatusMeaning::success;
  if (status == 401 || status == 403) return StatusMeaning::reauthenticate;
  if (status == 413) return StatusMeaning::too_large;
  if (rules == StatusRules::otlp && status >= 400)
    return status == 429 || status == 502 || status == 503 || status == 504 ? StatusMeaning::retry
                                                                            : StatusMeaning::refused;
  if (status == 408 || status == 429 || status >= 500) return StatusMeaning::retry;
  if (status >= 400) return StatusMeaning::refused;
  return StatusMeaning::retry;  // 1xx, 3xx
}

}  // namespace ltf::net
