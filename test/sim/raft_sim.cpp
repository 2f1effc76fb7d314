#include "test/sim/raft_sim.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace corvus::sim {

using raft::entry;
using raft::index_t;
using raft::message;
using raft::node_tag;

struct raft_sim::member {
  node_tag tag;
  raft_storage_model storage;
  std::unique_ptr<raft::core> core;
  /// The state machine: every applied entry, as index → data.
  std::map<index_t, std::string> state;
  index_t state_index = 0;
  index_t durable_commit = 0;
  int restarts = 0;
  /// Read id → the highest index committed anywhere when it was asked.
  std::map<uint64_t, index_t> reads;
  /// Followers whose snapshot this member held back (hold_snapshot).
  std::set<node_tag> held_snapshots;
};

namespace {

std::string entry_text(const entry& e) {
  switch (e.kind) {
    case raft::entry_kind::noop:
      return "noop";
    case raft::entry_kind::topology:
      return "topology " + std::string{e.data.view()};
    case raft::entry_kind::command:
      return std::string{e.data.view()};
  }
  return "?";
}

std::string encode_state(const std::map<index_t, std::string>& state) {
  std::string out;
  for (auto& [index, text] : state)
    out += std::to_string(index) + "\t" + text + "\n";
  return out;
}

std::map<index_t, std::string> decode_state(std::string_view data) {
  std::map<index_t, std::string> state;
  std::istringstream in{std::string{data}};
  std::string line;
  while (std::getline(in, line)) {
    auto tab = line.find('\t');
    state.emplace(std::stoull(line.substr(0, tab)), line.substr(tab + 1));
  }
  return state;
}

} // namespace

sim_options varied_options(size_t members, uint64_t seed) {
  std::mt19937_64 rng{seed ^ 0x5eed5eed5eedULL};
  auto pick = [&](double low, double high) {
    return std::uniform_real_distribution<double>{low, high}(rng);
  };
  sim_options opts;
  opts.members = members;
  opts.drop = pick(0, 0.15);
  opts.duplicate = pick(0, 0.05);
  opts.crash = pick(0.001, 0.01);
  opts.partition = pick(0.001, 0.01);
  opts.max_delay = static_cast<int>(1 + rng() % 8);
  opts.max_append_bytes = 4 + rng() % 128;
  opts.max_inflight = 1 + rng() % 8;
  opts.compact_every = 10 + rng() % 60;
  opts.compaction_slack = rng() % 10;
  opts.max_inflight_bytes = 1 + rng() % 512;
  opts.hold_snapshot = pick(0, 0.5);
  return opts;
}

raft_sim::raft_sim(uint64_t seed, sim_options opts)
  : seed_(seed), opts_(opts), rng_(seed) {
  // The founding member, then the others join through the log.
  last_tag_ = "A";
  start_member("A");
  raft::topology founding;
  founding.topology_id = "sim-" + std::to_string(seed);
  founding.members.emplace("A", "sim://A");
  founding.last_node_id = "A";
  auto booted = members_.at("A")->core->bootstrap(founding);
  if (!booted)
    fail("bootstrap: " + booted.error().message);
  drain(*members_.at("A"));
}

raft_sim::~raft_sim() = default;

double raft_sim::roll() {
  return std::uniform_real_distribution<double>{0, 1}(rng_);
}

void raft_sim::note(const std::string& what) {
  events_.push_back("t=" + std::to_string(now_) + " " + what);
  if (events_.size() > 200)
    events_.erase(events_.begin());
}

void raft_sim::fail(const std::string& what) {
  std::string text = "seed " + std::to_string(seed_) + ", t=" +
                     std::to_string(now_) + ": " + what + "\nlast events:\n";
  auto from = events_.size() > 40 ? events_.size() - 40 : 0;
  for (auto i = from; i < events_.size(); ++i)
    text += "  " + events_[i] + "\n";
  text += "members:\n";
  for (auto& [tag, m] : members_) {
    text += "  " + tag;
    if (!m->core) {
      text += " down\n";
      continue;
    }
    auto& c = *m->core;
    text += std::string{" "} + c.state_name() + " term "
            + std::to_string(c.term()) + " leader '" + c.leader()
            + "' commit " + std::to_string(c.commit()) + " last "
            + std::to_string(c.last_index()) + " applied "
            + std::to_string(m->state_index) + " topology "
            + raft::to_json(c.current_topology()) + "\n";
    for (auto& f : c.followers())
      text += "    " + f.tag + " " + f.state + " match "
              + std::to_string(f.match) + " next " + std::to_string(f.next)
              + " silent " + std::to_string(f.silent_ticks) + "\n";
  }
  throw std::runtime_error(text);
}

