#pragma once

// The local side of replication: what links and instances tell each other
// within a node (the wire messages are in messages/replication.hpp).

#include "messages/introspection.hpp"
#include "messages/replication.hpp"
#include "messages/type_ids.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <string>

namespace corvus {

/// A link reports what its destination acknowledged (write assurance
/// counts destinations whose vector covers a write).
struct destination_acked {
  std::string tag;
  std::string change_vector;
};

/// An instance tells its link to a sibling what that sibling holds: the
/// versions it just sent us (so they are not sent back).
struct destination_holds {
  std::string change_vector;
};

/// The part of a database instance its links report to.
using replication_listener_actor
  = caf::typed_actor<caf::reacts_to<destination_acked>>;

/// An outgoing link (actors/replication/outgoing_link.hpp).
using outgoing_link_actor = replication_source_actor::extend_with<
  introspectable_actor>::extend<
  // New local writes are durable up to the etag: send them.
  caf::reacts_to<atom::wake, int64_t>,
  // The destination holds these versions.
  caf::reacts_to<destination_holds>,
  // Timers: connect (again); check the destination's liveness and send an
  // idle heartbeat.
  caf::reacts_to<atom::connect>, caf::reacts_to<atom::heartbeat>>;

/// An inbox hands its source's batch to its instance.
struct inbox_batch {
  std::string source_db_id;
  std::string source_tag;
  replication_batch batch;
};

/// The part of a database instance its inboxes talk to: a batch is
/// answered with the acknowledgement once it is durable.
using replication_applier_actor
  = caf::typed_actor<caf::replies_to<inbox_batch>::with<replication_ack>>;

/// An inbox (actors/replication/inbox.hpp): receives one source's batches.
using inbox_actor = replication_inbox_actor::extend_with<
  introspectable_actor>::extend<
  // The instance applied another source's batch: tell this source what
  // the instance holds now (RavenDB's Notify).
  caf::reacts_to<replication_ack>>;

} // namespace corvus

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::destination_acked)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::inbox_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::destination_holds)
