#pragma once

// The handlers of every HTTP route, one function each. The route table in
// router.cpp says which method and path reach which handler.

#include "actors/http/request.hpp"

namespace corvus {

// Documents (document_routes.cpp), all under /databases/{db}/.
void get_documents(const request_ptr& r);
void post_documents(const request_ptr& r);
void put_document(const request_ptr& r);
void delete_document(const request_ptr& r);
void head_document(const request_ptr& r);
void post_bulk_docs(const request_ptr& r);
void get_hilo_next(const request_ptr& r);
void put_hilo_return(const request_ptr& r);

// Database status (database_routes.cpp), under /databases/{db}/.
void get_stats(const request_ptr& r);
void get_collection_stats(const request_ptr& r);
void get_healthcheck(const request_ptr& r);
void get_client_configuration(const request_ptr& r);

// Replication (replication_routes.cpp), under /databases/{db}/.
void get_replication_conflicts(const request_ptr& r);

// Server (server_routes.cpp).
void get_topology(const request_ptr& r);
void put_admin_databases(const request_ptr& r);
void get_admin_databases(const request_ptr& r);
void delete_admin_databases(const request_ptr& r);
void post_admin_databases_disable(const request_ptr& r);
void post_admin_databases_enable(const request_ptr& r);
void get_databases(const request_ptr& r);
void get_build_version(const request_ptr& r);

// Database groups (database_group_routes.cpp).
void put_admin_databases_node(const request_ptr& r);
void post_admin_databases_promote(const request_ptr& r);
void post_admin_databases_reorder(const request_ptr& r);
void post_admin_databases_dynamic_distribution(const request_ptr& r);
void post_admin_databases_topology_modify(const request_ptr& r);
void post_admin_conflict_solver(const request_ptr& r);
void post_revisions_for_conflicts(const request_ptr& r);

// Cluster (cluster_routes.cpp).
void get_cluster_topology(const request_ptr& r);
void get_node_info(const request_ptr& r);
void get_tcp_info(const request_ptr& r);
void put_cluster_node(const request_ptr& r);
void delete_cluster_node(const request_ptr& r);
void post_cluster_promote(const request_ptr& r);
void post_cluster_demote(const request_ptr& r);
void post_cluster_bootstrap(const request_ptr& r);
void post_cluster_reelect(const request_ptr& r);
void post_cluster_timeout(const request_ptr& r);
void get_rachis_waitfor(const request_ptr& r);
void get_compare_exchange(const request_ptr& r);
void put_compare_exchange(const request_ptr& r);
void delete_compare_exchange(const request_ptr& r);

// Introspection (introspection_routes.cpp).
void get_actors(const request_ptr& r);
void get_actor(const request_ptr& r);
void get_restarts(const request_ptr& r);
void get_metrics(const request_ptr& r);
void get_memory_stats(const request_ptr& r);

} // namespace corvus
