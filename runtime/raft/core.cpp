#include "runtime/raft/core.hpp"

#include "runtime/raft/assert.hpp"

#include <algorithm>
#include <limits>

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

// -- elections --------------------------------------------------------------

void core::request_votes(message_type type, term_t term, bool forced) {
  for (auto& [tag, url] : log_.config().members) {
    if (tag == cfg_.id)
      continue;
    message msg;
    msg.type = type;
    msg.to = tag;
    msg.term = term;
    msg.index = log_.last_index();
    msg.log_term = log_.last_term();
    msg.force = forced;
    send_with_term(std::move(msg));
  }
}

void core::reject_vote(const message& msg, bool not_in_topology) {
  message reply;
  reply.type = msg.type == message_type::pre_vote
                 ? message_type::pre_vote_response
                 : message_type::vote_response;
  reply.to = msg.from;
  reply.reject = true;
  reply.not_in_topology = not_in_topology;
  send(std::move(reply));
}

void core::handle_vote_request(const message& msg) {
  auto pre = msg.type == message_type::pre_vote;
  auto can_vote = voted_for_ == msg.from
                  || (voted_for_.empty() && leader_.empty())
                  || (pre && msg.term > term_);
  if (!can_vote || !log_up_to_date(msg.index, msg.log_term)
      || (role_ == role::leader && !msg.force) || rival_loses_tie(msg)) {
    reject_vote(msg, false);
    return;
  }
  message reply;
  reply.type = pre ? message_type::pre_vote_response
                   : message_type::vote_response;
  reply.to = msg.from;
  // A trial grant answers with the term asked about, which the candidate
  // does not hold yet.
  reply.term = msg.term;
  if (!pre) {
    voted_for_ = msg.from;
    election_elapsed_ = 0;
  }
  send_with_term(std::move(reply));
}

bool core::rival_loses_tie(const message& msg) const {
  // Two members whose timers ran out in the same tick (they heard the
  // leader's last heartbeat together) would each grant the other's trial,
  // both stand for the next term, vote for themselves and split it: a
  // candidate round lost, 400-600 ms at T = 300 ms. In the first tick of
  // its own trial, a member with the same log grants only a rival with a
  // smaller tag. Later in its trial it grants as usual, so one that cannot
  // win does not keep refusing others. Trials decide no votes, so this
  // bears on liveness only.
  return msg.type == message_type::pre_vote
         && role_ == role::pre_candidate && election_elapsed_ == 0
         && msg.term == term_ + 1 && msg.log_term == log_.last_term()
         && msg.index == log_.last_index() && cfg_.id < msg.from;
}

bool core::log_up_to_date(index_t last_index, term_t last_term) const {
  return last_term > log_.last_term()
         || (last_term == log_.last_term() && last_index >= log_.last_index());
}

void core::handle_vote_response(const message& msg) {
  if (!is_member(msg.from))
    return;
  votes_.emplace(msg.from, !msg.reject);
  auto quorum = log_.config().quorum();
  if (grants() >= quorum) {
    if (role_ == role::pre_candidate)
      become_candidate(false);
    else
      become_leader();
  } else if (rejections() >= quorum) {
    become_follower(term_, {});
  }
}

size_t core::grants() const {
  size_t n = 0;
  for (auto& [tag, granted] : votes_)
    if (granted && is_member(tag))
      ++n;
  return n;
}

size_t core::rejections() const {
  size_t n = 0;
  for (auto& [tag, granted] : votes_)
    if (!granted && is_member(tag))
      ++n;
  return n;
}

void core::reset_election_timer(bool candidate_round) {
  // Follower: [⅔T, T); candidate round: [⅔·2T, 2T) (§1.2).
  auto high = candidate_round ? 2 * cfg_.election_ticks : cfg_.election_ticks;
  auto low = 2 * high / 3;
  randomized_timeout_ = low + static_cast<int>(rng_() % (high - low));
}

void core::heard_from_leader(const node_tag& from) {
  // Two leaders in one term would break Election Safety (§5.2).
  RAFT_ASSERT(role_ != role::leader);
  if (role_ != role::follower)
    become_follower(term_, from);
  leader_ = from;
  removed_ = false;
  election_elapsed_ = 0;
  leader_silent_ticks_ = 0;
}

// -- replication ------------------------------------------------------------

