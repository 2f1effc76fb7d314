#pragma once

// The storage committer of one database instance (messages/database.hpp):
// the one actor that writes the instance's store. Executed transactions
// arrive one by one from the database actor; while a sync runs, the next
// ones gather in the mailbox, and the next drain commits all of them as
// one synced batch (group commit). Local clients are answered right away;
// the database actor gets a report of what became durable.

#include "messages/database.hpp"
#include "storage/document_store.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace corvus {

/// How to run a committer.
struct storage_committer_config {
  std::shared_ptr<document_store> store;
  /// Where reports go: the database actor that owns the committer.
  commit_listener_actor listener;
  /// A batch takes no more entries once its writes exceed this; the rest
  /// go into the next one.
  uint64_t max_batch_bytes = 32ull << 20;
  /// Database name, for logs.
  std::string database;
  std::shared_ptr<spdlog::logger> log;
  /// Where the committer announces itself.
  introspection_actor registry;
  /// The database actor's id (its supervisor).
  uint64_t parent = 0;
};

struct storage_committer_state {
  explicit storage_committer_state(storage_committer_actor::pointer self)
    : self(self) {
    // nop
  }

  /// Commits the entries gathered since the last drain (up to the batch
  /// cap), answers them, and reports to the listener.
  void drain();

  storage_committer_actor::pointer self;
  storage_committer_config config;
  std::vector<commit_entry> pending;
  bool drain_scheduled = false;
  /// Set once a sync failed: nothing is committed any more.
  std::optional<failure> failed;
  /// What the committer has done, for introspection.
  int64_t batches = 0;
  int64_t transactions = 0;
  int64_t last_batch = 0;
  std::chrono::steady_clock::duration commit_time{0};
  static inline const char* name = "storage-committer";
};

/// Spawn detached in production: the committer blocks on fsync.
storage_committer_actor::behavior_type storage_committer(
  storage_committer_actor::stateful_pointer<storage_committer_state> self,
  storage_committer_config config);

} // namespace corvus
