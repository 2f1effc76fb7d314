#pragma once

// The introspection registry of a node (messages/introspection.hpp): one
// per node, no process-global state. Actors announce themselves at spawn;
// the registry monitors them, forgets them when they end, and gathers their
// snapshots on request, asking every actor concurrently and marking the
// ones that do not answer within the bound as unresponsive.

#include "messages/introspection.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace corvus {

struct registry_state {
  explicit registry_state(introspection_actor::pointer self) : self(self) {
    // nop
  }

  /// Asks the entries `ids` for a snapshot; calls `done` with
  /// the views once all answered or timed out.
  void gather(std::vector<uint64_t> ids,
              std::function<void(std::vector<actor_view>)> done);

  /// The registry's own snapshot.
  std::string own_snapshot() const;

  introspection_actor::pointer self;
  /// How long an actor may take to answer a snapshot request.
  caf::timespan snapshot_timeout;
  /// Registered actors by id (spawn order).
  std::map<uint64_t, actor_registration> entries;
  std::vector<restart_view> restarts;
  /// Restarts by (kind, name).
  std::map<std::pair<std::string, std::string>, int64_t> restart_counts;
  static inline const char* name = "introspection-registry";
};

introspection_actor::behavior_type
introspection_registry(introspection_actor::stateful_pointer<registry_state> self,
                       caf::timespan snapshot_timeout);

} // namespace corvus
