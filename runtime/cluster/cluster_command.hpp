#pragma once

// The commands of the cluster state machine and their results
// (ravendb-internals.md §1.8, §1.9). A command travels through the Raft log
// as JSON (cluster_command_json.hpp); every node applies it at the index of
// its log entry and computes the same result, which the leader hands back
// to whoever proposed the command.

#include "runtime/cluster/database_record.hpp"
#include "runtime/text/shared_text.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace corvus {

/// Adds a database record (RavenDB's AddDatabaseCommand). Without explicit
/// members the nodes are chosen while applying, from the topology of that
/// index, so that every node picks the same ones (§2.3).
struct create_database_command {
  /// Identifies a retried submission (RavenDB's UniqueRequestId); "" means
  /// "don't care": the command is never recognised as a retry.
  std::string request_id;
  database_creation creation;
  /// Where the choice starts in the candidate list. RavenDB's leader draws
  /// a random offset; drawing it before proposing keeps apply identical on
  /// every node.
  uint64_t node_offset = 0;

  friend bool operator==(const create_database_command& x,
                         const create_database_command& y) {
    return x.request_id == y.request_id && x.creation == y.creation
           && x.node_offset == y.node_offset;
  }
};

/// Removes databases, or only their copies on `from_nodes` when given (a
/// record whose last copy goes is removed, with its compare-exchange
/// values). Unknown names are skipped. RavenDB's DeleteDatabaseCommand
/// names one database; this one takes several, applied at one index.
struct delete_databases_command {
  std::string request_id;
  std::vector<std::string> names;
  std::vector<std::string> from_nodes;
  /// Whether the nodes losing a copy also remove its files.
  bool hard_delete = true;

  friend bool operator==(const delete_databases_command& x,
                         const delete_databases_command& y) {
    return x.request_id == y.request_id && x.names == y.names
           && x.from_nodes == y.from_nodes && x.hard_delete == y.hard_delete;
  }
};

/// Adds a node to the group of an existing database. RavenDB's handler
/// builds the whole new topology and proposes an UpdateTopologyCommand;
/// this command carries the intent instead, so that apply checks it
/// against the state of its own index. Without a node named, apply chooses
/// one of the cluster's members and watchers that does not host the
/// database yet.
struct add_database_node_command {
  std::string request_id;
  /// The database, any casing.
  std::string name;
  /// The node to add; "" = let apply choose.
  std::string node_tag;
  /// Where the choice starts in the candidate list: drawn by the proposing
  /// node, as for create_database_command, so that every node chooses the
  /// same.
  uint64_t node_offset = 0;

  friend bool operator==(const add_database_node_command& x,
                         const add_database_node_command& y) {
    return x.request_id == y.request_id && x.name == y.name
           && x.node_tag == y.node_tag && x.node_offset == y.node_offset;
  }
};

/// Disables or enables databases (RavenDB's ToggleDatabasesStateCommand):
/// a disabled database keeps its record, its copies and their files, and
/// no node serves it. Unknown names are skipped.
struct toggle_databases_command {
  std::string request_id;
  std::vector<std::string> names;
  bool disable = true;

  friend bool operator==(const toggle_databases_command& x,
                         const toggle_databases_command& y) {
    return x.request_id == y.request_id && x.names == y.names
           && x.disable == y.disable;
  }
};

/// Changes a database group's nodes or settings (RavenDB's
/// UpdateTopologyCommand as sent by a reorder or a new topology,
/// PromoteDatabaseNodeCommand, the dynamic distribution toggle and
/// ModifyConflictSolverCommand). Like add_database_node_command it
/// carries the intent, and apply checks it against the record of its own
/// index, so that changes proposed at the same time do not undo each
/// other.
struct change_database_group_command {
  enum class kind : uint8_t {
    /// `nodes` is every node of the group once, in its new order (members
    /// stay members, and so on); `setting` keeps that order as the
    /// group's priority order.
    reorder,
    /// `nodes` names one promotable or rehab, which becomes a member.
    promote,
    /// `setting` turns dynamic node distribution on or off.
    dynamic_distribution,
    /// `topology` becomes the group's (its replication factor is taken
    /// from its nodes).
    topology,
    /// `setting`: conflicts resolve to the latest version on arrival.
    resolve_to_latest,
  };
  std::string request_id;
  /// The database, any casing.
  std::string name;
  kind what = kind::reorder;
  std::vector<std::string> nodes;
  bool setting = false;
  database_topology topology;

  friend bool operator==(const change_database_group_command& x,
                         const change_database_group_command& y) {
    return x.request_id == y.request_id && x.name == y.name
           && x.what == y.what && x.nodes == y.nodes
           && x.setting == y.setting && x.topology == y.topology;
  }
};

