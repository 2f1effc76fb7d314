#include "runtime/console/views.hpp"

#include "runtime/console/json_access.hpp"
#include "runtime/text/join.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace corvus::console {

namespace {

using rapidjson::Value;

/// The elements of a string array member, in order.
std::vector<std::string> strings_of(const Value* v, const char* key) {
  std::vector<std::string> out;
  auto m = member(v, key);
  if (m && m->IsArray())
    for (const auto& item : m->GetArray())
      if (item.IsString())
        out.emplace_back(view_of(item));
  return out;
}

// Sizes are easier to read in binary units; the JSON keeps the bytes.
cell state_cell(std::string_view key, const Value& value) {
  if (ends_with(key, "Bytes") && value.IsInt64())
    return bytes_cell(value.GetInt64());
  return json_cell(value);
}

// ISO 8601 times as "2026-11-22 00:10:00" (UTC, to the second) on screen.
cell time_cell(const Value* v, const char* key) {
  auto text = string_of(v, key);
  if (text.size() < 19 || text[10] != 'T')
    return cell_of(v, key);
  auto shown = text.substr(0, 10) + " " + text.substr(11, 8);
  return {shown, cell_of(v, key).json};
}

// ---- cluster topology ------------------------------------------------------

/// One node of a cluster topology.
struct topology_node {
  std::string tag;
  std::string url;
  std::string role;
};

std::vector<topology_node> topology_nodes(const Value& topology) {
  auto inner = member(&topology, "Topology");
  std::vector<topology_node> nodes;
  auto all = member(inner, "AllNodes");
  if (!all || !all->IsObject())
    return nodes;
  for (const auto& entry : all->GetObject()) {
    topology_node n;
    n.tag = std::string{view_of(entry.name)};
    n.url = entry.value.IsString() ? std::string{view_of(entry.value)} : "";
    n.role = "-";
    for (auto [key, role] : {std::pair{"Members", "Member"},
                             {"Promotables", "Promotable"},
                             {"Watchers", "Watcher"}})
      if (member(member(inner, key), n.tag.c_str()))
        n.role = role;
    nodes.push_back(std::move(n));
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const auto& x, const auto& y) { return x.tag < y.tag; });
  return nodes;
}

// The leader as text; why there is none when there is none.
cell leader_cell(const Value& topology) {
  auto leader = string_of(&topology, "Leader");
  if (!leader.empty())
    return text_cell(leader);
  auto state = string_of(&topology, "CurrentState");
  if (state == "Passive")
    return {"none (this node is in no cluster)", "null"};
  return {"none (this node is " + (state.empty() ? "?" : state) + ")", "null"};
}

// ---- actors ----------------------------------------------------------------

std::vector<const Value*> actors_of(const Value& actors) {
  std::vector<const Value*> out;
  auto list = member(&actors, "Actors");
  if (list && list->IsArray())
    for (const auto& a : list->GetArray())
      if (a.IsObject())
        out.push_back(&a);
  return out;
}

bool responsive(const Value* actor) {
  auto m = member(actor, "Responsive");
  return !m || !m->IsBool() || m->GetBool();
}

// "Status=Ready Documents=12 ..." without what the name already says.
std::string state_summary(const Value* actor) {
  if (!responsive(actor))
    return "(no answer)";
  auto state = member(actor, "State");
  if (!state || !state->IsObject())
    return "";
  auto name = string_of(actor, "Name");
  std::string out;
  for (const auto& entry : state->GetObject()) {
    // Nested values (latency buckets, say) are for `show`, not one line.
    if (entry.value.IsObject() || entry.value.IsArray())
      continue;
    auto key = view_of(entry.name);
    auto value = state_cell(key, entry.value).text;
    if (value == name)
      continue;
    out.append(out.empty() ? "" : " ").append(key).append("=").append(value);
  }
  return out;
}

