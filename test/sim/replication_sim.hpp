#pragma once

// A seeded simulation of multi-master replication (ravendb-internals.md §4-6)
// over the pure cores: N database instances, each with its own store
// (test/fixtures/memory_documents.hpp), transaction executor and one
// replication_sender per destination, in a full mesh of links over an
// in-memory network. Writers PUT and DELETE a small key space on every
// instance at once, so that versions conflict; links are cut, the group is
// partitioned and healed, instances crash and restart (their stores
// survive: every apply is atomic and durable).
//
// A link is a connection: messages travel FIFO in each direction with
// random delays (so links reorder relative to each other, like TCP
// connections); a cut loses what is in flight on both sides, and the
// source reconnects with a new handshake. Nothing is dropped otherwise.
//
// The shell's part, played here as an instance's actors would (§4.3-4.6):
// a destination applies a batch in one atomic write, answers with its
// cursor for the source and its global vector, notifies its other
// sources, and tells its own sender back to the source that the source
// holds what it sent. A sender looks for the next batch when a local
// write, a resolution or a merge wakes it, after each answered batch, and
// when an answer shows the destination lacks part of its global vector;
// what only arrived by replication does not wake it. An idle sender sends
// heartbeats.
//
// After the faults everything heals, writers stop and the group must become
// quiescent within a bounded number of steps; then every instance must hold
// the same documents, tombstones and conflicts, and every acknowledged
// write must be contained in what every instance holds.
// A run is a pure function of its seed: a failing seed replays exactly.

#include "runtime/documents/change_vector.hpp"
#include "runtime/documents/transaction_executor.hpp"
#include "runtime/replication/arrival.hpp"
#include "runtime/replication/incoming_batch.hpp"
#include "runtime/replication/sender.hpp"
#include "test/fixtures/memory_documents.hpp"

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace corvus::sim {

/// Probabilities and sizes of one replication simulation run.
struct replication_options {
  size_t instances = 3;
  /// resolve_to_latest off stores conflicts (and writers resolve them).
  conflict_policy policy;
  /// Steps with writers and faults.
  size_t steps = 200;
  /// Steps allowed to become quiescent once everything healed.
  size_t settle_steps = 2'000;
  /// Per step: chance of a write transaction, and that it is concurrent
  /// (the same ids written on several instances in the same step).
  double write = 0.3;
  double concurrent = 0.3;
  /// Chance that a writer on an instance holding conflicts resolves one by
  /// a PUT (resolve_to_latest off).
  double resolve = 0.3;
  /// Chance that a write's body is a shared value (identical content on
  /// different instances merges silently, §6.2).
  double shared_body = 0.2;
  /// Per step: chance of a crash, restart, partition, heal, cut link.
  double crash = 0.005;
  double restart = 0.05;
  double partition = 0.01;
  double heal = 0.03;
  double cut = 0.01;
  bool faults = true;
  /// Largest message delay in steps (at least 1).
  int max_delay = 4;
  /// Steps a link waits before it reconnects (at most).
  int max_backoff = 8;
  /// An idle sender sends a heartbeat after this many steps.
  int heartbeat_steps = 20;
  /// Items per batch: small values force many batches.
  batch_limits limits;
  /// Entries a sender reads from the store at a time.
  size_t read_chunk = 1024;
  /// Batches a sender sends before the first is acknowledged.
  size_t window = 1;
  /// Ids are drawn from this many per collection ("users/i", "orders/i").
  size_t ids_per_collection = 4;
  /// Prints every event, with the versions batches carry and write, to
  /// standard error (for replaying one seed).
  bool trace = false;
};

/// @returns options for `instances` instances and `policy` whose fault
///          rates, delays, batch limits and heartbeats vary with `seed`.
replication_options varied_replication_options(size_t instances,
                                               bool resolve_to_latest,
                                               uint64_t seed);

/// What a run did, for the tests' summary lines.
struct replication_figures {
  size_t writes = 0;
  size_t crashes = 0;
  size_t partitions = 0;
  size_t cuts = 0;
  /// Batches with items, batches without (cursor moves), heartbeats.
  size_t batches = 0;
  size_t empty_batches = 0;
  size_t heartbeats = 0;
  /// Versions made: by local writes, and by resolutions and merges on
  /// arrival. Each has to cross (instances - 1) links at least.
  size_t versions = 0;
  /// Versions sent over all links.
  size_t items_sent = 0;
  /// What destinations did with what they received.
  incoming_counts arrivals;
  /// Conflicted ids a local write (PUT or DELETE) resolved.
  size_t local_resolutions = 0;
  /// Steps after healing until quiescent (add() keeps the largest).
  size_t settle_steps = 0;
  /// Conflict versions held at the end, summed over instances.
  size_t final_conflicts = 0;

  void add(const replication_figures& other);
};

class replication_sim {
public:
  replication_sim(uint64_t seed, replication_options opts);
  ~replication_sim();

  /// Runs writers and faults, heals, settles and checks convergence.
  /// Throws std::runtime_error on a violated invariant.
  void run();

  /// Steps until the group is quiescent, writes `writes` PUTs (one per
  /// step) on `instance`, and steps until it is quiescent again. Throws
  /// when it does not settle.
  void write_and_settle(size_t instance, size_t writes = 1);

  /// Throws std::runtime_error unless every instance holds the same
  /// documents, tombstones and conflicts and contains every acknowledged
  /// write. @pre quiescent
  void check_converged();

  const replication_figures& figures() const {
    return figures_;
  }

private:
  struct instance;
  struct link;
  struct message;

  void step(bool faults, bool writing);
  void write(size_t i, const std::vector<std::string>& ids,
             bool deletes = true);
  void writers();
  void maybe_fault();
  void crash(size_t i);
  void cut(link& l, const std::string& why);
  void reconnect(link& l);
  void send(link& l, bool to_dest, message m);
  void deliver_due();
  void at_dest(link& l, message& m);
  void at_source(link& l, message& m);
  void run_senders();
  void wake_senders(size_t source);
  bool quiescent() const;
  bool settle(size_t limit);
  void check_instance(size_t i, const std::vector<document_write>& writes);
  bool reachable(size_t x, size_t y) const;
  double roll();
  [[noreturn]] void fail(const std::string& what);
  void note(const std::string& what);

  uint64_t seed_;
  replication_options opts_;
  std::mt19937_64 rng_;
  int64_t now_ = 0;
  uint64_t order_ = 0;
  uint64_t next_value_ = 1;
  std::vector<std::unique_ptr<instance>> instances_;
  std::vector<std::unique_ptr<link>> links_;
  /// Partition groups: instances in different groups cannot talk.
  std::vector<int> group_;
  /// The change vectors of every committed local write.
  std::vector<std::pair<std::string, std::string>> acknowledged_;
  replication_figures figures_;
  std::deque<std::string> events_;
};

} // namespace corvus::sim
