#include "runtime/net/reconnect_schedule.hpp"

#include <algorithm>

namespace corvus {

reconnect_schedule::reconnect_schedule(backoff_policy policy)
  : policy_(policy), backoff_(policy.initial) {
  // nop
}

bool reconnect_schedule::connected() {
  auto after_outage = !last_error_.empty();
  backoff_ = policy_.initial;
  last_error_.clear();
  ++connections_;
  return after_outage;
}

reconnect_schedule::retry
reconnect_schedule::failed(const std::string& reason,
                           std::optional<std::chrono::milliseconds> quick) {
  retry next;
  next.delay = quick.value_or(backoff_);
  next.start_timer = !queued_;
  next.new_reason = reason != last_error_;
  queued_ = true;
  last_error_ = reason;
  if (!quick)
    backoff_ = std::min(backoff_ * policy_.factor, policy_.max);
  return next;
}

} // namespace corvus
