#pragma once

// A seeded simulation of Raft members (runtime/raft) over an in-memory
// network that drops, delays, duplicates and reorders messages, partitions
// and heals, crashes and restarts members, and adds and removes members.
// Every step ends with the safety checks of Raft §5.2-§5.4 and §6.4:
//   - at most one leader per term;
//   - a committed entry never changes or disappears;
//   - a member's durable commit index never goes back, but to the last
//     synced one when it crashes;
//   - every member applies the same entries in the same order;
//   - applied <= committed <= last on every member;
//   - a linearizable read sees every entry committed before it was asked.
// A run is a pure function of its seed: a failing seed replays exactly.

#include "runtime/raft/core.hpp"
#include "test/sim/raft_storage_model.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace corvus::sim {

/// Probabilities and sizes of one simulation run.
struct sim_options {
  size_t members = 3;
  size_t steps = 3000;
  double drop = 0.02;
  double duplicate = 0.01;
  /// Per step: chance of a crash, restart, partition, heal, topology op.
  double crash = 0.003;
  double restart = 0.02;
  double partition = 0.003;
  double heal = 0.01;
  double membership_change = 0.002;
  double propose = 0.3;
  double read = 0.05;
  /// Compact once this many entries are applied past the last snapshot.
  raft::index_t compact_every = 40;
  raft::index_t compaction_slack = 5;
  int election_ticks = 10;
  int heartbeat_ticks = 3;
  /// Largest message delay in ticks (reordering comes from delays).
  int max_delay = 3;
  /// Core limits: small values force many small appends.
  size_t max_append_bytes = 64;
  size_t max_inflight = 4;
  size_t max_inflight_bytes = 256;
  /// Chance that a member holds back a snapshot its core asks it to send,
  /// and per step that it reports the ones it holds as not sent
  /// (core::snapshot_not_sent), as a member taking a fresher one does.
  double hold_snapshot = 0;
  double report_held = 0.1;
};

/// @returns options for `members` members whose fault rates, delays and
///          batch limits vary with `seed`, so that seeds explore different
///          regimes (lossy, slow, tiny appends, frequent crashes).
sim_options varied_options(size_t members, uint64_t seed);

class raft_sim {
public:
  raft_sim(uint64_t seed, sim_options opts);
  ~raft_sim();

  /// Runs the faulty phase, then heals everything and checks that the
  /// cluster converges. Throws std::runtime_error on a violated invariant.
  void run();


  /// Figures for the test's summary line.
  size_t elections() const {
    return leaders_.size();
  }

  raft::index_t max_commit() const {
    return committed_.empty() ? 0 : committed_.rbegin()->first;
  }

  size_t snapshots_installed() const {
    return snapshots_installed_;
  }

  size_t membership_changes() const {
    return membership_changes_;
  }

private:
  struct member;
  struct in_flight {
    int64_t deliver_at = 0;
    uint64_t order = 0;
    raft::message msg;
  };

  void step_once(bool faults, bool load);
  void start_member(const raft::node_tag& tag);
  void crash(const raft::node_tag& tag);
  void drain(member& m);
  void apply(member& m, const raft::entry& e);
  void deliver_due();
  void maybe_fault();
  void maybe_change_membership();
  void check(member& m);
  void check_global();
  member* leader();
  [[noreturn]] void fail(const std::string& what);
  void note(const std::string& what);
  bool reachable(const raft::node_tag& from, const raft::node_tag& to) const;
  double roll();

  uint64_t seed_;
  sim_options opts_;
  std::mt19937_64 rng_;
  int64_t now_ = 0;
  uint64_t order_ = 0;
  std::map<raft::node_tag, std::unique_ptr<member>> members_;
  std::vector<in_flight> network_;
  /// Partition groups: members in different groups cannot talk.
  std::map<raft::node_tag, int> group_;
  raft::node_tag last_tag_;
  /// term → leader.
  std::map<raft::term_t, raft::node_tag> leaders_;
  /// index → (term, data) of every entry seen committed anywhere.
  std::map<raft::index_t, std::pair<raft::term_t, std::string>> committed_;
  /// The applied sequence: index → data.
  std::map<raft::index_t, std::string> applied_;
  uint64_t next_command_ = 1;
  uint64_t next_read_ = 1;
  size_t snapshots_installed_ = 0;
  size_t membership_changes_ = 0;
  std::vector<std::string> events_;
};

} // namespace corvus::sim