void core::handle_append(const message& msg) {
  message reply;
  reply.type = message_type::append_response;
  reply.to = msg.from;
  if (auto matched = log_.merge(msg.index, msg.log_term, msg.entries)) {
    log_.commit_to(std::min(msg.commit, *matched));
    if (msg.quiet && msg.entries.empty())
      return;
    reply.index = *matched;
  } else {
    auto hint = log_.last_index_with_term_at_most(
      std::min(msg.index, log_.last_index()), msg.log_term);
    reply.reject = true;
    reply.index = msg.index;
    reply.reject_hint = hint;
    reply.log_term = log_.term_at(hint).value_or(0);
  }
  send(std::move(reply));
}

void core::handle_heartbeat(const message& msg) {
  log_.commit_to(std::min(msg.commit, log_.last_index()));
  message reply;
  reply.type = message_type::heartbeat_response;
  reply.to = msg.from;
  reply.context = msg.context;
  send(std::move(reply));
}

void core::handle_snapshot(const message& msg) {
  message reply;
  reply.type = message_type::append_response;
  reply.to = msg.from;
  auto& snap = msg.snap;
  if (snap.index <= log_.committed()) {
    reply.index = log_.committed();
  } else if (log_.matches(snap.index, snap.term)) {
    // The log already holds the snapshot's last entry: only the commit
    // index moves.
    log_.commit_to(snap.index);
    reply.index = snap.index;
  } else {
    pending_.discard_through = std::numeric_limits<index_t>::max();
    log_.restore(snap);
    pending_.new_snapshot = snap;
    pending_.installed = true;
    reply.index = snap.index;
  }
  send(std::move(reply));
}

void core::handle_append_response(const message& msg) {
  auto i = progress_.find(msg.from);
  if (i == progress_.end()) {
    // A node whose removal committed before its answer to the removal
    // came: it holds the removal now, so it can apply it.
    if (!msg.reject && removal_committed_for(msg.from)
        && msg.index >= log_.config_index())
      tell_removed(msg.from);
    return;
  }
  auto& pr = i->second;
  pr.recent_active = true;
  pr.silent_ticks = 0;
  if (msg.reject) {
    // Fast back-off (Raft §5.3, etcd): skip every entry of the follower's
    // conflicting term at once.
    auto hint = msg.reject_hint;
    if (msg.log_term > 0)
      hint = log_.last_index_with_term_at_most(hint, msg.log_term);
    if (pr.decrease(msg.index, hint)) {
      if (pr.state == progress_state::replicate)
        pr.become_probe();
      send_append(msg.from, true);
    }
    return;
  }
  if (!pr.update(msg.index))
    return;
  // A removed node that came back (catch_up_removed) holds its removal
  // now. Such a node is followed as a watcher, so members skip the check.
  if (pr.type == membership::watcher && pr.match >= log_.config_index()
      && removal_committed_for(msg.from)) {
    tell_removed(msg.from);
    progress_.erase(i);
    return;
  }
  switch (pr.state) {
    case progress_state::probe:
      pr.become_replicate();
      break;
    case progress_state::snapshot:
      if (pr.match >= pr.pending_snapshot)
        pr.become_probe();
      break;
    case progress_state::replicate:
      pr.acknowledge(msg.index);
      break;
  }
  if (maybe_commit())
    commit_changed_ = true;
  while (send_append(msg.from, false)) {
    // Fill the pipeline.
  }
  maybe_promote();
  if (msg.from == transfer_target_ && pr.match == log_.last_index())
    send_timeout_now(msg.from);
}

void core::handle_heartbeat_response(const message& msg) {
  auto i = progress_.find(msg.from);
  if (i == progress_.end())
    return;
  auto& pr = i->second;
  pr.recent_active = true;
  pr.silent_ticks = 0;
  // Behind: an append, even an empty one, makes a follower whose appends
  // were lost reject it and so reveal where it stands. Once per heartbeat
  // period: an unanswered probe may go again, and a full pipeline frees one
  // slot (its appends may have been lost; if the follower misses entries
  // it rejects the next one and the leader probes back to the match point).
  if (pr.match < log_.last_index() && !pr.heartbeat_released) {
    pr.heartbeat_released = true;
    pr.probe_sent = false;
    if (pr.state == progress_state::replicate
        && pr.paused(cfg_.max_inflight, cfg_.max_inflight_bytes))
      pr.forget_oldest();
    send_append(msg.from, true);
  }
  if (msg.context != 0)
    confirm_reads(msg.from, msg.context);
}

