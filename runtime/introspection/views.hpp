#pragma once

// The node's introspection as clients see it: the actors with their last
// snapshot (`/admin/actors`), the restarts supervisors recorded
// (`/admin/restarts`), and the same numbers as Prometheus text
// (`/metrics`). Pure: the registry actor gathers, these render.

#include "runtime/introspection/process_memory.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace corvus {

/// One registered actor and what it answered.
struct actor_view {
  uint64_t id = 0;
  /// "node", "http-gateway", "database", "storage-committer", ...
  std::string kind;
  std::string name;
  /// The supervising actor's id; 0 for the root.
  uint64_t parent = 0;
  /// False when the actor did not answer in time; `state` is then empty.
  bool responsive = true;
  /// Restarts recorded for this kind and name.
  int64_t restarts = 0;
  /// The snapshot, a JSON object text.
  std::string state;

  friend bool operator==(const actor_view& x, const actor_view& y) {
    return x.id == y.id && x.kind == y.kind && x.name == y.name
           && x.parent == y.parent && x.responsive == y.responsive
           && x.restarts == y.restarts && x.state == y.state;
  }
};

/// One restart a supervisor recorded.
struct restart_view {
  std::string kind;
  std::string name;
  std::string reason;
  /// When it failed, 100 ns ticks since the Unix epoch.
  int64_t at = 0;
  /// Delay before the next attempt.
  int64_t next_attempt_ms = 0;

  friend bool operator==(const restart_view& x, const restart_view& y) {
    return x.kind == y.kind && x.name == y.name && x.reason == y.reason
           && x.at == y.at && x.next_attempt_ms == y.next_attempt_ms;
  }
};

/// `GET /admin/actors`.
std::string render_actor_list(const std::string& node_tag,
                              const std::string& url,
                              const std::vector<actor_view>& actors);

/// `GET /admin/actors/{id}`.
std::string render_actor(const actor_view& actor);

/// `GET /admin/restarts`.
std::string render_restarts(const std::vector<restart_view>& restarts);

/// `GET /metrics`: Prometheus text exposition. Every numeric field of
/// every snapshot becomes a series `corvus_<kind>_<field>` labelled with
/// the node and the actor's name; the HTTP gateway's latency buckets become
/// the histogram `corvus_http_request_duration_seconds`. `memory` (may be
/// null) adds the process's (`process_resident_memory_bytes`, ...) and
/// its allocator's (`corvus_allocator_<count>_bytes`).
std::string render_metrics(const std::string& node_tag,
                           const std::vector<actor_view>& actors,
                           const std::vector<restart_view>& restarts,
                           const process_memory* memory = nullptr);

} // namespace corvus
