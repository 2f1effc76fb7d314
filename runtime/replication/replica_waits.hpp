#pragma once

// Writes waiting until enough other instances of their database group hold
// them (write assurance, ravendb-internals.md §4.9): a batch asked to wait
// for N replicas completes once N destinations have acknowledged a change
// vector that covers the batch's; on its deadline it fails (the write
// stays committed). Each outgoing link reports the destination's vector as
// it is acknowledged; waits complete as soon as a report makes enough.
//
// Pure: the caller reports acknowledgements and the time.

#include "runtime/documents/change_vector.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace corvus {

class replica_waits {
public:
  using wait_id = uint64_t;

  /// @returns how many destinations' acknowledged vectors cover `version`.
  size_t covering(const change_vector& version) const;

  /// Registers a wait for `replicas` destinations to cover `version` by
  /// `deadline` (the caller's clock). @returns nothing when enough already
  /// do (nothing is registered), else the wait's id.
  std::optional<wait_id> add(change_vector version, size_t replicas,
                             int64_t deadline);

  /// `destination` acknowledged `acked` (a reply or a heartbeat).
  /// @returns the waits this satisfied, now removed.
  std::vector<wait_id> acknowledged(const std::string& destination,
                                    const change_vector& acked);

  /// `destination` left the group: its acknowledgements no longer count.
  void forget(const std::string& destination);

  /// @returns the waits whose deadline is at or before `now`, removed, with
  ///          how many destinations covered them by then.
  std::vector<std::pair<wait_id, size_t>> expire(int64_t now);

  size_t pending() const {
    return waits_.size();
  }

private:
  struct wait {
    change_vector version;
    size_t replicas = 0;
    int64_t deadline = 0;
    /// Destinations whose acknowledged vector covers `version`.
    size_t reached = 0;
  };

  std::map<std::string, change_vector> acked_;
  std::map<wait_id, wait> waits_;
  wait_id next_ = 1;
};

} // namespace corvus
