#pragma once

// Outcomes of applied commands as JSON, for the request history that a
// snapshot carries: {"Result":{"Type":...}} or {"Error":{"Code","Message",
// "Fields"}}. Internal to Corvus (RavenDB keeps results in its log history
// in its own form).

#include "runtime/cluster/request_history.hpp"
#include "runtime/json/json.hpp"

#include <rapidjson/document.h>

#include <optional>

namespace corvus {

/// Writes `result` as an object whose "Type" names the result.
void write_cluster_result(json_writer& w, const cluster_result& result);

/// Reads what write_cluster_result wrote; ec::bad_request when malformed.
outcome<cluster_result> read_cluster_result(const rapidjson::Value& v);

/// Writes `out` as {"Result":...} or {"Error":...}.
void write_apply_outcome(json_writer& w, const apply_outcome& out);

/// Reads what write_apply_outcome wrote. @returns nullopt when malformed.
std::optional<apply_outcome> read_apply_outcome(const rapidjson::Value& v);

} // namespace corvus
