#include "actors/http/request.hpp"
#include "actors/http/routes.hpp"
#include "runtime/documents/document_id.hpp"
#include "runtime/http/error_body.hpp"

#include <array>

namespace corvus {

namespace {

using handler = void (*)(const request_ptr&);

struct route {
  std::string_view method;
  /// Segments separated by '/'; `{}` matches any one segment (a parameter).
  std::string_view pattern;
  handler run;
};

// Every route Corvus serves (ravendb-http.md: P0, the low-level document
// commands, compare-exchange, cluster membership, database groups,
// conflicts).
constexpr std::array<route, 47> routes = {{
  {"GET", "/databases/{}/docs", get_documents},
  {"POST", "/databases/{}/docs", post_documents},
  {"PUT", "/databases/{}/docs", put_document},
  {"DELETE", "/databases/{}/docs", delete_document},
  {"HEAD", "/databases/{}/docs", head_document},
  {"POST", "/databases/{}/bulk_docs", post_bulk_docs},
  {"GET", "/databases/{}/hilo/next", get_hilo_next},
  {"PUT", "/databases/{}/hilo/return", put_hilo_return},
  {"GET", "/databases/{}/stats", get_stats},
  {"GET", "/databases/{}/collections/stats", get_collection_stats},
  {"GET", "/databases/{}/healthcheck", get_healthcheck},
  {"GET", "/databases/{}/configuration/client", get_client_configuration},
  {"GET", "/databases/{}/replication/conflicts", get_replication_conflicts},
  {"POST", "/databases/{}/admin/revisions/conflicts/config",
   post_revisions_for_conflicts},
  {"GET", "/databases/{}/cmpxchg", get_compare_exchange},
  {"PUT", "/databases/{}/cmpxchg", put_compare_exchange},
  {"DELETE", "/databases/{}/cmpxchg", delete_compare_exchange},
  {"GET", "/topology", get_topology},
  {"GET", "/cluster/topology", get_cluster_topology},
  {"GET", "/cluster/node-info", get_node_info},
  {"GET", "/info/tcp", get_tcp_info},
  {"PUT", "/admin/cluster/node", put_cluster_node},
  {"DELETE", "/admin/cluster/node", delete_cluster_node},
  {"POST", "/admin/cluster/promote", post_cluster_promote},
  {"POST", "/admin/cluster/demote", post_cluster_demote},
  {"POST", "/admin/cluster/bootstrap", post_cluster_bootstrap},
  {"POST", "/admin/cluster/reelect", post_cluster_reelect},
  {"POST", "/admin/cluster/timeout", post_cluster_timeout},
  {"GET", "/rachis/waitfor", get_rachis_waitfor},
  {"PUT", "/admin/databases", put_admin_databases},
  {"PUT", "/admin/databases/node", put_admin_databases_node},
  {"POST", "/admin/databases/promote", post_admin_databases_promote},
  {"POST", "/admin/databases/reorder", post_admin_databases_reorder},
  {"POST", "/admin/databases/dynamic-node-distribution",
   post_admin_databases_dynamic_distribution},
  {"POST", "/admin/databases/topology/modify",
   post_admin_databases_topology_modify},
  {"POST", "/admin/replication/conflicts/solver", post_admin_conflict_solver},
  {"GET", "/admin/databases", get_admin_databases},
  {"DELETE", "/admin/databases", delete_admin_databases},
  {"POST", "/admin/databases/disable", post_admin_databases_disable},
  {"POST", "/admin/databases/enable", post_admin_databases_enable},
  {"GET", "/databases", get_databases},
  {"GET", "/build/version", get_build_version},
  {"GET", "/admin/actors", get_actors},
  {"GET", "/admin/actors/{}", get_actor},
  {"GET", "/admin/restarts", get_restarts},
  {"GET", "/metrics", get_metrics},
  {"GET", "/admin/debug/memory/stats", get_memory_stats},
}};

// Routes whose first path parameter names a database.
bool is_database_route(std::string_view pattern) {
  return pattern.rfind("/databases/{}", 0) == 0;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash);
  }
  return segments;
}

// @returns the raw parameters when `segments` match `pattern`.
std::optional<std::vector<std::string_view>>
match(std::string_view pattern, const std::vector<std::string_view>& segments) {
  auto expected = split_path(pattern);
  if (expected.size() != segments.size())
    return std::nullopt;
  std::vector<std::string_view> params;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] == "{}")
      params.push_back(segments[i]);
    else if (expected[i] != segments[i])
      return std::nullopt;
  }
  return params;
}

void answer_error(http_exchange& ex, const failure& f) {
  auto mapping = map_error(f.code);
  ex.respond(json_reply(mapping.status, render_error_body(f, ex.target)));
}

} // namespace

void route_request(const http_services& services,
                   std::shared_ptr<http_exchange> ex) {
  std::string_view target = ex->target;
  auto question = target.find('?');
  auto path = target.substr(0, question);
  auto query_text = question == std::string_view::npos
                      ? std::string_view{}
                      : target.substr(question + 1);
  auto segments = split_path(path);
  for (auto& r : routes) {
    if (r.method != ex->method)
      continue;
    auto raw = match(r.pattern, segments);
    if (!raw)
      continue;
    std::vector<std::string> params;
    for (auto p : *raw) {
      auto decoded = percent_decode(p, false);
      if (!decoded)
        return answer_error(*ex, decoded.error());
      params.push_back(std::move(*decoded));
    }
    auto query = query_string::parse(query_text);
    if (!query)
      return answer_error(*ex, query.error());
    bool database_route = is_database_route(r.pattern);
    auto req = std::make_shared<request>(std::move(ex), services,
                                         std::move(*query), std::move(params));
    // A database that is still opening (the node just started, or it was
    // just created) is waited for rather than refused.
    if (database_route) {
      auto& dbs = req->node().databases;
      auto db = dbs.find(fold_case(req->param(0)));
      if (db != dbs.end() && db->second->loading()) {
        auto run = r.run;
        return req->when_loaded([req, run] { run(req); });
      }
    }
    r.run(req);
    return;
  }
  answer_error(*ex, make_failure(ec::route_not_found,
                                 "There is no route for " + ex->method + " "
                                   + std::string{path.substr(0, 300)}));
}

} // namespace corvus
