#pragma once

// Outcomes of applied commands as JSON, for the request history that a
// snapshot carries and the replies other nodes and actors get
// (command_reply): {"Result":{"Type":...}} or {"Error":{"Code","Message",
// "Fields"}}. Internal to Corvus (RavenDB keeps results in its log history
// in its own form).

#include "runtime/cluster/request_history.hpp"
#include "runtime/json/json.hpp"

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>

namespace corvus {

/// Writes `result` as an object whose "Type" names the result.
void write_cluster_result(json_writer& w, const cluster_result& result);

/// Reads what write_cluster_result wrote; ec::bad_request when malformed.
outcome<cluster_result> read_cluster_result(const rapidjson::Value& v);

/// Writes `out` as {"Result":...} or {"Error":...}.
void write_apply_outcome(json_writer& w, const apply_outcome& out);

/// Reads what write_apply_outcome wrote. @returns nullopt when malformed.
std::optional<apply_outcome> read_apply_outcome(const rapidjson::Value& v);

/// @returns `out` as JSON text (write_apply_outcome).
std::string apply_outcome_to_json(const apply_outcome& out);

/// Reads apply_outcome_to_json's text. @returns nullopt when malformed.
std::optional<apply_outcome> apply_outcome_from_json(std::string_view text);

} // namespace corvus