bool core::send_append(const node_tag& to, bool allow_empty) {
  auto& pr = progress_.at(to);
  if (pr.paused(cfg_.max_inflight, cfg_.max_inflight_bytes))
    return false;
  auto prev_term = pr.next > 0 ? log_.term_at(pr.next - 1) : std::nullopt;
  if (pr.next < log_.first_index() || !prev_term) {
    auto& snap = log_.latest_snapshot();
    RAFT_ASSERT(!snap.empty());
    message msg;
    msg.type = message_type::install_snapshot;
    msg.to = to;
    msg.snap = snap;
    pr.become_snapshot(snap.index);
    send(std::move(msg));
    return true;
  }
  message msg;
  msg.type = message_type::append;
  msg.to = to;
  msg.index = pr.next - 1;
  msg.log_term = *prev_term;
  if (pr.next <= log_.last_index())
    msg.entries = log_.slice(pr.next, log_.last_index(),
                             cfg_.max_append_bytes);
  if (msg.entries.empty() && !allow_empty)
    return false;
  msg.commit = log_.committed();
  auto carries_entries = !msg.entries.empty();
  // A commit-only append to a follower known to hold the log up to its
  // index needs no answer when accepted: the answer would only repeat that
  // match. Under a stream of single writes those answers were a quarter of
  // the messages per write. A rejection is still answered, and so is every
  // append that could teach the leader something (a probe, or one sent
  // because answers may have been lost).
  msg.quiet = !carries_entries && pr.state == progress_state::replicate
              && msg.index <= pr.match;
  size_t bytes = 0;
  for (auto& e : msg.entries)
    bytes += e.data.size();
  pr.sent(carries_entries ? msg.entries.back().index : msg.index, bytes);
  send(std::move(msg));
  return carries_entries;
}

void core::broadcast_append() {
  for (auto& [tag, pr] : progress_) {
    auto sent = false;
    while (send_append(tag, false))
      sent = true;
    if (!sent && commit_changed_)
      send_append(tag, true);
  }
}

void core::broadcast_heartbeat(uint64_t context) {
  for (auto& [tag, pr] : progress_) {
    message msg;
    msg.type = message_type::heartbeat;
    msg.to = tag;
    // Never beyond what the follower is known to hold.
    msg.commit = std::min(pr.match, log_.committed());
    msg.context = context;
    send(std::move(msg));
  }
}

bool core::maybe_commit() {
  // The highest index a majority of members holds (§5.3), committed only
  // if it belongs to this term (§5.4.2).
  std::vector<index_t> matches;
  if (is_member(cfg_.id))
    matches.push_back(log_.persisted());
  for (auto& [tag, pr] : progress_)
    if (pr.type == membership::member)
      matches.push_back(pr.match);
  auto quorum = log_.config().quorum();
  if (matches.size() < quorum)
    return false;
  std::sort(matches.begin(), matches.end(), std::greater<>{});
  auto candidate = matches[quorum - 1];
  if (candidate <= log_.committed() || log_.term_at(candidate) != term_)
    return false;
  auto pending_before = topology_change_pending();
  log_.commit_to(candidate);
  if (pending_before && !topology_change_pending()) {
    tell_removed_nodes();
    sync_progress(); // drops the progress of nodes whose removal committed
  }
  if (!deferred_reads_.empty()) {
    auto deferred = std::move(deferred_reads_);
    deferred_reads_.clear();
    for (auto& r : deferred)
      start_read(std::move(r));
  }
  return true;
}

void core::tell_removed_nodes() {
  // Nothing goes to a node once its removal committed, so without this
  // last word it would never apply its removal: it would keep its copies
  // of the cluster's databases and show the old topology. A node that does
  // not hold the removal yet hears it once its answer to the removal comes
  // (handle_append_response), or when it campaigns (NotInTopology).
  for (auto& [tag, pr] : progress_)
    if (removal_committed_for(tag) && pr.match >= log_.config_index())
      tell_removed(tag);
}

void core::catch_up_removed(const node_tag& tag) {
  // A node removed while it was away (down, or cut off) does not hold its
  // removal and campaigns when it is back. Besides NotInTopology it gets
  // the log up to its removal, as a watcher, and then the last word that
  // the removal committed (handle_append_response), so that it applies
  // the removal as a node that was there does. One behind the compacted
  // log gets the snapshot, which holds the state after its removal.
  if (!removal_committed_for(tag) || progress_.count(tag) > 0)
    return;
  auto& pr = progress_[tag];
  pr.type = membership::watcher;
  pr.next = log_.last_index() + 1;
  pr.recent_active = true;
  send_append(tag, true);
}

