#pragma once

// A database instance actor (messages/database.hpp): the entry point for the
// writes of one database on this node. It owns the instance's storage
// writer, linked to it so that they fail together, and the supervisor (the
// node actor) restarts both from storage.

#include "actors/database/storage_writer.hpp"
#include "messages/database.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <memory>
#include <string>

namespace corvus {

/// How to run a database instance.
struct database_config {
  storage_writer_config writer;
  /// Run the writer on its own thread (production) or on the scheduler
  /// (deterministic tests, where every actor must run under the test
  /// coordinator).
  bool detached_writer = true;
};

struct database_instance_state {
  explicit database_instance_state(database_actor::pointer self) : self(self) {
    // nop
  }

  /// @returns the error for work arriving while the instance stops.
  caf::error stopping_error() const;

  database_actor::pointer self;
  storage_writer_actor writer;
  /// The database's name, for messages.
  std::string database;
  /// Set once an orderly stop began: new work is refused, accepted work
  /// finishes.
  bool stopping = false;
  static inline const char* name = "database";
};

database_actor::behavior_type
database_instance(database_actor::stateful_pointer<database_instance_state> self,
                  database_config config);

} // namespace corvus
