#pragma once

// Interface of a database instance actor: one per database hosted on this
// node, running detached (its own thread). It executes every write
// transaction as it arrives (pure transaction core), and its committer
// applies and syncs one group of executed transactions at a time; what
// arrives meanwhile forms the next group (group commit, pipelined as in
// RavenDB's transaction merger). Reads go to the store directly, on any
// thread (see actors/node/directory.hpp).

#include "messages/introspection.hpp"
#include "messages/replication_actors.hpp"
#include "messages/type_ids.hpp"
#include "runtime/failure.hpp"
#include "storage/document_store.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace corvus {

/// A request from outside the actor system (an HTTP I/O thread): answered
/// by calling `reply` exactly once, from the actor's thread, instead of with
/// a response message. It never leaves the process.
template <class Request, class Result>
struct local_request {
  Request request;
  std::function<void(outcome<Result>)> reply;
};

using local_write = local_request<write_transaction, transaction_result>;
using local_hilo_next = local_request<hilo_request, hilo_range>;
using local_hilo_return = local_request<hilo_return, done>;

/// How a transaction's client learns the outcome once it is durable (or
/// lost). Local answers (HTTP callbacks) are thread-safe and given by the
/// committer itself; the others (response promises) must be given on the
/// database actor's thread and travel back there in a report.
struct transaction_answer {
  std::function<void()> ok;
  std::function<void(const failure&)> fail;
  bool local = false;
};

/// One executed transaction on its way from a database actor to its
/// committer: its writes (possibly none), the state after it, and its
/// answer. The committer makes every entry that arrived before a sync
/// durable with that sync. The writes are shared, not copied, with the
/// database actor, whose transactions read them until they are durable
/// (a replication batch carries up to 64 MiB of them).
struct commit_entry {
  std::shared_ptr<const std::vector<document_write>> writes;
  database_state state;
  transaction_answer answer;
};

/// From a committer to its database actor, after each sync: everything up
/// to `last_etag` is durable, `entries` transactions are done, and these
/// answers are the actor's to give.
struct commit_report {
  int64_t last_etag = 0;
  size_t entries = 0;
  std::vector<std::function<void()>> answers;
};

/// From a committer to its database actor: a sync failed, nothing pending
/// becomes durable; these failure notices are the actor's to give. The
/// committer commits nothing more and ends with the instance.
struct commit_failure {
  failure why;
  /// Transactions this report ends (answered here or by the committer).
  size_t entries = 0;
  std::vector<std::function<void(const failure&)>> notices;
};

} // namespace corvus

// Local-only messages: never serialized, so not in the type registry.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::local_write)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::local_hilo_next)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::local_hilo_return)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::commit_entry)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::commit_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::commit_failure)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<corvus::document_store>)


namespace corvus {

/// A sibling instance of the database group, on another node.
struct replication_peer {
  std::string tag;
  std::string url;

  friend bool operator==(const replication_peer& x,
                         const replication_peer& y) {
    return x.tag == y.tag && x.url == y.url;
  }
};

/// The node tells an instance about its group (again on every change):
/// where to replicate to, and how to resolve conflicts.
struct replication_group {
  std::vector<replication_peer> destinations;
  /// The record's ConflictSolverConfig.ResolveToLatest.
  bool resolve_to_latest = false;
};

/// A write asks to be held on `replicas` other instances (write
/// assurance): `done` gets how many destinations' acknowledged vectors
/// cover `change_vector`, and whether that reached `replicas` within
/// `timeout`. It runs on the instance's thread and must only hand the
/// answer on.
struct replica_wait_request {
  std::string change_vector;
  size_t replicas = 0;
  std::chrono::milliseconds timeout{0};
  std::function<void(size_t reached, bool in_time)> done;
};

/// The part of a database actor its committer talks to.
using commit_listener_actor = caf::typed_actor<
  // Everything up to the report's etag is durable.
  caf::reacts_to<commit_report>,
  // A sync failed; the instance must restart from storage.
  caf::reacts_to<commit_failure>>;

using database_actor = introspectable_actor::extend_with<
  commit_listener_actor, replication_listener_actor,
  replication_applier_actor>::extend<
  // A write transaction (bulk_docs, single PUT or DELETE). Answered once
  // durable; errors: ec::concurrency_violation / ec::collection_mismatch
  // (nothing applied), ec::shutting_down while the instance stops (nothing
  // applied, safe to retry elsewhere), ec::storage_failure (the instance
  // then quits and is restarted from storage).
  caf::replies_to<write_transaction>::with<transaction_result>,
  // Next HiLo range of a tag.
  caf::replies_to<hilo_request>::with<hilo_range>,
  // Return of an unused HiLo range tail.
  caf::replies_to<hilo_return>::with<void>,
  // The same three, from HTTP threads, answered through their callback.
  caf::reacts_to<local_write>,
  caf::reacts_to<local_hilo_next>,
  caf::reacts_to<local_hilo_return>,
  // The instance's store; reads use it directly from any thread.
  caf::replies_to<atom::open_store>::with<std::shared_ptr<document_store>>,
  // A source's link introduces itself (through the node): answered with
  // a new inbox for that source. Errors: ec::bad_request (another protocol
  // version, or this instance itself).
  caf::replies_to<replication_hello>::with<replication_welcome>,
  // The group changed: links follow.
  caf::reacts_to<replication_group>,
  // Write assurance for a committed write.
  caf::reacts_to<replica_wait_request>,
  // Timer: fail the replica waits whose time is up.
  caf::reacts_to<atom::wait>,
  // Timer: tell the sources what this instance holds (Notify).
  caf::reacts_to<atom::notify>>;

using storage_committer_actor = introspectable_actor::extend<
  // An executed transaction to make durable with the next sync.
  caf::reacts_to<commit_entry>,
  // Self-message: sync every entry gathered since the last one.
  caf::reacts_to<atom::drain>>;

} // namespace corvus

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::replication_group)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corvus::replica_wait_request)
