#include "runtime/raft/core.hpp"

#include "runtime/raft/assert.hpp"

#include <algorithm>

namespace corvus::raft {

namespace {

/// Upper bound of the committed entries one ready hands out to apply.
constexpr size_t max_apply_bytes = 64 << 20;

/// Tags in `x` or `y` whose membership or URL differs between them.
size_t nodes_changed(const topology& x, const topology& y) {
  auto tags = x.all_tags();
  for (auto& t : y.all_tags())
    if (!x.contains(t))
      tags.push_back(t);
  size_t changed = 0;
  for (auto& t : tags) {
    auto same = x.members.count(t) == y.members.count(t)
                && x.promotables.count(t) == y.promotables.count(t)
                && x.watchers.count(t) == y.watchers.count(t)
                && x.url_of(t) == y.url_of(t);
    if (!same)
      ++changed;
  }
  return changed;
}

membership membership_of(const topology& t, const node_tag& tag) {
  if (t.members.count(tag) > 0)
    return membership::member;
  if (t.promotables.count(tag) > 0)
    return membership::promotable;
  return membership::watcher;
}

} // namespace

core::core(config cfg, durable_state restored)
  : cfg_(std::move(cfg)),
    rng_(cfg_.seed),
    log_(std::move(restored.snap), std::move(restored.entries),
         restored.state.commit),
    term_(restored.state.term),
    voted_for_(restored.state.voted_for),
    persisted_(restored.state) {
  RAFT_ASSERT(cfg_.election_ticks >= 3 && cfg_.heartbeat_ticks >= 1);
  persisted_.commit = log_.committed();
  leader_silent_ticks_ = cfg_.election_ticks;
  reset_election_timer(false);
}

// -- queries ----------------------------------------------------------------

bool core::passive() const {
  return !log_.config().contains(cfg_.id);
}

bool core::is_member(const node_tag& tag) const {
  return log_.config().is_voter(tag);
}

bool core::topology_change_pending() const {
  return log_.config_index() > log_.committed();
}

bool core::committed_in_term() const {
  return log_.term_at(log_.committed()) == term_;
}

bool core::topology_change_allowed() const {
  return role_ == role::leader && transfer_target_.empty()
         && !topology_change_pending() && committed_in_term();
}

const char* core::state_name() const {
  if (out_of_cluster())
    return "Passive";
  switch (role_) {
    case role::follower:
      return "Follower";
    case role::pre_candidate:
    case role::candidate:
      return "Candidate";
    case role::leader:
      return committed_in_term() ? "Leader" : "LeaderElect";
  }
  return "?";
}

std::vector<follower_status> core::followers() const {
  std::vector<follower_status> out;
  for (auto& [tag, pr] : progress_)
    out.push_back(follower_status{tag, pr.type, pr.match, pr.next,
                                  pr.silent_ticks, to_string(pr.state)});
  return out;
}

bool core::can_campaign() const {
  return is_member(cfg_.id) && !removed_;
}

// -- inputs -----------------------------------------------------------------

void core::tick() {
  if (role_ == role::leader)
    tick_leader();
  else
    tick_election();
}

void core::tick_election() {
  ++leader_silent_ticks_;
  for (auto i = forwarded_reads_.begin(); i != forwarded_reads_.end();) {
    // A forwarded read whose answer got lost: the owner fails it and the
    // client retries.
    if (++i->second > 2 * cfg_.election_ticks) {
      pending_.dropped_reads.push_back(i->first);
      i = forwarded_reads_.erase(i);
    } else {
      ++i;
    }
  }
  if (++election_elapsed_ < randomized_timeout_)
    return;
  election_elapsed_ = 0;
  if (can_campaign())
    become_pre_candidate();
  else
    reset_election_timer(false);
}

void core::tick_leader() {
  for (auto i = progress_.begin(); i != progress_.end();) {
    auto& pr = i->second;
    ++pr.silent_ticks;
    // A removed node that came back and went silent again is forgotten.
    if (pr.silent_ticks > cfg_.election_ticks
        && removal_committed_for(i->first)) {
      i = progress_.erase(i);
      continue;
    }
    // A snapshot whose answer never came (lost on the way): start over.
    if (++pr.state_ticks > cfg_.election_ticks
        && pr.state == progress_state::snapshot)
      pr.become_probe();
    ++i;
  }
  if (!transfer_target_.empty() && --transfer_ticks_ <= 0)
    transfer_target_.clear();
  if (++election_elapsed_ >= cfg_.election_ticks) {
    election_elapsed_ = 0;
    // Vote of no confidence (§1.2): a leader that did not hear from a
    // majority within T steps down, so that a partitioned leader stops
    // serving reads and accepting commands.
    if (!quorum_active()) {
      become_follower(term_, {});
      return;
    }
  }
  if (++heartbeat_elapsed_ >= cfg_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    for (auto& [tag, pr] : progress_) {
      pr.probe_sent = false;
      pr.heartbeat_released = false;
    }
    // The newest read round rides along, so that a lost round is
    // confirmed by the next heartbeat.
    broadcast_heartbeat(read_rounds_.empty() ? 0 : read_rounds_.back().id);
    read_round_open_ = false;
    // A promotable that caught up while another change was committing, or
    // by a snapshot in a quiet cluster, hears no append answer that would
    // promote it.
    maybe_promote();
  }
}

bool core::quorum_active() {
  size_t active = is_member(cfg_.id) ? 1 : 0;
  for (auto& [tag, pr] : progress_) {
    if (pr.type == membership::member && pr.recent_active)
      ++active;
    pr.recent_active = false;
  }
  return active >= log_.config().quorum();
}

void core::step(const message& msg) {
  if (msg.to != cfg_.id || msg.from == cfg_.id)
    return;
  if (msg.not_in_topology && role_ != role::leader) {
    // Only a leader says so, whatever its term: this node was removed from
    // the cluster (§1.3) and stops campaigning until a leader contacts it.
    // The leader's last heartbeat to it also says that its removal
    // committed, so that it applies the removal too.
    if (msg.type == message_type::heartbeat)
      log_.commit_to(std::min(msg.commit, log_.last_index()));
    removed_ = true;
    become_follower(term_, {});
    return;
  }
  auto is_vote_request = msg.type == message_type::pre_vote
                         || msg.type == message_type::vote;
  if (is_vote_request) {
    // A leader that does not know the candidate tells it that it was
    // removed (§1.3, NotInTopology). Other members judge it as any
    // candidate: with uncommitted topology changes on both sides, refusing
    // unknown candidates could leave no one able to win.
    if (role_ == role::leader && !log_.config().contains(msg.from)) {
      reject_vote(msg, true);
      catch_up_removed(msg.from);
      return;
    }
    // Leader stickiness: while a live leader is heard from, candidates are
    // refused without a term change, so a node that was cut off cannot
    // depose a working leader when it comes back (§1.3, Raft §9.6).
    auto in_lease = role_ == role::leader
                    || (!leader_.empty()
                        && leader_silent_ticks_ < cfg_.election_ticks / 2);
    if (msg.term > term_ && !msg.force && in_lease) {
      reject_vote(msg, false);
      return;
    }
  }
  if (msg.term > term_) {
    auto future_grant = msg.type == message_type::pre_vote
                        || (msg.type == message_type::pre_vote_response
                            && !msg.reject);
    if (!future_grant) {
      auto from_leader = msg.type == message_type::append
                         || msg.type == message_type::heartbeat
                         || msg.type == message_type::install_snapshot;
      become_follower(msg.term, from_leader ? msg.from : node_tag{});
    }
  } else if (msg.term < term_) {
    if (msg.type == message_type::append
        || msg.type == message_type::heartbeat
        || msg.type == message_type::install_snapshot) {
      // A deposed leader learns the newer term from the answer.
      message reply;
      reply.type = message_type::append_response;
      reply.to = msg.from;
      reply.reject = true;
      reply.index = msg.index;
      send(std::move(reply));
    } else if (msg.type == message_type::pre_vote) {
      reject_vote(msg, false);
    }
    return;
  }
  switch (msg.type) {
    case message_type::pre_vote:
    case message_type::vote:
      handle_vote_request(msg);
      break;
    case message_type::pre_vote_response:
      if (role_ == role::pre_candidate)
        handle_vote_response(msg);
      break;
    case message_type::vote_response:
      if (role_ == role::candidate)
        handle_vote_response(msg);
      break;
    case message_type::append:
      heard_from_leader(msg.from);
      handle_append(msg);
      break;
    case message_type::heartbeat:
      heard_from_leader(msg.from);
      handle_heartbeat(msg);
      break;
    case message_type::install_snapshot:
      heard_from_leader(msg.from);
      handle_snapshot(msg);
      break;
    case message_type::append_response:
      if (role_ == role::leader)
        handle_append_response(msg);
      break;
    case message_type::heartbeat_response:
      if (role_ == role::leader)
        handle_heartbeat_response(msg);
      break;
    case message_type::timeout_now:
      if (msg.from == leader_ && can_campaign())
        become_candidate(true);
      break;
    case message_type::read_index:
      handle_read_index(msg);
      break;
    case message_type::read_index_response:
      handle_read_index_response(msg);
      break;
  }
}

outcome<done> core::bootstrap(const topology& founding) {
  if (log_.last_index() != 0 || !log_.latest_snapshot().empty())
    return make_failure(ec::bad_request,
                        "node " + cfg_.id + " already has a Raft log");
  if (founding.members.size() != 1 || founding.members.count(cfg_.id) == 0
      || !founding.promotables.empty() || !founding.watchers.empty()
      || founding.topology_id.empty())
    return make_failure(ec::bad_request,
                        "a founding topology lists exactly the founding "
                        "node as member");
  // An election of one (§1.6): term 1, own vote, the topology as the first
  // entry, then the new leader's no-op.
  term_ = std::max<term_t>(term_, 1);
  voted_for_ = cfg_.id;
  log_.append({entry{1, term_, entry_kind::topology, to_json(founding)}});
  become_leader();
  return done{};
}

outcome<index_t> core::propose(std::string data) {
  if (auto refused = refuse_proposal())
    return *refused;
  auto index = log_.last_index() + 1;
  log_.append({entry{index, term_, entry_kind::command, std::move(data)}});
  append_pending_ = true;
  return index;
}

outcome<index_t> core::propose_topology(const topology& next) {
  if (auto refused = refuse_proposal())
    return *refused;
  auto& current = log_.config();
  if (topology_change_pending())
    return make_failure(ec::bad_request,
                        "a topology change is still in progress");
  // A new leader first commits an entry of its own term: a change appended
  // before that could overlap an uncommitted change of the previous
  // leader (the single-server change bug, Ongaro 2015).
  if (!committed_in_term())
    return make_failure(ec::bad_request,
                        "the new leader has not committed an entry of its "
                        "term yet");
  if (next.topology_id != current.topology_id)
    return make_failure(ec::bad_request, "the topology id cannot change");
  if (!next.is_voter(cfg_.id))
    return make_failure(ec::bad_request,
                        "the leader cannot remove or demote itself; it "
                        "must step down first");
  auto changed = nodes_changed(current, next);
  if (changed != 1)
    return make_failure(ec::bad_request,
                        changed == 0 ? "the topology does not change"
                                     : "a topology change may change one "
                                       "node at a time");
  append_topology(next);
  return log_.last_index();
}

void core::append_topology(const topology& next) {
  auto index = log_.last_index() + 1;
  log_.append({entry{index, term_, entry_kind::topology, to_json(next)}});
  sync_progress();
  append_pending_ = true;
}

std::optional<failure> core::refuse_proposal() const {
  if (role_ != role::leader) {
    auto f = make_failure(ec::not_leader,
                          leader_.empty()
                            ? "node " + cfg_.id + " is not the leader and "
                                "knows no leader"
                            : "node " + cfg_.id + " is not the leader; "
                                "the leader is " + leader_);
    f.fields.emplace_back("Leader", leader_);
    return f;
  }
  if (!transfer_target_.empty()) {
    auto f = make_failure(ec::not_leader, "node " + cfg_.id
                                            + " is handing leadership to "
                                            + transfer_target_);
    f.fields.emplace_back("Leader", transfer_target_);
    return f;
  }
  return std::nullopt;
}

void core::read_index(uint64_t context) {
  if (role_ == role::leader) {
    start_read(pending_read{cfg_.id, context, 0});
  } else if (!leader_.empty()) {
    forwarded_reads_.emplace(context, 0);
    message msg;
    msg.type = message_type::read_index;
    msg.to = leader_;
    msg.context = context;
    send(std::move(msg));
  } else {
    pending_.dropped_reads.push_back(context);
  }
}

outcome<done> core::transfer_leadership(const node_tag& target) {
  if (role_ != role::leader)
    return make_failure(ec::not_leader,
                        "node " + cfg_.id + " is not the leader");
  node_tag chosen = target;
  if (chosen.empty()) {
    // The member holding the most of the log takes over soonest.
    index_t best = 0;
    for (auto& [tag, pr] : progress_)
      if (pr.type == membership::member && (chosen.empty() || pr.match > best))
        chosen = tag, best = pr.match;
  }
  if (chosen.empty() || chosen == cfg_.id || !is_member(chosen))
    return make_failure(ec::bad_request,
                        chosen.empty() ? "there is no other member to hand "
                                         "leadership to"
                                       : chosen + " is not another member");
  transfer_target_ = chosen;
  transfer_ticks_ = cfg_.election_ticks;
  auto& pr = progress_.at(chosen);
  if (pr.match == log_.last_index())
    send_timeout_now(chosen);
  else
    send_append(chosen, true);
  return done{};
}

void core::campaign() {
  if (role_ != role::leader && can_campaign())
    become_candidate(false);
}

void core::election_timeout_now() {
  if (role_ == role::leader || !can_campaign())
    return;
  election_elapsed_ = 0;
  become_pre_candidate();
}

void core::snapshot_not_sent(const node_tag& to) {
  if (role_ != role::leader)
    return;
  auto i = progress_.find(to);
  if (i == progress_.end() || i->second.state != progress_state::snapshot)
    return;
  i->second.become_probe();
  send_append(to, true);
}

std::deque<entry> core::compact(index_t index, shared_text data,
                                index_t keep_from) {
  auto& current = log_.latest_snapshot();
  if (index <= current.index)
    return {};
  RAFT_ASSERT(index <= log_.applied() && keep_from <= index + 1);
  snapshot snap;
  snap.index = index;
  snap.term = *log_.term_at(index);
  snap.config = config_at(index);
  snap.data = std::move(data);
  pending_.new_snapshot = snap;
  if (keep_from > 1)
    pending_.discard_through = std::max(pending_.discard_through,
                                        keep_from - 1);
  return log_.compact(std::move(snap), keep_from);
}

topology core::config_at(index_t index) const {
  // The latest configuration holds from its entry on. Scanning back for it
  // crossed half a million entries when it was older than the log (most of
  // the 67-112 ms a compaction took at a million values).
  if (log_.config_index() <= index)
    return log_.config();
  for (auto i = std::min(index, log_.last_index()); i >= log_.first_index()
                                                    && i > 0;
       --i) {
    auto& e = log_.at(i);
    if (e.kind == entry_kind::topology)
      if (auto t = topology_from_json(e.data))
        return *t;
  }
  return log_.latest_snapshot().config;
}

// -- outputs ----------------------------------------------------------------

bool core::has_ready() const {
  if (!pending_.empty())
    return true;
  if (log_.has_unpersisted())
    return true;
  if (hard_state{term_, voted_for_, log_.committed()} != persisted_)
    return true;
  if (std::min(log_.committed(), log_.persisted()) > log_.applied())
    return true;
  return role_ == role::leader && (append_pending_ || commit_changed_
                                   || read_round_open_);
}

ready core::take_ready() {
  if (role_ == role::leader) {
    if (append_pending_ || commit_changed_)
      broadcast_append();
    append_pending_ = false;
    commit_changed_ = false;
    if (read_round_open_) {
      broadcast_heartbeat(read_rounds_.back().id);
      read_round_open_ = false;
    }
  }
  ready r = std::move(pending_);
  pending_ = ready{};
  r.entries = log_.take_unpersisted();
  hard_state now{term_, voted_for_, log_.committed()};
  if (now != persisted_)
    r.new_hard_state = now;
  if (!r.installed)
    r.committed = log_.to_apply(max_apply_bytes);
  return r;
}

void core::advance(const ready& done) {
  if (done.new_hard_state)
    persisted_ = *done.new_hard_state;
  if (!done.entries.empty())
    log_.persisted_to(done.entries.back().index, done.entries.back().term);
  if (!done.committed.empty())
    log_.applied_to(done.committed.back().index);
  if (role_ == role::leader && maybe_commit())
    commit_changed_ = true;
}

// -- roles ------------------------------------------------------------------

void core::become_follower(term_t term, const node_tag& leader) {
  if (role_ == role::leader)
    drop_pending_reads();
  if (term > term_) {
    term_ = term;
    voted_for_.clear();
  }
  role_ = role::follower;
  leader_ = leader;
  if (!leader.empty())
    leader_silent_ticks_ = 0;
  progress_.clear();
  votes_.clear();
  transfer_target_.clear();
  append_pending_ = commit_changed_ = read_round_open_ = false;
  election_elapsed_ = 0;
  reset_election_timer(false);
}

void core::become_pre_candidate() {
  role_ = role::pre_candidate;
  leader_.clear();
  votes_.clear();
  votes_[cfg_.id] = true;
  reset_election_timer(true);
  if (grants() >= log_.config().quorum()) {
    become_candidate(false);
    return;
  }
  request_votes(message_type::pre_vote, term_ + 1, false);
}

void core::become_candidate(bool forced) {
  if (role_ == role::leader)
    drop_pending_reads();
  role_ = role::candidate;
  ++term_;
  voted_for_ = cfg_.id;
  leader_.clear();
  votes_.clear();
  votes_[cfg_.id] = true;
  progress_.clear();
  transfer_target_.clear();
  election_elapsed_ = 0;
  reset_election_timer(true);
  if (grants() >= log_.config().quorum()) {
    become_leader();
    return;
  }
  request_votes(message_type::vote, term_, forced);
}

void core::become_leader() {
  role_ = role::leader;
  leader_ = cfg_.id;
  removed_ = false;
  votes_.clear();
  transfer_target_.clear();
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  progress_.clear();
  sync_progress();
  // Reads forwarded to the old leader will not be answered now, and a
  // leader no longer ages them out: their owner asks again.
  for (auto& [context, age] : forwarded_reads_)
    pending_.dropped_reads.push_back(context);
  forwarded_reads_.clear();
  // The no-op of the new term (§1.1, Raft §8): committing it commits every
  // earlier entry and lets the leader serve linearizable reads.
  log_.append({entry{log_.last_index() + 1, term_, entry_kind::noop, {}}});
  append_pending_ = true;
}

void core::sync_progress() {
  if (role_ != role::leader)
    return;
  auto& config = log_.config();
  for (auto i = progress_.begin(); i != progress_.end();) {
    if (config.contains(i->first)) {
      ++i;
    } else if (topology_change_pending()) {
      // A node being removed still gets the entries up to its removal, so
      // that it learns it and goes passive; it no longer counts.
      i->second.type = membership::watcher;
      ++i;
    } else {
      i = progress_.erase(i);
    }
  }
  for (auto& tag : config.all_tags()) {
    if (tag == cfg_.id)
      continue;
    auto [i, added] = progress_.try_emplace(tag);
    if (added) {
      i->second.next = log_.last_index() + 1;
      // A new leader assumes everyone is there until the first check.
      i->second.recent_active = true;
    }
    i->second.type = membership_of(config, tag);
  }
}

// -- plumbing ---------------------------------------------------------------

void core::send(message msg) {
  msg.term = term_;
  send_with_term(std::move(msg));
}

void core::send_with_term(message msg) {
  msg.from = cfg_.id;
  pending_.messages.push_back(std::move(msg));
}

} // namespace corvus::raft
