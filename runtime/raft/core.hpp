#pragma once

// The Raft core (Raft paper; ravendb-internals.md §1): a deterministic state
// machine in etcd-raft's shape. Ticks, messages and proposals go in; a
// `ready` (what to persist, send, apply) comes out. No clock, no I/O, no
// threads: time is the number of tick() calls, randomness a seeded engine.
//
// Roles are data: follower, pre-candidate (trial election, §9.6),
// candidate, leader. A node outside the topology is passive: it never
// campaigns and follows whichever leader contacts it (that is how a new
// node joins). Promotables and watchers follow but never vote or campaign.

#include "runtime/failure.hpp"
#include "runtime/raft/log.hpp"
#include "runtime/raft/message.hpp"
#include "runtime/raft/progress.hpp"
#include "runtime/raft/ready.hpp"
#include "runtime/raft/topology.hpp"
#include "runtime/raft/types.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace corvus::raft {

/// Timing and limits. Times are in ticks; the owner turns one tick interval
/// into one tick() call (RavenDB: T = 300 ms, one tick = 10 ms → 30).
struct config {
  /// This node's tag.
  node_tag id;
  /// T: a follower's election timer is drawn from [⅔T, T), a candidate's
  /// next round from [⅔·2T, 2T) (§1.2); a leader steps down when it has
  /// not heard from a majority within T.
  int election_ticks = 30;
  /// Leader heartbeat period when idle (T/3).
  int heartbeat_ticks = 10;
  /// Seed of the election-timer randomness.
  uint64_t seed = 1;
  /// An append message stops growing once its entries exceed this.
  size_t max_append_bytes = 1 << 20;
  /// Append messages in flight per follower before the leader waits.
  size_t max_inflight = 256;
  /// Bytes of entries in flight per follower before the leader waits. A
  /// follower catching up would otherwise get max_inflight full appends
  /// at once, queued on the leader's way out ahead of the heartbeats to
  /// the others.
  size_t max_inflight_bytes = 8 << 20;
};

/// The role a core plays right now.
enum class role : uint8_t { follower, pre_candidate, candidate, leader };

/// What a member remembers across restarts, as its storage returns it.
struct durable_state {
  hard_state state;
  /// The latest snapshot; empty when the log was never compacted.
  snapshot snap;
  /// Every stored entry, in order, without gaps, starting at or before
  /// `snap.index + 1` (compaction may keep entries a snapshot covers).
  std::vector<entry> entries;
};

/// One follower's replication state, as the leader sees it.
struct follower_status {
  node_tag tag;
  membership type = membership::member;
  index_t match = 0;
  index_t next = 0;
  /// Ticks since the follower last answered.
  int silent_ticks = 0;
  /// "probe", "replicate" or "snapshot".
  const char* state = "probe";
};

class core {
public:
  /// Restores a member from `restored`. A core with an empty log and no
  /// snapshot is passive until bootstrap() or a leader's first message.
  core(config cfg, durable_state restored);

  // -- inputs ---------------------------------------------------------------

  /// Advances logical time by one tick: election timers, heartbeats, the
  /// leader's check that a majority still answers.
  void tick();

  /// Handles a message from a peer. Messages for another node or from an
  /// older term are ignored (or answered with the newer term).
  void step(const message& msg);

  /// Founds a one-member cluster: appends `founding` (which must list this
  /// node as its only member) as the first entry and takes office at once.
  /// @returns ec::bad_request when the log is not empty or `founding` does
  ///          not list exactly this node as member.
  outcome<done> bootstrap(const topology& founding);

  /// Appends a state-machine command (leader only).
  /// @returns the entry's index, or ec::not_leader (the failure's message
  ///          names the leader when known, fields carry "Leader").
  outcome<index_t> propose(std::string data);

  /// Appends a topology change (leader only, one at a time, §1.5).
  /// @returns the entry's index; ec::not_leader; ec::bad_request when a
  ///          change is still uncommitted (topology_change_pending()) or
  ///          this leader has not committed an entry of its term yet
  ///          (topology_change_allowed() tells both), when
  ///          `next` drops or demotes the leader itself, or changes more
  ///          than one node's membership.
  outcome<index_t> propose_topology(const topology& next);

  /// Starts a linearizable read identified by `context` (unique per
  /// owner). The answer comes as a read_state or a dropped read in a later
  /// ready.
  void read_index(uint64_t context);

