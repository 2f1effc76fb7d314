// Server routes (ravendb-http.md §2.3, §5): database topologies and
// records served from the node's cluster summary; creating, deleting,
// disabling and enabling databases go to the node actor (and through it
// to the cluster). Changes to a database group are in
// database_group_routes.cpp.

#include "actors/http/route_params.hpp"
#include "actors/http/routes.hpp"

#include "runtime/http/responses.hpp"
#include "runtime/http/timespan.hpp"
#include "runtime/json/json.hpp"
#include "runtime/json/json_fields.hpp"

#include <rapidjson/document.h>

#include <algorithm>

namespace corvus {

namespace {

// Parses the request body into `body` (a JSON object) and returns its
// 'DatabaseNames': at least one, each a valid name (the bodies of
// DELETE /admin/databases and of disabling and enabling).
outcome<std::vector<std::string>> databases_named(const request_ptr& r,
                                                  rapidjson::Document& body) {
  if (auto parsed = json_object_body(r, body); !parsed)
    return parsed.error();
  auto names = string_array(body, "DatabaseNames", request_body);
  if (!names)
    return names.error();
  if (names->empty())
    return make_failure(ec::bad_request,
                        "'DatabaseNames' must name at least one database");
  for (auto& n : *names)
    if (auto valid = validate_database_name(n); !valid)
      return valid.error();
  return names;
}

} // namespace

void get_topology(const request_ptr& r) {
  auto name = required_name(r);
  if (!name)
    return;
  auto& node = r->node();
  auto* record = node.cluster->find_database(*name);
  if (record == nullptr)
    return r->fail(make_failure(ec::database_does_not_exist,
                                "Database '" + *name + "' was not found"));
  // Members in priority order (the preferred node first), then rehabs.
  auto& t = record->topology;
  std::vector<std::string> members;
  for (auto& tag : t.priority_order)
    if (std::find(t.members.begin(), t.members.end(), tag) != t.members.end())
      members.push_back(tag);
  for (auto& tag : t.members)
    if (std::find(members.begin(), members.end(), tag) == members.end())
      members.push_back(tag);
  std::vector<topology_node> nodes;
  auto url_of = [&](const std::string& tag) {
    return node.cluster->topology.url_of(tag);
  };
  for (auto& tag : members)
    nodes.push_back({url_of(tag), tag, "Member"});
  for (auto& tag : t.rehabs)
    nodes.push_back({url_of(tag), tag, "Rehab"});
  r->reply_json(200, render_topology(nodes, record->name, record->etag));
}

void put_admin_databases(const request_ptr& r) {
  // UpdateDatabaseOperation sends the record's etag; creation sends
  // "undefined" (ravendb-http §1.2), which means no value.
  auto etag = r->exchange().header("ETag");
  if (!etag.empty() && etag != "\"undefined\"" && etag != "undefined")
    return r->fail(make_failure(ec::not_supported,
                                "updating a database record is not "
                                "supported by Corvus yet"));
  auto rf = r->query().get_int("replicationFactor", 0);
  if (!rf)
    return r->fail(rf.error());
  // Above the cluster's size it places a copy on every node, as RavenDB.
  if (*rf < 0 || *rf > 1000)
    return r->fail(make_failure(
      ec::bad_request,
      "replicationFactor must be between 0 and 1000, got "
        + std::to_string(*rf)
        + " (0, or none, places one copy; more than the cluster's nodes "
          "places a copy on every node)"));
  auto creation = parse_database_creation(r->exchange().body,
                                          r->query().get("name").value_or(""),
                                          static_cast<int>(*rf));
  if (!creation)
    return r->fail(creation.error());
  // A retried request carries the same id; it is answered as the first
  // one was instead of failing because the database now exists.
  create_database_command cmd;
  cmd.request_id = raft_request_id(r);
  cmd.creation = std::move(*creation);
  r->call<database_created>(
    r->services().node,
    [](database_created& created) {
      return json_reply(201, render_database_put_result(created.index,
                                                        created.record,
                                                        created.node_urls));
    },
    std::move(cmd));
}

void get_admin_databases(const request_ptr& r) {
  auto name = required_name(r);
  if (!name)
    return;
  auto* record = r->node().cluster->find_database(*name);
  if (record == nullptr)
    return r->reply(empty_reply(404, {{"Database-Missing", *name}}));
  r->reply_json(200, render_database_record(*record));
}

void delete_admin_databases(const request_ptr& r) {
  rapidjson::Document body;
  auto names = databases_named(r, body);
  if (!names)
    return r->fail(names.error());
  delete_databases_command cmd;
  cmd.request_id = raft_request_id(r);
  cmd.names = std::move(*names);
  auto from = string_array(body, "FromNodes", request_body);
  if (!from)
    return r->fail(from.error());
  cmd.from_nodes = std::move(*from);
  cmd.hard_delete = false;
  if (auto hard = body.FindMember("HardDelete"); hard != body.MemberEnd()) {
    if (!hard->value.IsBool())
      return r->fail(make_failure(ec::bad_request,
                                  "'HardDelete' must be true or false"));
    cmd.hard_delete = hard->value.GetBool();
  }
  // How long to wait for the other nodes to confirm; RavenDB's default.
  caf::timespan confirmation = std::chrono::seconds{15};
  if (auto wait = body.FindMember("TimeToWaitForConfirmation");
      wait != body.MemberEnd() && !wait->value.IsNull()) {
    auto text = wait->value.IsString() ? std::string{view_of(wait->value)}
                : wait->value.IsNumber()
                  ? std::to_string(wait->value.GetInt64())
                  : std::string{"?"};
    auto valid = parse_timespan(text, "TimeToWaitForConfirmation");
    if (!valid)
      return r->fail(valid.error());
    confirmation = *valid;
  }
  r->call<databases_deleted>(
    r->services().node,
    [](databases_deleted& deleted) {
      return json_reply(200, render_databases_deleted(deleted.index,
                                                      deleted.pending_nodes));
    },
    std::move(cmd), confirmation);
}

namespace {

// POST /admin/databases/disable and /enable: one cluster command for all
// the names; names the cluster does not know get Success false.
void toggle_databases(const request_ptr& r, bool disable) {
  rapidjson::Document body;
  auto names = databases_named(r, body);
  if (!names)
    return r->fail(names.error());
  toggle_databases_command cmd;
  cmd.request_id = raft_request_id(r);
  cmd.names = *names;
  cmd.disable = disable;
  r->call<databases_toggled>(
    r->services().node,
    [asked = std::move(*names)](databases_toggled& toggled) {
      return json_reply(200, render_toggle_status(asked, toggled));
    },
    std::move(cmd));
}

} // namespace

void post_admin_databases_disable(const request_ptr& r) {
  toggle_databases(r, true);
}

void post_admin_databases_enable(const request_ptr& r) {
  toggle_databases(r, false);
}

void get_databases(const request_ptr& r) {
  auto& q = r->query();
  auto start = q.get_int("start", 0);
  auto page_size = q.get_int("pageSize", 1 << 20);
  auto names_only = q.get_bool("namesOnly", false);
  for (auto* n : {&start, &page_size})
    if (!*n)
      return r->fail(n->error());
  if (!names_only)
    return r->fail(names_only.error());
  if (*start < 0 || *page_size < 0)
    return r->fail(make_failure(ec::bad_request,
                                "start and pageSize must not be negative"));
  std::vector<const database_record*> page;
  int64_t index = 0;
  for (auto& [key, record] : r->node().cluster->databases)
    if (index++ >= *start && static_cast<int64_t>(page.size()) < *page_size)
      page.push_back(&record);
  r->reply_json(200, render_database_list(page, *names_only));
}

void get_build_version(const request_ptr& r) {
  r->reply_json(200, render_build_version());
}

} // namespace corvus
