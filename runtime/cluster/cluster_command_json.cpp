#include "runtime/cluster/cluster_command_json.hpp"

#include "runtime/cluster/database_record_json.hpp"
#include "runtime/json/json.hpp"
#include "runtime/json/json_fields.hpp"

#include <rapidjson/document.h>

#include <algorithm>

namespace corvus {

namespace {

void write_header(json_writer& w, const char* type, const std::string& id) {
  w.Key("Type");
  w.String(type);
  w.Key("UniqueRequestId");
  write_string(w, id);
}

void write_body(json_writer& w, const create_database_command& c) {
  write_header(w, "AddDatabaseCommand", c.request_id);
  w.Key("Name");
  write_string(w, c.creation.record.name);
  w.Key("Record");
  write_database_record(w, c.creation.record);
  w.Key("ExplicitMembers");
  w.Bool(c.creation.explicit_members);
  w.Key("NodeOffset");
  w.Uint64(c.node_offset);
}

void write_body(json_writer& w, const delete_databases_command& c) {
  write_header(w, "DeleteDatabaseCommand", c.request_id);
  write_string_array(w, "DatabaseNames", c.names);
  write_string_array(w, "FromNodes", c.from_nodes);
  w.Key("HardDelete");
  w.Bool(c.hard_delete);
}

void write_body(json_writer& w, const add_database_node_command& c) {
  write_header(w, "AddDatabaseNodeCommand", c.request_id);
  w.Key("Name");
  write_string(w, c.name);
  w.Key("NodeTag");
  write_string(w, c.node_tag);
  w.Key("NodeOffset");
  w.Uint64(c.node_offset);
}

void write_body(json_writer& w, const toggle_databases_command& c) {
  write_header(w, "ToggleDatabasesStateCommand", c.request_id);
  write_string_array(w, "DatabaseNames", c.names);
  w.Key("Disable");
  w.Bool(c.disable);
}

using group_change = change_database_group_command::kind;

constexpr std::pair<group_change, std::string_view> group_change_names[] = {
  {group_change::reorder, "Reorder"},
  {group_change::promote, "Promote"},
  {group_change::dynamic_distribution, "DynamicDistribution"},
  {group_change::topology, "Topology"},
  {group_change::resolve_to_latest, "ResolveToLatest"},
};

void write_body(json_writer& w, const change_database_group_command& c) {
  write_header(w, "ChangeDatabaseGroupCommand", c.request_id);
  w.Key("Name");
  write_string(w, c.name);
  w.Key("Change");
  for (auto& [kind, name] : group_change_names)
    if (kind == c.what)
      write_string(w, name);
  write_string_array(w, "Nodes", c.nodes);
  w.Key("Setting");
  w.Bool(c.setting);
  w.Key("Topology");
  write_database_topology(w, c.topology);
}

void write_target(json_writer& w, const std::string& database,
                  const std::string& key, int64_t index) {
  w.Key("Database");
  write_string(w, database);
  w.Key("Key");
  write_string(w, key);
  w.Key("Index");
  w.Int64(index);
}

void write_body(json_writer& w, const put_compare_exchange_command& c) {
  write_header(w, "AddOrUpdateCompareExchangeCommand", c.request_id);
  write_target(w, c.database, c.key, c.index);
  w.Key("Value");
  write_string(w, c.value);
}

void write_body(json_writer& w, const remove_compare_exchange_command& c) {
  write_header(w, "RemoveCompareExchangeCommand", c.request_id);
  write_target(w, c.database, c.key, c.index);
}

// The request id: RavenDB calls it UniqueRequestId; RaftRequestId (after
// the raft-request-id query parameter) is read too.
outcome<std::string> read_request_id(const rapidjson::Value& doc,
                                     std::string_view type) {
  if (doc.HasMember("UniqueRequestId"))
    return optional_string(doc, "UniqueRequestId", type);
  return optional_string(doc, "RaftRequestId", type);
}

outcome<cluster_command> read_create(const rapidjson::Value& doc,
                                     std::string id) {
  constexpr std::string_view type = "AddDatabaseCommand";
  auto record = required_object(doc, "Record", type);
  if (!record)
    return record.error();
  auto r = read_database_record(**record);
  if (!r)
    return r.error();
  auto name = required_string(doc, "Name", type);
  if (!name)
    return name.error();
  if (*name != r->name)
    return make_failure(ec::bad_request, "AddDatabaseCommand: 'Name' "
                                         "differs from the record's name");
  auto explicit_members = optional_bool(doc, "ExplicitMembers", false, type);
  if (!explicit_members)
    return explicit_members.error();
  auto offset = optional_uint64(doc, "NodeOffset", 0, type);
  if (!offset)
    return offset.error();
  create_database_command cmd;
  cmd.request_id = std::move(id);
  cmd.creation.record = std::move(*r);
  cmd.creation.explicit_members = *explicit_members;
  cmd.node_offset = *offset;
  return cluster_command{std::move(cmd)};
}

outcome<cluster_command> read_delete(const rapidjson::Value& doc,
                                     std::string id) {
  constexpr std::string_view type = "DeleteDatabaseCommand";
  auto names = string_array(doc, "DatabaseNames", type);
  if (!names)
    return names.error();
  auto from = string_array(doc, "FromNodes", type);
  if (!from)
    return from.error();
  auto hard = optional_bool(doc, "HardDelete", true, type);
  if (!hard)
    return hard.error();
  return cluster_command{delete_databases_command{
    std::move(id), std::move(*names), std::move(*from), *hard}};
}

outcome<cluster_command> read_toggle(const rapidjson::Value& doc,
                                     std::string id) {
  constexpr std::string_view type = "ToggleDatabasesStateCommand";
  auto names = string_array(doc, "DatabaseNames", type);
  if (!names)
    return names.error();
  auto disable = optional_bool(doc, "Disable", true, type);
  if (!disable)
    return disable.error();
  return cluster_command{
    toggle_databases_command{std::move(id), std::move(*names), *disable}};
}

outcome<cluster_command> read_add_node(const rapidjson::Value& doc,
                                       std::string id) {
  constexpr std::string_view type = "AddDatabaseNodeCommand";
  auto name = required_string(doc, "Name", type);
  if (!name)
    return name.error();
  auto tag = optional_string(doc, "NodeTag", type);
  if (!tag)
    return tag.error();
  auto offset = optional_uint64(doc, "NodeOffset", 0, type);
  if (!offset)
    return offset.error();
  return cluster_command{add_database_node_command{
    std::move(id), std::move(*name), std::move(*tag), *offset}};
}

outcome<cluster_command> read_group_change(const rapidjson::Value& doc,
                                           std::string id) {
  constexpr std::string_view type = "ChangeDatabaseGroupCommand";
  change_database_group_command cmd;
  cmd.request_id = std::move(id);
  auto name = required_string(doc, "Name", type);
  if (!name)
    return name.error();
  cmd.name = std::move(*name);
  auto change = required_string(doc, "Change", type);
  if (!change)
    return change.error();
  auto known = std::find_if(std::begin(group_change_names),
                            std::end(group_change_names),
                            [&](auto& n) { return n.second == *change; });
  if (known == std::end(group_change_names))
    return make_failure(ec::bad_request, "ChangeDatabaseGroupCommand: "
                                         "unknown change '"
                                           + *change + "'");
  cmd.what = known->first;
  auto nodes = string_array(doc, "Nodes", type);
  if (!nodes)
    return nodes.error();
  cmd.nodes = std::move(*nodes);
  auto setting = optional_bool(doc, "Setting", false, type);
  if (!setting)
    return setting.error();
  cmd.setting = *setting;
  auto topology = required_object(doc, "Topology", type);
  if (!topology)
    return topology.error();
  auto t = read_database_topology(**topology);
  if (!t)
    return t.error();
  cmd.topology = std::move(*t);
  return cluster_command{std::move(cmd)};
}

template <class Command>
outcome<Command> read_target(const rapidjson::Value& doc, std::string id,
                             std::string_view type) {
  auto database = required_string(doc, "Database", type);
  if (!database)
    return database.error();
  auto key = required_string(doc, "Key", type);
  if (!key)
    return key.error();
  auto index = required_int64(doc, "Index", type);
  if (!index)
    return index.error();
  Command cmd;
  cmd.request_id = std::move(id);
  cmd.database = std::move(*database);
  cmd.key = std::move(*key);
  cmd.index = *index;
  return cmd;
}

outcome<cluster_command> read_put(const rapidjson::Value& doc,
                                  std::string id) {
  constexpr std::string_view type = "AddOrUpdateCompareExchangeCommand";
  auto cmd = read_target<put_compare_exchange_command>(doc, std::move(id),
                                                       type);
  if (!cmd)
    return cmd.error();
  auto value = required_string(doc, "Value", type);
  if (!value)
    return value.error();
  cmd->value = shared_text{std::move(*value)};
  return cluster_command{std::move(*cmd)};
}

outcome<cluster_command> read_remove(const rapidjson::Value& doc,
                                     std::string id) {
  auto cmd = read_target<remove_compare_exchange_command>(
    doc, std::move(id), "RemoveCompareExchangeCommand");
  if (!cmd)
    return cmd.error();
  return cluster_command{std::move(*cmd)};
}

} // namespace

std::string command_to_json(const cluster_command& cmd) {
  return write_json(256, [&](json_writer& w) {
    w.StartObject();
    std::visit([&](auto& c) { write_body(w, c); }, cmd);
    w.EndObject();
  });
}

outcome<cluster_command> command_from_json(std::string_view text) {
  rapidjson::Document doc;
  if (auto parsed = parse_json(text, doc, "the cluster command"); !parsed)
    return parsed.error();
  if (!doc.IsObject())
    return make_failure(ec::bad_request,
                        "a cluster command must be a JSON object");
  auto type = required_string(doc, "Type", "cluster command");
  if (!type)
    return type.error();
  auto id = read_request_id(doc, *type);
  if (!id)
    return id.error();
  if (*type == "AddDatabaseCommand")
    return read_create(doc, std::move(*id));
  if (*type == "DeleteDatabaseCommand")
    return read_delete(doc, std::move(*id));
  if (*type == "ToggleDatabasesStateCommand")
    return read_toggle(doc, std::move(*id));
  if (*type == "AddDatabaseNodeCommand")
    return read_add_node(doc, std::move(*id));
  if (*type == "ChangeDatabaseGroupCommand")
    return read_group_change(doc, std::move(*id));
  if (*type == "AddOrUpdateCompareExchangeCommand")
    return read_put(doc, std::move(*id));
  if (*type == "RemoveCompareExchangeCommand")
    return read_remove(doc, std::move(*id));
  return make_failure(ec::bad_request,
                      "unknown cluster command type '" + *type + "'");
}

} // namespace corvus