  /// Hands leadership to `target` (empty: the member whose log is most up
  /// to date). Proposals fail while the transfer runs (one election
  /// timeout at most).
  /// @returns ec::not_leader; ec::bad_request when there is no other member
  ///          or `target` is not a member.
  outcome<done> transfer_leadership(const node_tag& target = {});

  /// Starts an election now (a member only), skipping the trial round.
  void campaign();

  /// Acts as if the election timer ran out now (RavenDB's
  /// /admin/cluster/timeout): a member that does not lead starts a trial
  /// election, which members still hearing a live leader refuse. Nothing
  /// on a leader, a passive node or a non-voter.
  void election_timeout_now();

  /// The snapshot the leader last asked the owner to send `to` did not go
  /// (the owner held it back to take a fresher one): `to` goes back to
  /// probing, and the probe sent now asks for the latest snapshot again.
  /// Nothing unless this node leads and `to` waits for a snapshot.
  void snapshot_not_sent(const node_tag& to);

  /// Records a snapshot the owner took of its state machine at `index`
  /// (≤ applied) and drops the entries before `keep_from` (≤ index + 1).
  /// A follower whose next entry comes after `keep_from` still gets
  /// entries instead of a snapshot (the entry at `keep_from` anchors the
  /// log match). Does nothing when `index` is not past the last snapshot.
  /// @returns the dropped entries (raft_log::compact).
  std::deque<entry> compact(index_t index, shared_text data,
                            index_t keep_from);

  // -- outputs --------------------------------------------------------------

  /// @returns whether take_ready() has anything.
  bool has_ready() const;

  /// @returns what to persist, send and apply since the last call.
  ready take_ready();

  /// Tells the core that `done` (from take_ready) is persisted and applied.
  void advance(const ready& done);

  // -- observers ------------------------------------------------------------

  const node_tag& id() const {
    return cfg_.id;
  }

  raft::role current_role() const {
    return role_;
  }

  /// @returns RavenDB's name for the state: "Passive", "Follower",
  ///          "Candidate", "LeaderElect" (leader whose no-op is not yet
  ///          committed) or "Leader".
  const char* state_name() const;

  term_t term() const {
    return term_;
  }

  /// @returns the leader's tag, or "" when unknown.
  const node_tag& leader() const {
    return leader_;
  }

  /// @returns whether this node is not in its own topology (not bootstrapped,
  ///          not yet joined, or removed).
  bool passive() const;

  /// @returns whether this node is passive or a leader told it that it was
  ///          removed (its log may not hold the removal yet): RavenDB's
  ///          "Passive" state.
  bool out_of_cluster() const {
    return passive() || removed_;
  }

  /// @returns whether this node was in a cluster that no longer has it: out
  ///          of it with a log, or told so by a leader. A node being added
  ///          is out of the cluster too, but holds no log yet.
  bool left_cluster() const {
    return out_of_cluster() && (removed_ || last_index() > 0);
  }

  index_t commit() const {
    return log_.committed();
  }

  index_t applied() const {
    return log_.applied();
  }

  index_t last_index() const {
    return log_.last_index();
  }

  /// @returns the topology in force: the last appended one.
  const topology& current_topology() const {
    return log_.config();
  }

  /// @returns whether an appended topology change is not yet committed.
  bool topology_change_pending() const;

  /// @returns whether propose_topology may succeed now: leading, no change
  ///          pending, an entry of this term committed.
  bool topology_change_allowed() const;

  /// @returns the leader's view of its followers (empty unless leader).
  std::vector<follower_status> followers() const;

  /// @returns the persisted state as of the last advance().
  const hard_state& persisted_state() const {
    return persisted_;
  }

  /// @returns the in-memory log (tests and invariant checks).
  const raft_log& log() const {
    return log_;
  }

private:
  /// A linearizable read waiting for its leader to be confirmed.
  struct pending_read {
    /// Who asked: this node or a follower.
    node_tag requester;
    /// The requester's id for the read.
    uint64_t context = 0;
    /// The commit index when the read arrived at the leader.
    index_t index = 0;
  };

  /// Reads that wait for the same heartbeat round (Raft §6.4): a majority
  /// answering a heartbeat sent after they arrived confirms leadership.
  struct read_round {
    uint64_t id = 0;
    std::vector<pending_read> reads;
    std::vector<node_tag> acks;
  };