bool core::removal_committed_for(const node_tag& tag) const {
  return !log_.config().contains(tag) && !topology_change_pending();
}

void core::tell_removed(const node_tag& tag) {
  message msg;
  msg.type = message_type::heartbeat;
  msg.to = tag;
  msg.commit = log_.config_index();
  msg.not_in_topology = true;
  send(std::move(msg));
}

void core::maybe_promote() {
  // Auto-promotion (§1.6 step 4): a promotable that holds everything
  // committed becomes a member, one change at a time.
  if (!topology_change_allowed())
    return;
  for (auto& [tag, pr] : progress_) {
    if (pr.type != membership::promotable || pr.match < log_.committed())
      continue;
    auto next = log_.config();
    auto url = next.promotables.at(tag);
    next.promotables.erase(tag);
    next.members.emplace(tag, url);
    append_topology(next);
    return;
  }
}

void core::send_timeout_now(const node_tag& to) {
  message msg;
  msg.type = message_type::timeout_now;
  msg.to = to;
  send(std::move(msg));
}

// -- linearizable reads -----------------------------------------------------

void core::start_read(pending_read read) {
  if (!committed_in_term()) {
    // No entry of this term is committed yet: the commit index may lag
    // behind what earlier leaders committed (§6.4). Wait for the no-op.
    deferred_reads_.push_back(std::move(read));
    return;
  }
  read.index = log_.committed();
  if (log_.config().quorum() <= 1) {
    resolve_read(read);
    return;
  }
  if (!read_round_open_) {
    read_rounds_.push_back(read_round{next_read_round_++, {}, {}});
    read_round_open_ = true;
  }
  // Reads asked in the same turn share one heartbeat round.
  read_rounds_.back().reads.push_back(std::move(read));
}

void core::confirm_reads(const node_tag& from, uint64_t round) {
  if (!is_member(from))
    return;
  // An answer to round r confirms leadership after every read of rounds up
  // to r arrived.
  for (auto& r : read_rounds_)
    if (r.id <= round
        && std::find(r.acks.begin(), r.acks.end(), from) == r.acks.end())
      r.acks.push_back(from);
  auto quorum = log_.config().quorum();
  auto self = is_member(cfg_.id) ? size_t{1} : size_t{0};
  while (!read_rounds_.empty()
         && read_rounds_.front().acks.size() + self >= quorum) {
    for (auto& r : read_rounds_.front().reads)
      resolve_read(r);
    read_rounds_.pop_front();
  }
}

void core::resolve_read(const pending_read& read) {
  if (read.requester == cfg_.id) {
    pending_.read_states.push_back(read_state{read.context, read.index});
    return;
  }
  message msg;
  msg.type = message_type::read_index_response;
  msg.to = read.requester;
  msg.context = read.context;
  msg.index = read.index;
  send(std::move(msg));
}

void core::handle_read_index(const message& msg) {
  if (role_ != role::leader) {
    message reply;
    reply.type = message_type::read_index_response;
    reply.to = msg.from;
    reply.context = msg.context;
    reply.reject = true;
    send(std::move(reply));
    return;
  }
  start_read(pending_read{msg.from, msg.context, 0});
}

void core::handle_read_index_response(const message& msg) {
  auto i = forwarded_reads_.find(msg.context);
  if (i == forwarded_reads_.end())
    return;
  forwarded_reads_.erase(i);
  if (msg.reject)
    pending_.dropped_reads.push_back(msg.context);
  else
    pending_.read_states.push_back(read_state{msg.context, msg.index});
}

void core::drop_pending_reads() {
  auto fail = [this](const pending_read& r) {
    if (r.requester == cfg_.id) {
      pending_.dropped_reads.push_back(r.context);
      return;
    }
    message msg;
    msg.type = message_type::read_index_response;
    msg.to = r.requester;
    msg.context = r.context;
    msg.reject = true;
    send(std::move(msg));
  };
  for (auto& round : read_rounds_)
    for (auto& r : round.reads)
      fail(r);
  for (auto& r : deferred_reads_)
    fail(r);
  read_rounds_.clear();
  deferred_reads_.clear();
  read_round_open_ = false;
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