void raft_sim::start_member(const node_tag& tag) {
  auto& slot = members_[tag];
  if (!slot) {
    slot = std::make_unique<member>();
    slot->tag = tag;
  }
  auto& m = *slot;
  raft::config cfg;
  cfg.id = tag;
  cfg.election_ticks = opts_.election_ticks;
  cfg.heartbeat_ticks = opts_.heartbeat_ticks;
  cfg.seed = seed_ * 1000003 + std::hash<std::string>{}(tag) + m.restarts;
  cfg.max_append_bytes = opts_.max_append_bytes;
  cfg.max_inflight = opts_.max_inflight;
  cfg.max_inflight_bytes = opts_.max_inflight_bytes;
  m.core = std::make_unique<raft::core>(cfg, m.storage.durable);
  // The state machine restarts from the snapshot; the core hands out the
  // committed entries after it again.
  auto& snap = m.storage.durable.snap;
  m.state = decode_state(snap.data);
  m.state_index = snap.index;
  m.reads.clear();
  ++m.restarts;
}

void raft_sim::crash(const node_tag& tag) {
  auto& m = *members_.at(tag);
  if (!m.core)
    return;
  m.core.reset();
  m.held_snapshots.clear();
  // What was written without a sync is lost: the commit index may fall
  // back (never below what a synced write recorded).
  m.storage.crash();
  m.durable_commit = m.storage.durable.state.commit;
  note("crash " + tag);
}

void raft_sim::run() {
  // Grow the cluster to its size without faults.
  for (size_t guard = 0; guard < 2000; ++guard) {
    auto* l = leader();
    if (l && l->core->current_topology().members.size() >= opts_.members
        && !l->core->topology_change_pending())
      break;
    if (l && l->core->topology_change_allowed()
        && l->core->current_topology().all_tags().size() < opts_.members) {
      auto next = l->core->current_topology();
      auto tag = raft::next_node_tag(next.last_node_id);
      next.promotables.emplace(tag, "sim://" + tag);
      next.last_node_id = tag;
      start_member(tag);
      if (l->core->propose_topology(next))
        note("add " + tag);
    }
    step_once(false, true);
  }
  for (size_t i = 0; i < opts_.steps; ++i)
    step_once(true, true);
  // Heal everything and require convergence (liveness).
  group_.clear();
  for (auto& [tag, m] : members_)
    if (!m->core)
      start_member(tag);
  note("heal all");
  auto limit = 400 * static_cast<size_t>(opts_.election_ticks);
  for (size_t i = 0; i < limit; ++i) {
    step_once(false, false);
    auto* l = leader();
    if (!l || l->core->topology_change_pending())
      continue;
    auto commit = l->core->commit();
    if (commit != l->core->last_index())
      continue;
    auto converged = true;
    for (auto& tag : l->core->current_topology().all_tags()) {
      auto& m = *members_.at(tag);
      if (m.core->commit() != commit || m.state_index != commit)
        converged = false;
    }
    if (converged)
      return;
  }
  fail("no convergence after healing");
}

raft_sim::member* raft_sim::leader() {
  member* found = nullptr;
  for (auto& [tag, m] : members_)
    if (m->core && m->core->current_role() == raft::role::leader
        && (!found || m->core->term() > found->core->term()))
      found = m.get();
  return found;
}

bool raft_sim::reachable(const node_tag& from, const node_tag& to) const {
  auto group_of = [&](const node_tag& t) {
    auto i = group_.find(t);
    return i == group_.end() ? 0 : i->second;
  };
  return group_of(from) == group_of(to);
}

void raft_sim::step_once(bool faults, bool load) {
  ++now_;
  if (faults) {
    maybe_fault();
    maybe_change_membership();
  }
  if (load && roll() < opts_.propose)
    if (auto* l = leader()) {
      auto text = "c" + std::to_string(next_command_);
      if (l->core->propose(text))
        ++next_command_;
    }
  if (load && roll() < opts_.read) {
    std::vector<member*> live;
    for (auto& [tag, m] : members_)
      if (m->core)
        live.push_back(m.get());
    if (!live.empty()) {
      auto* m = live[rng_() % live.size()];
      auto id = next_read_++;
      m->reads.emplace(id, max_commit());
      m->core->read_index(id);
    }
  }
  for (auto& [tag, m] : members_) {
    if (!m->core)
      continue;
    m->core->tick();
    if (!m->held_snapshots.empty() && roll() < opts_.report_held) {
      for (auto& to : m->held_snapshots)
        m->core->snapshot_not_sent(to);
      m->held_snapshots.clear();
    }
  }
  deliver_due();
  for (auto& [tag, m] : members_)
    if (m->core)
      drain(*m);
  check_global();
}

