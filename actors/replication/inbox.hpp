#pragma once

// An inbox (messages/replication_actors.hpp): the destination side of one
// source's link (ravendb-internals.md §4.6). It hands each batch to its
// instance and sends the acknowledgement back once the batch is durable,
// and passes on the instance's news about batches from other sources
// (Notify). It lives as long as the source's link: when the connection
// drops it ends, and the next hello makes a new one.

#include "messages/replication_actors.hpp"

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace corvus {

struct inbox_settings {
  std::string database;
  std::string source_db_id;
  std::string source_tag;
  replication_source_actor link;
  replication_applier_actor instance;
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
  static inline const char* name = "replication-inbox";
};

inbox_actor::behavior_type
inbox(inbox_actor::stateful_pointer<inbox_state> self,
      inbox_settings settings);

} // namespace corvus
