#pragma once

// The simulation's stand-in for a member's storage: it keeps exactly what
// ready.hpp says the owner persists, and a crash loses what was not synced
// (a commit index written without a sync, see ready::needs_sync).

#include "runtime/raft/core.hpp"
#include "test/fixtures/raft_durable_model.hpp"

namespace corvus::sim {

struct raft_storage_model {
  raft::durable_state durable;
  /// The hard state as of the last synced write.
  raft::hard_state synced;

  /// Persists `r` as the owner does (raft_store::save).
  void persist(const raft::ready& r) {
    auto sync = r.needs_sync(durable.state);
    test::persist_naively(durable, r);
    if (sync)
      synced = durable.state;
  }

  /// What survives a crash: the commit index falls back to the last synced
  /// one (term and vote are always synced).
  void crash() {
    durable.state = synced;
  }
};

} // namespace corvus::sim
