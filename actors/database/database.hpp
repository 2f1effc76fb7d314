#pragma once

// A database instance actor (messages/database.hpp): opens the instance's
// store and runs every write transaction through the pure transaction core
// as soon as it arrives, against the store plus every write not yet
// durable, then hands it to its committer, which syncs what gathered while
// the previous sync ran as one batch. Each client is answered once its
// transaction is durable. The node actor supervises the instance and
// restarts it from storage when it fails.

#include "messages/database.hpp"
#include "runtime/documents/transaction_executor.hpp"
#include "storage/document_store.hpp"

#include <spdlog/logger.h>

#include <deque>
#include <functional>
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

/// What transactions read: the writes not yet durable first, then the
/// store.
class uncommitted_lookup : public document_lookup {
public:
  uncommitted_lookup(
    const document_store& store,
    const std::unordered_map<std::string, document_record>& uncommitted)
    : store_(store), uncommitted_(uncommitted) {
    // nop
  }

  outcome<std::optional<document_record>> find(std::string_view key,
                                               bool with_body) override;

private:
  const document_store& store_;
  const std::unordered_map<std::string, document_record>& uncommitted_;
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
  std::unordered_map<std::string, document_record> uncommitted;
  /// The same writes as (etag, key) in execution order, so that a report
  /// retires exactly what became durable.
  std::deque<std::pair<int64_t, std::string>> uncommitted_order;
  /// Transactions handed to the committer and not reported yet.
  size_t outstanding = 0;
  /// Set by an orderly stop: new work is refused, and the instance quits
  /// once everything accepted is durable.
  std::optional<caf::error> stop_reason;
  static inline const char* name = "database";
};

database_actor::behavior_type
database_instance(database_actor::stateful_pointer<database_instance_state> self,
                  database_config config);

} // namespace corvus
