#pragma once

// Replication between the instances of a database group, over CAF's
// middleman (ravendb-internals.md §4): an outgoing link on the source
// introduces itself to the destination node (hello, through the actor the
// node publishes), the destination's instance answers with an inbox for
// that source, the cursor it accepted and its change vector (welcome);
// then batches go one way and acknowledgements the other, one-way
// messages both.

#include "messages/documents.hpp"
#include "runtime/documents/document.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace corvus {

/// The version of the replication messages; a destination refuses others.
inline constexpr int32_t replication_protocol_version = 1;

/// Destination to source: everything up to `accepted_etag` from this
/// source is durable here, and here is this instance's change vector. The
/// answer to every batch; also sent unasked when the destination applied
/// another source's batch (RavenDB's Notify), so that the source does not
/// send what the destination already has.
struct replication_ack {
  int64_t accepted_etag = 0;
  std::string change_vector;

  friend bool operator==(const replication_ack& x, const replication_ack& y) {
    return x.accepted_etag == y.accepted_etag
           && x.change_vector == y.change_vector;
  }
};

/// Destination to source, every few seconds while batches from it are
/// still being applied (RavenDB's Processing reply): the destination is
/// alive and working, so the source's reply timeout starts over. A large
/// batch on a slow disk may take longer than the timeout; without this,
/// the source would give up and send it again, and never get further.
struct replication_processing {
  /// Batches received and not yet acknowledged.
  int64_t pending_batches = 0;

  friend bool operator==(const replication_processing& x,
                         const replication_processing& y) {
    return x.pending_batches == y.pending_batches;
  }
};

/// Source to destination: versions in the source's etag order (whole
/// transactions) after `after_etag`, and the source etag they bring the
/// destination up to. No items: a heartbeat, or a cursor move over items
/// it already has. A batch whose `after_etag` is beyond what the
/// destination accepted follows a lost one: refused.
struct replication_batch {
  int64_t after_etag = 0;
  int64_t last_etag = 0;
  std::vector<document_record> items;

  friend bool operator==(const replication_batch& x,
                         const replication_batch& y) {
    return x.after_etag == y.after_etag && x.last_etag == y.last_etag
           && x.items == y.items;
  }
};

/// Where a destination sends its acknowledgements.
using replication_source_actor
  = caf::typed_actor<caf::reacts_to<replication_ack>,
                     caf::reacts_to<replication_processing>>;

/// Where a source sends its batches: the destination's inbox for it.
using replication_inbox_actor
  = caf::typed_actor<caf::reacts_to<replication_batch>>;

/// A source's outgoing link introduces itself.
struct replication_hello {
  std::string database;
  std::string source_db_id;
  std::string source_tag;
  std::string source_url;
  int32_t protocol_version = replication_protocol_version;
  replication_source_actor link;

  friend bool operator==(const replication_hello& x,
                         const replication_hello& y) {
    return x.database == y.database && x.source_db_id == y.source_db_id
           && x.source_tag == y.source_tag && x.source_url == y.source_url
           && x.protocol_version == y.protocol_version && x.link == y.link;
  }
};

/// The destination accepts: send batches to `inbox`, starting after
/// `accepted_etag`; it holds `change_vector`.
struct replication_welcome {
  std::string destination_db_id;
  int64_t accepted_etag = 0;
  std::string change_vector;
  replication_inbox_actor inbox;

  friend bool operator==(const replication_welcome& x,
                         const replication_welcome& y) {
    return x.destination_db_id == y.destination_db_id
           && x.accepted_etag == y.accepted_etag
           && x.change_vector == y.change_vector && x.inbox == y.inbox;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, document_record& x) {
  return f(caf::meta::type_name("corvus::document_record"), x.id,
           x.collection, x.etag, x.change_vector, x.last_modified, x.flags,
           x.tombstone, x.json);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replication_ack& x) {
  return f(caf::meta::type_name("corvus::replication_ack"), x.accepted_etag,
           x.change_vector);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        replication_processing& x) {
  return f(caf::meta::type_name("corvus::replication_processing"),
           x.pending_batches);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replication_batch& x) {
  return f(caf::meta::type_name("corvus::replication_batch"), x.after_etag,
           x.last_etag, x.items);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, replication_hello& x) {
  return f(caf::meta::type_name("corvus::replication_hello"), x.database,
           x.source_db_id, x.source_tag, x.source_url, x.protocol_version,
           x.link);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        replication_welcome& x) {
  return f(caf::meta::type_name("corvus::replication_welcome"),
           x.destination_db_id, x.accepted_etag, x.change_vector, x.inbox);
}

} // namespace corvus
