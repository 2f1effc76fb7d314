#pragma once

// The cluster topology (ravendb-internals.md §1.1, §1.5, §1.6): which nodes
// belong to the cluster, with their URLs and membership types. Members vote
// and count for commit; promotables and watchers only receive the log. A
// topology travels in the log as the JSON of a `topology` entry and takes
// effect on a node as soon as that entry is appended there.

#include "runtime/failure.hpp"
#include "runtime/raft/types.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace corvus::raft {

/// A node's membership type.
enum class membership : uint8_t { member, promotable, watcher };

/// @returns "Member", "Promotable" or "Watcher" (RavenDB's words).
const char* to_string(membership m);

struct topology {
  /// The cluster's id, a GUID string; empty before the cluster exists.
  std::string topology_id;
  /// Tag → HTTP URL, per membership type. A tag is in at most one map.
  std::map<node_tag, std::string> members;
  std::map<node_tag, std::string> promotables;
  std::map<node_tag, std::string> watchers;
  /// The highest tag ever handed out (RavenDB's LastNodeId), so that a
  /// removed node's tag is never reused for another node.
  node_tag last_node_id;

  /// @returns whether `tag` is in any of the three maps.
  bool contains(const node_tag& tag) const;

  /// @returns whether `tag` votes (is a member).
  bool is_voter(const node_tag& tag) const {
    return members.count(tag) > 0;
  }

  /// @returns the URL of `tag`, or "" when it is not in the topology.
  const std::string& url_of(const node_tag& tag) const;

  /// @returns every tag of the topology, sorted.
  std::vector<node_tag> all_tags() const;

  /// @returns the number of votes a decision needs: a strict majority of
  ///          the members (3 → 2, 4 → 3, 5 → 3).
  size_t quorum() const {
    return members.size() / 2 + 1;
  }

  friend bool operator==(const topology& x, const topology& y) {
    return x.topology_id == y.topology_id && x.members == y.members
           && x.promotables == y.promotables && x.watchers == y.watchers
           && x.last_node_id == y.last_node_id;
  }

  friend bool operator!=(const topology& x, const topology& y) {
    return !(x == y);
  }
};

/// @returns the topology as JSON: {"TopologyId", "Members", "Promotables",
///          "Watchers", "LastNodeId"}, each map an object tag → URL.
std::string to_json(const topology& t);

/// Parses what to_json wrote. @returns ec::bad_request on malformed input.
outcome<topology> topology_from_json(std::string_view text);

/// @returns the tag after `last` in RavenDB's sequence: "" → A, A → B, …,
///          Z → ZA, ZZ → ZZA (the last letter is incremented; past Z an A is
///          appended).
node_tag next_node_tag(const node_tag& last);

/// @returns whether `tag` is a valid node tag: 1 to 4 upper-case ASCII
///          letters, and not the reserved "RAFT".
bool valid_node_tag(std::string_view tag);

} // namespace corvus::raft
