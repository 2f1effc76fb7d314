#pragma once

// An outgoing replication link (messages/replication_actors.hpp): sends one
// database instance's versions to one sibling instance on another node
// (ravendb-internals.md §4.5). It connects through the actor the
// destination node publishes (learning its TCP address from its HTTP URL),
// introduces itself, and then sends batches read from the store (a window
// of them in flight), waking on durable local writes; data that only arrived
// by replication does not wake it (no ripple), the idle heartbeat finds
// what the destination still lacks. A lost connection or a destination
// that stops answering is retried with a growing back-off. The protocol
// state is the pure replication_sender; the actor owns I/O and timers.
// Spawn it detached: connecting and reading the store block.

#include "messages/replication_actors.hpp"
#include "runtime/net/reconnect_schedule.hpp"
#include "runtime/replication/sender.hpp"
#include "storage/document_store.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <memory>
#include <string>

namespace corvus {

/// Replication timers and limits (config: `replication.*`).
struct replication_settings {
  /// Idle heartbeat; also how long data that arrived by replication waits
  /// before a link looks whether its destination lacks it.
  std::chrono::milliseconds heartbeat{15'000};
  /// How long a link waits for a hello's or a batch's answer.
  std::chrono::milliseconds reply_timeout{30'000};
  /// Reconnect back-off: first delay, factor, cap.
  backoff_policy reconnect{std::chrono::milliseconds{500}, 4,
                           std::chrono::milliseconds{60'000}};
  batch_limits limits;
  /// Batches a link sends before the first of them is acknowledged.
  size_t window = 2;
  /// How soon an instance tells its sources what another one's batch
  /// brought (Notify).
  std::chrono::milliseconds notify_delay{50};
};

struct outgoing_link_settings {
  std::string database;
  /// This instance.
  std::string source_db_id;
  std::string source_tag;
  std::string source_url;
  /// The destination node.
  std::string destination_tag;
  std::string destination_url;
  std::shared_ptr<document_store> store;
  /// Where acknowledgements are reported.
  replication_listener_actor instance;
  replication_settings replication;
  introspection_actor registry;
  uint64_t parent = 0;
  std::shared_ptr<spdlog::logger> log;
};

struct outgoing_link_state {
  explicit outgoing_link_state(outgoing_link_actor::pointer self)
    : self(self) {
    // nop
  }

  /// One connection attempt (blocking look-up and connect, then the hello).
  void connect();

  /// Gives up the connection and schedules the next attempt: after the
  /// back-off, which grows, or `soon` (the destination is still opening
  /// its copy).
  void failed(const std::string& reason, bool soon = false);

  /// Sends the next batch when connected, idle and woken.
  void pump();

  /// Sends `batch` to the destination's inbox.
  void send(outgoing_batch batch);

  void on_ack(const replication_ack& ack);

  /// Tells the instance what the destination holds, if it asked.
  void report_acked();

  void on_heartbeat_timer();

  outgoing_link_actor::pointer self;
  outgoing_link_settings settings;
  replication_sender sender;
  replication_inbox_actor inbox;
  std::string tcp_url;
  reconnect_schedule reconnect{backoff_policy{}};
  /// Local writes wait to be sent.
  bool woken = true;
  /// The next acknowledgement answers an idle heartbeat: then send what
  /// the destination lacks, replicated data included.
  bool heartbeat_pending = false;
  std::chrono::steady_clock::time_point sent_at;
  std::chrono::steady_clock::time_point last_exchange;
  /// When the destination last answered (for operators), ticks.
  int64_t last_answer_ticks = 0;
  int64_t batches = 0;
  int64_t items_sent = 0;
  int64_t items_skipped = 0;
  /// The instance wants every acknowledgement (writes wait for replicas).
  bool reporting_acked = false;
  static inline const char* name = "replication-link";
};

outgoing_link_actor::behavior_type
outgoing_link(outgoing_link_actor::stateful_pointer<outgoing_link_state> self,
              outgoing_link_settings settings);

} // namespace corvus