void raft_sim::maybe_fault() {
  std::vector<node_tag> tags;
  for (auto& [tag, m] : members_)
    tags.push_back(tag);
  auto pick = [&] { return tags[rng_() % tags.size()]; };
  if (roll() < opts_.crash) {
    // Never crash a majority at once for long: fewer than a majority, or
    // just a majority, stay down.
    size_t down = 0;
    for (auto& [tag, m] : members_)
      down += m->core ? 0 : 1;
    if (down < (tags.size() - 1) / 2 + 1)
      crash(pick());
  }
  if (roll() < opts_.restart)
    for (auto& [tag, m] : members_)
      if (!m->core) {
        start_member(tag);
        note("restart " + tag);
        break;
      }
  if (roll() < opts_.partition) {
    group_.clear();
    std::string text = "partition";
    for (auto& tag : tags) {
      group_[tag] = static_cast<int>(rng_() % 2);
      text += " " + tag + ":" + std::to_string(group_[tag]);
    }
    note(text);
  }
  if (roll() < opts_.heal && !group_.empty()) {
    group_.clear();
    note("heal");
  }
  if (roll() < opts_.crash)
    if (auto* l = leader())
      if (l->core->transfer_leadership())
        note("transfer from " + l->tag);
}

void raft_sim::maybe_change_membership() {
  if (roll() >= opts_.membership_change)
    return;
  auto* l = leader();
  if (!l || !l->core->topology_change_allowed())
    return;
  auto next = l->core->current_topology();
  auto voters = next.members.size();
  auto choice = rng_() % 3;
  if (choice == 0 && next.all_tags().size() < opts_.members + 2) {
    auto tag = raft::next_node_tag(next.last_node_id);
    auto watcher = rng_() % 4 == 0;
    (watcher ? next.watchers : next.promotables).emplace(tag, "sim://" + tag);
    next.last_node_id = tag;
    start_member(tag);
    if (l->core->propose_topology(next)) {
      ++membership_changes_;
      note(std::string{"add "} + (watcher ? "watcher " : "") + tag);
    }
  } else if (choice == 1 && voters > opts_.members - 1 && voters > 1) {
    std::vector<node_tag> others;
    for (auto& tag : next.all_tags())
      if (tag != l->tag)
        others.push_back(tag);
    if (others.empty())
      return;
    auto gone = others[rng_() % others.size()];
    next.members.erase(gone);
    next.promotables.erase(gone);
    next.watchers.erase(gone);
    if (l->core->propose_topology(next)) {
      ++membership_changes_;
      note("remove " + gone);
    }
  } else if (choice == 2 && !next.watchers.empty()) {
    // An operator promotes a watcher: it becomes promotable, then member.
    auto tag = next.watchers.begin()->first;
    next.promotables.emplace(tag, next.watchers.begin()->second);
    next.watchers.erase(tag);
    if (l->core->propose_topology(next)) {
      ++membership_changes_;
      note("promote watcher " + tag);
    }
  }
}

void raft_sim::deliver_due() {
  std::vector<in_flight> due;
  std::vector<in_flight> later;
  for (auto& f : network_)
    (f.deliver_at <= now_ ? due : later).push_back(std::move(f));
  network_ = std::move(later);
  std::sort(due.begin(), due.end(), [](auto& x, auto& y) {
    return std::tie(x.deliver_at, x.order) < std::tie(y.deliver_at, y.order);
  });
  for (auto& f : due) {
    auto i = members_.find(f.msg.to);
    if (i == members_.end() || !i->second->core
        || !reachable(f.msg.from, f.msg.to) || roll() < opts_.drop)
      continue;
    i->second->core->step(f.msg);
  }
}

