#include "actors/cluster/raft_member.hpp"

#include "actors/entropy.hpp"
#include "actors/introspection/enlist.hpp"
#include "messages/error.hpp"
#include "runtime/cluster/cluster_command_codec.hpp"
#include "runtime/cluster/cluster_result_json.hpp"
#include "runtime/elsewhere.hpp"
#include "runtime/json/json.hpp"
#include "runtime/raft/assert.hpp"
#include "runtime/thread_name.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <algorithm>
#include <set>
#include <utility>

namespace corvus {

namespace {

using clock = raft_member_state::clock;

/// Retries of submissions that wait for a leader run every few ticks.
constexpr int64_t retry_ticks = 5;

/// The summary is refreshed at least this often (peers' lag, commit).
constexpr int64_t publish_ticks = 100;

template <class T>
raft_member_state::callback<T> deliver_to(caf::typed_response_promise<T> rp) {
  return [rp](outcome<T> result) mutable {
    if (result)
      rp.deliver(std::move(*result));
    else
      rp.deliver(to_error(result.error()));
  };
}

/// Why a leadership request (reelect, timeout) asked of this node does not
/// go on: it has no cluster yet, or it left one.
std::optional<caf::error> out_of_any_cluster(const raft_member_state& st) {
  if (!st.core)
    return to_error(make_failure(ec::not_leader,
                                 "this node is in no cluster"));
  if (auto removed = st.removed_from_cluster())
    return to_error(*removed);
  return std::nullopt;
}

/// The leader hands leadership to the member most up to date.
caf::result<void> hand_over_leadership(
  raft_member_actor::stateful_pointer<raft_member_state> self) {
  auto moved = self->state.core->transfer_leadership();
  if (!moved)
    return to_error(moved.error());
  self->send(self, atom::drain_v);
  return caf::unit;
}

std::set<std::string> hosted_keys(const cluster_state& machine,
                                  const raft::node_tag& tag) {
  std::set<std::string> keys;
  for (auto& [key, record] : machine.databases())
    if (record.topology.relevant_for(tag))
      keys.insert(key);
  return keys;
}

/// Delivers an applied command as other nodes and actors get it: the
/// outcome as JSON (cluster_result_json.hpp).
raft_member_state::callback<applied_command>
deliver_reply(caf::typed_response_promise<command_reply> rp) {
  return [done = deliver_to(rp)](outcome<applied_command> applied) mutable {
    if (!applied)
      return done(applied.error());
    command_reply reply{applied->raft_index, {}};
    if (applied->result)
      reply.outcome = apply_outcome_to_json(*applied->result);
    done(std::move(reply));
  };
}



} // namespace

raft_member_state::~raft_member_state() {
  // Links end with their member, however it ends. CAF destroys the state
  // when the actor exits, before its attached functors run.
  for (auto& [t, p] : peers)
    if (p.link)
      caf::anon_send_exit(p.link, caf::exit_reason::user_shutdown);
}

failure raft_member_state::no_leader() const {
  return make_failure(ec::no_leader,
                      "could not reach the cluster's leader from node "
                        + (tag.empty() ? std::string{"?"} : tag) + " within "
                        + std::to_string(settings.operation_timeout.count()
                                         / 1000.0)
                            .substr(0, 4)
                        + " s: there is no leader, or it is unreachable");
}

raft_member_state::clock::time_point raft_member_state::now() const {
  return self->clock().now();
}

// -- start-up ---------------------------------------------------------------

void raft_member_state::start_core(raft::durable_state durable) {
  raft::config cfg;
  cfg.id = tag;
  cfg.election_ticks = settings.election_ticks;
  cfg.heartbeat_ticks = settings.heartbeat_ticks;
  cfg.seed = settings.seed;
  cfg.max_append_bytes = settings.max_append_bytes;
  cfg.max_inflight = settings.max_inflight;
  cfg.max_inflight_bytes = settings.max_inflight_bytes;
  core.emplace(cfg, std::move(durable));
  // The start line names the state a node starts in; a joining node is
  // Passive until the configuration that names it arrives.
  logged_state = core->state_name();
}

caf::error raft_member_state::init() {
  rng.seed(settings.seed);
  auto& s = settings;
  auto contents = s.store->load();
  if (!contents)
    return to_error(contents.error());
  tag = contents->tag;
  if (!contents->snap.empty()) {
    auto restored = cluster_state::decode(contents->snap.data);
    if (!restored)
      return to_error(restored.error());
    machine = std::move(*restored);
  }
  if (!tag.empty()) {
    start_core(raft::durable_state{contents->state, contents->snap,
                                   std::move(contents->entries)});
  }
  if (s.publish) {
    auto port = self->system().middleman().publish(
      caf::actor_cast<raft_peer_actor>(self), s.tcp_port,
      s.tcp_host.c_str(), true);
    if (!port)
      return to_error(make_failure(
        ec::internal_error, "cannot listen for cluster traffic on tcp://"
                              + s.tcp_host + ":" + std::to_string(s.tcp_port)
                              + ": " + self->system().render(port.error())));
    tcp_url = "tcp://" + s.tcp_host + ":" + std::to_string(*port);
  }
  enlist(self, s.registry, "raft-member", tag.empty() ? "?" : tag, s.parent);
  // Replays the committed entries after the snapshot into the state machine.
  drain();
  s.log->info("raft-member {} starts: {} in term {}, commit {}, applied {}, "
              "{} database record(s), cluster traffic on {}",
              tag.empty() ? "?" : tag, core ? logged_state : "Passive",
              core ? core->term() : 0,
              core ? core->commit() : 0, applied(),
              machine.databases().size(),
              tcp_url.empty() ? "(not published)" : tcp_url);
  sync_peers();
  publish(true);
  self->delayed_send(self, s.tick_interval, atom::tick_v);
  return {};
}

std::optional<failure> raft_member_state::removed_from_cluster() const {
  if (!core || !core->left_cluster())
    return std::nullopt;
  return make_failure(ec::bad_request,
                      "node " + tag + " was removed from its cluster and "
                      "takes no cluster commands or reads; add it again (PUT "
                      "/admin/cluster/node?url=" + settings.public_url
                        + " on a member), or start it with an empty data "
                          "directory to found a new cluster");
}

std::optional<failure>
raft_member_state::refuse_forward_from(const raft::node_tag& from) const {
  if (!is_leader()) {
    auto f = make_failure(ec::not_leader, "node " + tag + " is not the leader");
    f.fields.emplace_back("Leader", core ? core->leader() : "");
    return f;
  }
  // A node removed while it was away hears from this leader (catching it
  // up) before it learns its removal, and may forward or pass on a
  // reelect meanwhile. Applied, its command would be answered to its
  // client as refused, since that node never applies it.
  if (!core->current_topology().contains(from))
    return make_failure(ec::bad_request,
                        "node " + from + " is not in the cluster that "
                        "leader " + tag + " leads (it was removed), so what "
                        "it passes on is refused");
  return std::nullopt;
}

outcome<done> raft_member_state::bootstrap() {
  if (core && !core->passive())
    return done{};
  if (auto removed = removed_from_cluster())
    return *removed;
  if (tag.empty()) {
    tag = "A";
    if (auto saved = settings.store->save_tag(tag); !saved)
      return saved.error();
  }
  raft::topology founding;
  founding.topology_id = random_guid();
  founding.members.emplace(tag, settings.public_url);
  founding.last_node_id = tag;
  if (!core) {
    start_core(raft::durable_state{});
  }
  if (auto founded = core->bootstrap(founding); !founded)
    return founded.error();
  leader_since = now();
  settings.log->info("raft-member {} founds cluster {} and leads it", tag,
                     founding.topology_id);
  enlist(self, settings.registry, "raft-member", tag, settings.parent);
  drain();
  return done{};
}

// -- the core's output ------------------------------------------------------

void raft_member_state::drain() {
  if (!core)
    return;
  for (int rounds = 0; core->has_ready(); ++rounds) {
    auto r = core->take_ready();
    // A leader's appends need not wait for its own write (Raft thesis
    // §10.2.1): it counts itself only once its entries are durable, so the
    // followers' writes and its own run in parallel. Anything else (votes,
    // answers) waits, and so does everything when the term or vote changes.
    auto& before = core->persisted_state();
    auto early = !r.new_hard_state
                 || (r.new_hard_state->term == before.term
                     && r.new_hard_state->voted_for == before.voted_for);
    std::vector<raft::message> after_persist;
    for (auto& msg : r.messages) {
      auto leader_traffic = msg.type == raft::message_type::append
                            || msg.type == raft::message_type::heartbeat;
      if (early && leader_traffic)
        send_raft(std::move(msg));
      else
        after_persist.push_back(std::move(msg));
    }
    if (r.needs_persist()) {
      auto saving = clock::now();
      auto saved = settings.store->save(r);
      // Nothing goes out while this thread saves; a long save starves the
      // heartbeats (and shows in the logs of a leader change).
      if (auto took = clock::now() - saving; took > slow_turn())
        settings.log->warn("raft-member {} took {} ms to persist {} "
                           "entries{}",
                           tag, ms(took), r.entries.size(),
                           r.new_snapshot ? " and a snapshot" : "");
      if (!saved) {
        // Nothing may be sent or applied that is not durable: the member
        // dies, and the node escalates.
        settings.log->critical("raft-member {} cannot persist: {}", tag,
                               saved.error().message);
        answer_completed();
        self->quit(to_error(saved.error()));
        return;
      }
    }
    for (auto& msg : after_persist)
      send_raft(std::move(msg));
    if (r.installed)
      install(*r.new_snapshot);
    for (auto& e : r.committed) {
      apply(e);
      applied_bytes += e.data.size();
    }
    if (auto dropped = machine.take_dropped(); !dropped.empty())
      free_elsewhere(std::move(dropped));
    for (auto& rs : r.read_states)
      if (auto i = reads.find(rs.context); i != reads.end())
        i->second.index = std::max<raft::index_t>(rs.index, 1);
    for (auto id : r.dropped_reads)
      if (auto i = reads.find(id); i != reads.end())
        i->second.index = 0; // asked again at the next tick
    core->advance(r);
    if (!core->has_ready())
      maybe_compact();
  }
  if (core->log().config_index() != synced_config_index
      || core->topology_change_pending() != synced_config_pending)
    sync_peers();
  if (is_leader() && !was_leader)
    leader_since = now();
  auto leader_changed = is_leader() != was_leader
                        || core->leader() != known_leader;
  if (leader_changed) {
    was_leader = is_leader();
    known_leader = core->leader();
    abort_forwards();
    if (!was_leader)
      expire_snapshot_transfers(true);
    // Whatever waited for a leader may go now.
    retry_submits();
    retry_changes();
  } else if (!changes.empty() && core->topology_change_allowed()) {
    retry_changes();
  }
  if (leader_changed || core->state_name() != logged_state)
    log_state();
  publish(false);
  // Answers go out after the update the node acts on (persist, send,
  // apply, answer): a caller that reacts to one (the node, once a database
  // was deleted) finds the state it expects.
  answer_completed();
  // Waiters and reads whose index is applied now.
  auto now_applied = applied();
  while (!waiters.empty() && waiters.begin()->first <= now_applied) {
    auto w = std::move(waiters.begin()->second);
    waiters.erase(waiters.begin());
    w.done(now_applied);
  }
  for (auto i = reads.begin(); i != reads.end();) {
    if (i->second.index > 0 && i->second.index <= now_applied) {
      auto run = std::move(i->second.run);
      i = reads.erase(i);
      run(&machine);
    } else {
      ++i;
    }
  }
  refuse_waiting_if_removed();
}

void raft_member_state::refuse_waiting_if_removed() {
  // What waits for a leader or for an index (taken before the node learned
  // its removal) would wait out its deadline for nothing.
  if (waiters.empty() && reads.empty() && submits.empty() && changes.empty())
    return;
  auto removed = removed_from_cluster();
  if (!removed)
    return;
  for (auto& [index, w] : std::exchange(waiters, {}))
    w.done(*removed);
  for (auto& [id, r] : std::exchange(reads, {}))
    r.run(*removed);
  retry_submits();
  retry_changes();
}

void raft_member_state::install(const raft::snapshot& snap) {
  RAFT_ASSERT(decoded_state);
  auto started = clock::now();
  auto before = hosted_keys(machine, tag);
  // The state it replaces may hold a million values.
  free_elsewhere(std::exchange(machine, std::move(*decoded_state)));
  decoded_state.reset();
  auto after = hosted_keys(machine, tag);
  for (auto& key : before)
    if (after.count(key) == 0)
      removals.push_back(database_removal{key, key, false,
                                          static_cast<int64_t>(snap.index)});
  ++version;
  applied_bytes = 0;
  settings.log->info("raft-member {} installed a snapshot at index {} "
                     "(decoded in {} ms, the member's own share {} us)",
                     tag, snap.index, ms(started - decoding_started),
                     us(clock::now() - started));
}

void raft_member_state::send_raft(raft::message msg) {
  if (msg.type == raft::message_type::install_snapshot) {
    send_snapshot(std::move(msg));
    return;
  }
  auto i = peers.find(msg.to);
  if (i == peers.end() || !i->second.handle())
    return; // Raft resends; a peer we cannot reach yet loses nothing
  self->send(i->second.handle(),
             raft_envelope{core->current_topology().topology_id,
                           std::move(msg)});
}

void raft_member_state::apply(const raft::entry& e) {
  auto index = static_cast<int64_t>(e.index);
  switch (e.kind) {
    case raft::entry_kind::noop:
      break;
    case raft::entry_kind::topology: {
      auto next = raft::topology_from_json(e.data);
      if (!next) {
        settings.log->error("raft-member {}: unreadable topology at index "
                            "{}: {}",
                            tag, e.index, next.error().message);
        break;
      }
      auto before = hosted_keys(machine, tag);
      if (auto applied = machine.apply_topology(e.index, *next); !applied)
        settings.log->error("raft-member {}: topology at index {}: {}", tag,
                            e.index, applied.error().message);
      for (auto& key : before)
        if (hosted_keys(machine, tag).count(key) == 0)
          removals.push_back(database_removal{key, key, false, index});
      ++version;
      break;
    }
    case raft::entry_kind::command: {
      auto cmd = decode_command(e.data);
      std::optional<apply_outcome> out;
      if (!cmd) {
        settings.log->error("raft-member {}: unreadable command at index {}: "
                            "{}",
                            tag, e.index, cmd.error().message);
        out.emplace(cmd.error());
      } else {
        auto changes_records
          = !std::holds_alternative<put_compare_exchange_command>(*cmd)
            && !std::holds_alternative<remove_compare_exchange_command>(*cmd);
        std::set<std::string> before;
        if (changes_records)
          before = hosted_keys(machine, tag);
        out.emplace(machine.apply(e.index, *cmd));
        if (changes_records) {
          auto* del = std::get_if<delete_databases_command>(&*cmd);
          auto after = hosted_keys(machine, tag);
          for (auto& key : before)
            if (after.count(key) == 0)
              removals.push_back(database_removal{
                key, key, del != nullptr && del->hard_delete, index});
          ++version;
        }
      }
      complete_proposal(e, &*out);
      return;
    }
  }
  // Topology changes proposed here complete when applied.
  complete_proposal(e, nullptr);
}

void raft_member_state::complete_proposal(const raft::entry& e,
                                          const apply_outcome* out) {
  auto i = proposals.find(e.index);
  if (i == proposals.end())
    return;
  auto p = std::move(i->second);
  proposals.erase(i);
  if (p.term != e.term && !p.command.empty() && now() < p.deadline) {
    // Replaced: submitted again (to the new leader, by retry_submits).
    submits.push_back(
      pending_submit{std::move(p.command), std::move(p.done), p.deadline});
    return;
  }
  outcome<applied_command> reply
    = p.term == e.term
        ? outcome<applied_command>{applied_command{
          static_cast<int64_t>(e.index),
          out ? std::optional<apply_outcome>{*out} : std::nullopt}}
        : outcome<applied_command>{make_failure(
          ec::not_leader, "the entry was replaced by a new leader's log "
                          "before it committed")};
  completed.push_back([done = std::move(p.done),
                       reply = std::move(reply)]() mutable {
    done(std::move(reply));
  });
}

void raft_member_state::answer_completed() {
  auto ready = std::move(completed);
  completed.clear();
  for (auto& answer : ready)
    answer();
}

// -- peers ------------------------------------------------------------------

void raft_member_state::sync_peers() {
  if (!core)
    return;
  synced_config_index = core->log().config_index();
  synced_config_pending = core->topology_change_pending();
  auto& config = core->current_topology();
  // Nodes of the topology in force, plus those the leader still serves
  // while their removal commits.
  std::map<raft::node_tag, std::string> wanted;
  for (auto& t : config.all_tags())
    if (t != tag)
      wanted.emplace(t, config.url_of(t));
  for (auto& f : core->followers())
    if (wanted.count(f.tag) == 0 && peers.count(f.tag) > 0)
      wanted.emplace(f.tag, peers[f.tag].url);
  for (auto i = peers.begin(); i != peers.end();) {
    auto w = wanted.find(i->first);
    if (w == wanted.end() || w->second != i->second.url) {
      if (i->second.link)
        self->send_exit(i->second.link, caf::exit_reason::user_shutdown);
      i->second.link = nullptr;
      i->second.remote = nullptr;
      if (w == wanted.end()) {
        i = peers.erase(i);
        continue;
      }
    }
    ++i;
  }
  for (auto& [peer_tag, url] : wanted) {
    auto& p = peers[peer_tag];
    p.url = url;
    if (p.link || url.empty())
      continue;
    peer_link_settings ls;
    ls.peer_tag = peer_tag;
    ls.peer_url = url;
    ls.hello = raft_hello{raft_protocol_version, config.topology_id, tag,
                          peer_tag, settings.public_url,
                          settings.tick_interval.count()
                            * settings.election_ticks};
    ls.member = caf::actor_cast<raft_member_actor>(self);
    ls.connect_timeout = settings.connect_timeout;
    ls.reconnect.initial = settings.tick_interval * settings.election_ticks / 2;
    ls.registry = settings.registry;
    ls.parent = self->id();
    ls.log = settings.log;
    ls.resolve = settings.resolve_peer;
    // A resolved link does not block: it needs no thread of its own.
    p.link = ls.resolve ? self->spawn(peer_link, std::move(ls))
                        : self->spawn<caf::detached>(peer_link, std::move(ls));
  }
}

raft_peer_actor raft_member_state::leader_handle() const {
  if (!core || core->leader().empty() || core->leader() == tag)
    return {};
  auto i = peers.find(core->leader());
  return i == peers.end() ? raft_peer_actor{} : i->second.handle();
}

outcome<std::string> raft_member_state::hello(const raft_hello& h) {
  if (h.protocol != raft_protocol_version)
    return make_failure(ec::bad_request,
                        "node " + h.source + " at " + h.source_url
                          + " speaks cluster protocol "
                          + std::to_string(h.protocol) + ", this node "
                          + std::to_string(raft_protocol_version)
                          + ": every node of a cluster must run the same "
                            "Corvus version");
  auto ours = settings.tick_interval.count() * settings.election_ticks;
  if (h.election_timeout_ms * 10 < ours * 9
      || h.election_timeout_ms * 10 > ours * 11)
    return make_failure(ec::bad_request,
                        "node " + h.source + " runs an election timeout of "
                          + std::to_string(h.election_timeout_ms)
                          + " ms, this node " + std::to_string(ours)
                          + " ms (more than 10 % apart)");
  auto cluster = core ? core->current_topology().topology_id : std::string{};
  if (!cluster.empty() && !h.topology_id.empty() && h.topology_id != cluster)
    return make_failure(ec::bad_request,
                        "this node belongs to cluster " + cluster
                          + ", not to " + h.topology_id);
  if (!tag.empty() && h.source == tag)
    return make_failure(ec::bad_request,
                        "node " + h.source + " at " + h.source_url
                          + " has this node's own tag");
  if (tag.empty()) {
    // A new node learns its tag from the leader that added it (§1.4).
    if (!raft::valid_node_tag(h.destination))
      return make_failure(ec::bad_request,
                          "'" + h.destination + "' is not a node tag");
    if (auto saved = settings.store->save_tag(h.destination); !saved)
      return saved.error();
    tag = h.destination;
    start_core(raft::durable_state{});
    settings.log->info("raft-member joins cluster {} as node {} (added by "
                       "{})",
                       h.topology_id, tag, h.source);
    enlist(self, settings.registry, "raft-member", tag, settings.parent);
    publish(true);
  } else if (h.destination != tag) {
    return make_failure(ec::bad_request, "this node is " + tag + ", not "
                                           + h.destination);
  }
  return tag;
}

bool raft_member_state::of_another_cluster(
  const std::string& topology_id) const {
  auto& cluster = core->current_topology().topology_id;
  return !cluster.empty() && !topology_id.empty() && topology_id != cluster;
}

void raft_member_state::on_envelope(raft_envelope& env) {
  // Snapshots come in pieces (on_snapshot_piece), never whole.
  if (!core || env.msg.to != tag || of_another_cluster(env.topology_id)
      || env.msg.type == raft::message_type::install_snapshot)
    return;
  if (auto sender = self->current_sender())
    peers[env.msg.from].inbound = caf::actor_cast<raft_peer_actor>(sender);
  core->step(env.msg);
  if (env.msg.from == core->leader())
    heard_from_leader();
}

void raft_member_state::log_state() {
  logged_state = core->state_name();
  settings.log->info("raft-member {}: {} in term {}, leader {}", tag,
                     logged_state, core->term(),
                     core->leader().empty() ? "unknown" : core->leader());
}

void raft_member_state::heard_from_leader() {
  auto now = this->now();
  if (leader_silence_reported && core->leader() == silent_leader)
    settings.log->info("raft-member {}: heard from leader {} again after {} "
                       "ms",
                       tag, silent_leader, ms(now - last_heard_from_leader));
  silent_leader = core->leader();
  last_heard_from_leader = now;
  leader_silence_reported = false;
}

void raft_member_state::watch_leader_silence() {
  if (!core || is_leader() || core->leader().empty()
      || core->leader() != silent_leader || leader_silence_reported)
    return;
  // Half a heartbeat period late is worth a line (the leader or this node
  // was held up, or the network lost its messages): a follower may give
  // up on its leader from ⅔ of the election timeout on (two heartbeat
  // periods by default).
  auto silent = now() - last_heard_from_leader;
  if (silent <= 3 * settings.heartbeat_ticks * settings.tick_interval / 2)
    return;
  leader_silence_reported = true;
  settings.log->info("raft-member {}: no word from leader {} for {} ms", tag,
                     silent_leader, ms(silent));
}

raft_member_state::clock::duration raft_member_state::slow_turn() const {
  return settings.election_ticks * settings.tick_interval / 3;
}

void raft_member_state::tick() {
  ++ticks;
  if (core)
    core->tick();
  watch_leader_silence();
  auto now = this->now();
  for (auto i = waiters.begin(); i != waiters.end();) {
    if (now < i->second.deadline) {
      ++i;
      continue;
    }
    auto w = std::move(i->second);
    i = waiters.erase(i);
    w.done(make_failure(ec::timeout,
                        "node " + tag + " did not apply index "
                          + std::to_string(w.index) + " within "
                          + std::to_string(settings.operation_timeout.count()
                                           / 1000)
                          + " s (applied: " + std::to_string(applied())
                          + ")"));
  }
  for (auto i = reads.begin(); i != reads.end();) {
    if (now >= i->second.deadline) {
      auto run = std::move(i->second.run);
      i = reads.erase(i);
      run(no_leader());
      continue;
    }
    // A read the core dropped (no leader, or it lost leadership) is
    // asked again.
    if (i->second.index == 0 && ticks % retry_ticks == 0 && core)
      core->read_index(i->first);
    ++i;
  }
  if (ticks % retry_ticks == 0) {
    retry_submits();
    retry_changes();
    expire_snapshot_transfers(false);
  }
  drain();
  if (ticks % publish_ticks == 0)
    publish(true);
}

raft_status raft_member_state::status() const {
  raft_status st;
  st.node_tag = tag.empty() ? "?" : tag;
  st.tcp_url = tcp_url;
  if (core) {
    st.state = core->state_name();
    // A passive node is in no cluster, so it names no leader, as in
    // RavenDB: a removed one may still remember who sent it its removal.
    if (!core->out_of_cluster())
      st.leader = core->leader();
    st.term = core->term();
    st.commit = core->commit();
    st.applied = core->applied();
    st.last_index = core->last_index();
    if (is_leader())
      st.leadership_ms = ms(now() - leader_since);
  }
  auto followers = core ? core->followers()
                        : std::vector<raft::follower_status>{};
  for (auto& [peer_tag, p] : peers) {
    peer_status ps;
    ps.tag = peer_tag;
    ps.url = p.url;
    ps.connected = static_cast<bool>(p.remote);
    ps.last_error = p.last_error;
    for (auto& f : followers)
      if (f.tag == peer_tag) {
        ps.replication = f.state;
        ps.match = f.match;
        ps.silent_ms = f.silent_ticks * settings.tick_interval.count();
      }
    ps.preparing_snapshot = fresh_snapshot_for.count(peer_tag) > 0;
    if (auto* sender = outgoing_snapshots->find(peer_tag)) {
      ps.snapshot = peer_status::snapshot_transfer{
        true, sender->index(), sender->total(), sender->acknowledged(),
        false};
    } else if (incoming_snapshot.receiving()
               && incoming_snapshot.sender() == peer_tag) {
      ps.snapshot = peer_status::snapshot_transfer{
        false, incoming_snapshot.header().snap.index,
        incoming_snapshot.total(), incoming_snapshot.received(), false};
    } else if (decoding_snapshot && decoding_snapshot->from == peer_tag) {
      auto& snap = decoding_snapshot->snap;
      ps.snapshot = peer_status::snapshot_transfer{
        false, snap.index, snap.data.size(), snap.data.size(), true};
    }
    if (!p.url.empty())
      st.peers.push_back(std::move(ps));
  }
  return st;
}

void raft_member_state::publish(bool force) {
  auto st = status();
  auto& old = published_status;
  auto changed = version != published_version || st.state != old.state
                 || st.leader != old.leader || st.term != old.term
                 || st.node_tag != old.node_tag
                 || st.peers.size() != old.peers.size()
                 || !removals.empty();
  for (size_t i = 0; !changed && i < st.peers.size(); ++i)
    changed = st.peers[i].connected != old.peers[i].connected;
  if (!force && !changed)
    return;
  auto summary = std::make_shared<cluster_summary>();
  summary->raft = st;
  summary->topology = machine.topology();
  summary->databases = machine.databases();
  summary->last_index = applied();
  summary->topology_etag = machine.bootstrapped()
                             ? static_cast<int64_t>(machine.last_index())
                             : -1;
  published_status = std::move(st);
  published_version = version;
  self->send(settings.node,
             cluster_update{std::move(summary), std::move(removals)});
  removals.clear();
}

void raft_member_state::fail_all(const failure& why) {
  for (auto& [index, p] : proposals)
    p.done(why);
  proposals.clear();
  for (auto& p : submits)
    p.done(why);
  submits.clear();
  for (auto& p : changes)
    p.done(why);
  changes.clear();
  for (auto& [index, w] : waiters)
    w.done(why);
  waiters.clear();
  for (auto& [id, r] : reads)
    r.run(why);
  reads.clear();
}

raft_member_actor::behavior_type
raft_member(raft_member_actor::stateful_pointer<raft_member_state> self,
            raft_member_settings settings) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.outgoing_snapshots.emplace(st.settings.snapshot_piece_bytes,
                                st.settings.snapshot_window_pieces,
                                st.snapshot_stall_timeout());
  name_this_thread("raft-member");
  if (auto err = st.init()) {
    st.settings.log->critical("raft-member cannot start: {}", describe(err));
    self->quit(err);
  }
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    auto& st = self->state;
    st.shutting_down = true;
    // Forwards in flight move back to their queues, which fail_all answers
    // (the links end with the state, see ~raft_member_state).
    st.abort_forwards();
    st.fail_all(make_failure(ec::shutting_down, "the node is shutting down"));
    self->quit(msg.reason);
  });
  auto deadline = [self] {
    return self->state.now()
           + self->state.settings.operation_timeout;
  };
  return {
    [self](raft_envelope& env) {
      self->state.on_envelope(env);
      self->send(self, atom::drain_v);
    },
    [self](raft_snapshot_piece& piece) {
      self->state.on_snapshot_piece(piece);
      self->send(self, atom::drain_v);
    },
    [self](raft_snapshot_ack& ack) {
      self->state.on_snapshot_ack(ack);
    },
    [self](raft_hello& h) -> caf::result<std::string> {
      auto answer = self->state.hello(h);
      if (!answer)
        return to_error(answer.error());
      return *answer;
    },
    [self](atom::forward, const raft::node_tag& from,
           std::string& command) -> caf::result<command_reply> {
      auto& st = self->state;
      if (st.shutting_down)
        return to_error(make_failure(ec::shutting_down,
                                     "the node is shutting down"));
      if (auto refused = st.refuse_forward_from(from))
        return to_error(*refused);
      auto index = st.core->propose(std::move(command));
      if (!index)
        return to_error(index.error());
      auto rp = self->make_response_promise<command_reply>();
      st.proposals[*index] = raft_member_state::proposal{
        st.core->term(), deliver_reply(rp), {}, {}};
      self->send(self, atom::drain_v);
      return rp;
    },
    [self, deadline](atom::forward, const raft::node_tag& from,
                     topology_request& req) -> caf::result<int64_t> {
      auto& st = self->state;
      if (auto refused = st.refuse_forward_from(from))
        return to_error(*refused);
      auto rp = self->make_response_promise<int64_t>();
      st.change_topology(raft_member_state::pending_change{
        std::move(req), deliver_to(rp), deadline()});
      return rp;
    },
    [self](replication_hello& hello) -> caf::result<replication_welcome> {
      // Replication is the node's business; the member is only the door
      // that other nodes know.
      return self->delegate(self->state.settings.node, std::move(hello));
    },
    [self](atom::wait, int64_t index) -> caf::result<int64_t> {
      auto rp = self->make_response_promise<int64_t>();
      auto done = deliver_to(rp);
      // Whoever asks (another node confirming a database change to its
      // client, or /rachis/waitfor) may send requests here next: answered
      // once this node has also acted on what was applied.
      self->state.wait_applied(
        static_cast<raft::index_t>(std::max<int64_t>(index, 0)),
        [self, done](outcome<raft::index_t> applied) mutable {
          if (!applied)
            return done(applied.error());
          auto& node = self->state.settings.node;
          if (!node)
            return done(static_cast<int64_t>(*applied));
          self->request(node, caf::infinite, atom::wait_v,
                        static_cast<int64_t>(*applied))
            .then([done](int64_t acted) mutable { done(acted); },
                  [done](caf::error& err) mutable {
                    done(to_failure(err));
                  });
        });
      return rp;
    },
    [self, deadline](atom::propose,
                     std::string& command) -> caf::result<command_reply> {
      auto rp = self->make_response_promise<command_reply>();
      self->state.submit(raft_member_state::pending_submit{
        std::move(command), deliver_reply(rp), deadline()});
      return rp;
    },
    [self, deadline](atom::topology,
                     topology_request& req) -> caf::result<int64_t> {
      auto rp = self->make_response_promise<int64_t>();
      self->state.change_topology(raft_member_state::pending_change{
        std::move(req), deliver_to(rp), deadline()});
      return rp;
    },
    [self](atom::wait, int64_t index, std::vector<std::string>& nodes,
           caf::timespan limit) -> caf::result<unconfirmed_nodes> {
      auto& st = self->state;
      // Checked before the promise: a promise made takes over the answer.
      if (nodes.empty())
        return unconfirmed_nodes{};
      auto rp = self->make_response_promise<unconfirmed_nodes>();
      struct tally {
        size_t remaining = 0;
        unconfirmed_nodes unconfirmed;
      };
      auto counts = std::make_shared<tally>();
      counts->remaining = nodes.size();
      auto finish = [counts, rp](const std::string& node,
                                 raft_member_state::peer_wait w) mutable {
        using peer_wait = raft_member_state::peer_wait;
        if (w == peer_wait::unreachable)
          counts->unconfirmed.unreachable.push_back(node);
        else if (w == peer_wait::late)
          counts->unconfirmed.late.push_back(node);
        if (--counts->remaining == 0)
          rp.deliver(std::move(counts->unconfirmed));
      };
      auto deadline
        = st.now()
          + std::chrono::duration_cast<raft_member_state::clock::duration>(
            limit);
      for (auto& node : nodes) {
        if (node == st.tag) {
          // Whoever asks heard from this member that it applied its own
          // command; a wait for a later index ends by the same deadline as
          // the peers'.
          st.wait_applied(static_cast<raft::index_t>(index),
                          [finish, node](outcome<raft::index_t> r) mutable {
                            finish(node, r ? raft_member_state::peer_wait::
                                               confirmed
                                           : raft_member_state::peer_wait::
                                               late);
                          },
                          deadline);
          continue;
        }
        st.wait_on_peer(node, static_cast<raft::index_t>(index), deadline,
                        [finish, node](raft_member_state::peer_wait w) mutable {
                          finish(node, w);
                        });
      }
      return rp;
    },
    [self](atom::bootstrap) -> caf::result<void> {
      auto founded = self->state.bootstrap();
      if (!founded)
        return to_error(founded.error());
      self->state.publish(true);
      return caf::unit;
    },
    [self](atom::reelect) -> caf::result<void> {
      auto& st = self->state;
      if (auto refused = out_of_any_cluster(st))
        return *refused;
      if (st.is_leader())
        return hand_over_leadership(self);
      // As RavenDB redirects to its leader, a follower passes it on, once.
      if (auto leader = st.leader_handle())
        return self->delegate(leader, atom::reelect_v, st.tag);
      return to_error(make_failure(ec::no_leader,
                                   "node " + st.tag
                                     + " knows no leader to step down"));
    },
    [self](atom::reelect, const raft::node_tag& from) -> caf::result<void> {
      if (auto refused = self->state.refuse_forward_from(from))
        return to_error(*refused);
      return hand_over_leadership(self);
    },
    [self](atom::election_timeout) -> caf::result<void> {
      auto& st = self->state;
      if (auto refused = out_of_any_cluster(st))
        return *refused;
      st.settings.log->info("raft-member {}: election timeout asked for",
                            st.tag);
      st.core->election_timeout_now();
      self->send(self, atom::drain_v);
      return caf::unit;
    },
    [self, deadline](cluster_submit& c) {
      self->state.submit(raft_member_state::pending_submit{
        std::move(c.command), std::move(c.done), deadline()});
    },
    [self](cluster_read& r) { self->state.read(std::move(r.run)); },
    [self](member_task& t) {
      t.run();
      self->state.drain();
    },
    [self](peer_up& up) {
      auto& st = self->state;
      auto i = st.peers.find(up.tag);
      if (i == st.peers.end())
        return;
      i->second.remote = std::move(up.handle);
      i->second.last_error.clear();
      // A peer back: whatever waited for the leader may reach it now.
      if (st.core && up.tag == st.core->leader()) {
        st.retry_submits();
        st.retry_changes();
      }
      st.publish(false);
    },
    [self](peer_down& down) {
      auto& st = self->state;
      auto i = st.peers.find(down.tag);
      if (i == st.peers.end())
        return;
      // Whatever came in from that peer came over the same connection,
      // and pieces of a snapshot sent over it may be lost.
      st.outgoing_snapshots->drop(down.tag);
      i->second.remote = nullptr;
      i->second.inbound = nullptr;
      i->second.last_error = std::move(down.reason);
      // Forwards to a leader that went away will not be answered.
      if (st.core && down.tag == st.core->leader()) {
        st.abort_forwards();
        st.retry_submits();
        st.retry_changes();
      }
      st.publish(false);
    },
    [self](atom::tick) {
      auto& st = self->state;
      st.tick();
      self->delayed_send(self, st.settings.tick_interval, atom::tick_v);
    },
    [self](atom::drain) { self->state.drain(); },
    [self](atom::snapshot) {
      auto& st = self->state;
      auto status = st.status();
      return write_json([&](json_writer& w) {
        w.StartObject();
        w.Key("Tag");
        w.String(status.node_tag.c_str());
        w.Key("State");
        w.String(status.state.c_str());
        w.Key("Term");
        w.Uint64(status.term);
        w.Key("Leader");
        w.String(status.leader.c_str());
        w.Key("Commit");
        w.Uint64(status.commit);
        w.Key("Applied");
        w.Uint64(status.applied);
        w.Key("LastIndex");
        w.Uint64(status.last_index);
        w.Key("SnapshotIndex");
        w.Uint64(st.core ? st.core->log().latest_snapshot().index : 0);
        w.Key("Peers");
        w.Uint64(status.peers.size());
        size_t connected = 0;
        for (auto& p : status.peers)
          connected += p.connected ? 1 : 0;
        w.Key("ConnectedPeers");
        w.Uint64(connected);
        w.Key("PendingProposals");
        w.Uint64(st.proposals.size());
        w.Key("WaitingForLeader");
        w.Uint64(st.submits.size() + st.changes.size());
        w.Key("Waiters");
        w.Uint64(st.waiters.size());
        w.Key("Reads");
        w.Uint64(st.reads.size());
        w.Key("TcpUrl");
        w.String(st.tcp_url.c_str());
        // Snapshots on their way, for the console's raft view.
        std::string transfers;
        for (auto& p : status.peers)
          if (p.preparing_snapshot) {
            if (!transfers.empty())
              transfers += ", ";
            transfers += "to " + p.tag + ": taking a fresh snapshot first";
          } else if (auto& t = p.snapshot) {
            if (!transfers.empty())
              transfers += ", ";
            transfers += (t->sending ? "to " : "from ") + p.tag + ": "
                         + std::to_string(t->held) + " of "
                         + std::to_string(t->size) + " bytes"
                         + (t->installing ? ", installing" : "");
          }
        if (!transfers.empty()) {
          w.Key("SnapshotTransfers");
          w.String(transfers.c_str());
        }
        w.EndObject();
      });
    },
  };
}

} // namespace corvus
