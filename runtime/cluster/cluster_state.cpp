#include "runtime/cluster/cluster_state.hpp"

#include "runtime/documents/document_id.hpp"
#include "runtime/text/join.hpp"

#include <algorithm>
#include <set>

namespace corvus {

namespace {

bool contains(const std::vector<std::string>& tags, const std::string& tag) {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

void remove_tags(std::vector<std::string>& tags,
                 const std::vector<std::string>& gone) {
  tags.erase(std::remove_if(tags.begin(), tags.end(),
                            [&](const std::string& t) {
                              return contains(gone, t);
                            }),
             tags.end());
}

/// Removes `gone` from every list of a database group.
/// @returns whether the group had any of them.
bool remove_from_group(database_topology& t,
                       const std::vector<std::string>& gone) {
  auto relevant = std::any_of(gone.begin(), gone.end(), [&](auto& tag) {
    return t.relevant_for(tag);
  });
  remove_tags(t.members, gone);
  remove_tags(t.promotables, gone);
  remove_tags(t.rehabs, gone);
  remove_tags(t.priority_order, gone);
  return relevant;
}

size_t group_size(const database_topology& t) {
  return t.members.size() + t.promotables.size() + t.rehabs.size();
}

/// The nodes a new database may be placed on (§2.3): members and watchers;
/// promotables are still catching up with the cluster.
std::vector<std::string> placement_candidates(const raft::topology& t) {
  std::vector<std::string> tags;
  for (auto* nodes : {&t.members, &t.watchers})
    for (auto& [tag, url] : *nodes)
      tags.push_back(tag);
  std::sort(tags.begin(), tags.end());
  return tags;
}

} // namespace

const database_record*
cluster_state::find_database(std::string_view name) const {
  auto i = databases_.find(fold_case(name));
  return i == databases_.end() ? nullptr : &i->second;
}

outcome<done> cluster_state::check_next(raft::index_t index) const {
  if (index > last_index_)
    return done{};
  return make_failure(ec::internal_error,
                      "raft index " + std::to_string(index)
                        + " applied after index "
                        + std::to_string(last_index_));
}

apply_outcome cluster_state::apply(raft::index_t index,
                                   const cluster_command& cmd) {
  if (auto next = check_next(index); !next)
    return next.error();
  // The index is consumed whatever happens below (§1.9).
  last_index_ = index;
  auto& id = request_id_of(cmd);
  if (!id.empty())
    if (auto* first = history_.find(id))
      return *first;
  auto at = static_cast<int64_t>(index);
  auto result = std::visit([&](auto& c) { return apply_one(at, c); }, cmd);
  if (!id.empty())
    history_.record(id, result);
  return result;
}

outcome<done> cluster_state::apply_topology(raft::index_t index,
                                            const raft::topology& topology) {
  if (auto next = check_next(index); !next)
    return next;
  last_index_ = index;
  std::vector<std::string> gone;
  for (auto& tag : topology_.all_tags())
    if (!topology.contains(tag))
      gone.push_back(tag);
  topology_ = topology;
  if (gone.empty())
    return done{};
  // As RavenDB's RemoveNodeFromClusterCommand: an explicit removal shrinks
  // the replication factor to what is left, and a database left on no node
  // is gone.
  for (auto i = databases_.begin(); i != databases_.end();) {
    auto& t = i->second.topology;
    if (!remove_from_group(t, gone)) {
      ++i;
      continue;
    }
    t.replication_factor = static_cast<int>(group_size(t));
    i->second.etag = static_cast<int64_t>(index);
    if (group_size(t) == 0)
      erase_database(i++);
    else
      ++i;
  }
  return done{};
}

apply_outcome cluster_state::apply_one(int64_t index,
                                       const create_database_command& cmd) {
  auto record = cmd.creation.record;
  if (auto valid = validate_database_name(record.name); !valid)
    return valid.error();
  auto key = fold_case(record.name);
  if (databases_.count(key) > 0)
    return make_failure(ec::database_already_exists,
                        "database '" + record.name + "' already exists");
  auto& t = record.topology;
  if (cmd.creation.explicit_members) {
    std::set<std::string> seen;
    for (auto& tag : t.members) {
      if (!topology_.contains(tag))
        return make_failure(ec::bad_request,
                            "Topology.Members names node '" + tag
                              + "', which is not in the cluster");
      if (!seen.insert(tag).second)
        return make_failure(ec::bad_request,
                            "Topology.Members names node '" + tag
                              + "' twice");
    }
  } else {
    // RF = min(requested, cluster size), then RF candidates starting at
    // the proposer's offset, wrapping around (§2.3).
    auto count = std::min<size_t>(std::max(t.replication_factor, 1),
                                  topology_.all_tags().size());
    auto candidates = placement_candidates(topology_);
    if (candidates.size() < count || count == 0)
      return make_failure(ec::bad_request,
                          "database '" + record.name + "' needs "
                            + std::to_string(std::max<size_t>(count, 1))
                            + " node(s), and the cluster has "
                            + std::to_string(candidates.size())
                            + " member(s) or watcher(s) to place it on");
    auto start = cmd.node_offset % candidates.size();
    for (size_t i = 0; i < count; ++i)
      t.members.push_back(candidates[(start + i) % candidates.size()]);
  }
  if (t.members.empty())
    return make_failure(ec::bad_request,
                        "database '" + record.name + "' needs at least one "
                          "node, and the cluster has none");
  t.replication_factor = static_cast<int>(t.members.size());
  record.etag = index;
  database_created created{index, record, {}};
  for (auto& tag : t.members)
    created.node_urls.push_back(topology_.url_of(tag));
  databases_.emplace(std::move(key), std::move(record));
  return cluster_result{std::move(created)};
}

apply_outcome cluster_state::apply_one(int64_t index,
                                       const delete_databases_command& cmd) {
  // Removing a copy from a node that holds none is refused, for all the
  // names (RavenDB's answer too): a caller who named the wrong node would
  // otherwise be told the copy went while it stays.
  for (auto& name : cmd.names) {
    auto i = databases_.find(fold_case(name));
    if (i == databases_.end())
      continue;
    for (auto& tag : cmd.from_nodes)
      if (!i->second.topology.relevant_for(tag))
        return make_failure(ec::bad_request,
                            "database '" + i->second.name
                              + "' has no copy on node '" + tag
                              + "' to delete; nothing was deleted");
  }
  databases_deleted deleted{index, {}, {}, {}};
  auto holds = [&deleted](const std::string& tag) {
    if (std::find(deleted.nodes.begin(), deleted.nodes.end(), tag)
        == deleted.nodes.end())
      deleted.nodes.push_back(tag);
  };
  for (auto& name : cmd.names) {
    auto i = databases_.find(fold_case(name));
    if (i == databases_.end())
      continue;
    deleted.names.push_back(i->second.name);
    auto& t = i->second.topology;
    for (auto& tag : cmd.from_nodes.empty() ? t.copies() : cmd.from_nodes)
      holds(tag);
    if (!cmd.from_nodes.empty()) {
      remove_from_group(t, cmd.from_nodes);
      t.replication_factor = static_cast<int>(group_size(t));
    }
    if (cmd.from_nodes.empty() || group_size(t) == 0)
      erase_database(i);
    else
      i->second.etag = index;
  }
  return cluster_result{std::move(deleted)};
}

apply_outcome cluster_state::apply_one(int64_t index,
                                       const toggle_databases_command& cmd) {
  databases_toggled toggled{index, {}, cmd.disable};
  for (auto& name : cmd.names) {
    auto i = databases_.find(fold_case(name));
    if (i == databases_.end())
      continue;
    auto& record = i->second;
    if (std::find(toggled.names.begin(), toggled.names.end(), record.name)
        != toggled.names.end())
      continue;
    toggled.names.push_back(record.name);
    if (record.disabled != cmd.disable) {
      record.disabled = cmd.disable;
      record.etag = index;
    }
  }
  return cluster_result{std::move(toggled)};
}

apply_outcome cluster_state::apply_one(int64_t index,
                                       const add_database_node_command& cmd) {
  auto i = databases_.find(fold_case(cmd.name));
  if (i == databases_.end())
    return make_failure(ec::database_does_not_exist,
                        "Database '" + cmd.name + "' does not exist");
  auto& record = i->second;
  auto& t = record.topology;
  auto tag = cmd.node_tag;
  if (tag.empty()) {
    // Any cluster node outside the group, from the proposer's offset
    // (§2.4).
    std::vector<std::string> candidates;
    for (auto& c : topology_.all_tags())
      if (!t.relevant_for(c))
        candidates.push_back(c);
    if (candidates.empty())
      return make_failure(ec::bad_request,
                          "database '" + record.name
                            + "' is already on every node of the cluster");
    tag = candidates[cmd.node_offset % candidates.size()];
  } else if (!topology_.contains(tag)) {
    return make_failure(ec::bad_request,
                        "node '" + tag + "' is not in the cluster");
  } else if (t.relevant_for(tag)) {
    return make_failure(ec::bad_request, "node " + tag
                                           + " already has database '"
                                           + record.name + "'");
  }
  // RavenDB adds the node as a promotable, and its cluster observer makes
  // it a member once it caught up (§2.4, §3.8). Corvus has no observer yet:
  // nothing would ever promote it, so it joins the members at once.
  t.members.push_back(tag);
  t.replication_factor = static_cast<int>(group_size(t));
  record.etag = index;
  return cluster_result{
    database_node_added{index, record, tag, topology_.url_of(tag)}};
}

namespace {

/// `order` rearranges the group `t`: every node once, each staying in its
/// list. A fixed order becomes the priority order.
outcome<done> reorder_group(database_topology& t,
                            const std::vector<std::string>& order,
                            bool fixed, const std::string& database) {
  auto all = t.copies();
  auto sorted_order = order;
  std::sort(all.begin(), all.end());
  std::sort(sorted_order.begin(), sorted_order.end());
  if (sorted_order != all)
    return make_failure(ec::bad_request,
                        "the new order [" + join(order)
                          + "] must name every node of database '" + database
                          + "' once: " + join(t.copies()));
  database_topology next = t;
  for (auto* list : {&next.members, &next.promotables, &next.rehabs})
    list->clear();
  for (auto& tag : order) {
    (contains(t.members, tag)       ? next.members
     : contains(t.promotables, tag) ? next.promotables
                                    : next.rehabs)
      .push_back(tag);
  }
  next.priority_order = fixed ? order : std::vector<std::string>{};
  t = std::move(next);
  return done{};
}

/// Checks a topology given whole: every node in the cluster, none twice,
/// at least one member, a priority order among the group's nodes.
outcome<done> check_new_topology(const database_topology& t,
                                 const raft::topology& cluster,
                                 const std::string& database) {
  auto bad = [&](const std::string& why) {
    return make_failure(ec::bad_request, "cannot change the topology of "
                                         "database '"
                                           + database + "': " + why);
  };
  std::set<std::string> seen;
  for (auto& tag : t.copies()) {
    if (!cluster.contains(tag))
      return bad("node '" + tag + "' is not in the cluster");
    if (!seen.insert(tag).second)
      return bad("node '" + tag + "' is named twice");
  }
  if (t.members.empty())
    return bad("it needs at least one member");
  for (auto& tag : t.priority_order)
    if (seen.count(tag) == 0)
      return bad("PriorityOrder names node '" + tag
                 + "', which has no copy in the new topology");
  return done{};
}

} // namespace

apply_outcome
cluster_state::apply_one(int64_t index,
                         const change_database_group_command& cmd) {
  using kind = change_database_group_command::kind;
  auto i = databases_.find(fold_case(cmd.name));
  if (i == databases_.end())
    return make_failure(ec::database_does_not_exist,
                        "Database '" + cmd.name + "' does not exist");
  auto& record = i->second;
  auto next = record;
  auto& t = next.topology;
  switch (cmd.what) {
    case kind::reorder:
      if (auto reordered = reorder_group(t, cmd.nodes, cmd.setting,
                                         record.name);
          !reordered)
        return reordered.error();
      break;
    case kind::promote: {
      if (cmd.nodes.size() != 1)
        return make_failure(ec::bad_request, "a promotion names one node");
      auto& tag = cmd.nodes.front();
      if (!t.relevant_for(tag))
        return make_failure(ec::bad_request,
                            "node '" + tag + "' has no copy of database '"
                              + record.name + "' to promote");
      // A member stays one (RavenDB answers the same).
      for (auto* list : {&t.promotables, &t.rehabs})
        if (auto at = std::find(list->begin(), list->end(), tag);
            at != list->end()) {
          list->erase(at);
          t.members.push_back(tag);
        }
      break;
    }
    case kind::dynamic_distribution:
      t.dynamic_nodes_distribution = cmd.setting;
      break;
    case kind::topology:
      if (auto valid = check_new_topology(cmd.topology, topology_,
                                          record.name);
          !valid)
        return valid.error();
      t = cmd.topology;
      t.replication_factor = static_cast<int>(group_size(t));
      break;
    case kind::resolve_to_latest:
      set_resolve_to_latest(next, cmd.setting);
      break;
  }
  next.etag = index;
  record = std::move(next);
  return cluster_result{database_group_changed{index, record}};
}

apply_outcome
cluster_state::apply_one(int64_t index,
                         const put_compare_exchange_command& cmd) {
  if (auto valid = validate_compare_exchange_key(cmd.key); !valid)
    return valid.error();
  if (cmd.index < 0)
    return make_failure(ec::bad_request,
                        "Index must be a non-negative number");
  if (cmd.value.empty())
    return make_failure(ec::bad_request,
                        "a compare exchange value must be a JSON object");
  if (find_database(cmd.database) == nullptr)
    return make_failure(ec::database_does_not_exist,
                        "Database '" + cmd.database + "' does not exist");
  return cluster_result{compare_exchange_.put(cmd, index)};
}

apply_outcome
cluster_state::apply_one(int64_t index,
                         const remove_compare_exchange_command& cmd) {
  if (cmd.key.empty())
    return make_failure(ec::bad_request, "The key argument must have value");
  if (cmd.index < 0)
    return make_failure(ec::bad_request,
                        "Index must be a non-negative number");
  if (find_database(cmd.database) == nullptr)
    return make_failure(ec::database_does_not_exist,
                        "Database '" + cmd.database + "' does not exist");
  return cluster_result{compare_exchange_.remove(cmd, index)};
}

void cluster_state::erase_database(
  std::map<std::string, database_record>::iterator i) {
  // RavenDB deletes a database's cluster-wide values with its record.
  compare_exchange_.drop_database(i->first);
  databases_.erase(i);
}

} // namespace corvus