/// Creates or replaces a compare-exchange value (RavenDB's
/// AddOrUpdateCompareExchangeCommand): with `index` 0 only when the key is
/// absent, otherwise only when the value's current index is `index`.
struct put_compare_exchange_command {
  std::string request_id;
  /// The database the key belongs to (any casing).
  std::string database;
  /// The key as the client gave it; keys are case-insensitive.
  std::string key;
  /// The stored JSON object text: the request body, `{"Object": ...}` plus
  /// an optional `@metadata`; shared with the stored entry and the result.
  shared_text value;
  /// The index the client expects the value to have; 0 = must not exist.
  int64_t index = 0;

  friend bool operator==(const put_compare_exchange_command& x,
                         const put_compare_exchange_command& y) {
    return x.request_id == y.request_id && x.database == y.database
           && x.key == y.key && x.value == y.value && x.index == y.index;
  }
};

/// Deletes a compare-exchange value if its current index is `index`
/// (RavenDB's RemoveCompareExchangeCommand).
struct remove_compare_exchange_command {
  std::string request_id;
  std::string database;
  std::string key;
  int64_t index = 0;

  friend bool operator==(const remove_compare_exchange_command& x,
                         const remove_compare_exchange_command& y) {
    return x.request_id == y.request_id && x.database == y.database
           && x.key == y.key && x.index == y.index;
  }
};

using cluster_command
  = std::variant<create_database_command, delete_databases_command,
                 add_database_node_command, put_compare_exchange_command,
                 remove_compare_exchange_command, toggle_databases_command,
                 change_database_group_command>;

/// @returns the request id of `cmd` ("" = none).
inline const std::string& request_id_of(const cluster_command& cmd) {
  return std::visit([](auto& c) -> const std::string& { return c.request_id; },
                    cmd);
}

/// Result of a database creation: the index of the change and the record as
/// created (with its chosen nodes).
struct database_created {
  int64_t index = 0;
  database_record record;
  /// URLs of the nodes hosting the new database, in member order.
  std::vector<std::string> node_urls;

  friend bool operator==(const database_created& x,
                         const database_created& y) {
    return x.index == y.index && x.record == y.record
           && x.node_urls == y.node_urls;
  }
};

/// Result of a database deletion: the index, the databases affected (with
/// the casing they were created with) and the nodes whose copies go.
struct databases_deleted {
  int64_t index = 0;
  std::vector<std::string> names;
  std::vector<std::string> nodes;
  /// Not part of the cluster's result: the node answering a client fills
  /// in those of `nodes` that did not confirm the deletion in the time
  /// the client gave (RavenDB's PendingDeletes).
  std::vector<std::string> pending_nodes;

  friend bool operator==(const databases_deleted& x,
                         const databases_deleted& y) {
    return x.index == y.index && x.names == y.names && x.nodes == y.nodes
           && x.pending_nodes == y.pending_nodes;
  }
};

/// Result of disabling or enabling databases: the index and the databases
/// found, with the casing they were created with.
struct databases_toggled {
  int64_t index = 0;
  std::vector<std::string> names;
  bool disabled = true;

  friend bool operator==(const databases_toggled& x,
                         const databases_toggled& y) {
    return x.index == y.index && x.names == y.names
           && x.disabled == y.disabled;
  }
};

/// Result of adding a node to a database group: the index of the change,
/// the record as changed, and the node added.
struct database_node_added {
  int64_t index = 0;
  database_record record;
  std::string node_tag;
  std::string node_url;

  friend bool operator==(const database_node_added& x,
                         const database_node_added& y) {
    return x.index == y.index && x.record == y.record
           && x.node_tag == y.node_tag && x.node_url == y.node_url;
  }
};

/// Result of a change to a database group: the index and the record as
/// changed.
struct database_group_changed {
  int64_t index = 0;
  database_record record;

  friend bool operator==(const database_group_changed& x,
                         const database_group_changed& y) {
    return x.index == y.index && x.record == y.record;
  }
};

/// Result of a compare-exchange put or delete, as RavenDB computes it: on
/// success the applied index and the new (put) or removed (delete) value;
/// on a stale index the value's current index and value; a put with a
/// non-zero index on an absent key gives index 0 and no value.
struct compare_exchange_result {
  int64_t index = 0;
  /// JSON object text; "" stands for null. Shared with the stored entry.
  shared_text value;
  /// Whether `index` is the index the command was applied at.
  bool successful = false;

  friend bool operator==(const compare_exchange_result& x,
                         const compare_exchange_result& y) {
    return x.index == y.index && x.value == y.value
           && x.successful == y.successful;
  }
};

using cluster_result
  = std::variant<database_created, databases_deleted, database_node_added,
                 compare_exchange_result, databases_toggled,
                 database_group_changed>;

} // namespace corvus