std::string actor_label(const Value* actor) {
  auto label = "#" + std::to_string(int_of(actor, "Id")) + " "
               + string_of(actor, "Kind") + " " + string_of(actor, "Name");
  if (auto restarts = int_of(actor, "Restarts"); restarts > 0)
    label += " (restarts: " + std::to_string(restarts) + ")";
  auto summary = state_summary(actor);
  if (!summary.empty())
    label += "  " + summary;
  return label;
}

std::vector<field> actor_fields(const Value* actor) {
  return {{"Id", "Id", cell_of(actor, "Id")},
          {"Kind", "Kind", cell_of(actor, "Kind")},
          {"Name", "Name", cell_of(actor, "Name")},
          {"Parent", "Parent", cell_of(actor, "Parent")},
          {"Responsive", "Responsive", cell_of(actor, "Responsive")},
          {"Restarts", "Restarts", cell_of(actor, "Restarts")}};
}

std::vector<field> state_fields(const Value* state) {
  std::vector<field> out;
  if (state && state->IsObject())
    for (const auto& entry : state->GetObject()) {
      std::string key{view_of(entry.name)};
      out.push_back({key, key, state_cell(key, entry.value)});
    }
  return out;
}

tree_node actor_node(const Value* actor,
                     const std::multimap<int64_t, const Value*>& children,
                     std::set<int64_t>& placed) {
  tree_node node;
  node.label = actor_label(actor);
  node.data = actor_fields(actor);
  node.data.push_back({"State", "State", cell_of(actor, "State")});
  auto id = int_of(actor, "Id");
  auto [first, last] = children.equal_range(id);
  for (auto i = first; i != last; ++i)
    if (placed.insert(int_of(i->second, "Id")).second)
      node.children.push_back(actor_node(i->second, children, placed));
  return node;
}

std::string node_tag_of(const Value& actors) {
  auto tag = string_of(&actors, "NodeTag");
  return tag.empty() ? "?" : tag;
}

} // namespace

view nodes_view(const Value& topology,
                const std::map<std::string, node_probe>& probes) {
  auto leader = string_of(&topology, "Leader");
  table t;
  t.columns = {{"Tag", "TAG"},           {"Url", "URL"},
               {"Role", "ROLE"},         {"Leader", "LEADER"},
               {"Reachable", "REACHABLE"}, {"State", "STATE"}};
  t.empty_note = "the node lists no nodes";
  for (const auto& n : topology_nodes(topology)) {
    auto probe = probes.find(n.tag);
    auto reachable = probe == probes.end() ? missing_cell()
                                           : flag_cell(probe->second.reachable);
    auto detail = probe == probes.end() ? missing_cell()
                                        : text_cell(probe->second.detail);
    t.rows.push_back({text_cell(n.tag), text_cell(n.url), text_cell(n.role),
                      flag_cell(!leader.empty() && n.tag == leader), reachable,
                      detail});
  }
  std::vector<field> summary = {
    {"Leader", "Leader", leader_cell(topology)},
    {"Term", "Term", cell_of(&topology, "CurrentTerm")}};
  return {{{"Nodes", std::move(t)}, {"", std::move(summary)}}};
}

view raft_view(const Value& topology, const Value* actors) {
  auto inner = member(&topology, "Topology");
  std::vector<field> fields = {
    {"NodeTag", "Node", cell_of(&topology, "NodeTag")},
    {"State", "State", cell_of(&topology, "CurrentState")},
    {"Term", "Term", cell_of(&topology, "CurrentTerm")},
    {"Leader", "Leader", leader_cell(topology)},
    {"TopologyId", "Topology id", cell_of(inner, "TopologyId")},
    {"Etag", "Topology etag", cell_of(&topology, "Etag")}};
  view v{{{"", std::move(fields)}}};
  table voters;
  voters.columns = {{"Tag", "TAG"}, {"Role", "ROLE"}, {"Url", "URL"}};
  for (const auto& n : topology_nodes(topology))
    voters.rows.push_back(
      {text_cell(n.tag), text_cell(n.role), text_cell(n.url)});
  v.blocks.push_back({"Nodes", std::move(voters)});
  if (!actors)
    return v;
  for (auto actor : actors_of(*actors))
    if (string_of(actor, "Kind") == "raft-member") {
      auto state = state_fields(member(actor, "State"));
      if (!responsive(actor))
        state.push_back({"Responsive", "Responsive", flag_cell(false)});
      v.blocks.push_back({"RaftMember", std::move(state)});
    }
  return v;
}

