#include "runtime/cluster/cluster_state.hpp"

#include "runtime/documents/document_id.hpp"
#include "runtime/json/json.hpp"

#include <rapidjson/document.h>

#include <algorithm>

namespace corvus {

namespace {

void remove_tags(std::vector<std::string>& tags,
                 const std::vector<std::string>& gone) {
  tags.erase(std::remove_if(tags.begin(), tags.end(),
                            [&](const std::string& t) {
                              return std::find(gone.begin(), gone.end(), t)
                                     != gone.end();
                            }),
             tags.end());
}

void write_string(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void write_tag_array(json_writer& w, const char* key,
                     const std::vector<std::string>& tags) {
  w.Key(key);
  w.StartArray();
  for (auto& t : tags)
    write_string(w, t);
  w.EndArray();
}

std::vector<std::string> read_tag_array(const rapidjson::Value& obj,
                                        const char* key) {
  std::vector<std::string> tags;
  auto i = obj.FindMember(key);
  if (i != obj.MemberEnd() && i->value.IsArray())
    for (auto& t : i->value.GetArray())
      if (t.IsString())
        tags.emplace_back(view_of(t));
  return tags;
}

} // namespace

std::string node_tag_for(size_t n) {
  // A..Z, then ZA..ZZ, then ZZA..ZZZ: every round of 26 adds a 'Z' prefix.
  std::string tag(n / 26, 'Z');
  tag += static_cast<char>('A' + n % 26);
  return tag;
}

const database_record*
cluster_state::find_database(std::string_view name) const {
  auto i = databases_.find(fold_case(name));
  return i == databases_.end() ? nullptr : &i->second;
}

outcome<int64_t> cluster_state::apply(const cluster_command& cmd) {
  return std::visit([this](const auto& c) { return apply_one(c); }, cmd);
}

outcome<int64_t> cluster_state::apply_one(const bootstrap_command& cmd) {
  if (bootstrapped())
    return make_failure(ec::bad_request,
                        "this node already belongs to cluster "
                          + topology_id_);
  topology_id_ = cmd.topology_id;
  nodes_[cmd.node_tag] = cmd.node_url;
  return ++last_index_;
}

outcome<int64_t> cluster_state::apply_one(const create_database_command& cmd) {
  auto record = cmd.creation.record;
  auto key = fold_case(record.name);
  if (databases_.count(key) > 0)
    return make_failure(ec::database_already_exists,
                        "database '" + record.name + "' already exists");
  auto& topology = record.topology;
  if (cmd.creation.explicit_members) {
    for (auto& tag : topology.members)
      if (nodes_.count(tag) == 0)
        return make_failure(ec::bad_request,
                            "Topology.Members names node '" + tag
                              + "', which is not in the cluster");
    topology.replication_factor = static_cast<int>(topology.members.size());
  } else {
    // min(replication factor, cluster size) nodes, starting at a position
    // that moves with the index so databases spread over the cluster.
    auto count = std::min<size_t>(topology.replication_factor, nodes_.size());
    std::vector<std::string> tags;
    for (auto& [tag, url] : nodes_)
      tags.push_back(tag);
    auto start = tags.empty() ? 0 : static_cast<size_t>(last_index_ + 1)
                                      % tags.size();
    for (size_t i = 0; i < count; ++i)
      topology.members.push_back(tags[(start + i) % tags.size()]);
    topology.replication_factor = static_cast<int>(count);
  }
  if (topology.members.empty())
    return make_failure(ec::bad_request,
                        "database '" + record.name + "' needs at least one "
                          "node, and the cluster has none");
  record.etag = last_index_ + 1;
  databases_.emplace(std::move(key), std::move(record));
  return ++last_index_;
}

outcome<int64_t>
cluster_state::apply_one(const delete_databases_command& cmd) {
  auto index = last_index_ + 1;
  for (auto& name : cmd.names) {
    auto i = databases_.find(fold_case(name));
    if (i == databases_.end())
      continue;
    auto& topology = i->second.topology;
    if (!cmd.from_nodes.empty()) {
      remove_tags(topology.members, cmd.from_nodes);
      remove_tags(topology.promotables, cmd.from_nodes);
      remove_tags(topology.rehabs, cmd.from_nodes);
      remove_tags(topology.priority_order, cmd.from_nodes);
      topology.replication_factor = static_cast<int>(
        topology.members.size() + topology.promotables.size()
        + topology.rehabs.size());
    }
    if (cmd.from_nodes.empty() || topology.replication_factor == 0)
      databases_.erase(i);
    else
      i->second.etag = index;
  }
  return last_index_ = index;
}

std::string cluster_state::to_json() const {
  return write_json([&](json_writer& w) {
    w.StartObject();
    w.Key("TopologyId");
    write_string(w, topology_id_);
    w.Key("LastIndex");
    w.Int64(last_index_);
    w.Key("Nodes");
    w.StartObject();
    for (auto& [tag, url] : nodes_) {
      w.Key(tag.data(), static_cast<rapidjson::SizeType>(tag.size()));
      write_string(w, url);
    }
    w.EndObject();
    w.Key("Databases");
    w.StartArray();
    for (auto& [key, r] : databases_) {
      w.StartObject();
      w.Key("Name");
      write_string(w, r.name);
      w.Key("Disabled");
      w.Bool(r.disabled);
      w.Key("Etag");
      w.Int64(r.etag);
      w.Key("Topology");
      w.StartObject();
      write_tag_array(w, "Members", r.topology.members);
      write_tag_array(w, "Promotables", r.topology.promotables);
      write_tag_array(w, "Rehabs", r.topology.rehabs);
      write_tag_array(w, "PriorityOrder", r.topology.priority_order);
      w.Key("ReplicationFactor");
      w.Int(r.topology.replication_factor);
      w.Key("DynamicNodesDistribution");
      w.Bool(r.topology.dynamic_nodes_distribution);
      w.EndObject();
      w.Key("OtherMembers");
      w.RawValue(r.other_members.data(), r.other_members.size(),
                 rapidjson::kObjectType);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

outcome<cluster_state> cluster_state::from_json(std::string_view text) {
  rapidjson::Document doc;
  if (auto parsed = parse_json(text, doc, "the stored cluster state");
      !parsed)
    return parsed.error();
  auto corrupt = [](const char* what) {
    return make_failure(ec::storage_failure,
                        std::string{"the stored cluster state is corrupt: "}
                          + what);
  };
  if (!doc.IsObject())
    return corrupt("not an object");
  cluster_state state;
  if (auto id = string_member(doc, "TopologyId"))
    state.topology_id_ = std::string{view_of(*id)};
  auto index = doc.FindMember("LastIndex");
  if (index == doc.MemberEnd() || !index->value.IsInt64())
    return corrupt("LastIndex missing");
  state.last_index_ = index->value.GetInt64();
  auto nodes = doc.FindMember("Nodes");
  if (nodes == doc.MemberEnd() || !nodes->value.IsObject())
    return corrupt("Nodes missing");
  for (auto& n : nodes->value.GetObject())
    if (n.value.IsString())
      state.nodes_[std::string{view_of(n.name)}] = std::string{view_of(n.value)};
  auto dbs = doc.FindMember("Databases");
  if (dbs == doc.MemberEnd() || !dbs->value.IsArray())
    return corrupt("Databases missing");
  for (auto& d : dbs->value.GetArray()) {
    auto name = string_member(d, "Name");
    auto topology = d.FindMember("Topology");
    auto others = d.FindMember("OtherMembers");
    auto etag = d.FindMember("Etag");
    if (name == nullptr || topology == d.MemberEnd()
        || !topology->value.IsObject() || others == d.MemberEnd()
        || etag == d.MemberEnd() || !etag->value.IsInt64())
      return corrupt("a database record is incomplete");
    database_record r;
    r.name = std::string{view_of(*name)};
    if (auto dis = d.FindMember("Disabled");
        dis != d.MemberEnd() && dis->value.IsBool())
      r.disabled = dis->value.GetBool();
    r.etag = etag->value.GetInt64();
    auto& t = topology->value;
    r.topology.members = read_tag_array(t, "Members");
    r.topology.promotables = read_tag_array(t, "Promotables");
    r.topology.rehabs = read_tag_array(t, "Rehabs");
    r.topology.priority_order = read_tag_array(t, "PriorityOrder");
    if (auto rf = t.FindMember("ReplicationFactor");
        rf != t.MemberEnd() && rf->value.IsInt())
      r.topology.replication_factor = rf->value.GetInt();
    if (auto dyn = t.FindMember("DynamicNodesDistribution");
        dyn != t.MemberEnd() && dyn->value.IsBool())
      r.topology.dynamic_nodes_distribution = dyn->value.GetBool();
    r.other_members = to_json_text(others->value);
    state.databases_.emplace(fold_case(r.name), std::move(r));
  }
  return state;
}

} // namespace corvus
