#pragma once

// When an actor that owns a connection to another node tries again (the
// Raft peer link, the outgoing replication link): a back-off that grows by
// a factor up to a cap and starts over once connected, at most one attempt
// queued at a time, and the reason of the last failure, so that an outage
// is logged once and not at every attempt. Pure: the owner runs the timer.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace corvus {

struct backoff_policy {
  std::chrono::milliseconds initial{500};
  int factor = 2;
  std::chrono::milliseconds max{60'000};
};

class reconnect_schedule {
public:
  /// What to do after a failure.
  struct retry {
    /// How long until the next attempt.
    std::chrono::milliseconds delay{0};
    /// Start a timer for it: none is pending yet.
    bool start_timer = false;
    /// The reason differs from the last one: worth a log line.
    bool new_reason = false;
  };

  /// Starts with an attempt queued: the owner makes the first one at once.
  explicit reconnect_schedule(backoff_policy policy);

  /// The queued attempt is due (the owner's timer fired).
  void due() {
    queued_ = false;
  }

  /// An attempt begins.
  void attempt() {
    ++attempts_;
  }

  /// The attempt succeeded: the back-off starts over.
  /// @returns whether this ends an outage (a failure came before).
  bool connected();

  /// An attempt or the connection failed for `reason`. The next attempt
  /// comes after the back-off, which then grows, or after `quick` when
  /// given (the other side asked to be tried again soon), which leaves the
  /// back-off as it is.
  retry failed(const std::string& reason,
               std::optional<std::chrono::milliseconds> quick = std::nullopt);

  /// The delay the next failure waits (unless quick).
  std::chrono::milliseconds backoff() const {
    return backoff_;
  }

  /// The last failure's reason; empty while connected.
  const std::string& last_error() const {
    return last_error_;
  }

  int64_t attempts() const {
    return attempts_;
  }

  int64_t connections() const {
    return connections_;
  }

private:
  backoff_policy policy_;
  std::chrono::milliseconds backoff_;
  std::string last_error_;
  bool queued_ = true;
  int64_t attempts_ = 0;
  int64_t connections_ = 0;
};

} // namespace corvus
