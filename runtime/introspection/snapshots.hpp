#pragma once

// What each kind of actor tells about itself when asked (issue: actor
// introspection): plain structs the actors fill from their state, rendered
// here as the small JSON objects the console and /admin/actors show. Every
// numeric field also becomes a metric (see metrics.hpp).

#include "runtime/documents/id_filter.hpp"
#include "runtime/net/reconnect_schedule.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace corvus {

struct node_snapshot_view {
  std::string node_tag;
  std::string url;
  int64_t cluster_index = 0;
  int64_t databases = 0;
  int64_t restarting = 0;
};

/// Requests answered per latency bucket: upper bound in seconds → count
/// of requests at most that slow (cumulative, Prometheus style).
using latency_buckets = std::map<double, int64_t>;

struct gateway_snapshot_view {
  int64_t port = 0;
  int64_t io_threads = 0;
  int64_t in_flight = 0;
  int64_t requests = 0;
  /// Answers with status 400 or more.
  int64_t errors = 0;
  /// Sum of request durations, seconds.
  double duration_sum = 0;
  latency_buckets buckets;
};

struct database_snapshot_view {
  std::string database;
  /// "Ready", "Loading" or "Stopping".
  std::string status;
  int64_t last_etag = 0;
  std::string change_vector;
  int64_t documents = 0;
  int64_t tombstones = 0;
  int64_t size_bytes = 0;
  /// Transactions executed but not yet durable.
  int64_t outstanding = 0;
};

struct committer_snapshot_view {
  std::string database;
  int64_t batches = 0;
  int64_t transactions = 0;
  int64_t last_batch = 0;
  int64_t average_commit_micros = 0;
  /// Why the committer stopped committing, or empty.
  std::string failed;
  /// The store's in-memory filter of ids.
  id_filter_status id_filter;
};

/// How a link to another node connects: both kinds of link show it.
struct reconnect_view {
  int64_t attempts = 0;
  int64_t connections = 0;
  int64_t backoff_ms = 0;
  std::string last_error;
};

/// @returns what `schedule` tells about the link's connection attempts.
reconnect_view view_of(const reconnect_schedule& schedule);

/// A Raft peer link.
struct peer_link_snapshot_view {
  std::string peer;
  std::string url;
  std::string tcp_url;
  bool connected = false;
  reconnect_view reconnect;
};

/// An outgoing replication link.
struct link_snapshot_view {
  std::string database;
  std::string source;
  std::string destination;
  std::string url;
  bool connected = false;
  /// The last etag the destination acknowledged.
  int64_t cursor = 0;
  /// This instance's writes known to the link and not acknowledged yet.
  int64_t lag_etags = 0;
  /// When the destination last answered, 100 ns ticks; 0: never.
  int64_t last_heartbeat = 0;
  std::string destination_change_vector;
  bool in_flight = false;
  int64_t batches = 0;
  int64_t items_sent = 0;
  int64_t items_skipped = 0;
  reconnect_view reconnect;
};

/// The incoming side of replication for one source.
struct inbox_snapshot_view {
  std::string database;
  std::string source;
  std::string source_database_id;
  int64_t batches = 0;
  int64_t items = 0;
  int64_t accepted_etag = 0;
};

std::string to_json(const node_snapshot_view& s);
std::string to_json(const gateway_snapshot_view& s);
std::string to_json(const database_snapshot_view& s);
std::string to_json(const committer_snapshot_view& s);
std::string to_json(const peer_link_snapshot_view& s);
std::string to_json(const link_snapshot_view& s);
std::string to_json(const inbox_snapshot_view& s);

} // namespace corvus
