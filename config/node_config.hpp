#pragma once

// The typed configuration of a corvus-node process. Every field mirrors one
// key of config/node.conf (the embedded defaults, where each key is
// documented); config/load_config.hpp fills it from HOCON files and command
// line overrides.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace corvus {

struct node_config {
  /// `server-url`: where the HTTP API listens, `http://host:port`. Port 0
  /// picks a free port (the banner and the topology show the real one).
  std::string server_url = "http://127.0.0.1:8080";
  /// `public-server-url`: the URL clients and peers are told to use; empty
  /// means `server-url`.
  std::string public_server_url;
  /// `tcp-url`: where node-to-node (cluster and replication) traffic
  /// listens, `tcp://host:port`; empty = server-url's host, any free port.
  std::string tcp_url;
  /// `data-dir`: folder of all stores of this node.
  std::string data_dir = "data";

  struct logs_section {
    /// `logs.path`: folder of the log files.
    std::string path = "logs";
    /// `logs.level`: trace, debug, info, warn, error or off.
    std::string level = "info";
  } logs;

  struct http_section {
    /// `http.io-threads`: threads serving HTTP connections.
    int io_threads = 2;
    /// `http.max-body-size`: largest accepted request body, bytes.
    uint64_t max_body_size = 128ull << 20;
    /// `http.keep-alive-timeout`: idle time before a connection is closed.
    std::chrono::milliseconds keep_alive_timeout{120'000};
    /// `http.request-timeout`: bound on a request waiting for an actor.
    std::chrono::milliseconds request_timeout{60'000};
  } http;

  struct storage_section {
    /// `storage.sync`: fsync every transaction before acknowledging it.
    bool sync = true;
    /// `storage.compression`: documents, blocks or none
    /// (runtime/documents/compression.hpp).
    std::string compression = "documents";
    /// `storage.id-filter`: keep each store's ids in an in-memory filter.
    bool id_filter = true;
    /// `storage.block-cache-size`: LevelDB block cache per store, bytes.
    uint64_t block_cache_size = 64ull << 20;
    /// `storage.write-buffer-size`: LevelDB memtable per store, bytes.
    uint64_t write_buffer_size = 64ull << 20;
    /// `storage.max-group-commit-bytes`: cap on one group-committed batch.
    uint64_t max_group_commit_bytes = 32ull << 20;
  } storage;

  struct database_section {
    /// `database.restart-backoff-initial`: first delay before restarting a
    /// failed database instance.
    std::chrono::milliseconds restart_backoff_initial{500};
    /// `database.restart-backoff-max`: the delay doubles up to this cap.
    std::chrono::milliseconds restart_backoff_max{30'000};
  } database;

  struct replication_section {
    /// `replication.heartbeat`: idle heartbeat of a replication link; data
    /// that arrived by replication waits this long before a link checks
    /// whether its destination lacks it.
    std::chrono::milliseconds heartbeat{15'000};
    /// `replication.reply-timeout`: how long a link waits for an answer
    /// before it reconnects.
    std::chrono::milliseconds reply_timeout{30'000};
    /// `replication.retry-initial`: first reconnect delay of a link.
    std::chrono::milliseconds retry_initial{500};
    /// `replication.retry-factor`: each failure multiplies the delay.
    int retry_factor = 4;
    /// `replication.retry-max`: the cap of the reconnect delay.
    std::chrono::milliseconds retry_max{60'000};
    /// `replication.batches-in-flight`: batches a link sends before the
    /// first of them is acknowledged (when they are full).
    uint64_t window = 2;
    /// `replication.notify-delay`: how soon an instance tells its other
    /// sources what a batch brought (one message per delay at most).
    std::chrono::milliseconds notify_delay{50};
    /// `replication.max-items-per-batch`, `replication.max-batch-size`.
    uint64_t max_items = 16'384;
    uint64_t max_bytes = 64ull << 20;
  } replication;

  struct introspection_section {
    /// `introspection.snapshot-timeout`: how long an actor may take to
    /// describe itself before it shows as unresponsive.
    std::chrono::milliseconds snapshot_timeout{500};
  } introspection;

  struct cluster_section {
    /// `cluster.election-timeout`: T, from which every Raft timer derives.
    std::chrono::milliseconds election_timeout{300};
    /// `cluster.tick-interval`: the Raft core's clock period.
    std::chrono::milliseconds tick_interval{10};
    /// `cluster.operation-timeout`: bound on a cluster operation.
    std::chrono::milliseconds operation_timeout{15'000};
    /// `cluster.connect-timeout`: bound on connecting to a peer.
    std::chrono::milliseconds connect_timeout{2'000};
    /// `cluster.max-append-size`: bytes of entries per append message.
    uint64_t max_append_size = 1ull << 20;
    /// `cluster.max-inflight-appends`: unacknowledged appends per follower.
    int max_inflight_appends = 32;
    /// `cluster.max-inflight-append-size`: unacknowledged bytes of entries
    /// per follower.
    uint64_t max_inflight_append_size = 8ull << 20;
    /// `cluster.snapshot-piece-size`: bytes per piece of a snapshot sent.
    uint64_t snapshot_piece_size = 1ull << 20;
    /// `cluster.snapshot-pieces-ahead`: unacknowledged snapshot pieces.
    int snapshot_pieces_ahead = 8;
    /// `cluster.snapshot-every`: applied entries between snapshots.
    uint64_t snapshot_every = 10'000;
    /// `cluster.snapshot-keep`: entries kept in the log behind a snapshot.
    uint64_t snapshot_keep = 1'000;
  } cluster;

  struct scheduler_section {
    /// `scheduler.threads`: CAF worker threads; 0 = one per core.
    int threads = 0;
  } scheduler;
};

} // namespace corvus
