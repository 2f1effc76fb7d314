#pragma once

// The Raft member (messages/raft_member.hpp): Rachis on one node. It wraps
// the pure core (runtime/raft) and executes what the core asks, in Raft's
// order: persist (one synced batch in the raft store), then send, then
// apply to the cluster state machine and answer. Around the core it owns
// the peer links, forwards commands to the leader, serves linearizable
// reads and wait-for-index, founds a cluster of one on demand, takes
// snapshots, and tells the node what changed. Spawn it detached: it syncs
// the raft store in its handlers.

#include "actors/cluster/peer_link.hpp"
#include "messages/node.hpp"
#include "messages/raft_member.hpp"
#include "runtime/cluster/cluster_state.hpp"
#include "runtime/raft/core.hpp"
#include "runtime/raft/snapshot_transfer.hpp"
#include "storage/raft_store.hpp"

#include <spdlog/logger.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace corvus {

struct raft_member_settings {
  /// This node's HTTP URL (what the topology lists).
  std::string public_url;
  /// Where peers connect (tcp://host:port; port 0 = any free port).
  std::string tcp_host = "127.0.0.1";
  uint16_t tcp_port = 0;
  /// Publish on the TCP port (false in single-process tests).
  bool publish = true;
  /// Serialize snapshots on a thread of their own (false: as an ordinary
  /// actor, for deterministic tests).
  bool detached_snapshots = true;
  /// Opened by the process before the node starts.
  std::shared_ptr<raft_store> store;
  /// One tick of the core; T = election_ticks ticks.
  std::chrono::milliseconds tick_interval{10};
  int election_ticks = 30;
  int heartbeat_ticks = 10;
  size_t max_append_bytes = 1 << 20;
  size_t max_inflight = 32;
  size_t max_inflight_bytes = 8 << 20;
  /// Snapshots go to followers in pieces of this size, so many ahead of
  /// the follower's acknowledgements (runtime/raft/snapshot_transfer.hpp).
  size_t snapshot_piece_bytes = 1 << 20;
  size_t snapshot_window_pieces = 8;
  /// Snapshot every so many applied entries, keeping so many entries.
  raft::index_t snapshot_every = 10'000;
  raft::index_t snapshot_keep = 1'000;
  /// Bound on a cluster operation (RavenDB's Cluster.OperationTimeout).
  std::chrono::milliseconds operation_timeout{15'000};
  std::chrono::milliseconds connect_timeout{2'000};
  uint64_t seed = 1;
  /// Tests only (whole-node simulations in one actor system): when set,
  /// peer links get each peer's handle from it instead of over HTTP and
  /// the middleman, and run on the member's scheduler (not detached); a
  /// node being added is not probed over HTTP but taken as a fresh node
  /// (no tag, no cluster). Everything else (the hello that hands a new
  /// node its tag, reconnects, forwarding) runs as in production.
  peer_resolver resolve_peer;
  node_actor node;
  introspection_actor registry;
  uint64_t parent = 0;
  std::shared_ptr<spdlog::logger> log;
};

/// Who a node says it is (GET /cluster/node-info).
struct node_identity {
  /// "?" for a node in no cluster.
  std::string tag;
  /// Empty for a node in no cluster.
  std::string topology_id;
};

struct raft_member_state {
  using clock = std::chrono::steady_clock;
  /// Whole milliseconds and microseconds of `d`, as logs and status show
  /// durations.
  static int64_t ms(clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  }
  static int64_t us(clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  }
  ~raft_member_state();
  template <class T>
  using callback = std::function<void(outcome<T>)>;

  /// A peer as the member reaches it.
  struct peer {
    std::string url;
    peer_link_actor link;
    /// From the link once connected.
    raft_peer_actor remote;
    /// Whoever last sent us a message as this peer: answers can go back
    /// that way before our own link is up (a joining node knows nobody).
    raft_peer_actor inbound;
    std::string last_error;

    const raft_peer_actor& handle() const {
      return remote ? remote : inbound;
    }
  };

  struct proposal {
    raft::term_t term = 0;
    callback<applied_command> done;
    /// A command submitted to this member (empty for forwarded commands,
    /// whose forwarder retries, and topology changes): when a new
    /// leader's log replaces its entry before it commits, it is submitted
    /// again until `deadline`. The entry can no longer commit, and a
    /// command's request id makes it apply once whatever happens.
    std::string command;
    clock::time_point deadline;
  };

  struct pending_submit {
    std::string command;
    callback<applied_command> done;
    clock::time_point deadline;
    /// A forward to the leader is out: do not send another.
    bool in_flight = false;
  };

  struct pending_change {
    topology_request request;
    callback<int64_t> done;
    clock::time_point deadline;
    bool in_flight = false;
  };

  struct waiter {
    raft::index_t index = 0;
    callback<raft::index_t> done;
    clock::time_point deadline;
  };

  struct pending_read {
    std::function<void(outcome<const cluster_state*>)> run;
    clock::time_point deadline;
    /// The index to reach once the leader confirmed the read; 0 = not yet.
    raft::index_t index = 0;
  };

  explicit raft_member_state(raft_member_actor::pointer self) : self(self) {
    // nop
  }

  /// Restores the member from its store, replays the committed log into
  /// the state machine, publishes the TCP endpoint, connects to peers.
  caf::error init();
  /// Creates the Raft core for this node's tag on what its store holds.
  void start_core(raft::durable_state durable);

  /// Executes everything the core has ready (persist, send, apply).
  void drain();

  /// One tick: the core's clock, retries, deadlines.
  void tick();

  /// Founds a cluster of one with this node as A (or its old tag).
  outcome<done> bootstrap();

  /// @returns why this node takes no cluster commands or reads once it
  ///          left its cluster (raft::core::left_cluster), where waiting
  ///          would only end in a timeout and a forward would still reach
  ///          its old leader.
  std::optional<failure> removed_from_cluster() const;

  /// @returns why this member does not take a forward or a reelect from
  ///          node `from`: not the leader (ec::not_leader, with the leader
  ///          it knows), or `from` is not in its topology (ec::bad_request).
  std::optional<failure> refuse_forward_from(const raft::node_tag& from) const;

  /// Once the node is out of its cluster, refuses what still waits for a
  /// leader or for an index with removed_from_cluster().
  void refuse_waiting_if_removed();

  /// Sends `payload` to the leader; `on_reply` gets its answer, `retry`
  /// is called with nullptr when the attempt should be retried (the leader
  /// changed or went away, or did not answer in time) or with the failure
  /// to report.
  template <class Reply, class Payload>
  void forward(const Payload& payload, clock::time_point deadline,
               std::function<void(Reply&)> on_reply,
               std::function<void(const failure*)> retry);

  /// Retries every forward in flight (the leader changed or went away).
  void abort_forwards();

  void submit(pending_submit p);
  void retry_submits();
  void change_topology(pending_change p);
  void retry_changes();
  /// Leader side of a topology change; `joining` is what a node being
  /// added said about itself.
  void propose_change(pending_change p, node_identity joining);

  /// Calls `done` once `index` is applied, or with a timeout at
  /// `deadline` (cluster.operation-timeout from now when not given).
  void wait_applied(raft::index_t index, callback<raft::index_t> done,
                    std::optional<clock::time_point> deadline = {});
  void read(std::function<void(outcome<const cluster_state*>)> run);

  outcome<std::string> hello(const raft_hello& h);
  /// @returns whether traffic labelled `topology_id` is of another
  ///          cluster than this member's (and so dropped).
  bool of_another_cluster(const std::string& topology_id) const;
  void on_envelope(raft_envelope& env);
  /// Logs the state and leader (drain() does when either changed).
  void log_state();
  /// Follower side: a message of the leader arrived (ends a silence).
  void heard_from_leader();
  /// Logs once when the leader has been silent for one and a half
  /// heartbeat periods.
  void watch_leader_silence();
  /// A third of the election timeout: a save that takes longer is logged.
  clock::duration slow_turn() const;

  /// Starts sending the install_snapshot message `msg` in pieces, unless
  /// the same snapshot is already on its way there and moving, or a
  /// fresher one is to go instead.
  void send_snapshot(raft::message msg);
  /// @returns whether node `to` should get a fresher snapshot than `snap`
  ///          (much was applied since it); asks for one unless it is being
  ///          taken.
  bool fresher_snapshot_first(const raft::snapshot& snap,
                              const raft::node_tag& to);
  /// Sends what the window of the transfer to `to` allows.
  void send_snapshot_pieces(const raft::node_tag& to);
  /// Drops the snapshot being received, and its file.
  void drop_incoming_snapshot();
  /// Follower side: writes each piece to the snapshot's file, acknowledges
  /// it, and has the finished snapshot (its file, mapped) decoded.
  void on_snapshot_piece(raft_snapshot_piece& piece);
  /// Decodes the snapshot of `msg` (an install_snapshot message) on a
  /// worker, then hands `msg` to the core with the decoded state at hand
  /// (install_decoded). Meanwhile the member goes on answering.
  void decode_then_install(raft::message msg);
  /// The worker's result for decoding_snapshot.
  void install_decoded(outcome<cluster_state> decoded);
  /// Makes the state decoded from `snap` (installed by the core) the state
  /// machine.
  void install(const raft::snapshot& snap);
  /// Leader side: the follower holds more of a snapshot.
  void on_snapshot_ack(const raft_snapshot_ack& ack);
  /// Drops transfers that stopped moving (tick), or all of them (no
  /// longer leader).
  void expire_snapshot_transfers(bool all);
  /// How long a transfer may go without an acknowledgement.
  clock::duration snapshot_stall_timeout() const;

  /// Matches peers (and their links) to the topology in force.
  void sync_peers();
  void send_raft(raft::message msg);
  void apply(const raft::entry& e);
  /// Answers the proposal of `e` made here, if any, once the drain has
  /// published (`out`: a command's outcome; nullptr for a topology).
  void complete_proposal(const raft::entry& e, const apply_outcome* out);
  void answer_completed();
  /// Snapshots the state machine and compacts the log once enough was
  /// applied since the last snapshot: `snapshot_every` entries, and at
  /// least as many bytes of entries as the last snapshot had (so the cost
  /// of snapshots stays proportional to what is written, however large
  /// the state grows); or at once when a follower waits for a fresh one.
  void maybe_compact();
  /// Spawns a worker (a function-based actor) of the member's snapshots:
  /// on a thread of its own, or on the scheduler (detached_snapshots).
  template <class Work>
  void spawn_worker(Work work);
  /// Compacts the log with a snapshot serialized in the background, taken
  /// at `started`; the member copied the state in `copying` (for the log).
  void finish_snapshot(raft::index_t index, shared_text data,
                       clock::time_point started, clock::duration copying);
  /// How long one request to a peer may take before it is asked again.
  std::chrono::milliseconds attempt_timeout() const;
  /// What asking a peer whether it applied an index came to.
  enum class peer_wait { confirmed, unreachable, late };

  /// Asks `node` until it has applied `index` (`confirmed`), there is no
  /// connection to it since an attempt failed or the last one was lost
  /// (`unreachable`), or `deadline` passes (`late`). A connection still
  /// being set up is waited for; a request lost with its connection is
  /// asked again over the next one.
  void wait_on_peer(const raft::node_tag& node, raft::index_t index,
                    clock::time_point deadline,
                    std::function<void(peer_wait)> done);
  void publish(bool force);
  raft_status status() const;

  /// Fails every pending request (shutdown).
  void fail_all(const failure& why);

  bool is_leader() const {
    return core && core->current_role() == raft::role::leader;
  }

  /// The leader's handle when it is another node we can reach.
  raft_peer_actor leader_handle() const;

  raft::index_t applied() const {
    return core ? core->applied() : 0;
  }

  /// The actor system's clock: deadlines follow the same time as the
  /// timers (simulated under the test coordinator).
  clock::time_point now() const;

  /// ec::no_leader: no leader answered within the operation timeout.
  failure no_leader() const;

  raft_member_actor::pointer self;
  raft_member_settings settings;
  raft::node_tag tag;
  std::optional<raft::core> core;
  cluster_state machine;
  std::map<raft::node_tag, peer> peers;
  /// Snapshots on their way to followers (set once the settings are).
  std::optional<raft::snapshot_transfers> outgoing_snapshots;
  /// The snapshot a leader is sending this member, the file its pieces go
  /// to as they arrive, and when it last moved.
  raft::snapshot_receiver incoming_snapshot;
  std::unique_ptr<raft_store::snapshot_file> incoming_snapshot_file;
  clock::time_point incoming_snapshot_moved;
  /// A received snapshot's install_snapshot message while a worker decodes
  /// its data (pieces of other snapshots are dropped meanwhile: a new file
  /// of the same snapshot would replace the one being read), when that
  /// began, and then the decoded state, for the drain that installs it.
  std::optional<raft::message> decoding_snapshot;
  clock::time_point decoding_started;
  std::optional<cluster_state> decoded_state;
  std::map<raft::index_t, proposal> proposals;
  std::deque<pending_submit> submits;
  /// Forwards in flight → what retries them.
  std::map<uint64_t, std::function<void()>> forwards;
  uint64_t next_forward = 1;
  std::deque<pending_change> changes;
  std::multimap<raft::index_t, waiter> waiters;
  std::map<uint64_t, pending_read> reads;
  uint64_t next_read = 1;
  /// Removals of hosted copies since the last update to the node.
  std::vector<database_removal> removals;
  /// Bumped when the topology or a database record changes.
  uint64_t version = 0;
  uint64_t published_version = ~uint64_t{0};
  raft_status published_status;
  int64_t ticks = 0;
  /// The topology entry the peers were last matched to.
  raft::index_t synced_config_index = ~raft::index_t{0};
  /// Whether that configuration was still uncommitted: once it commits,
  /// the links to the nodes it removed go.
  bool synced_config_pending = false;
  /// Answers of proposals applied in the current drain.
  std::vector<std::function<void()>> completed;
  /// Bytes of entries applied since the last snapshot (or start-up).
  uint64_t applied_bytes = 0;
  /// A snapshot is being serialized on another thread.
  bool snapshot_running = false;
  /// A follower waits for a snapshot fresher than the latest.
  bool fresh_snapshot_wanted = false;
  /// The followers waiting for it (shown in their status).
  std::set<raft::node_tag> fresh_snapshot_for;
  /// The index of the last snapshot taken because a follower waited: sent
  /// however much is applied after it.
  raft::index_t fresh_for_sending = 0;
  /// This member's random share added to the snapshot thresholds.
  double snapshot_jitter = 0;
  std::mt19937_64 rng;
  clock::time_point leader_since;
  /// Follower side: the leader last heard from, when, and whether its
  /// silence since was logged.
  raft::node_tag silent_leader;
  clock::time_point last_heard_from_leader;
  bool leader_silence_reported = false;
  /// Role and leader as of the last drain (when they change, the state is
  /// logged and whatever waited for a leader is retried).
  bool was_leader = false;
  raft::node_tag known_leader;
  /// The state last logged: a node that joins is Passive until its
  /// configuration names it, then a Follower of the same leader.
  std::string logged_state;
  std::string tcp_url;
  bool shutting_down = false;
  static inline const char* name = "raft-member";
};

raft_member_actor::behavior_type
raft_member(raft_member_actor::stateful_pointer<raft_member_state> self,
            raft_member_settings settings);

} // namespace corvus
