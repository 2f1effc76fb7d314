#pragma once

// The simulation's stand-in for a member's synced storage: it keeps exactly
// what ready.hpp says the owner persists, so a crash loses everything else.

#include "runtime/raft/core.hpp"

#include <algorithm>

namespace corvus::sim {

struct raft_storage_model {
  raft::durable_state durable;

  /// Persists `r` as the owner would, in one synced write.
  void persist(const raft::ready& r) {
    if (r.new_hard_state)
      durable.state = *r.new_hard_state;
    if (r.new_snapshot)
      durable.snap = *r.new_snapshot;
    auto& log = durable.entries;
    if (r.discard_through > 0)
      log.erase(std::remove_if(log.begin(), log.end(),
                               [&](const raft::entry& e) {
                                 return e.index <= r.discard_through;
                               }),
                log.end());
    if (!r.entries.empty()) {
      auto first = r.entries.front().index;
      log.erase(std::remove_if(log.begin(), log.end(),
                               [&](const raft::entry& e) {
                                 return e.index >= first;
                               }),
                log.end());
      log.insert(log.end(), r.entries.begin(), r.entries.end());
    }
  }
};

} // namespace corvus::sim