view actors_view(const Value& actors) {
  table t;
  t.columns = {{"Id", "ID", true},
               {"Kind", "KIND"},
               {"Name", "NAME"},
               // The tree shows who supervises whom; scripts get it here.
               {"Parent", "PARENT", true, true},
               {"Restarts", "RESTARTS", true},
               {"Responsive", "RESPONSIVE", false, true},
               {"State", "STATE"}};
  t.empty_note = "no actors";
  for (auto actor : actors_of(actors)) {
    auto state = cell_of(actor, "State");
    t.rows.push_back({cell_of(actor, "Id"), cell_of(actor, "Kind"),
                      cell_of(actor, "Name"), cell_of(actor, "Parent"),
                      cell_of(actor, "Restarts"),
                      flag_cell(responsive(actor)),
                      {state_summary(actor), state.json}});
  }
  return {{{"Actors", std::move(t)}}};
}

view actor_tree_view(const Value& actors) {
  auto all = actors_of(actors);
  std::set<int64_t> ids;
  for (auto a : all)
    ids.insert(int_of(a, "Id"));
  // An actor whose supervisor is not listed is shown as a root rather than
  // dropped.
  std::multimap<int64_t, const Value*> children;
  std::vector<const Value*> roots;
  for (auto a : all) {
    auto parent = int_of(a, "Parent");
    if (parent == 0 || ids.count(parent) == 0 || parent == int_of(a, "Id"))
      roots.push_back(a);
    else
      children.emplace(parent, a);
  }
  forest f;
  std::set<int64_t> placed; // guards against cycles in a broken answer
  for (auto root : roots)
    if (placed.insert(int_of(root, "Id")).second)
      f.roots.push_back(actor_node(root, children, placed));
  // Actors supervising each other (a broken answer) are shown all the same.
  for (auto a : all)
    if (placed.insert(int_of(a, "Id")).second)
      f.roots.push_back(actor_node(a, children, placed));
  view v{{{"Tree", std::move(f)}}};
  if (all.empty())
    v.blocks.push_back({"Note", note{"no actors"}});
  return v;
}

view actor_detail_view(const Value& actor) {
  auto fields = actor_fields(&actor);
  auto state = member(&actor, "State");
  if (!state || !state->IsObject()) {
    fields.push_back({"State", "State",
                      {responsive(&actor) ? "-" : "no answer in time",
                       "null"}});
    return {{{"", std::move(fields)}}};
  }
  return {{{"", std::move(fields)}, {"State", state_fields(state)}}};
}

outcome<const Value*> find_actor(const Value& actors, std::string_view spec) {
  auto all = actors_of(actors);
  int64_t id = 0;
  auto [end, err] = std::from_chars(spec.data(), spec.data() + spec.size(),
                                    id);
  bool numeric = err == std::errc{} && end == spec.data() + spec.size();
  std::vector<const Value*> found;
  auto slash = spec.find('/');
  for (auto a : all) {
    auto kind = string_of(a, "Kind");
    auto name = string_of(a, "Name");
    bool match = numeric ? int_of(a, "Id", -1) == id
                 : slash != std::string_view::npos
                   ? kind == spec.substr(0, slash)
                       && name == spec.substr(slash + 1)
                   : kind == spec || name == spec;
    if (match)
      found.push_back(a);
  }
  if (found.size() == 1)
    return found.front();
  auto tag = node_tag_of(actors);
  if (found.empty())
    return make_failure(ec::not_found,
                        numeric ? "no actor " + std::string{spec} + " on node "
                                    + tag
                                : "no actor '" + std::string{spec}
                                    + "' on node " + tag);
  std::vector<std::string> ids;
  for (auto a : found)
    ids.push_back(std::to_string(int_of(a, "Id")));
  return make_failure(ec::bad_request,
                      "'" + std::string{spec} + "' matches "
                        + std::to_string(found.size()) + " actors ("
                        + join(ids, ", ") + "); use an id");
}

