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

/// An instance asks its links to report every acknowledgement (while
/// writes wait for replicas) or to stop: without waits nobody reads them,
/// and a report per answer would wake the instance for nothing. Turned
/// on, a link reports what its destination acknowledged so far at once.
struct acked_reports {
  bool on = false;
};

/// An instance wakes its link: its own writes (or resolutions) are
/// durable up to `last_etag`. It also tells the link what the destination
/// holds because the destination sent it here since the last wake (so it
/// is not sent back): a link sends only when woken, or right after an
/// answer that carries the destination's whole vector, so the news
/// travels with the wake instead of in a message per applied batch.
struct link_wake {
  int64_t last_etag = 0;
  /// A change vector; empty when the destination sent nothing new.
  std::string destination_holds;
};

/// The part of a database instance its links report to.
using replication_listener_actor
  = caf::typed_actor<caf::reacts_to<destination_acked>>;

/// An outgoing link (actors/replication/outgoing_link.hpp).
using outgoing_link_actor = replication_source_actor::extend_with<
  introspectable_actor>::extend<
  // New local writes are durable: send them.
  caf::reacts_to<link_wake>,
  // Report acknowledgements to the instance, or stop.
  caf::reacts_to<acked_reports>,
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
  caf::reacts_to<replication_ack>,
  // Timer: tell the source that its batches are still being applied.
  caf::reacts_to<atom::heartbeat>>;

} // namespace corvus

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::destination_acked)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::inbox_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::link_wake)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::acked_reports)
