#pragma once

// The cluster state machine (ravendb-internals.md §1.9): the nodes of the
// cluster and the database records, changed only by applying commands in
// order. Every node applies the same commands and answers topology questions
// from its own copy. Today a node applies its commands directly (a cluster
// of one); the Raft layer will apply committed log entries the same way.

#include "runtime/cluster/database_record.hpp"
#include "runtime/failure.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace corvus {

/// Makes a node without a cluster the first member of a new cluster.
struct bootstrap_command {
  std::string node_tag;
  std::string node_url;
  /// The new cluster's id, a GUID string.
  std::string topology_id;
};

/// Adds a database record; without explicit members the nodes are chosen
/// here, deterministically, so every node picks the same ones.
struct create_database_command {
  database_creation creation;
};

/// Removes databases, or only their copies on `from_nodes` when given (a
/// record whose last copy goes is removed). Unknown names are skipped.
struct delete_databases_command {
  std::vector<std::string> names;
  std::vector<std::string> from_nodes;
  /// Whether the nodes losing a copy also remove its files.
  bool hard_delete = true;

  friend bool operator==(const delete_databases_command& x,
                         const delete_databases_command& y) {
    return x.names == y.names && x.from_nodes == y.from_nodes
           && x.hard_delete == y.hard_delete;
  }
};

using cluster_command = std::variant<bootstrap_command,
                                     create_database_command,
                                     delete_databases_command>;

class cluster_state {
public:
  /// Applies `cmd` as the next index.
  /// @returns the index of the change, or ec::database_already_exists /
  ///          ec::bad_request (e.g. unknown node tags); a failed command
  ///          changes nothing and consumes no index.
  outcome<int64_t> apply(const cluster_command& cmd);

  /// @returns whether the node belongs to a cluster yet.
  bool bootstrapped() const {
    return !topology_id_.empty();
  }

  const std::string& topology_id() const {
    return topology_id_;
  }

  /// Tag → URL of every node, ordered by tag.
  const std::map<std::string, std::string>& nodes() const {
    return nodes_;
  }

  /// Case-folded name → record.
  const std::map<std::string, database_record>& databases() const {
    return databases_;
  }

  /// @returns the record of `name` (any casing), or nullptr.
  const database_record* find_database(std::string_view name) const;

  /// The index of the last applied change; the cluster topology etag.
  int64_t last_index() const {
    return last_index_;
  }

  /// @returns the whole state as JSON, for persistence.
  std::string to_json() const;

  /// Restores a state written by to_json.
  static outcome<cluster_state> from_json(std::string_view text);

  friend bool operator==(const cluster_state& x, const cluster_state& y) {
    return x.topology_id_ == y.topology_id_ && x.nodes_ == y.nodes_
           && x.databases_ == y.databases_ && x.last_index_ == y.last_index_;
  }

private:
  outcome<int64_t> apply_one(const bootstrap_command& cmd);
  outcome<int64_t> apply_one(const create_database_command& cmd);
  outcome<int64_t> apply_one(const delete_databases_command& cmd);

  std::string topology_id_;
  std::map<std::string, std::string> nodes_;
  std::map<std::string, database_record> databases_;
  int64_t last_index_ = 0;
};

/// @returns the tag a node gets as the `n`-th member (0-based) of a
///          cluster: A…Z, then ZA…ZZ, ZZA… (RavenDB's sequence).
std::string node_tag_for(size_t n);

} // namespace corvus
