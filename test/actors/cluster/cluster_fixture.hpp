#pragma once

// Whole nodes in one actor system (style.md §7, "simulation"): three or five
// node actors under CAF's test coordinator, each with its own in-memory
// stores, no HTTP and no middleman. Each Raft member reaches its peers
// through the `resolve_peer` seam of raft_member_settings, which hands its
// peer links a relay actor per ordered pair of nodes. A relay passes
// every message on unless the switchboard the test controls cuts that
// direction; then the message is lost, as on a broken network. Whatever
// goes back crosses the switchboard too: a one-way message reaches its
// member as sent by the relay in the other direction (a member answers
// that sender when it has no link of its own to the node), and the answer
// to a request returns through the relay, lost when the way back is cut.
// Time moves only with advance(), one tick (10 ms) per step; the members
// keep Rachis's default timing (election timeout 300 ms).

#include "actors/node/node.hpp"

#include "runtime/cluster/cluster_command_codec.hpp"
#include "runtime/cluster/cluster_result_json.hpp"
#include "runtime/documents/document_id.hpp"
#include "storage/data_dir.hpp"
#include "test/actors/cluster/switchboard.hpp"
#include "test/fixtures/deterministic_fixture.hpp"
#include "test/fixtures/fault_env.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corvus::test::cluster_sim {

using namespace std::chrono_literals;

constexpr auto tick = 10ms;
constexpr auto operation_timeout = 2s;
inline const std::string db = "Orders";
constexpr size_t snapshot_piece_bytes = 256;

/// One node: its disk survives restarts, its actors do not.
struct sim_node {
  std::string url;
  std::unique_ptr<memory_env> disk = std::make_unique<memory_env>();
  std::shared_ptr<node_directory> directory
    = std::make_shared<node_directory>();
  node_actor actor;
};

/// What a linearizable read saw.
struct read_answer {
  bool done = false;
  std::optional<failure> error;
  /// The value of the key asked for; index -1 when absent.
  compare_exchange_entry entry{"", -1};
  raft::index_t last_index = 0;
  /// The whole state machine, as JSON.
  std::string state;
};

/// @returns whether `job` is an actor named `name`.
inline bool is_actor_named(caf::resumable& job, std::string_view name) {
  auto* actor = dynamic_cast<caf::local_actor*>(&job);
  return actor != nullptr && actor->name() == name;
}

/// The workers of a Raft member that write its snapshots and decode those
/// it receives.
inline bool is_snapshot_writer(caf::resumable& job) {
  return is_actor_named(job, "snapshot-writer");
}

inline bool is_snapshot_decoder(caf::resumable& job) {
  return is_actor_named(job, "snapshot-decoder");
}

inline compare_exchange_result cx_result(const command_reply& reply) {
  auto out = apply_outcome_from_json(reply.outcome);
  REQUIRE(out);
  REQUIRE(*out);
  auto* result = std::get_if<compare_exchange_result>(&**out);
  REQUIRE(result != nullptr);
  return *result;
}

struct cluster_fixture : deterministic_fixture {
  std::shared_ptr<switchboard> board = std::make_shared<switchboard>();
  std::vector<sim_node> nodes;
  int next_request = 0;
  /// What the nodes log, once capture_log() was called.
  std::ostringstream log_lines;

