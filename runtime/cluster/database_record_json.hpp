#pragma once

// A database record as Corvus writes it into its own formats (the log
// entry of AddDatabaseCommand, results, snapshots): every field of
// database_record, the other members of the client's record kept as an
// embedded object. This is not the client-facing shape
// (render_database_record); it round-trips exactly.

#include "runtime/cluster/database_record.hpp"
#include "runtime/failure.hpp"
#include "runtime/json/json.hpp"

#include <rapidjson/document.h>

namespace corvus {

/// Writes `topology` as {"Members","Promotables","Rehabs","PriorityOrder",
/// "ReplicationFactor","DynamicNodesDistribution"}.
void write_database_topology(json_writer& w,
                             const database_topology& topology);

/// Reads what write_database_topology wrote.
/// @returns ec::bad_request naming the missing or mistyped field.
outcome<database_topology> read_database_topology(const rapidjson::Value& v);

/// Writes `record` as {"Name","Disabled","Etag","Topology":{...},
/// "OtherMembers":{...}}.
void write_database_record(json_writer& w, const database_record& record);

/// Reads what write_database_record wrote.
/// @returns ec::bad_request naming the missing or mistyped field.
outcome<database_record> read_database_record(const rapidjson::Value& v);

} // namespace corvus
