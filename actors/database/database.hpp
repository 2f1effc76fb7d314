#pragma once

// A database instance actor (messages/database.hpp): opens the instance's
// store and runs every write transaction through the pure transaction core
// as soon as it arrives, against the store plus every write not yet
// durable, then hands it to its committer, which syncs what gathered while
// the previous sync ran as one batch. Each client is answered once its
// transaction is durable. The node actor supervises the instance and
// restarts it from storage when it fails.

#include "actors/replication/outgoing_link.hpp"
#include "messages/database.hpp"
#include "runtime/documents/transaction_executor.hpp"
#include "runtime/replication/arrival.hpp"
#include "runtime/replication/replica_waits.hpp"
#include "storage/document_store.hpp"

#include <spdlog/logger.h>

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace corvus {

/// How to run a database instance.
struct database_config {
  /// Database name, for messages and logs.
  std::string database;
  /// Folder of the store.
  std::string dir;
  store_options options;
  /// This node's tag, for change vectors and generated ids.
  std::string node_tag;
  /// This node's URL, as its replication links introduce it.
  std::string node_url;
  replication_settings replication;
  /// Seeds the generator of GUID document ids.
  uint64_t seed = 0;
  /// A commit takes no more transactions once its writes exceed this;
  /// later ones go into the next commit.
  uint64_t max_group_bytes = 32ull << 20;
  /// Run instance and committer on threads of their own (production: they
  /// read and write storage) or on the scheduler (deterministic tests).
  bool detached = true;
  std::shared_ptr<spdlog::logger> log;
  /// Where the instance (and its committer) announce themselves.
  introspection_actor registry;
  /// The supervising node actor's id.
  uint64_t parent = 0;
};

/// The conflict versions of an id as the writes not yet durable left
/// them, and the etag of the write that did.
struct pending_conflicts {
  int64_t etag = 0;
  std::vector<document_record> versions;
};

/// A write not yet durable: one of the writes of its transaction, which
/// the committer holds as well.
struct uncommitted_write {
  std::shared_ptr<const std::vector<document_write>> transaction;
  size_t index = 0;

  const document_record& record() const {
    return (*transaction)[index].record;
  }
};

/// What transactions read: the writes not yet durable first, then the
/// store.
class uncommitted_lookup : public document_lookup {
public:
  uncommitted_lookup(
    const document_store& store,
    const std::unordered_map<std::string, uncommitted_write>& uncommitted,
    const std::unordered_map<std::string, pending_conflicts>& conflicts,
    int64_t conflict_versions)
    : store_(store),
      uncommitted_(uncommitted),
      conflicts_(conflicts),
      conflict_versions_(conflict_versions) {
    // nop
  }

  outcome<std::optional<document_record>> find(std::string_view key,
                                               bool with_body) override;

  outcome<std::vector<document_record>>
  conflicts(std::string_view key) override;

private:
  const document_store& store_;
  const std::unordered_map<std::string, uncommitted_write>& uncommitted_;
  const std::unordered_map<std::string, pending_conflicts>& conflicts_;
  /// Conflict versions stored or on their way: none means no look-up.
  int64_t conflict_versions_;
};

struct database_instance_state {
  explicit database_instance_state(database_actor::pointer self)
    : self(self) {
    // nop
  }

  /// Runs a transaction through the transaction core against the store and
  /// the writes not yet durable, and hands it to the committer; answers a
  /// failed check (or a stopping instance) at once.
  template <class Request, class Result>
  void execute(Request req, std::function<void(outcome<Result>)> answer,
               bool local);

  /// The same for any transaction: `run(state, lookup)` executes it.
  /// `local_answer`: see transaction_answer::local. `local_work`: its
  /// writes are this instance's own (they wake the outgoing links).
  template <class Result, class Run>
  void run_transaction(Run run, std::function<void(outcome<Result>)> answer,
                       bool local_answer, bool local_work);

  /// Applies a batch from a source's inbox; `answer` gets the
  /// acknowledgement once it is durable.
  void apply_batch(inbox_batch in,
                   std::function<void(outcome<replication_ack>)> answer);

  /// Starts, stops and re-points links to follow `group`.
  void follow_group(replication_group group);

  void start_link(const replication_peer& peer);

  /// A new inbox for a source that introduced itself.
  outcome<replication_welcome> welcome(replication_hello& hello);

  /// Links report acknowledgements only while writes wait for replicas:
  /// turns the reports on or off to match.
  void follow_waits();

  /// Wakes every link: this instance's own writes (or resolutions) are
  /// durable up to `last_etag`.
  void wake_links(int64_t last_etag);

  /// A batch from `source_db_id` was applied: its other sources learn what
  /// this instance holds now (Notify), within notify_delay.
  void notify_later(const std::string& source_db_id);

  /// Tells every source what this instance holds now, but one whose
  /// batches alone were applied since the last time (its answers told it).
  void notify_inboxes();

  /// The committer made everything up to `report.last_etag` durable.
  void on_durable(commit_report& report);

  /// Quits once an orderly stop was asked and nothing is outstanding.
  void quit_when_done();

  database_actor::pointer self;
  database_config config;
  std::shared_ptr<document_store> store;
  std::unique_ptr<transaction_executor> executor;
  storage_committer_actor committer;
  /// The state after every executed transaction (ahead of the store while
  /// commits are on their way to disk).
  database_state state;
  /// Every write executed but not yet durable, by key (latest version).
  std::unordered_map<std::string, uncommitted_write> uncommitted;
  /// The same writes as (etag, key) in execution order, so that a report
  /// retires exactly what became durable.
  std::deque<std::pair<int64_t, std::string>> uncommitted_order;
  /// Conflict versions per id, as the writes not yet durable left them.
  std::unordered_map<std::string, pending_conflicts> uncommitted_conflicts;
  /// Conflict versions held, the writes not yet durable included.
  int64_t conflict_versions = 0;
  /// Transactions handed to the committer and not reported yet.
  size_t outstanding = 0;
  /// The last etag of this instance's own writes, and the last one the
  /// links were told about once durable.
  int64_t local_written = 0;
  int64_t local_announced = 0;
  conflict_policy policy{false};
  /// Outgoing links by destination tag.
  std::map<std::string, std::pair<replication_peer, outgoing_link_actor>>
    links;
  /// By destination tag: versions the destination sent here since its
  /// link was last woken (they go with the next wake).
  std::map<std::string, change_vector> destination_holds;
  /// Sources whose batches were applied since the last Notify, and
  /// whether one is due.
  std::set<std::string> applied_sources;
  bool notify_due = false;
  /// Inboxes by source database id.
  std::map<std::string, inbox_actor> inboxes;
  replica_waits waits;
  /// Whether the links were asked to report acknowledgements.
  bool acks_reported = false;
  /// Each wait's version and answer.
  std::map<replica_waits::wait_id,
           std::pair<change_vector, std::function<void(size_t, bool)>>>
    wait_answers;
  /// Set by an orderly stop: new work is refused, and the instance quits
  /// once everything accepted is durable.
  std::optional<caf::error> stop_reason;
  static inline const char* name = "database";
};

database_actor::behavior_type
database_instance(database_actor::stateful_pointer<database_instance_state> self,
                  database_config config);

} // namespace corvus
