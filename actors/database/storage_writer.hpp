#pragma once

// The storage writer of one database instance (messages/storage_writer.hpp):
// opens the store, then runs every write transaction through the pure
// transaction core and commits what gathered in its mailbox as one synced
// LevelDB batch (group commit, RavenDB's transaction merger).

#include "messages/storage_writer.hpp"
#include "runtime/documents/transaction_executor.hpp"
#include "storage/document_store.hpp"

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace corvus {

/// How to run a storage writer.
struct storage_writer_config {
  /// Database name, for logs.
  std::string database;
  /// Folder of the store.
  std::string dir;
  store_options options;
  /// This node's tag, for change vectors and generated ids.
  std::string node_tag;
  /// Seeds the generator of GUID document ids.
  uint64_t seed = 0;
  /// Stop adding transactions to a group once its writes exceed this.
  uint64_t max_group_bytes = 32ull << 20;
  std::shared_ptr<spdlog::logger> log;
};

/// The store's view for one group: writes of earlier transactions in the
/// group first, then the store. A group's transactions see each other's
/// writes although none is committed yet.
class group_lookup : public document_lookup {
public:
  /// @param writes the group's writes so far; `index_new_writes` makes the
  ///        ones appended since the last call visible.
  group_lookup(const document_store& store,
               const std::vector<document_write>& writes)
    : store_(store), writes_(writes) {
    // nop
  }

  outcome<std::optional<document_record>> find(std::string_view key,
                                               bool with_body) override;

  /// Makes the writes appended to the group since the last call visible to
  /// later transactions of the group.
  void index_new_writes();

private:
  const document_store& store_;
  const std::vector<document_write>& writes_;
  size_t indexed_ = 0;
  /// Key → position of its latest write in `writes_`.
  std::unordered_map<std::string, size_t> latest_;
};

/// A transaction waiting for the next drain.
struct pending_transaction {
  /// Runs the transaction on top of the group; on success it returns the
  /// delivery to make once the group is durable.
  std::function<outcome<std::function<void()>>(
    database_state&, group_lookup&, int64_t now,
    std::vector<document_write>& group_writes)>
    run;
  /// Answers the client with an error.
  std::function<void(const caf::error&)> fail;
};

struct storage_writer_state {
  explicit storage_writer_state(storage_writer_actor::pointer self)
    : self(self) {
    // nop
  }

  /// Queues a transaction and schedules a drain unless one is scheduled.
  template <class Request, class Result>
  void enqueue(Request req, caf::typed_response_promise<Result> rp);

  /// Runs the gathered transactions and commits them as one batch.
  void drain();

  storage_writer_actor::pointer self;
  storage_writer_config config;
  std::shared_ptr<document_store> store;
  std::unique_ptr<transaction_executor> executor;
  std::vector<pending_transaction> pending;
  bool drain_scheduled = false;
  static inline const char* name = "storage-writer";
};

/// Spawn detached in production: the writer blocks on fsync.
storage_writer_actor::behavior_type
storage_writer(storage_writer_actor::stateful_pointer<storage_writer_state> self,
               storage_writer_config config);

} // namespace corvus
