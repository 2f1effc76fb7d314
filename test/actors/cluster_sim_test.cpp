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

using namespace corvus;
using namespace corvus::test;
using namespace std::chrono_literals;

namespace {

constexpr auto tick = 10ms;
constexpr auto operation_timeout = 2s;
const std::string db = "Orders";
constexpr size_t snapshot_piece_bytes = 256;

/// The simulated network: who may talk to whom, and the relays. The test
/// flips the cuts; relays consult them for every message.
struct switchboard {
  caf::actor_system* sys = nullptr;
  std::vector<std::string> urls;
  /// Each node's current Raft member; null while the node is down.
  std::vector<caf::actor> members;
  /// Ordered pairs (from, to) whose traffic is lost.
  std::set<std::pair<size_t, size_t>> cuts;
  std::map<std::pair<size_t, size_t>, caf::actor> relays;
  size_t forwarded = 0;
  size_t dropped = 0;
  /// Snapshot traffic seen: pieces and the largest one's bytes, and
  /// snapshots that travelled whole in an envelope.
  size_t snapshot_pieces = 0;
  size_t largest_snapshot_piece = 0;
  size_t whole_snapshots = 0;
  /// Snapshot acknowledgements are lost (a transfer stops moving).
  bool lose_snapshot_acks = false;
  /// A leader's word to a node that it is not in the cluster is lost.
  bool lose_removal_notices = false;
  /// The next this many answers to a follower's forwards (commands and
  /// topology changes) are lost.
  size_t lose_forward_answers = 0;
  /// The first piece of every snapshot arrives damaged (its first byte
  /// changed), and how many did.
  bool damage_snapshots = false;
  size_t damaged_snapshots = 0;

  void maybe_damage(caf::message& msg) {
    if (!damage_snapshots || !msg.match_elements<raft_snapshot_piece>()
        || msg.get_as<raft_snapshot_piece>(0).offset != 0)
      return;
    auto& piece = msg.get_mutable_as<raft_snapshot_piece>(0);
    std::string bytes{piece.bytes.view()};
    bytes[0] = '#';
    piece.bytes = shared_text{std::move(bytes)};
    ++damaged_snapshots;
  }

  void count(const caf::type_erased_tuple& content) {
    if (content.match_elements<raft_snapshot_piece>()) {
      ++snapshot_pieces;
      largest_snapshot_piece
        = std::max(largest_snapshot_piece,
                   content.get_as<raft_snapshot_piece>(0).bytes.size());
    } else if (content.match_elements<raft_envelope>()
               && content.get_as<raft_envelope>(0).msg.type
                    == raft::message_type::install_snapshot) {
      ++whole_snapshots;
    }
  }

  bool open(size_t from, size_t to) const {
    return cuts.count({from, to}) == 0;
  }

