#pragma once

// Wire form of the cluster messages: inspect overloads for the commands and
// results of runtime/cluster that cross actors (database records, database
// creation and deletion, adding a node to a database group,
// compare-exchange).

#include "runtime/cluster/cluster_command.hpp"

#include <caf/meta/type_name.hpp>

namespace corvus {

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
inspect(Inspector& f, create_database_command& x) {
  return f(caf::meta::type_name("corvus::create_database_command"),
           x.request_id, x.creation, x.node_offset);
}

template <class Inspector>
typename Inspector::result_type
inspect(Inspector& f, delete_databases_command& x) {
  return f(caf::meta::type_name("corvus::delete_databases_command"),
           x.request_id, x.names, x.from_nodes, x.hard_delete);
}

template <class Inspector>
typename Inspector::result_type
inspect(Inspector& f, add_database_node_command& x) {
  return f(caf::meta::type_name("corvus::add_database_node_command"),
           x.request_id, x.name, x.node_tag, x.node_offset);
}

template <class Inspector>
typename Inspector::result_type
inspect(Inspector& f, toggle_databases_command& x) {
  return f(caf::meta::type_name("corvus::toggle_databases_command"),
           x.request_id, x.names, x.disable);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, databases_toggled& x) {
  return f(caf::meta::type_name("corvus::databases_toggled"), x.index,
           x.names, x.disabled);
}

template <class Inspector>
typename Inspector::result_type
inspect(Inspector& f, change_database_group_command& x) {
  return f(caf::meta::type_name("corvus::change_database_group_command"),
           x.request_id, x.name, x.what, x.nodes, x.setting, x.topology);
}

template <class Inspector>
typename Inspector::result_type
inspect(Inspector& f, database_group_changed& x) {
  return f(caf::meta::type_name("corvus::database_group_changed"), x.index,
           x.record);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, database_created& x) {
  return f(caf::meta::type_name("corvus::database_created"), x.index,
           x.record, x.node_urls);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, databases_deleted& x) {
  return f(caf::meta::type_name("corvus::databases_deleted"), x.index,
           x.names, x.nodes, x.pending_nodes);
}

template <class Inspector>
typename Inspector::result_type
inspect(Inspector& f, database_node_added& x) {
  return f(caf::meta::type_name("corvus::database_node_added"), x.index,
           x.record, x.node_tag, x.node_url);
}

template <class Inspector>
typename Inspector::result_type
inspect(Inspector& f, put_compare_exchange_command& x) {
  return f(caf::meta::type_name("corvus::put_compare_exchange_command"),
           x.request_id, x.database, x.key, x.value, x.index);
}

template <class Inspector>
typename Inspector::result_type
inspect(Inspector& f, remove_compare_exchange_command& x) {
  return f(caf::meta::type_name("corvus::remove_compare_exchange_command"),
           x.request_id, x.database, x.key, x.index);
}

template <class Inspector>
typename Inspector::result_type
inspect(Inspector& f, compare_exchange_result& x) {
  return f(caf::meta::type_name("corvus::compare_exchange_result"), x.index,
           x.value, x.successful);
}

} // namespace corvus
