#pragma once

// Cluster commands as the data of their Raft log entries.
//
// Compare-exchange commands, nearly every entry of a busy log, are a tag
// byte followed by their fields:
//
//   put:    0x01, id, database, key, u64 LE index, value
//   remove: 0x02, id, database, key, u64 LE index
//
// each string as its size (u32 LE) and its bytes (runtime/text/
// byte_fields.hpp). Every member decodes every entry it applies; as JSON
// (the value a string inside the command, escaped) that was 5 % of three
// busy nodes' CPU at 64 clients; cut out, the value is not even copied.
// All other commands are JSON (cluster_command_json.hpp). JSON text starts
// with '{' or whitespace, never with a tag byte, so the JSON entries of
// compare-exchange commands that earlier versions wrote still decode.

#include "runtime/cluster/cluster_command.hpp"
#include "runtime/failure.hpp"
#include "runtime/text/shared_text.hpp"

#include <string>
#include <string_view>

namespace corvus {

/// @returns `cmd` as the data of its log entry.
std::string encode_command(const cluster_command& cmd);

/// @returns the command the log entry data `data` holds. A compare-exchange
///          value stays a part of `data`, sharing it: the value in the
///          state and the entry in the log are the same bytes.
/// @returns ec::bad_request for malformed data.
outcome<cluster_command> decode_command(const shared_text& data);

} // namespace corvus
