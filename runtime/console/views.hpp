#pragma once

// The console's views of a cluster, built from the node's HTTP answers
// (parsed JSON, PascalCase as the server sends it). Answers are read
// defensively: a missing or mistyped member shows as "-", never as a
// failure, so an older or newer node still renders. Actor states are shown
// key by key, so kinds the console does not know yet appear unchanged.

#include "runtime/console/view.hpp"
#include "runtime/failure.hpp"

#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace corvus::console {

/// Whether the console reached a node of the topology, and what it said.
struct node_probe {
  bool reachable = false;
  /// The node's CurrentState when reachable, else why it is not.
  std::string detail;
};

/// `nodes`: every node of `topology` (GET /cluster/topology) with its role,
/// leadership and the console's `probes` (by tag; absent = not probed).
view nodes_view(const rapidjson::Value& topology,
                const std::map<std::string, node_probe>& probes);

/// `raft`: this node's view of consensus from `topology`, plus the state
/// of every raft-member actor in `actors` (GET /admin/actors; null when the
/// node cannot list actors).
view raft_view(const rapidjson::Value& topology,
               const rapidjson::Value* actors);

/// `actors`: one row per actor of `actors` (GET /admin/actors), its state
/// summarized as key=value pairs.
view actors_view(const rapidjson::Value& actors);

/// `actors tree`: the actors of `actors` under their supervisors.
view actor_tree_view(const rapidjson::Value& actors);

/// `show`: every field and state key of one actor entry.
view actor_detail_view(const rapidjson::Value& actor);

/// Resolves `spec` (an id, `kind/name`, or a kind or name alone) against
/// the actor list `actors`.
/// @returns the actor entry, or ec::not_found / ec::bad_request with one
///          line ("no actor 42 on node A", "'database' matches 2 actors:
///          3, 7; use an id").
outcome<const rapidjson::Value*> find_actor(const rapidjson::Value& actors,
                                            std::string_view spec);

/// What the console learned about one database besides its name.
struct database_details {
  /// GET /admin/databases?name= (null when unavailable).
  const rapidjson::Value* record = nullptr;
  /// GET /databases/{name}/stats (null when unavailable).
  const rapidjson::Value* stats = nullptr;
};

/// `databases`: one row per database of `list` (GET /databases) with its
/// replication factor, nodes by role and document count from `details`.
view databases_view(const rapidjson::Value& list,
                    const std::map<std::string, database_details>& details);

/// `topology <db>`: the nodes of `record`'s group by role; URLs come from
/// `client_topology` (GET /topology, may be null) or else from
/// `cluster_topology` (GET /cluster/topology, may be null).
view topology_view(std::string_view database, const rapidjson::Value& record,
                   const rapidjson::Value* client_topology,
                   const rapidjson::Value* cluster_topology);

/// `links <db>`: the replication-link actors of `actors` that replicate
/// `database`, with cursor and lag; `copies` is the size of its group
/// (explains an empty list).
view links_view(std::string_view database, const rapidjson::Value& actors,
                size_t copies);

/// `restarts`: the restarts of GET /admin/restarts.
view restarts_view(const rapidjson::Value& restarts);

/// `memory`: GET /admin/debug/memory/stats, the process's memory and,
/// when known, its allocator's.
view memory_view(const rapidjson::Value& stats);

/// @returns the URL of every node of `topology` (GET /cluster/topology) by
///          tag, the nodes the console probes for `nodes`.
std::map<std::string, std::string> cluster_urls(const rapidjson::Value&
                                                  topology);

/// @returns the names of the databases of `list` (GET /databases), for
///          completion.
std::vector<std::string> database_names(const rapidjson::Value& list);

/// @returns every way to name an actor of `actors` (its id and kind/name),
///          for completion.
std::vector<std::string> actor_names(const rapidjson::Value& actors);

/// @returns the number of nodes holding `record`'s database (members,
///          promotables and rehabs).
size_t group_size(const rapidjson::Value& record);

} // namespace corvus::console