  std::optional<size_t> index_of(const std::string& url) const {
    for (size_t i = 0; i < urls.size(); ++i)
      if (urls[i] == url)
        return i;
    return std::nullopt;
  }
};

caf::actor relay_between(const std::shared_ptr<switchboard>& board,
                         size_t from, size_t to);

/// Passes the request the relay from `from` to `to` holds on to node
/// `to`'s member, and its answer back to the requester unless the
/// direction back is cut by then (the requester then times out, as when a
/// connection breaks after the request arrived).
caf::result<caf::message> relay_request(caf::event_based_actor* relay,
                                        std::shared_ptr<switchboard> board,
                                        size_t from, size_t to,
                                        caf::message msg) {
  // A follower forwards a command or a topology change (`forward`, its
  // tag and what it carries; no other request of raft_peer_actor has
  // three parts).
  auto forward = msg.size() == 3 && msg.match_element<std::string>(1)
                 && (msg.match_element<std::string>(2)
                     || msg.match_element<topology_request>(2));
  auto answer = relay->make_response_promise();
  auto back = [relay, board, from, to, forward, answer]() mutable {
    auto lost = forward && board->lose_forward_answers > 0;
    if (lost)
      --board->lose_forward_answers;
    if (lost || !board->open(to, from)) {
      ++board->dropped;
      return;
    }
    ++board->forwarded;
    answer.deliver(relay->current_mailbox_element()->move_content_to_message());
  };
  auto sent = relay->request(board->members[to], caf::infinite,
                             std::move(msg));
  // One handler per kind of answer raft_peer_actor gives; an error (the
  // member stopped, or refused) goes back as it is.
  relay->add_multiplexed_response_handler(
    sent.id(),
    caf::behavior{
      [back](const std::string&) mutable { back(); },
      [back](const command_reply&) mutable { back(); },
      [back](int64_t) mutable { back(); },
      [back](const replication_welcome&) mutable { back(); },
      [back]() mutable { back(); },
      [back](caf::error& err) mutable {
        if (err == caf::sec::unexpected_response)
          FAIL_CHECK("the relay does not know an answer of raft_peer_actor: "
                     << caf::to_string(err));
        back();
      },
    });
  return caf::delegated<caf::message>{};
}

/// Carries traffic from node `from` to node `to`: to that node's current
/// member while the direction is open, nowhere otherwise.
caf::behavior relay(caf::event_based_actor* self,
                    std::shared_ptr<switchboard> board, size_t from,
                    size_t to) {
  self->set_default_handler(
    [self, board, from, to](caf::scheduled_actor* relay,
                            caf::message_view& x)
      -> caf::result<caf::message> {
      auto& target = board->members[to];
      auto& content = x.content();
      auto lost_ack = board->lose_snapshot_acks
                      && content.match_elements<raft_snapshot_ack>();
      auto lost_notice = board->lose_removal_notices
                         && content.match_elements<raft_envelope>()
                         && content.get_as<raft_envelope>(0)
                              .msg.not_in_topology;
      if (!board->open(from, to) || !target || lost_ack || lost_notice) {
        ++board->dropped;
        // Lost on the wire: no answer, a request times out.
        return caf::delegated<caf::message>{};
      }
      ++board->forwarded;
      board->count(content);
      auto msg = x.move_content_to_message();
      board->maybe_damage(msg);
      if (relay->current_message_id().is_request())
        return relay_request(self, board, from, to, std::move(msg));
      // A member answers whoever sent it a message when it has no link of
      // its own to that node (a joining or removed node): that answer
      // crosses the switchboard too, through the relay back.
      caf::send_as(relay_between(board, to, from), target, std::move(msg));
      return caf::delegated<caf::message>{};
    });
  return {
    [](caf::close_atom) {
      // nop: a relay needs one handler to stay alive
    },
  };
}

/// @returns the relay from `from` to `to`, made on first use (and again
///          after a crash killed it, as a new connection).
caf::actor relay_between(const std::shared_ptr<switchboard>& board,
                         size_t from, size_t to) {
  auto& r = board->relays[{from, to}];
  if (!r)
    r = board->sys->spawn(relay, board, from, to);
  return r;
}

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
bool is_actor_named(caf::resumable& job, std::string_view name) {
  auto* actor = dynamic_cast<caf::local_actor*>(&job);
  return actor != nullptr && actor->name() == name;
}

/// The workers of a Raft member that write its snapshots and decode those
/// it receives.
bool is_snapshot_writer(caf::resumable& job) {
  return is_actor_named(job, "snapshot-writer");
}

bool is_snapshot_decoder(caf::resumable& job) {
  return is_actor_named(job, "snapshot-decoder");
}

compare_exchange_result cx_result(const command_reply& reply) {
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

std::vector<std::string> tags_of(const std::map<raft::node_tag,
                                                 std::string>& m) {
  std::vector<std::string> xs;
  for (auto& [tag, url] : m)
    xs.push_back(tag);
  return xs;
}

} // namespace

TEST_CASE_FIXTURE(cluster_fixture, "three nodes form a cluster through "
                                   "topology requests by URL") {
  capture_log();
  form(3);
  auto lead = elected(all());
  // Node 0 founded the cluster as A; the others got B and C in the hello
  // of the leader's link.
  CHECK(lead == 0);
  for (auto i : all()) {
    auto s = summary(i);
    CHECK(s->raft.node_tag == std::string(1, static_cast<char>('A' + i)));
    CHECK(nodes[i].directory->current()->node_tag == s->raft.node_tag);
    CHECK(tags_of(s->topology.members)
          == std::vector<std::string>{"A", "B", "C"});
    CHECK(s->topology.promotables.empty());
    CHECK(s->topology.url_of("B") == nodes[1].url);
    CHECK(s->topology == summary(0)->topology);
    CHECK(s->raft.leader == "A");
    REQUIRE(s->raft.peers.size() == 2);
    for (auto& p : s->raft.peers)
      CHECK(p.connected);
  }
  // The leader sees its followers replicating.
  for (auto& p : status(0).peers)
    CHECK(p.replication == std::string{"replicate"});
  CHECK(board->dropped == 0);
  check_converged(all());
  // A joining node's log follows it from Passive (its configuration does
  // not name it yet) to Follower of the same leader.
  auto lines = log_lines.str();
  for (auto tag : {"B", "C"}) {
    auto passive = lines.find(std::string{"raft-member "} + tag
                              + ": Passive in term 1, leader A");
    auto follower = lines.find(std::string{"raft-member "} + tag
                               + ": Follower in term 1, leader A");
    CHECK(passive != std::string::npos);
    CHECK(follower != std::string::npos);
    CHECK(passive < follower);
  }
}

TEST_CASE_FIXTURE(cluster_fixture, "a peer of another cluster protocol is "
                                   "refused at its hello") {
  form(3);
  auto lead = elected(all());
  REQUIRE(lead == 0);
  auto s = summary(1);
  raft_hello h{raft_protocol_version, s->topology.topology_id, "A", "B",
               nodes[0].url, (tick * 30).count()};
  // The same hello is accepted as it is: only the version differs below.
  CHECK(await(request<std::string>(member(1), h)) == "B");
  h.protocol = raft_protocol_version + 1;
  CHECK(await_error(request<std::string>(member(1), h)) == ec::bad_request);
  h.protocol = 0;
  CHECK(await_error(request<std::string>(member(1), h)) == ec::bad_request);
}

TEST_CASE_FIXTURE(cluster_fixture, "a database created through a follower "
                                   "starts on all three nodes") {
  form(3);
  auto created = create_database(2, "first-try");
  CHECK(created.record.topology.members.size() == 3);
  CHECK(created.node_urls.size() == 3);
  for (auto i : all()) {
    auto snapshot = nodes[i].directory->current();
    CHECK(snapshot->cluster->find_database("orders") != nullptr);
    auto inst = snapshot->databases.find("orders");
    REQUIRE(inst != snapshot->databases.end());
    CHECK(inst->second->ready());
    CHECK(inst->second->name == "Orders");
  }
  // A client that lost the answer sends the same request again, perhaps
  // to another node: it gets the first answer.
  auto retried = create_database(0, "first-try");
  CHECK(retried.index == created.index);
  CHECK(retried.record.topology.members == created.record.topology.members);
  // A second creation of the same name fails, wherever it is asked.
  CHECK(await_error(request<database_created>(
          nodes[1].actor, creation_of("ORDERS", "second")))
        == ec::database_already_exists);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "compare-exchange through a follower is "
                                   "forwarded; a follower's linearizable "
                                   "read sees the leader's latest write") {
  form(3);
  create_database(0);
  auto lead = elected(all());
  REQUIRE(lead == 0);
  // Proposed on follower B: forwarded to A, answered once applied on B.
  auto first = await(put_cx(1, "users/1", R"({"n":1})"));
  auto r1 = cx_result(first);
  CHECK(r1.successful);
  CHECK(r1.index == first.raft_index);
  // A stale index loses, wherever it comes from.
  auto stale = cx_result(await(put_cx(2, "users/1", R"({"n":9})", 1)));
  CHECK_FALSE(stale.successful);
  CHECK(stale.index == first.raft_index);
  // C hears nothing from A while A commits the next write with B.
  board->cuts.insert({0, 2});
  auto second = await(put_cx(0, "users/1", R"({"n":2})", first.raft_index));
  CHECK(cx_result(second).successful);
  CHECK(read_done(0, "users/1")->entry.index == second.raft_index);
  // C's own state is behind; a linearizable read on C still sees the
  // write once the link is back.
  auto c_state = value_of(ask<std::string>(member(2), atom::snapshot_v));
  CHECK(c_state.find("\"Applied\":" + std::to_string(second.raft_index))
        == std::string::npos);
  board->cuts.clear();
  auto seen = read_cx(2, "users/1");
  REQUIRE(wait_for([&] { return seen->done; }));
  REQUIRE_FALSE(seen->error);
  CHECK(seen->entry.index == second.raft_index);
  CHECK(seen->entry.value == R"({"Object":{"n":2}})");
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a command forwarded by a follower "
                                   "whose answer is lost is asked again "
                                   "and applies once") {
  form(3);
  create_database(0);
  auto lead = elected(all());
  auto via = (lead + 1) % 3;
  auto dropped = board->dropped;
  board->lose_forward_answers = 1;
  auto put = put_cx(via, "once", R"({"n":1})");
  // The leader applies the command; its answer is lost on the way back.
  REQUIRE(wait_for([&] { return board->lose_forward_answers == 0; }));
  CHECK(board->dropped == dropped + 1);
  auto first = read_done(lead, "once")->entry.index;
  CHECK(first > 0);
  // The follower asks again after an attempt's time (three election
  // timeouts); the leader answers from its request history.
  pass(500ms);
  CHECK_FALSE(put->has_value());
  auto reply = await(put);
  auto result = cx_result(reply);
  // Applied a second time, the put (expecting no value) would have failed.
  CHECK(result.successful);
  CHECK(result.index == first);
  CHECK(read_done(via, "once")->entry.index == first);
  CHECK(board->dropped == dropped + 1);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a topology change forwarded by a "
                                   "follower whose answer is lost is found "
                                   "done when asked again") {
  form(3);
  auto lead = elected(all());
  auto via = (lead + 1) % 3;
  auto demoted_tag = status((lead + 2) % 3).node_tag;
  board->lose_forward_answers = 1;
  auto demoted = change_node(via, topology_request::kind::demote,
                             demoted_tag);
  REQUIRE(wait_for([&] { return board->lose_forward_answers == 0; }));
  REQUIRE(wait_for([&] {
    return summary(lead)->topology.watchers.count(demoted_tag) > 0;
  }));
  auto changed_at = status(lead).last_index;
  pass(500ms);
  CHECK_FALSE(demoted->has_value());
  // Asked again, the leader finds the node a watcher already: the change
  // is answered as done, not refused ("node C is a watcher"), and made
  // once.
  CHECK(await(demoted) == static_cast<int64_t>(changed_at));
  CHECK(status(lead).last_index == changed_at);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a leader partitioned away steps down; "
                                   "the majority goes on, the minority "
                                   "fails; after healing all converge") {
  form(3);
  create_database(0);
  auto old = elected(all());
  auto old_term = status(old).term;
  auto majority = all_but(old);
  partition({old});
  // Proposed on the old leader just after the cut: it can never commit.
  auto stranded = put_cx(old, "stranded", R"({"n":0})");
  auto fresh = elected(majority);
  CHECK(fresh != old);
  CHECK(status(fresh).term > old_term);
  // Without a majority answering within T, the old leader steps down.
  REQUIRE(wait_for([&] { return status(old).state != "Leader"; }, 1s));
  // The majority commits, through its leader and its follower.
  auto w1 = await(put_cx(fresh, "majority/1", R"({"n":1})"));
  auto w2 = await(put_cx(majority[0] == fresh ? majority[1] : majority[0],
                         "majority/2", R"({"n":2})"));
  CHECK(w2.raft_index > w1.raft_index);
  // The minority finds no leader within the operation timeout.
  auto lost = put_cx(old, "minority", R"({"n":3})");
  pass(operation_timeout - 200ms);
  CHECK_FALSE(lost->has_value());
  CHECK(await_error(lost, 1s) == ec::no_leader);
  // Heal: the old leader follows the new one; its uncommitted entry is
  // replaced by the new leader's log.
  heal();
  REQUIRE(wait_for([&] { return leader_of(all()) == fresh; }));
  CHECK(await_error(stranded) == ec::not_leader);
  CHECK(read_done(old, "majority/2")->entry.index == w2.raft_index);
  CHECK(read_done(old, "stranded")->entry.index == -1);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a command whose entry a new leader "
                                   "replaces is submitted again and applies "
                                   "once") {
  form(3);
  create_database(0);
  auto old = elected(all());
  auto majority = all_but(old);
  partition({old});
  // Accepted by the old leader, which can no longer reach anyone.
  auto stranded = put_cx(old, "stranded", R"({"n":0})");
  auto fresh = elected(majority);
  CHECK(fresh != old);
  // Healed well within the operation timeout: the new leader's log
  // replaces the entry, and the old leader submits the command again.
  heal();
  auto reply = await(stranded);
  CHECK(reply.raft_index > 0);
  CHECK(leader_of(all()) == fresh);
  auto read = read_done(fresh, "stranded");
  CHECK(read->entry.index == reply.raft_index);
  CHECK(read->entry.value == R"({"Object":{"n":0}})");
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a leader that cannot send is replaced; "
                                   "it still follows what it hears") {
  form(3);
  create_database(0);
  auto old = elected(all());
  std::vector<size_t> others;
  for (auto i : all())
    if (i != old) {
      others.push_back(i);
      board->cuts.insert({old, i});
    }
  auto fresh = elected(others);
  CHECK(fresh != old);
  // The new leader's higher term reaches the old one, which follows it.
  REQUIRE(wait_for([&] {
    auto st = status(old);
    return st.state != "Leader" && st.leader == status(fresh).node_tag;
  }));
  // The majority commits without it. (The old leader may not apply this:
  // a leader only tells a follower about commits up to the follower's
  // acknowledged match, and its acknowledgements are lost.)
  auto w = await(put_cx(fresh, "one-way", R"({"n":1})"));
  CHECK(cx_result(w).successful);
  // What it forwards is lost on the way: no leader within the timeout.
  CHECK(await_error(put_cx(old, "one-way/2", R"({"n":2})"),
                    operation_timeout + 1s)
        == ec::no_leader);
  heal();
  CHECK(read_done(old, "one-way")->entry.index == w.raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a node restarted on its stores catches "
                                   "up with what it missed") {
  form(3);
  create_database(0);
  auto before = await(put_cx(1, "users/1", R"({"n":1})"));
  stop(2);
  // A and B go on without C.
  auto while_down = await(put_cx(1, "users/2", R"({"n":2})"));
  auto overwrite = await(put_cx(0, "users/1", R"({"n":3})",
                                before.raft_index));
  CHECK(cx_result(overwrite).successful);
  CHECK(while_down.raft_index > before.raft_index);
  start(2);
  // It comes back as C, with its database, and catches up.
  CHECK(status(2).node_tag == "C");
  auto inst = nodes[2].directory->current()->databases.find("orders");
  REQUIRE(inst != nodes[2].directory->current()->databases.end());
  CHECK(inst->second->ready());
  REQUIRE(applies(2, overwrite.raft_index));
  auto seen = read_done(2, "users/1");
  CHECK(seen->entry.index == overwrite.raft_index);
  CHECK(read_done(2, "users/2")->entry.index == while_down.raft_index);
  // The leader's links reconnected to the new incarnation.
  REQUIRE(wait_for([&] {
    for (auto& p : status(0).peers)
      if (!p.connected)
        return false;
    return true;
  }));
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a node confirms a database change "
                                   "only once its node actor acted on it") {
  form(3);
  // B's member applies what A commits, but B's node actor (which starts
  // the database copy) does not run yet.
  auto b_node = caf::actor_cast<caf::actor_addr>(nodes[1].actor);
  held = [b_node](caf::resumable& job) {
    auto* actor = dynamic_cast<caf::abstract_actor*>(&job);
    return actor != nullptr && actor->address() == b_node;
  };
  auto out = request<database_created>(nodes[0].actor, creation_of(db));
  pass(500ms);
  auto committed = summary(0)->raft.applied;
  CHECK(summary(0)->find_database(db) != nullptr);
  auto b_member = value_of(ask<std::string>(member(1), atom::snapshot_v));
  CHECK(b_member.find("\"Applied\":" + std::to_string(committed))
        != std::string::npos);
  // Applied on B, but B would not find the copy yet: no confirmation.
  CHECK_FALSE(out->has_value());
  held = nullptr;
  auto created = await(out, 1s);
  CHECK(created.record.topology.members.size() == 3);
  // Whoever heard the answer finds the copy on B.
  auto snapshot = nodes[1].directory->current();
  auto inst = snapshot->databases.find("orders");
  REQUIRE(inst != snapshot->databases.end());
  CHECK(inst->second->ready());
}

TEST_CASE_FIXTURE(cluster_fixture, "disabling databases of different "
                                   "groups waits for every node of each") {
  form(3);
  auto create_on = [&](const std::string& name, const std::string& members) {
    auto creation = parse_database_creation(
      R"({"DatabaseName":")" + name + R"(","Topology":{"Members":)" + members
        + "}}",
      name, 0);
    REQUIRE(creation);
    await(request<database_created>(
      nodes[0].actor,
      create_database_command{"", std::move(*creation), 0}));
  };
  create_on("Left", R"(["A","B"])");
  create_on("Right", R"(["B","C"])");
  // C holds a copy of the second only; its node actor does not run yet.
  auto c_node = caf::actor_cast<caf::actor_addr>(nodes[2].actor);
  held = [c_node](caf::resumable& job) {
    auto* actor = dynamic_cast<caf::abstract_actor*>(&job);
    return actor != nullptr && actor->address() == c_node;
  };
  auto out = request<databases_toggled>(
    nodes[0].actor, toggle_databases_command{"", {"Left", "Right"}, true});
  pass(500ms);
  CHECK(summary(0)->find_database("Right")->disabled);
  CHECK_FALSE(out->has_value());
  held = nullptr;
  auto toggled = await(out, 1s);
  CHECK(toggled.names == std::vector<std::string>{"Left", "Right"});
  // Whoever heard the answer finds neither served anywhere.
  for (auto i : all()) {
    auto snapshot = nodes[i].directory->current();
    CHECK(snapshot->databases.count("left") == 0);
    CHECK(snapshot->databases.count("right") == 0);
  }
}

TEST_CASE_FIXTURE(cluster_fixture, "a creation with a node down is "
                                   "answered without waiting for it; the "
                                   "node starts its copy when back") {
  form(3);
  stop(2);
  // C's links failed: it is not waited for (the operation timeout is 2 s).
  auto created = await(request<database_created>(nodes[0].actor,
                                                  creation_of(db)),
                       1s);
  CHECK(created.record.topology.members.size() == 3);
  start(2);
  REQUIRE(applies(2, created.index));
  CHECK(wait_for([&] {
    auto snapshot = nodes[2].directory->current();
    auto inst = snapshot->databases.find("orders");
    return inst != snapshot->databases.end() && inst->second->ready();
  }));
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a creation a connected node does not "
                                   "confirm in time fails with a timeout, "
                                   "though it is committed") {
  form(3);
  // C's links stay up, but nothing gets through.
  partition({2});
  auto out = request<database_created>(nodes[0].actor, creation_of(db));
  CHECK_FALSE(wait_for([&] { return out->has_value(); }, 1500ms));
  CHECK(await_error(out) == ec::timeout);
  CHECK(summary(0)->find_database(db) != nullptr);
  heal();
  CHECK(wait_for([&] {
    return nodes[2].directory->current()->databases.count("orders") > 0;
  }));
}

TEST_CASE_FIXTURE(cluster_fixture, "a deletion waits for the nodes that "
                                   "held copies as long as it is told; "
                                   "those that did not confirm are pending") {
  form(3);
  auto created = create_database(0);
  CHECK(created.record.topology.members.size() == 3);
  auto deletion = [&](caf::timespan confirmation) {
    return request<databases_deleted>(
      nodes[0].actor, delete_databases_command{{}, {db}, {}, false},
      confirmation);
  };
  SUBCASE("all up: confirmed by all") {
    auto deleted = await(deletion(15s), 1s);
    CHECK(deleted.nodes.size() == 3);
    CHECK(deleted.pending_nodes.empty());
    for (auto i : all())
      CHECK(nodes[i].directory->current()->databases.count("orders") == 0);
  }
  SUBCASE("a node down: not waited for, pending; it removes its copy "
          "when back") {
    stop(2);
    auto deleted = await(deletion(15s), 1s);
    CHECK(deleted.pending_nodes == std::vector<std::string>{"C"});
    start(2);
    CHECK(wait_for([&] {
      return nodes[2].directory->current()->databases.count("orders") == 0;
    }));
    CHECK(nodes[2].directory->current()->cluster->find_database(db)
          == nullptr);
  }
  SUBCASE("a silent node: waited for the time given, then pending") {
    partition({2});
    auto out = deletion(3s);
    CHECK_FALSE(wait_for([&] { return out->has_value(); }, 2500ms));
    auto deleted = await(out, 1s);
    CHECK(deleted.pending_nodes == std::vector<std::string>{"C"});
    heal();
    CHECK(wait_for([&] {
      return nodes[2].directory->current()->databases.count("orders") == 0;
    }));
  }
  SUBCASE("no time given: not waited for") {
    auto deleted = await(deletion(caf::timespan::zero()), 1s);
    CHECK(deleted.pending_nodes == std::vector<std::string>{"B", "C"});
  }
}

TEST_CASE_FIXTURE(cluster_fixture, "a wait for nodes ends at the time "
                                   "given, for this node's own entry too") {
  form(3);
  auto lead = elected(all());
  auto far = static_cast<int64_t>(status(lead).last_index) + 100;
  // Nothing proposes that index: every node asked for is late, the
  // member's own entry as much as its peers, once 500 ms passed (the
  // operation timeout is 2 s).
  auto out = request<unconfirmed_nodes>(member(lead), atom::wait_v, far,
                                        std::vector<std::string>{"A", "B"},
                                        caf::timespan{500ms});
  CHECK_FALSE(wait_for([&] { return out->has_value(); }, 400ms));
  auto late = await(out, 300ms);
  std::sort(late.late.begin(), late.late.end());
  CHECK(late.late == std::vector<std::string>{"A", "B"});
  CHECK(late.unreachable.empty());
}

TEST_CASE_FIXTURE(cluster_fixture, "a snapshot reaches a node that fell "
                                   "behind in pieces, never whole, and "
                                   "shows its progress on the way") {
  form(3);
  create_database(0);
  auto pieces_before = board->snapshot_pieces;
  // First the transfer stalls with the window sent and nothing
  // acknowledged: both sides show how far it got.
  auto writes = stall_snapshot_to(2);
  auto leader = elected(all());
  auto leader_tag = status(leader).node_tag;
  auto c_tag = status(2).node_tag;
  // Each node publishes its status now and then.
  REQUIRE(wait_for([&] {
    auto received = transfer(2, leader_tag);
    return received && received->held == 2 * snapshot_piece_bytes
           && transfer(leader, c_tag);
  }));
  auto sent = transfer(leader, c_tag);
  CHECK(sent->sending);
  CHECK_EQ(sent->held, 0u);
  CHECK(sent->size > 2 * snapshot_piece_bytes);
  auto received = transfer(2, leader_tag);
  CHECK_FALSE(received->sending);
  CHECK_EQ(received->size, sent->size);
  CHECK_EQ(received->index, sent->index);
  // The console's raft view shows the same.
  auto c_state = value_of(ask<std::string>(member(2), atom::snapshot_v));
  CHECK(c_state.find("\"SnapshotTransfers\":\"from " + leader_tag + ": "
                     + std::to_string(2 * snapshot_piece_bytes) + " of "
                     + std::to_string(sent->size) + " bytes\"")
        != std::string::npos);
  // Then it is dropped as stalled, sent again, and delivered.
  board->lose_snapshot_acks = false;
  REQUIRE(applies(2, writes.back().raft_index, 30s));
  CHECK(wait_for([&] {
    return !transfer(leader, c_tag) && !transfer(2, leader_tag);
  }));
  CHECK(board->snapshot_pieces - pieces_before > 2);
  CHECK(board->largest_snapshot_piece == snapshot_piece_bytes);
  CHECK(board->whole_snapshots == 0);
  CHECK(read_done(2, "users/0")->entry.index == writes.front().raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a snapshot transfer cut short by a "
                                   "leader change gives way to the new "
                                   "leader's snapshot") {
  form(3);
  create_database(0);
  auto writes = stall_snapshot_to(2);
  auto old = elected(all());
  REQUIRE(old != 2);
  auto old_tag = status(old).node_tag;
  REQUIRE(wait_for([&] {
    auto received = transfer(2, old_tag);
    return received && received->held == 2 * snapshot_piece_bytes;
  }));
  // The leader is cut off with its transfer half way: node 2 cannot win
  // without the entries it lacks, so the other follower leads.
  partition({old});
  board->lose_snapshot_acks = false;
  auto fresh = elected(all_but(old));
  REQUIRE(fresh != 2);
  // A write commits only once node 2 holds it, so this one waits for the
  // new leader's snapshot to arrive and be installed.
  auto after = await(put_cx(fresh, "after", R"({"n":1})"), 30s);
  REQUIRE(applies(2, after.raft_index));
  CHECK_FALSE(transfer(2, old_tag));
  CHECK(read_done(2, "users/0")->entry.index == writes.front().raft_index);
  heal();
  REQUIRE(wait_for([&] { return leader_of(all()) == fresh; }));
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a node sent a snapshot gets a fresh "
                                   "one when the latest is far behind") {
  form(3);
  create_database(0);
  stop(2);
  // Node 2 misses entries that its peers' snapshots then compact away.
  write_values(0, 0, 12);
  // From now on the periodic snapshots never come, so the latest one
  // stays where it is while as much again is written.
  snapshot_every = 1'000'000;
  stop(0);
  stop(1);
  start(0);
  start(1);
  auto leader = elected({0, 1});
  auto old_snapshot = latest_snapshot(leader);
  REQUIRE(old_snapshot > 0);
  auto writes = write_values(leader, 12, 24);
  // While node 2 is down nobody takes a fresh snapshot for it: the core
  // asks for a node's snapshot when the node rejects an append, or when a
  // new snapshot compacted away the entries it needs next (a fresh one
  // then), never as the latest ages.
  pass(2s);
  CHECK_EQ(latest_snapshot(leader), old_snapshot);
  start(2);
  // Once the fresh snapshot is taken, the leader sends it at once, rather
  // than when its core would ask again (an election timeout, 300 ms, on).
  REQUIRE(applies(2, writes.back().raft_index, 400ms));
  // The snapshot it got was taken for it, past every write.
  CHECK(latest_snapshot(leader) >= writes.back().raft_index);
  CHECK(latest_snapshot(2) >= writes.back().raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a follower logs how long its leader "
                                   "was silent") {
  capture_log();
  form(3);
  auto leader = elected(all());
  auto follower = leader == 0 ? 1 : 0;
  auto lead = status(leader);
  auto tag = status(follower).node_tag;
  pass(1s);
  CHECK(log_lines.str().find("no word from leader") == std::string::npos);
  // Longer than one and a half heartbeat periods, shorter than a
  // follower's election timeout.
  board->cuts.insert({leader, follower});
  REQUIRE(wait_for(
    [&] {
      return log_lines.str().find("raft-member " + tag
                                  + ": no word from leader " + lead.node_tag
                                  + " for 1")
             != std::string::npos;
    },
    190ms));
  heal();
  pass(200ms);
  CHECK(status(leader).term == lead.term);
  CHECK(log_lines.str().find("raft-member " + tag + ": heard from leader "
                             + lead.node_tag + " again after ")
        != std::string::npos);
}

TEST_CASE_FIXTURE(cluster_fixture, "a node decoding a snapshot answers its "
                                   "leader meanwhile and is not sent it "
                                   "again") {
  form(3);
  create_database(0);
  auto leader = elected(all());
  auto follower = leader == 0 ? 1 : 0;
  auto behind = 3 - leader - follower;
  stop(behind);
  auto writes = write_values(leader, 0, 12);
  // The snapshot arrives whole; its decoder waits.
  held = is_snapshot_decoder;
  start(behind);
  REQUIRE(wait_for([&] { return waiting(is_snapshot_decoder); }));
  auto pieces = board->snapshot_pieces;
  auto lead = status(leader);
  // Now the leader's only majority is with the node decoding: it keeps
  // hearing from it, three election timeouts long, and sends nothing again.
  stop(follower);
  pass(1s);
  CHECK(status(leader).state == "Leader");
  CHECK(status(leader).term == lead.term);
  CHECK(board->snapshot_pieces == pieces);
  CHECK(status(behind).applied < writes.back().raft_index);
  auto behind_tag = status(behind).node_tag;
  auto sent = transfer(leader, behind_tag);
  REQUIRE(sent);
  CHECK(sent->held == sent->size);
  auto received = transfer(behind, lead.node_tag);
  REQUIRE(received);
  CHECK(received->installing);
  CHECK(received->held == received->size);
  CHECK(value_of(ask<std::string>(member(behind), atom::snapshot_v))
          .find(std::to_string(sent->size) + " bytes, installing")
        != std::string::npos);
  held = nullptr;
  REQUIRE(applies(behind, writes.back().raft_index));
  CHECK(read_done(behind, "users/0")->entry.index
        == writes.front().raft_index);
  // The two commit together.
  auto after = await(put_cx(leader, "after", R"({"n":1})"));
  CHECK(after.raft_index > writes.back().raft_index);
  CHECK(wait_for([&] {
    return !transfer(leader, behind_tag) && !transfer(behind, lead.node_tag);
  }));
  start(follower);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a node's own snapshot finished while it "
                                   "decodes a newer one leaves that one's "
                                   "file") {
  // Node 2 takes no snapshot of its own until it restarts.
  snapshot_every_of[2] = 1'000'000;
  form(3);
  create_database(0);
  auto leader = elected(all());
  REQUIRE(leader != 2);
  write_values(leader, 0, 6);
  stop(2);
  auto writes = write_values(leader, 6, 18);
  // It restarts with a snapshot of what it holds due at once, whose writer
  // waits; then the leader's snapshot arrives, and its decoder waits.
  snapshot_every_of[2] = 4;
  held = [](caf::resumable& job) {
    return is_snapshot_writer(job) || is_snapshot_decoder(job);
  };
  start(2);
  REQUIRE(wait_for([&] {
    return waiting(is_snapshot_writer) && waiting(is_snapshot_decoder);
  }));
  // Its own snapshot is written first. Recording it would remove the file
  // of the one being decoded (a store keeps its latest snapshot's only),
  // which the install would then write again from memory: a gigabyte, on
  // the member's thread.
  held = is_snapshot_decoder;
  run();
  CHECK_FALSE(waiting(is_snapshot_writer));
  pass(1s); // a status is published
  auto decoding = transfer(2, status(leader).node_tag);
  REQUIRE(decoding);
  REQUIRE(decoding->installing);
  CHECK_EQ(raft_files(2, "snapshot-" + std::to_string(decoding->index) + "-")
             .size(),
           1u);
  held = nullptr;
  REQUIRE(applies(2, writes.back().raft_index));
  // The node starts again from what it installed.
  stop(2);
  start(2);
  CHECK(status(2).applied >= static_cast<raft::index_t>(
                                writes.back().raft_index));
  CHECK(read_done(2, "users/17")->entry.index == writes.back().raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a snapshot that arrives unreadable is "
                                   "dropped, and sent again") {
  form(3);
  create_database(0);
  auto leader = elected(all());
  auto behind = leader == 2 ? 1 : 2;
  stop(behind);
  auto writes = write_values(leader, 0, 12);
  board->damage_snapshots = true;
  start(behind);
  auto node = member(behind);
  REQUIRE(wait_for([&] { return board->damaged_snapshots > 0; }));
  pass(1s);
  CHECK_EQ(board->damaged_snapshots, 1u);
  CHECK(status(behind).applied < writes.back().raft_index);
  // The leader holds it as delivered until it stalls (ten election
  // timeouts), then sends it again when its core asks.
  board->damage_snapshots = false;
  REQUIRE(applies(behind, writes.back().raft_index, 5s));
  // The node's member carried on throughout.
  CHECK(member(behind) == node);
  CHECK(read_done(behind, "users/11")->entry.index
        == writes.back().raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a node stopped while a snapshot comes "
                                   "in keeps no part of it and gets it "
                                   "whole later") {
  form(3);
  create_database(0);
  auto writes = stall_snapshot_to(2);
  auto leader_tag = status(elected(all())).node_tag;
  REQUIRE(wait_for([&] {
    auto received = transfer(2, leader_tag);
    return received && received->held > 0;
  }));
  // The pieces so far are in a file of their own, not yet the snapshot's.
  CHECK_EQ(raft_files(2, "partial-").size(), 1u);
  stop(2);
  CHECK(raft_files(2, "partial-").empty());
  board->lose_snapshot_acks = false;
  start(2);
  REQUIRE(applies(2, writes.back().raft_index, 30s));
  CHECK(raft_files(2, "partial-").empty());
  CHECK_FALSE(raft_files(2, "snapshot-").empty());
  CHECK(read_done(2, "users/11")->entry.index == writes.back().raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a restarted leader hands over and "
                                   "rejoins as follower") {
  form(3);
  create_database(1);
  auto old = elected(all());
  auto w1 = await(put_cx(old, "k", R"({"n":1})"));
  stop(old);
  std::vector<size_t> rest;
  for (auto i : all())
    if (i != old)
      rest.push_back(i);
  auto fresh = elected(rest);
  auto w2 = await(put_cx(fresh, "k", R"({"n":2})", w1.raft_index));
  CHECK(cx_result(w2).successful);
  start(old);
  REQUIRE(wait_for([&] { return leader_of(all()) == fresh; }));
  CHECK(read_done(old, "k")->entry.index == w2.raft_index);
  check_converged(all());
}

TEST_CASE_FIXTURE(cluster_fixture, "a node removed while down learns its "
                                   "removal from the snapshot alone when "
                                   "the leader's word is lost, names no "
                                   "leader and takes no cluster command") {
  capture_log();
  form(3);
  // It gets the snapshot, as a watcher.
  auto [gone, gone_tag, leader, removal] = remove_while_down();
  auto rest = all_but(gone);
  board->lose_removal_notices = true;
  auto dropped_before = board->dropped;
  auto log_before = log_lines.str().size();
  start(gone);
  // Asked before it learns its removal, a wait for an index it will never
  // apply ends with the removal, not with its deadline.
  auto early_wait = request<int64_t>(member(gone), atom::wait_v,
                                     static_cast<int64_t>(
                                       status(leader).last_index + 50));
  REQUIRE(wait_for([&] {
    return status(gone).state == "Passive"
           && summary(gone)->topology.members.count(gone_tag) == 0
           && status(gone).applied >= static_cast<raft::index_t>(removal);
  }));
  CHECK(await_error(early_wait, 100ms) == ec::bad_request);
  CHECK(status(gone).leader.empty());
  // Out of the cluster it stays quiet: no campaign disturbs the others.
  pass(1s);
  CHECK(board->dropped > dropped_before);
  CHECK(status(gone).state == "Passive");
  CHECK(status(gone).leader.empty());
  CHECK(leader_of(rest) == leader);
  // It refuses cluster commands, topology changes and reads at once, where
  // it forwarded them to the leader it still knew (which applied them).
  auto leader_log = status(leader).last_index;
  auto refused = put_cx(gone, "after", R"({"n":1})");
  CHECK(await_error(refused, 100ms) == ec::bad_request);
  auto change = change_node(gone, topology_request::kind::demote,
                            status(leader).node_tag);
  CHECK(await_error(change, 100ms) == ec::bad_request);
  auto read = read_cx(gone, "users/0");
  REQUIRE(wait_for([&] { return read->done; }, 100ms));
  REQUIRE(read->error);
  CHECK(read->error->code == ec::bad_request);
  // A wait is refused as it arrives, without a tick.
  auto wait = request<int64_t>(member(gone), atom::wait_v,
                               static_cast<int64_t>(leader_log + 1));
  CHECK(await_error(wait, 0ms) == ec::bad_request);
  // And so are leadership requests, where a reelect went to the old leader
  // (which handed over) and a timeout was answered as done.
  auto leader_term = status(leader).term;
  auto reelect = request_done(member(gone), atom::reelect_v);
  CHECK(await_error(reelect, 0ms) == ec::bad_request);
  CHECK(to_failure(std::get<caf::error>(**reelect)).message.find(
          "was removed from its cluster")
        != std::string::npos);
  CHECK(await_error(request_done(member(gone), atom::election_timeout_v),
                    0ms)
        == ec::bad_request);
  // Past the time a transfer stalls in: the leader sent its latest
  // snapshot (no fresh one just for a node that only has to learn its
  // removal) and did not take the node's silence for a failed install.
  pass(3500ms);
  CHECK(status(leader).last_index == leader_log);
  CHECK(summary(leader)->topology.watchers.empty());
  CHECK(leader_of(rest) == leader);
  CHECK(status(leader).term == leader_term);
  auto lines = log_lines.str().substr(log_before);
  CHECK(lines.find("sends node " + gone_tag + " the snapshot")
        != std::string::npos);
  CHECK(lines.find("a fresh one is taken first") == std::string::npos);
  CHECK(lines.find("did not install") == std::string::npos);
}

TEST_CASE_FIXTURE(cluster_fixture, "a node removed while down that hears "
                                   "from the leader before it learns its "
                                   "removal has its forwards and its "
                                   "reelect refused") {
  form(3);
  create_database(0);
  auto [gone, gone_tag, leader, removal] = remove_while_down();
  auto leader_tag = status(leader).node_tag;
  // The snapshot that would tell it never completes, while the leader's
  // catching up makes it a follower that knows its leader.
  board->lose_snapshot_acks = true;
  start(gone);
  REQUIRE(wait_for([&] { return status(gone).leader == leader_tag; }));
  REQUIRE(status(gone).state == "Follower");
  auto leader_log = read_done(leader, "-")->last_index;
  auto leader_term = status(leader).term;
  CHECK(await_error(request_done(member(gone), atom::reelect_v), 1s)
        == ec::bad_request);
  auto put = put_cx(gone, "stray", R"({"n":1})");
  CHECK(await_error(put, 1s) == ec::bad_request);
  auto other = all_but(gone).front() == leader ? all_but(gone).back()
                                               : all_but(gone).front();
  auto change = change_node(gone, topology_request::kind::demote,
                            status(other).node_tag);
  CHECK(await_error(change, 1s) == ec::bad_request);
  pass(500ms);
  CHECK(leader_of(all_but(gone)) == leader);
  CHECK(status(leader).term == leader_term);
  auto after = read_done(leader, "stray");
  CHECK(after->entry.index == -1);
  CHECK(after->last_index == leader_log);
  CHECK(summary(leader)->topology.watchers.empty());
  // Once the snapshot gets through, the node learns its removal.
  board->lose_snapshot_acks = false;
  REQUIRE(wait_for([&] {
    return status(gone).state == "Passive"
           && summary(gone)->topology.members.count(gone_tag) == 0;
  }, 10s));
}

TEST_CASE_FIXTURE(cluster_fixture, "five nodes: a minority with the leader "
                                   "loses it, the majority elects, healing "
                                   "converges") {
  form(5);
  create_database(3);
  auto old = elected(all());
  // The leader and one follower on one side, three nodes on the other.
  auto buddy = (old + 1) % 5;
  partition({old, buddy});
  std::vector<size_t> majority;
  for (auto i : all())
    if (i != old && i != buddy)
      majority.push_back(i);
  auto fresh = elected(majority);
  auto w = await(put_cx(majority[0], "five", R"({"n":5})"));
  CHECK(cx_result(w).successful);
  CHECK(await_error(put_cx(buddy, "nope", R"({"n":0})"),
                    operation_timeout + 1s)
        == ec::no_leader);
  heal();
  REQUIRE(wait_for([&] { return leader_of(all()) == fresh; }));
  CHECK(read_done(buddy, "five")->entry.index == w.raft_index);
  check_converged(all());
}