  // Roles.
  void become_follower(term_t term, const node_tag& leader);
  /// Whether an entry of the current term is committed (a new leader's
  /// commit index may lag behind its predecessors' until then).
  bool committed_in_term() const;
  void become_pre_candidate();
  void become_candidate(bool forced);
  void become_leader();
  void sync_progress();
  bool can_campaign() const;
  bool is_member(const node_tag& tag) const;
  std::optional<failure> refuse_proposal() const;

  // Elections.
  void tick_election();
  void request_votes(message_type type, term_t term, bool forced);
  void reject_vote(const message& msg, bool not_in_topology);
  void handle_vote_request(const message& msg);
  void handle_vote_response(const message& msg);
  /// @returns whether `msg` is a trial vote from a rival that started its
  ///          trial in the same tick as this member, with the same log and
  ///          a larger tag: the tie goes to the smaller tag.
  bool rival_loses_tie(const message& msg) const;
  bool log_up_to_date(index_t last_index, term_t last_term) const;
  size_t grants() const;
  size_t rejections() const;
  void reset_election_timer(bool candidate_round);
  void heard_from_leader(const node_tag& from);

  // Replication.
  void handle_append(const message& msg);
  void handle_append_response(const message& msg);
  void handle_heartbeat(const message& msg);
  void handle_heartbeat_response(const message& msg);
  void handle_snapshot(const message& msg);
  bool send_append(const node_tag& to, bool allow_empty);
  void broadcast_append();
  void broadcast_heartbeat(uint64_t context);
  bool maybe_commit();
  void maybe_promote();
  void append_topology(const topology& next);
  topology config_at(index_t index) const;

  // Leader duties.
  void tick_leader();
  bool quorum_active();
  void send_timeout_now(const node_tag& to);
  /// Tells the nodes whose removal just committed, and who hold it, that
  /// it did (a heartbeat saying NotInTopology, with the removal's index as
  /// commit).
  void tell_removed_nodes();
  void tell_removed(const node_tag& tag);
  /// Replicates to a removed node that campaigns, up to its removal.
  void catch_up_removed(const node_tag& tag);
  /// @returns whether `tag` is out of the topology in force, committed.
  bool removal_committed_for(const node_tag& tag) const;

  // Linearizable reads.
  void start_read(pending_read read);
  void confirm_reads(const node_tag& from, uint64_t round);
  void resolve_read(const pending_read& read);
  void handle_read_index(const message& msg);
  /// Tells a follower that its forwarded read was refused (it asks again).
  void refuse_read(const node_tag& requester, uint64_t context);
  void handle_read_index_response(const message& msg);
  void drop_pending_reads();

  /// Queues `msg` with this node's current term.
  void send(message msg);
  /// Queues `msg` with the term it already carries.
  void send_with_term(message msg);

  config cfg_;
  std::mt19937_64 rng_;
  raft_log log_;
  raft::role role_ = role::follower;
  term_t term_ = 0;
  node_tag voted_for_;
  node_tag leader_;
  /// Set when a leader said this node is not in the cluster; cleared when a
  /// leader contacts it. A removed node never campaigns.
  bool removed_ = false;

  int election_elapsed_ = 0;
  int randomized_timeout_ = 0;
  int heartbeat_elapsed_ = 0;
  /// Ticks since a leader was last heard from (leader stickiness).
  int leader_silent_ticks_ = 0;

  /// Votes of the running election round, by voter.
  std::map<node_tag, bool> votes_;
  /// Leader: every other node of the topology.
  std::map<node_tag, progress> progress_;
  /// Target and remaining ticks of a running leadership transfer.
  node_tag transfer_target_;
  int transfer_ticks_ = 0;
  /// Leader: entries or a new commit index wait to be sent (batched until
  /// take_ready, so that many proposals share one append per follower).
  bool append_pending_ = false;
  bool commit_changed_ = false;

  /// Leader: read rounds, oldest first; the newest is open for more reads
  /// until its heartbeat goes out.
  std::deque<read_round> read_rounds_;
  bool read_round_open_ = false;
  uint64_t next_read_round_ = 1;
  /// Leader: reads that wait for an entry of this term to commit.
  std::vector<pending_read> deferred_reads_;
  /// Follower: reads forwarded to the leader → ticks waited.
  std::map<uint64_t, int> forwarded_reads_;

  ready pending_;
  hard_state persisted_;
};

} // namespace corvus::raft