void raft_sim::drain(member& m) {
  // Compaction: the state machine as of its applied index; what it asks to
  // persist goes through the loop below like everything else.
  auto& snap = m.core->log().latest_snapshot();
  if (m.state_index >= snap.index + opts_.compact_every) {
    auto keep = m.state_index > opts_.compaction_slack
                  ? m.state_index - opts_.compaction_slack
                  : 0;
    m.core->compact(m.state_index, encode_state(m.state), keep);
  }
  for (int round = 0; round < 100 && m.core->has_ready(); ++round) {
    auto r = m.core->take_ready();
    // Persist, then send, then apply (ready.hpp).
    m.storage.persist(r);
    if (m.storage.durable.state.commit < m.durable_commit)
      fail(m.tag + ": durable commit went back from "
           + std::to_string(m.durable_commit) + " to "
           + std::to_string(m.storage.durable.state.commit));
    m.durable_commit = m.storage.durable.state.commit;
    for (auto& msg : r.messages) {
      if (msg.type == raft::message_type::install_snapshot
          && roll() < opts_.hold_snapshot) {
        m.held_snapshots.insert(msg.to);
        continue;
      }
      auto copies = roll() < opts_.duplicate ? 2 : 1;
      for (int c = 0; c < copies; ++c) {
        auto delay = static_cast<int64_t>(rng_() % (opts_.max_delay + 1));
        network_.push_back(in_flight{now_ + delay, order_++, msg});
      }
    }
    if (r.installed) {
      auto& snap = *r.new_snapshot;
      m.state = decode_state(snap.data);
      m.state_index = snap.index;
      ++snapshots_installed_;
      note(m.tag + " installs snapshot at " + std::to_string(snap.index));
      for (auto& [index, text] : m.state) {
        auto [i, fresh] = applied_.emplace(index, text);
        if (!fresh && i->second != text)
          fail(m.tag + ": snapshot disagrees at " + std::to_string(index));
      }
    }
    for (auto& e : r.committed)
      apply(m, e);
    for (auto& rs : r.read_states) {
      auto i = m.reads.find(rs.context);
      if (i == m.reads.end())
        continue;
      if (rs.index < i->second)
        fail(m.tag + ": read " + std::to_string(rs.context) + " at index "
             + std::to_string(rs.index) + " misses index "
             + std::to_string(i->second) + " committed before it was asked");
      m.reads.erase(i);
    }
    for (auto id : r.dropped_reads)
      m.reads.erase(id);
    m.core->advance(r);
    check(m);
  }
}

void raft_sim::apply(member& m, const entry& e) {
  if (e.index != m.state_index + 1)
    fail(m.tag + ": applies " + std::to_string(e.index) + " after "
         + std::to_string(m.state_index));
  auto text = entry_text(e);
  auto [i, fresh] = applied_.emplace(e.index, text);
  if (!fresh && i->second != text)
    fail(m.tag + ": applies '" + text + "' at " + std::to_string(e.index)
         + " where another member applied '" + i->second + "'");
  m.state.emplace(e.index, text);
  m.state_index = e.index;
}

void raft_sim::check(member& m) {
  auto& c = *m.core;
  if (!(c.applied() <= c.commit() && c.commit() <= c.last_index()))
    fail(m.tag + ": applied " + std::to_string(c.applied()) + " commit "
         + std::to_string(c.commit()) + " last "
         + std::to_string(c.last_index()));
  if (c.current_role() == raft::role::leader) {
    auto [i, fresh] = leaders_.emplace(c.term(), m.tag);
    if (!fresh && i->second != m.tag)
      fail("two leaders in term " + std::to_string(c.term()) + ": "
           + i->second + " and " + m.tag);
    if (fresh)
      note(m.tag + " leads term " + std::to_string(c.term()));
  }
  auto& log = c.log();
  for (auto index = std::max(log.first_index(), index_t{1});
       index <= c.commit(); ++index) {
    auto& e = log.at(index);
    auto [i, fresh]
      = committed_.emplace(index, std::pair{e.term, std::string{e.data.view()}});
    if (!fresh && i->second != std::pair{e.term, std::string{e.data.view()}})
      fail(m.tag + ": committed entry " + std::to_string(index)
           + " changed (term " + std::to_string(i->second.first) + " → "
           + std::to_string(e.term) + ")");
  }
}

void raft_sim::check_global() {
  // Every applied index was applied somewhere in order, so the sequence
  // has no holes.
  index_t expected = 1;
  for (auto& [index, text] : applied_) {
    if (index != expected)
      fail("applied sequence has a hole at " + std::to_string(expected));
    ++expected;
  }
}

} // namespace corvus::sim
