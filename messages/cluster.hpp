#pragma once

// Wire form of the cluster messages: database records and the replies of
// cluster operations, with inspect overloads for the types of
// runtime/cluster.

#include "runtime/cluster/cluster_state.hpp"

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace corvus {

/// Reply to a database creation: the cluster index of the change and the
/// record as created (with its chosen nodes).
struct database_created {
  int64_t index = 0;
  database_record record;
  /// URLs of the nodes hosting the new database.
  std::vector<std::string> node_urls;

  friend bool operator==(const database_created& x,
                         const database_created& y) {
    return x.index == y.index && x.record == y.record
           && x.node_urls == y.node_urls;
  }
};

/// Reply to a database deletion: the cluster index and the names removed.
struct databases_deleted {
  int64_t index = 0;
  std::vector<std::string> names;

  friend bool operator==(const databases_deleted& x,
                         const databases_deleted& y) {
    return x.index == y.index && x.names == y.names;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, database_topology& x) {
  return f(caf::meta::type_name("corvus::database_topology"), x.members,
           x.promotables, x.rehabs, x.replication_factor,
           x.dynamic_nodes_distribution, x.priority_order);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, database_record& x) {
  return f(caf::meta::type_name("corvus::database_record"), x.name,
           x.disabled, x.topology, x.other_members, x.etag);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, database_creation& x) {
  return f(caf::meta::type_name("corvus::database_creation"), x.record,
           x.explicit_members);
}

template <class Inspector>
typename Inspector::result_type
inspect(Inspector& f, delete_databases_command& x) {
  return f(caf::meta::type_name("corvus::delete_databases_command"), x.names,
           x.from_nodes, x.hard_delete);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, database_created& x) {
  return f(caf::meta::type_name("corvus::database_created"), x.index,
           x.record, x.node_urls);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, databases_deleted& x) {
  return f(caf::meta::type_name("corvus::databases_deleted"), x.index,
           x.names);
}

} // namespace corvus