  /// Nodes started from now on log into log_lines.
  void capture_log() {
    log = std::make_shared<spdlog::logger>(
      "sim", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_lines));
  }

  /// Applied entries after which a node started from now on snapshots,
  /// unless it has a setting of its own.
  uint64_t snapshot_every = 4;
  std::map<size_t, uint64_t> snapshot_every_of;

  cluster_fixture() {
    board->sys = &sys;
    // CORVUS_SIM_LOG=1 shows what the nodes log (debugging a scenario).
    if (std::getenv("CORVUS_SIM_LOG") != nullptr)
      log = std::make_shared<spdlog::logger>(
        "sim", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  }

  ~cluster_fixture() {
    held = nullptr; // a failed check may leave a worker held
    for (auto& n : nodes)
      if (n.actor)
        self->send_exit(n.actor, caf::exit_reason::user_shutdown);
    run();
    for (auto& [pair, r] : board->relays)
      self->send_exit(r, caf::exit_reason::user_shutdown);
    run();
    board->relays.clear();
    board->members.clear();
  }

  // -- nodes ----------------------------------------------------------------

  /// Starts `count` fresh nodes, each in no cluster.
  void make_nodes(size_t count) {
    for (size_t i = 0; i < count; ++i) {
      nodes.emplace_back();
      nodes.back().url = "http://node" + std::to_string(i) + ".sim:8080";
      board->urls.push_back(nodes.back().url);
      board->members.emplace_back();
    }
    for (size_t i = 0; i < count; ++i)
      start(i);
  }

  /// Spawns node `i` on its stores (as a process start would).
  void start(size_t i) {
    auto& n = nodes[i];
    auto system = system_store::open(system_store_dir("/data"),
                                     n.disk->mem.get());
    REQUIRE(system);
    auto raft = raft_store::open(raft_store_dir("/data"), n.disk->mem.get());
    REQUIRE(raft);
    node_settings s;
    s.data_dir = "/data";
    s.public_url = n.url;
    s.store.env = &n.disk->env;
    s.detached_databases = false;
    s.directory = n.directory;
    s.system = std::shared_ptr<system_store>{std::move(*system)};
    s.raft.store = std::shared_ptr<raft_store>{std::move(*raft)};
    s.raft.publish = false;
    s.raft.detached_snapshots = false;
    // Snapshots (serialized by a worker actor) and installs happen in
    // every scenario.
    auto own = snapshot_every_of.find(i);
    s.raft.snapshot_every = own != snapshot_every_of.end() ? own->second
                                                           : snapshot_every;
    s.raft.snapshot_keep = 2;
    // Installs go in several pieces, more than a window of them.
    s.raft.snapshot_piece_bytes = snapshot_piece_bytes;
    s.raft.snapshot_window_pieces = 2;
    s.raft.tick_interval = tick;
    s.raft.election_ticks = 30;
    s.raft.heartbeat_ticks = 10;
    s.raft.operation_timeout = operation_timeout;
    s.raft.connect_timeout = 500ms;
    s.raft.seed = 7919 * (i + 1);
    s.raft.resolve_peer = [board = board, i](const raft::node_tag&,
                                             const std::string& url) {
      auto to = board->index_of(url);
      if (!to || *to == i)
        return raft_peer_actor{};
      return caf::actor_cast<raft_peer_actor>(relay_between(board, i, *to));
    };
    s.detached_member = false;
    s.log = log;
    n.actor = sys.spawn(node, std::move(s));
    run();
    auto member = n.directory->current()->member;
    REQUIRE(member);
    board->members[i] = caf::actor_cast<caf::actor>(member);
  }

  /// Stops node `i` (its actors end, its stores close) and drops the
  /// connections to and from it.
  void stop(size_t i) {
    auto& n = nodes[i];
    self->monitor(n.actor);
    self->send_exit(n.actor, caf::exit_reason::user_shutdown);
    run();
    self->receive([](const caf::down_msg&) {});
    n.actor = nullptr;
    board->members[i] = nullptr;
    for (auto r = board->relays.begin(); r != board->relays.end();) {
      if (r->first.first == i || r->first.second == i) {
        self->send_exit(r->second, caf::exit_reason::user_shutdown);
        r = board->relays.erase(r);
      } else {
        ++r;
      }
    }
    run();
  }

  // -- the network ----------------------------------------------------------

  /// Cuts every link between `side` and the other nodes, both ways.
  void partition(const std::set<size_t>& side) {
    for (size_t x = 0; x < nodes.size(); ++x)
      for (size_t y = 0; y < nodes.size(); ++y)
        if (side.count(x) > 0 && side.count(y) == 0) {
          board->cuts.insert({x, y});
          board->cuts.insert({y, x});
        }
  }

  void heal() {
    board->cuts.clear();
  }

  // -- time -----------------------------------------------------------------

  /// Lets `d` pass, tick by tick.
  void pass(caf::timespan d) {
    for (caf::timespan t{0}; t < d; t += tick)
      advance(tick);
  }

  /// Lets time pass until `done` holds, at most `limit`.
  bool wait_for(const std::function<bool()>& done,
                caf::timespan limit = 5s) {
    run();
    for (caf::timespan t{0}; !done(); t += tick) {
      if (t >= limit)
        return false;
      advance(tick);
    }
    return true;
  }

  template <class Result>
  Result await(const answer<Result>& out, caf::timespan limit = 5s) {
    REQUIRE(wait_for([&] { return out->has_value(); }, limit));
    return value_of(std::move(**out));
  }

  template <class Result>
  ec await_error(const answer<Result>& out, caf::timespan limit = 5s) {
    REQUIRE(wait_for([&] { return out->has_value(); }, limit));
    return error_code_of(**out);
  }

  /// @returns whether a job `is` names waits to run (held back).
  bool waiting(bool (*is)(caf::resumable&)) const {
    return std::any_of(sched.jobs.begin(), sched.jobs.end(),
                       [is](caf::resumable* job) { return is(*job); });
  }

  // -- what the nodes publish -----------------------------------------------

  std::shared_ptr<const cluster_summary> summary(size_t i) const {
    return nodes[i].directory->current()->cluster;
  }

  raft_status status(size_t i) const {
    return summary(i)->raft;
  }

  raft_member_actor member(size_t i) const {
    return nodes[i].directory->current()->member;
  }

  /// @returns the node that leads `group` as every node of it sees it: it
  ///          is "Leader", the others follow it in its term.
  std::optional<size_t> leader_of(const std::vector<size_t>& group) const {
    std::optional<size_t> found;
    for (auto i : group)
      if (status(i).state == "Leader") {
        if (found)
          return std::nullopt;
        found = i;
      }
    if (!found)
      return std::nullopt;
    auto lead = status(*found);
    for (auto i : group) {
      auto st = status(i);
      if (st.leader != lead.node_tag || st.term != lead.term)
        return std::nullopt;
    }
    return found;
  }

  /// @returns whether node `i` applies the entry at `index` within `limit`.
  bool applies(size_t i, int64_t index, caf::timespan limit = 5s) {
    return wait_for(
      [&] { return status(i).applied >= static_cast<raft::index_t>(index); },
      limit);
  }

  /// @returns the snapshot transfer between `node` and `peer` (a tag), as
  ///          `node` last published it.
  std::optional<peer_status::snapshot_transfer>
  transfer(size_t node, const std::string& peer) const {
    for (auto& p : status(node).peers)
      if (p.tag == peer)
        return p.snapshot;
    return std::nullopt;
  }

  /// With node `behind` stopped, writes enough values on the others for
  /// snapshots of several pieces and for their logs to be compacted past
  /// what it holds, then starts it with snapshot acknowledgements lost, so
  /// that its transfer stalls once the window is sent.
  /// @returns the writes.
  std::vector<command_reply> stall_snapshot_to(size_t behind) {
    stop(behind);
    std::vector<command_reply> writes;
    auto writers = all_but(behind);
    for (size_t i = 0; i < 12; ++i)
      writes.push_back(await(put_cx(writers[i % writers.size()],
                                    "users/" + std::to_string(i),
                                    R"({"text":")" + std::string(150, 'x')
                                      + R"("})")));
    board->lose_snapshot_acks = true;
    start(behind);
    return writes;
  }

  /// Writes compare-exchange values users/<from> .. users/<to - 1>, 150
  /// bytes each, through node `i`. @returns the writes.
  std::vector<command_reply> write_values(size_t i, int from, int to) {
    std::vector<command_reply> writes;
    for (int n = from; n < to; ++n)
      writes.push_back(await(put_cx(i, "users/" + std::to_string(n),
                                    R"({"text":")" + std::string(150, 'x')
                                      + R"("})")));
    return writes;
  }

  /// @returns the index of the latest snapshot file in node `i`'s raft
  ///          store (0: none).
  raft::index_t latest_snapshot(size_t i) const {
    raft::index_t latest = 0;
    for (auto& name : raft_files(i, "snapshot-")) // snapshot-<index>-<term>
      latest = std::max<raft::index_t>(latest, std::stoull(name.substr(9)));
    return latest;
  }

  /// @returns the names of the files in node `i`'s raft store that start
  ///          with `prefix`.
  std::vector<std::string> raft_files(size_t i,
                                      const std::string& prefix) const {
    std::vector<std::string> names;
    REQUIRE(nodes[i]
              .disk->mem->GetChildren(raft_store_dir("/data"), &names)
              .ok());
    names.erase(std::remove_if(names.begin(), names.end(),
                               [&](const std::string& n) {
                                 return n.rfind(prefix, 0) != 0;
                               }),
                names.end());
    return names;
  }

  std::vector<size_t> all() const {
    std::vector<size_t> xs;
    for (size_t i = 0; i < nodes.size(); ++i)
      xs.push_back(i);
    return xs;
  }

  /// Every node but `n`.
  std::vector<size_t> all_but(size_t n) const {
    auto xs = all();
    xs.erase(xs.begin() + static_cast<std::ptrdiff_t>(n));
    return xs;
  }

  /// Waits for `group` to agree on one leader.
  size_t elected(const std::vector<size_t>& group,
                 caf::timespan limit = 5s) {
    std::optional<size_t> found;
    REQUIRE(wait_for([&] { return (found = leader_of(group)).has_value(); },
                     limit));
    return *found;
  }

  // -- requests -------------------------------------------------------------

  /// Forms a cluster of all nodes through topology requests, by URL: node
  /// 0 founds it with the first, later ones go through the newest node
  /// (a follower, which forwards them to the leader).
  void form(size_t count) {
    make_nodes(count);
    for (size_t i = 1; i < count; ++i) {
      auto via = i == 1 ? 0 : i - 1;
      auto added = request<int64_t>(member(via), atom::topology_v,
                                    topology_request{
                                      topology_request::kind::add,
                                      nodes[i].url, {}, false});
      CHECK(await(added) > 0);
    }
    // Each joins as promotable and becomes a member once caught up.
    REQUIRE(wait_for([&] {
      for (auto i : all())
        if (summary(i)->topology.members.size() != count)
          return false;
      return leader_of(all()).has_value();
    }));
  }

  /// Asks node `via` to change the membership of node `tag` (remove,
  /// promote or demote). @returns the answer: the change's raft index.
  answer<int64_t> change_node(size_t via, topology_request::kind what,
                              const std::string& tag) {
    return request<int64_t>(member(via), atom::topology_v,
                            topology_request{what, {}, tag, false});
  }

  /// A follower removed while it was down.
  struct removed_while_down {
    size_t gone;
    std::string gone_tag;
    /// The leader of the others, which removed it.
    size_t leader;
    int64_t removal_index;
  };

  /// Stops a follower, removes it through the leader of the others, and
  /// writes enough values after that the log it lacks is compacted away:
  /// started again, it is caught up by a snapshot. The node stays down.
  removed_while_down remove_while_down() {
    removed_while_down r;
    r.gone = (elected(all()) + 1) % nodes.size();
    r.gone_tag = status(r.gone).node_tag;
    stop(r.gone);
    r.leader = elected(all_but(r.gone));
    r.removal_index = await(change_node(r.leader,
                                        topology_request::kind::remove,
                                        r.gone_tag));
    REQUIRE(r.removal_index > 0);
    write_values(r.leader, 0, 12);
    return r;
  }

  /// The command creating `name` on every node, with `request_id`.
  create_database_command creation_of(const std::string& name,
                                      std::string request_id = "") {
    auto creation = parse_database_creation("", name,
                                            static_cast<int>(nodes.size()));
    REQUIRE(creation);
    return create_database_command{std::move(request_id),
                                   std::move(*creation), 0};
  }

  database_created create_database(size_t via, std::string request_id = "") {
    return await(request<database_created>(nodes[via].actor,
                                           creation_of(db, request_id)));
  }

  /// Puts a compare-exchange value through node `i` (atom::propose).
  answer<command_reply> put_cx(size_t i, const std::string& key,
                               const std::string& value, int64_t index = 0) {
    put_compare_exchange_command cmd;
    cmd.request_id = "sim-" + std::to_string(++next_request);
    cmd.database = db;
    cmd.key = key;
    cmd.value = R"({"Object":)" + value + "}";
    cmd.index = index;
    return request<command_reply>(member(i), atom::propose_v,
                                  encode_command(cmd));
  }

  /// A linearizable read on node `i` (cluster_read).
  std::shared_ptr<read_answer> read_cx(size_t i, const std::string& key) {
    auto out = std::make_shared<read_answer>();
    caf::anon_send(member(i),
                   cluster_read{[out, key](outcome<const cluster_state*> st) {
                     out->done = true;
                     if (!st) {
                       out->error = st.error();
                       return;
                     }
                     auto& machine = **st;
                     if (auto* e = machine.compare_exchange().find(db, key))
                       out->entry = *e;
                     out->last_index = machine.last_index();
                     out->state = machine.encode();
                   }});
    return out;
  }

  std::shared_ptr<read_answer> read_done(size_t i, const std::string& key) {
    auto out = read_cx(i, key);
    REQUIRE(wait_for([&] { return out->done; }));
    REQUIRE_FALSE(out->error);
    return out;
  }

  /// Checks that `group` converged: the same state machine through
  /// linearizable reads, the same published summary.
  void check_converged(const std::vector<size_t>& group) {
    std::vector<std::shared_ptr<read_answer>> reads;
    for (auto i : group)
      reads.push_back(read_done(i, "-"));
    for (size_t k = 1; k < reads.size(); ++k) {
      CHECK(reads[k]->last_index == reads[0]->last_index);
      CHECK(reads[k]->state == reads[0]->state);
    }
    // Summaries follow within a publish period (100 ticks).
    auto lead = leader_of(group);
    REQUIRE(lead);
    CHECK(wait_for(
      [&] {
        for (auto i : group) {
          auto s = summary(i);
          if (s->last_index != reads[0]->last_index
              || s->raft.applied != reads[0]->last_index
              || s->raft.commit != reads[0]->last_index
              || s->raft.leader != status(*lead).node_tag)
            return false;
        }
        return true;
      },
      3s));
    auto first = summary(group[0]);
    for (auto i : group) {
      auto s = summary(i);
      CHECK(s->topology == first->topology);
      CHECK(s->topology_etag == first->topology_etag);
      CHECK(s->databases == first->databases);
      CHECK(s->raft.leader == status(*lead).node_tag);
      CHECK(s->raft.term == status(*lead).term);
      CHECK(s->raft.last_index == reads[0]->last_index);
    }
  }
};

inline std::vector<std::string>
tags_of(const std::map<raft::node_tag, std::string>& m) {
  std::vector<std::string> xs;
  for (auto& [tag, url] : m)
    xs.push_back(tag);
  return xs;
}

} // namespace corvus::test::cluster_sim