std::map<std::string, std::string> cluster_urls(const Value& topology) {
  std::map<std::string, std::string> urls;
  for (auto& n : topology_nodes(topology))
    urls.emplace(std::move(n.tag), std::move(n.url));
  return urls;
}

std::vector<std::string> database_names(const Value& list) {
  std::vector<std::string> names;
  auto dbs = member(&list, "Databases");
  if (dbs && dbs->IsArray())
    for (const auto& db : dbs->GetArray())
      if (auto name = string_of(&db, "Name"); !name.empty())
        names.push_back(std::move(name));
  return names;
}

std::vector<std::string> actor_names(const Value& actors) {
  std::vector<std::string> names;
  for (auto a : actors_of(actors)) {
    names.push_back(std::to_string(int_of(a, "Id")));
    names.push_back(string_of(a, "Kind") + "/" + string_of(a, "Name"));
  }
  return names;
}

size_t group_size(const Value& record) {
  auto topology = member(&record, "Topology");
  size_t n = 0;
  for (auto key : {"Members", "Promotables", "Rehabs"})
    n += strings_of(topology, key).size();
  return n;
}

view databases_view(const Value& list,
                    const std::map<std::string, database_details>& details) {
  table t;
  t.columns = {{"Name", "NAME"},
               {"ReplicationFactor", "RF", true},
               {"Members", "MEMBERS"},
               {"Promotables", "PROMOTABLES"},
               {"Rehabs", "REHABS"},
               {"Documents", "DOCS", true},
               {"SizeBytes", "SIZE", true},
               {"Disabled", "DISABLED", false, true}};
  t.empty_note = "no databases";
  auto dbs = member(&list, "Databases");
  if (dbs && dbs->IsArray())
    for (const auto& db : dbs->GetArray()) {
      auto name = string_of(&db, "Name");
      auto found = details.find(name);
      auto d = found == details.end() ? database_details{} : found->second;
      auto topology = member(d.record, "Topology");
      auto rf = member(topology, "ReplicationFactor")
                  ? cell_of(topology, "ReplicationFactor")
                  : cell_of(&db, "ReplicationFactor");
      auto size = member(member(d.stats, "SizeOnDisk"), "SizeInBytes");
      t.rows.push_back(
        {text_cell(name), rf, cell_of(topology, "Members"),
         cell_of(topology, "Promotables"), cell_of(topology, "Rehabs"),
         cell_of(d.stats, "CountOfDocuments"),
         size && size->IsInt64() ? bytes_cell(size->GetInt64())
                                 : missing_cell(),
         cell_of(&db, "Disabled")});
    }
  return {{{"Databases", std::move(t)}}};
}

view topology_view(std::string_view database, const Value& record,
                   const Value* client_topology,
                   const Value* cluster_topology) {
  auto topology = member(&record, "Topology");
  std::map<std::string, std::string> urls;
  if (cluster_topology)
    for (const auto& n : topology_nodes(*cluster_topology))
      urls[n.tag] = n.url;
  auto client_nodes = member(client_topology, "Nodes");
  if (client_nodes && client_nodes->IsArray())
    for (const auto& n : client_nodes->GetArray())
      urls[string_of(&n, "ClusterTag")] = string_of(&n, "Url");
  table t;
  t.columns = {{"Tag", "TAG"}, {"Role", "ROLE"}, {"Url", "URL"},
               {"Note", "NOTE"}};
  t.empty_note = "no node holds " + std::string{database};
  auto promotion = member(topology, "PromotablesStatus");
  auto demotion = member(topology, "DemotionReasons");
  for (auto [key, role] : {std::pair{"Members", "Member"},
                           {"Promotables", "Promotable"},
                           {"Rehabs", "Rehab"}})
    for (const auto& tag : strings_of(topology, key)) {
      auto url = urls.find(tag);
      auto key = tag.c_str();
      auto why = member(promotion, key) ? cell_of(promotion, key)
                                        : cell_of(demotion, key);
      t.rows.push_back({text_cell(tag), text_cell(role),
                        url == urls.end() || url->second.empty()
                          ? missing_cell()
                          : text_cell(url->second),
                        why});
    }
  std::vector<field> fields = {
    {"Database", "Database", text_cell(database)},
    {"ReplicationFactor", "Replication factor",
     cell_of(topology, "ReplicationFactor")},
    {"Etag", "Etag", cell_of(&record, "Etag")},
    {"Disabled", "Disabled", cell_of(&record, "Disabled")}};
  return {{{"", std::move(fields)}, {"Nodes", std::move(t)}}};
}

