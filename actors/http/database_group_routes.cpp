// Database group routes (ravendb-http.md §5.5): adding a node to a group,
// promoting one, reordering the members, dynamic node distribution, a
// whole new topology, and the conflict solver. Each goes to the node actor
// and through it to the cluster, and is answered once the group's nodes
// applied it. Revisions for conflicts are refused: Corvus keeps no
// revisions yet.

#include "actors/http/route_params.hpp"
#include "actors/http/routes.hpp"

#include "runtime/http/responses.hpp"
#include "runtime/json/json.hpp"
#include "runtime/json/json_fields.hpp"

#include <rapidjson/document.h>

namespace corvus {

namespace {

using group_change = change_database_group_command::kind;

/// The query's database name; nothing (after answering 400) when it is
/// missing or invalid.
std::optional<std::string> valid_name_in_query(const request_ptr& r) {
  auto name = required_name(r);
  if (!name)
    return std::nullopt;
  if (auto valid = validate_database_name(*name); !valid) {
    r->fail(valid.error());
    return std::nullopt;
  }
  return name;
}

/// The command for a change to the group of the query's database; nothing
/// (after answering 400) when the name is missing or invalid.
std::optional<change_database_group_command>
group_change_for(const request_ptr& r, group_change what) {
  auto name = valid_name_in_query(r);
  if (!name)
    return std::nullopt;
  change_database_group_command cmd;
  cmd.request_id = raft_request_id(r);
  cmd.name = std::move(*name);
  cmd.what = what;
  return cmd;
}

http_reply no_content(database_group_changed&) {
  return empty_reply(204);
}

/// RavenDB's DatabasePutResult with the group as changed.
http_reply group_as_changed(database_group_changed& changed) {
  return json_reply(200, render_database_put_result(changed.index,
                                                    changed.record, {}));
}

} // namespace

void put_admin_databases_node(const request_ptr& r) {
  auto name = valid_name_in_query(r);
  if (!name)
    return;
  add_database_node_command cmd;
  cmd.request_id = raft_request_id(r);
  cmd.name = std::move(*name);
  cmd.node_tag = std::string{r->query().get("node").value_or("")};
  // RavenDB's optional `mentor` names the member a new promotable catches
  // up from; Corvus adds nodes as members (no observer promotes them yet),
  // so there is nothing to mentor and the parameter is ignored.
  r->call<database_node_added>(
    r->services().node,
    [](database_node_added& added) {
      return json_reply(201, render_database_put_result(added.index,
                                                        added.record,
                                                        {added.node_url}));
    },
    std::move(cmd));
}

void post_admin_databases_promote(const request_ptr& r) {
  auto cmd = group_change_for(r, group_change::promote);
  if (!cmd)
    return;
  auto node = r->query().get("node");
  if (!node || node->empty())
    return r->fail(make_failure(ec::bad_request,
                                "the query parameter 'node' is required"));
  cmd->nodes.emplace_back(*node);
  r->call<database_group_changed>(r->services().node, group_as_changed,
                                  std::move(*cmd));
}

void post_admin_databases_reorder(const request_ptr& r) {
  auto cmd = group_change_for(r, group_change::reorder);
  if (!cmd)
    return;
  rapidjson::Document body;
  if (auto parsed = json_object_body(r, body); !parsed)
    return r->fail(parsed.error());
  auto order = string_array(body, "MembersOrder", request_body);
  if (!order)
    return r->fail(order.error());
  if (order->empty())
    return r->fail(make_failure(ec::bad_request,
                                "'MembersOrder' must name the nodes of the "
                                "group in their new order"));
  cmd->nodes = std::move(*order);
  auto fixed = optional_bool(body, "Fixed", false, request_body);
  if (!fixed)
    return r->fail(fixed.error());
  cmd->setting = *fixed;
  r->call<database_group_changed>(r->services().node, no_content,
                                  std::move(*cmd));
}

void post_admin_databases_dynamic_distribution(const request_ptr& r) {
  auto cmd = group_change_for(r, group_change::dynamic_distribution);
  if (!cmd)
    return;
  // The npm client sends `enabled`, RavenDB's server reads `enable`
  // (ravendb-http §5.5): both are taken, `enabled` first; absent means on.
  auto& q = r->query();
  auto enabled = q.get("enabled") ? q.get_bool("enabled", true)
                                  : q.get_bool("enable", true);
  if (!enabled)
    return r->fail(enabled.error());
  cmd->setting = *enabled;
  r->call<database_group_changed>(r->services().node, no_content,
                                  std::move(*cmd));
}

void post_admin_databases_topology_modify(const request_ptr& r) {
  auto cmd = group_change_for(r, group_change::topology);
  if (!cmd)
    return;
  auto topology = parse_database_topology(r->exchange().body);
  if (!topology)
    return r->fail(topology.error());
  cmd->topology = std::move(*topology);
  r->call<database_group_changed>(r->services().node, group_as_changed,
                                  std::move(*cmd));
}

void post_admin_conflict_solver(const request_ptr& r) {
  auto cmd = group_change_for(r, group_change::resolve_to_latest);
  if (!cmd)
    return;
  rapidjson::Document body;
  if (auto parsed = json_object_body(r, body); !parsed)
    return r->fail(parsed.error());
  if (auto scripts = body.FindMember("ResolveByCollection");
      scripts != body.MemberEnd() && !scripts->value.IsNull()) {
    if (!scripts->value.IsObject())
      return r->fail(make_failure(ec::bad_request,
                                  "'ResolveByCollection' must be an object "
                                  "of collections"));
    if (scripts->value.MemberCount() > 0)
      return r->fail(make_failure(
        ec::not_supported, "Corvus does not support conflict resolution "
                           "scripts yet (ResolveByCollection); "
                           "ResolveToLatest is supported"));
  }
  auto latest = optional_bool(body, "ResolveToLatest", false, request_body);
  if (!latest)
    return r->fail(latest.error());
  cmd->setting = *latest;
  r->call<database_group_changed>(
    r->services().node,
    [](database_group_changed& changed) {
      return json_reply(201, render_conflict_solver_result(changed.index,
                                                           changed.record));
    },
    std::move(*cmd));
}

void post_revisions_for_conflicts(const request_ptr& r) {
  if (!database_exists(r))
    return;
  r->fail(make_failure(ec::not_supported,
                       "Corvus does not support revisions yet, so it keeps "
                       "none for conflicts (RevisionsForConflicts)"));
}

} // namespace corvus
