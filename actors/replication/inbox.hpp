#pragma once

// An inbox (messages/replication_actors.hpp): the destination side of one
// source's link (ravendb-internals.md §4.6). It hands each batch to its
// instance and sends the acknowledgement back once the batch is durable,
// and passes on the instance's news about batches from other sources
// (Notify). While batches are being applied it tells the source so every
// few seconds (Processing), so that a long apply is not taken for a dead
// destination. It lives as long as the source's link: when the connection
// drops it ends, and the next hello makes a new one.

#include "messages/replication_actors.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <memory>
#include <string>

namespace corvus {

struct inbox_settings {
  std::string database;
  std::string source_db_id;
  std::string source_tag;
  replication_source_actor link;
  replication_applier_actor instance;
  /// How often the source hears that batches are still being applied.
  std::chrono::milliseconds keep_alive{3000};
  introspection_actor registry;
  uint64_t parent = 0;
  std::shared_ptr<spdlog::logger> log;
};

struct inbox_state {
  explicit inbox_state(inbox_actor::pointer self) : self(self) {
    // nop
  }

  inbox_actor::pointer self;
  inbox_settings settings;
  int64_t batches = 0;
  int64_t items = 0;
  int64_t accepted_etag = 0;
  /// Batches handed to the instance and not yet acknowledged.
  int64_t pending = 0;
  /// The keep-alive timer runs.
  bool keep_alive_armed = false;
  static inline const char* name = "replication-inbox";
};

inbox_actor::behavior_type
inbox(inbox_actor::stateful_pointer<inbox_state> self,
      inbox_settings settings);

} // namespace corvus