view links_view(std::string_view database, const Value& actors,
                size_t copies) {
  table t;
  t.columns = {{"Id", "ID", true},
               {"Source", "FROM"},
               {"Destination", "TO"},
               {"Connected", "CONNECTED"},
               {"Cursor", "CURSOR", true},
               {"LagEtags", "LAG", true},
               {"LastHeartbeat", "HEARTBEAT"},
               {"BackoffMs", "BACKOFF MS", true}};
  t.empty_note = copies <= 1 ? "no replication links: " + std::string{database}
                                 + " has one copy"
                             : "no replication links for "
                                 + std::string{database} + " on this node";
  for (auto actor : actors_of(actors)) {
    auto state = member(actor, "State");
    if (string_of(actor, "Kind") != "replication-link"
        || string_of(state, "Database") != database)
      continue;
    t.rows.push_back({cell_of(actor, "Id"), cell_of(state, "Source"),
                      cell_of(state, "Destination"),
                      cell_of(state, "Connected"), cell_of(state, "Cursor"),
                      cell_of(state, "LagEtags"),
                      time_cell(state, "LastHeartbeat"),
                      cell_of(state, "BackoffMs")});
  }
  return {{{"Links", std::move(t)}}};
}

view restarts_view(const Value& restarts) {
  table t;
  t.columns = {{"Kind", "KIND"},
               {"Name", "NAME"},
               {"At", "AT"},
               {"NextAttemptMs", "NEXT MS", true},
               {"Reason", "REASON"}};
  t.empty_note = "no restarts";
  auto list = member(&restarts, "Restarts");
  if (list && list->IsArray())
    for (const auto& r : list->GetArray())
      t.rows.push_back({cell_of(&r, "Kind"), cell_of(&r, "Name"),
                        time_cell(&r, "At"), cell_of(&r, "NextAttemptMs"),
                        cell_of(&r, "Reason")});
  return {{{"Restarts", std::move(t)}}};
}

view memory_view(const Value& stats) {
  auto bytes = [&](const Value* from, const char* key, const char* label) {
    auto v = member(from, key);
    return field{key, label,
                 v && v->IsInt64() ? bytes_cell(v->GetInt64())
                                   : missing_cell()};
  };
  std::vector<field> process = {
    bytes(&stats, "WorkingSet", "Resident"),
    bytes(&stats, "PeakWorkingSet", "Peak resident"),
    bytes(&stats, "Anonymous", "Anonymous (heap)"),
    bytes(&stats, "MappedFiles", "Mapped files"),
    bytes(&stats, "VirtualSize", "Address space"),
  };
  auto allocator = member(&stats, "Allocator");
  if (!allocator || !allocator->IsObject())
    return {{{"", std::move(process)},
             {"Allocator", note{"allocator statistics: not available"}}}};
  std::vector<field> held = {
    {"Name", "Allocator", cell_of(allocator, "Name")},
    bytes(allocator, "Allocated", "Allocated"),
    bytes(allocator, "Active", "Active"),
    bytes(allocator, "Metadata", "Metadata"),
    bytes(allocator, "Resident", "Resident"),
    bytes(allocator, "Retained", "Retained"),
  };
  return {{{"", std::move(process)}, {"Allocator", std::move(held)}}};
}

} // namespace corvus::console
