#pragma once

// Cluster commands as JSON (ravendb-internals §1.8), the form of their Raft
// log entries except for compare-exchange commands, which have a binary one
// (cluster_command_codec.hpp; entries written before it hold them as JSON
// and are still read). An object with RavenDB's command name in "Type" and
// the request id in "UniqueRequestId" (RavenDB's CommandBase field;
// "RaftRequestId" is accepted too), then the command's fields:
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
// one differs). RavenDB embeds a compare-exchange Value as an object; here
// it is a string holding the object's text, so that it is stored byte for
// byte. Only Corvus nodes read these entries.

#include "runtime/cluster/cluster_command.hpp"
#include "runtime/failure.hpp"

#include <string>
#include <string_view>

namespace corvus {

/// @returns `cmd` as JSON text.
std::string command_to_json(const cluster_command& cmd);

/// @returns the command the JSON `text` describes.
/// @returns ec::bad_request for malformed JSON, an unknown "Type", or a
///          missing or mistyped field.
outcome<cluster_command> command_from_json(std::string_view text);

} // namespace corvus
