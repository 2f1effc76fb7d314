#pragma once

// Cluster commands as the JSON of their Raft log entries (ravendb-internals
// §1.8): an object with RavenDB's command name in "Type" and the request id
// in "UniqueRequestId" (RavenDB's CommandBase field; "RaftRequestId" is
// accepted too), then the command's fields:
//
//   AddDatabaseCommand               Name, Record (database_record_json),
//                                    ExplicitMembers, NodeOffset
//   DeleteDatabaseCommand            DatabaseNames, FromNodes, HardDelete
//   AddDatabaseNodeCommand           Name, NodeTag ("" = choose),
//                                    NodeOffset
//   AddOrUpdateCompareExchangeCommand Database, Key, Index, Value
//   RemoveCompareExchangeCommand     Database, Key, Index
//
// AddDatabaseNodeCommand is Corvus's name: RavenDB proposes the whole new
// topology as an UpdateTopologyCommand (cluster_command.hpp says why this
// one differs). RavenDB embeds a compare-exchange Value as an object; here it is a string
// holding the object's text, so that it is stored byte for byte. Only
// Corvus nodes read these entries.

#include "runtime/cluster/cluster_command.hpp"
#include "runtime/failure.hpp"

#include <string>
#include <string_view>

namespace corvus {

/// @returns `cmd` as the JSON text of its log entry.
std::string encode_command(const cluster_command& cmd);

/// @returns the command `text` encodes.
/// @returns ec::bad_request for malformed JSON, an unknown "Type", or a
///          missing or mistyped field.
outcome<cluster_command> decode_command(std::string_view text);

} // namespace corvus
