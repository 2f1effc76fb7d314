#pragma once

// The cluster state machine (ravendb-internals.md §1.9): the cluster
// topology, the database records, the compare-exchange values and the
// outcomes of recent requests, changed only by applying committed Raft log
// entries in index order. Every node applies the same entries and so holds
// the same state; a single node in no cluster yet bootstraps by applying a
// topology of one.

#include "runtime/cluster/cluster_command.hpp"
#include "runtime/cluster/compare_exchange.hpp"
#include "runtime/cluster/database_record.hpp"
#include "runtime/cluster/request_history.hpp"
#include "runtime/failure.hpp"
#include "runtime/raft/topology.hpp"
#include "runtime/raft/types.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace corvus {

class cluster_state {
public:
  /// Applies the command of the log entry at `index`.
  /// @pre `index` > last_index(); a smaller or equal index is refused with
  ///      ec::internal_error and changes nothing.
  /// @returns the command's result, or the failure to report to whoever
  ///          proposed it (ec::database_already_exists, ec::bad_request,
  ///          ec::database_does_not_exist). Either way the index is
  ///          consumed: the log never stops on a failed command (§1.9). A
  ///          command whose request id was applied before changes nothing
  ///          and gets the first application's outcome again.
  apply_outcome apply(raft::index_t index, const cluster_command& cmd);

  /// Records the topology of the log entry at `index`. Nodes that left are
  /// removed from every database group (the replication factor becomes the
  /// group's size, as RavenDB's RemoveNodeFromClusterCommand does); a
  /// database left without nodes is deleted.
  /// @pre `index` > last_index(), else ec::internal_error.
  outcome<done> apply_topology(raft::index_t index,
                               const raft::topology& topology);

  /// @returns whether the node belongs to a cluster yet.
  bool bootstrapped() const {
    return !topology_.topology_id.empty();
  }

  /// The cluster's nodes with their URLs and membership types.
  const raft::topology& topology() const {
    return topology_;
  }

  /// Case-folded name → record.
  const std::map<std::string, database_record>& databases() const {
    return databases_;
  }

  /// @returns the record of `name` (any casing), or nullptr.
  const database_record* find_database(std::string_view name) const;

  /// Every compare-exchange value, per database.
  const compare_exchange_store& compare_exchange() const {
    return compare_exchange_;
  }

  /// @returns the compare-exchange values of databases deleted since the
  ///          last call (compare_exchange_store::take_dropped).
  std::vector<compare_exchange_values> take_dropped() {
    return compare_exchange_.take_dropped();
  }

  /// Outcomes of the recent commands that carried a request id.
  const request_history& history() const {
    return history_;
  }

  /// The index of the last applied entry; the cluster topology etag.
  raft::index_t last_index() const {
    return last_index_;
  }

  /// @returns the whole state as a Raft snapshot carries it
  ///          (cluster_state_codec.cpp documents the format).
  std::string encode() const;

  /// Hands the same encoding to `sink` in order, in slices of about
  /// `slice` bytes (one value record may make a slice larger): a member
  /// writes its snapshot to the file as it encodes it, rather than
  /// holding all of it in memory first.
  void encode_to(const std::function<void(std::string_view)>& sink,
                 size_t slice = 1 << 20) const;

  /// Restores a state written by encode, in this format or an earlier one.
  /// The compare-exchange values of the current format stay parts of
  /// `data`, sharing it: a state restored from a snapshot mapped from its
  /// file keeps its values in that file's pages (which the kernel may
  /// drop and read again) until they change, and keeps the file's pages
  /// (its disk space, once the file is removed) meanwhile.
  /// @returns ec::storage_failure when `data` is not such a state.
  static outcome<cluster_state> decode(const shared_text& data);

  /// Equal states answer every question the same way.
  friend bool operator==(const cluster_state& x, const cluster_state& y) {
    return x.topology_ == y.topology_ && x.databases_ == y.databases_
           && x.compare_exchange_ == y.compare_exchange_
           && x.history_ == y.history_ && x.last_index_ == y.last_index_;
  }

private:
  /// The encoding's line of JSON (all but the compare-exchange values).
  std::string encode_header() const;
  /// Appends the encoding, with `header` as its JSON line, to `out`, and
  /// hands `out` to `flush` (which empties it) whenever it holds `slice`
  /// bytes or more before the next value.
  void encode_into(std::string& out, const std::string& header, size_t slice,
                   const std::function<void(std::string&)>& flush) const;

  /// Validate, then change the state; a failure leaves it as it was.
  apply_outcome apply_one(int64_t index, const create_database_command& cmd);
  apply_outcome apply_one(int64_t index, const delete_databases_command& cmd);
  apply_outcome apply_one(int64_t index,
                          const add_database_node_command& cmd);
  apply_outcome apply_one(int64_t index, const toggle_databases_command& cmd);
  apply_outcome apply_one(int64_t index,
                          const change_database_group_command& cmd);
  apply_outcome apply_one(int64_t index,
                          const put_compare_exchange_command& cmd);
  apply_outcome apply_one(int64_t index,
                          const remove_compare_exchange_command& cmd);

  /// @returns ec::internal_error unless `index` follows last_index().
  outcome<done> check_next(raft::index_t index) const;

  /// Removes a database record and everything that belongs to it.
  void erase_database(std::map<std::string, database_record>::iterator i);

  raft::topology topology_;
  std::map<std::string, database_record> databases_;
  compare_exchange_store compare_exchange_;
  request_history history_;
  raft::index_t last_index_ = 0;
};

} // namespace corvus
