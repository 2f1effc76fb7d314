#pragma once

// Database records (ravendb-internals.md §2): one per database, part of the
// cluster state and known to every node. Corvus owns the name, the topology
// and the disabled flag; every other member of the client's DatabaseRecord
// (Settings, ConflictSolverConfig, Revisions, ...) is kept as JSON and
// echoed back, so features can read it when they arrive.

#include "runtime/failure.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corvus {

/// Which nodes host a database and in what role (§2.2).
struct database_topology {
  /// Voting copies, in priority order: the first is the preferred node.
  std::vector<std::string> members;
  /// Copies catching up, not yet served to clients.
  std::vector<std::string> promotables;
  /// Copies that fell behind or failed.
  std::vector<std::string> rehabs;
  int replication_factor = 1;
  bool dynamic_nodes_distribution = false;
  /// A fixed order set by an operator; empty = none.
  std::vector<std::string> priority_order;

  /// @returns the nodes holding a copy: members, then promotables, then
  ///          rehabs.
  std::vector<std::string> copies() const;

  /// @returns whether node `tag` holds a copy (RavenDB's RelevantFor,
  ///          §2.2).
  bool relevant_for(const std::string& tag) const;

  friend bool operator==(const database_topology& x,
                         const database_topology& y) {
    return x.members == y.members && x.promotables == y.promotables
           && x.rehabs == y.rehabs
           && x.replication_factor == y.replication_factor
           && x.dynamic_nodes_distribution == y.dynamic_nodes_distribution
           && x.priority_order == y.priority_order;
  }
};

struct database_record {
  /// The name with the casing it was created with.
  std::string name;
  bool disabled = false;
  database_topology topology;
  /// Every other member of the client's record, as a JSON object text.
  std::string other_members = "{}";
  /// Index of the cluster change that last modified this record; the etag
  /// clients see for the database topology.
  int64_t etag = 0;

  friend bool operator==(const database_record& x,
                         const database_record& y) {
    return x.name == y.name && x.disabled == y.disabled
           && x.topology == y.topology && x.other_members == y.other_members
           && x.etag == y.etag;
  }
};

/// A database creation as a client asked for it.
struct database_creation {
  database_record record;
  /// `Topology.Members` was given explicitly.
  bool explicit_members = false;

  friend bool operator==(const database_creation& x,
                         const database_creation& y) {
    return x.record == y.record && x.explicit_members == y.explicit_members;
  }
};

/// Parses the body of `PUT /admin/databases` (a PascalCase DatabaseRecord).
/// @param query_name the `name` query parameter ("" when absent).
/// @param replication_factor the `replicationFactor` parameter (0 = absent).
/// @returns ec::bad_request for malformed input or a bad name,
///          ec::not_supported for encrypted databases.
outcome<database_creation> parse_database_creation(std::string_view body,
                                                   std::string_view query_name,
                                                   int replication_factor);

/// Checks a database name: 1 to 128 characters out of letters, digits,
/// '_', '-' and '.', not starting or ending with '.'.
outcome<done> validate_database_name(std::string_view name);

/// @returns whether conflicts of the database resolve to the latest version
///          on arrival: the record's `ConflictSolverConfig.ResolveToLatest`
///          (false when absent: conflicts are stored for someone to
///          resolve, as the seed's walk-through shows).
bool resolves_to_latest(const database_record& record);

/// Sets the record's `ConflictSolverConfig` to resolving conflicts to the
/// latest version on arrival (`resolve`) or storing them, with no scripts.
void set_resolve_to_latest(database_record& record, bool resolve);

/// @returns the record's `ConflictSolverConfig` as stored (in RavenDB's
///          shape once set_resolve_to_latest wrote it), or `null`.
std::string render_conflict_solver(const database_record& record);

/// Parses a DatabaseTopology (PascalCase, the body of
/// `POST /admin/databases/topology/modify`): Members, Promotables, Rehabs,
/// PriorityOrder and DynamicNodesDistribution; what RavenDB's observer
/// keeps (mentors, statuses, stamps) is ignored.
/// @returns ec::bad_request for malformed input.
outcome<database_topology> parse_database_topology(std::string_view body);

/// @returns the database record as RavenDB's JSON (`GET /admin/databases`).
std::string render_database_record(const database_record& record);

/// @returns the `Topology` object of a record as RavenDB's JSON.
std::string render_database_topology(const database_record& record);

} // namespace corvus
