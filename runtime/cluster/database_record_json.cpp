#include "runtime/cluster/database_record_json.hpp"

#include "runtime/json/json_fields.hpp"

namespace corvus {

namespace {

constexpr std::string_view what = "database record";

} // namespace

void write_database_topology(json_writer& w, const database_topology& t) {
  w.StartObject();
  write_string_array(w, "Members", t.members);
  write_string_array(w, "Promotables", t.promotables);
  write_string_array(w, "Rehabs", t.rehabs);
  write_string_array(w, "PriorityOrder", t.priority_order);
  w.Key("ReplicationFactor");
  w.Int(t.replication_factor);
  w.Key("DynamicNodesDistribution");
  w.Bool(t.dynamic_nodes_distribution);
  w.EndObject();
}

outcome<database_topology> read_database_topology(const rapidjson::Value& t) {
  if (!t.IsObject())
    return make_failure(ec::bad_request, "a database topology must be an "
                                         "object");
  database_topology out;
  for (auto [key, tags] :
       {std::pair{"Members", &out.members},
        std::pair{"Promotables", &out.promotables},
        std::pair{"Rehabs", &out.rehabs},
        std::pair{"PriorityOrder", &out.priority_order}}) {
    auto read = string_array(t, key, what);
    if (!read)
      return read.error();
    *tags = std::move(*read);
  }
  auto rf = t.FindMember("ReplicationFactor");
  if (rf == t.MemberEnd() || !rf->value.IsInt())
    return make_failure(ec::bad_request, "database record: "
                                         "'ReplicationFactor' must be an "
                                         "integer");
  out.replication_factor = rf->value.GetInt();
  auto dynamic = optional_bool(t, "DynamicNodesDistribution", false, what);
  if (!dynamic)
    return dynamic.error();
  out.dynamic_nodes_distribution = *dynamic;
  return out;
}

void write_database_record(json_writer& w, const database_record& r) {
  w.StartObject();
  w.Key("Name");
  write_string(w, r.name);
  w.Key("Disabled");
  w.Bool(r.disabled);
  w.Key("Etag");
  w.Int64(r.etag);
  w.Key("Topology");
  write_database_topology(w, r.topology);
  w.Key("OtherMembers");
  w.RawValue(r.other_members.data(), r.other_members.size(),
             rapidjson::kObjectType);
  w.EndObject();
}

outcome<database_record> read_database_record(const rapidjson::Value& v) {
  if (!v.IsObject())
    return make_failure(ec::bad_request, "a database record must be an "
                                         "object");
  database_record r;
  auto name = required_string(v, "Name", what);
  auto disabled = optional_bool(v, "Disabled", false, what);
  auto etag = required_int64(v, "Etag", what);
  auto topology = required_object(v, "Topology", what);
  auto others = required_object(v, "OtherMembers", what);
  if (!name)
    return name.error();
  if (!disabled)
    return disabled.error();
  if (!etag)
    return etag.error();
  if (!topology)
    return topology.error();
  if (!others)
    return others.error();
  auto t = read_database_topology(**topology);
  if (!t)
    return t.error();
  r.name = std::move(*name);
  r.disabled = *disabled;
  r.etag = *etag;
  r.topology = std::move(*t);
  r.other_members = to_json_text(**others);
  return r;
}

} // namespace corvus
