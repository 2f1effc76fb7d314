// The cluster state machine: applying by Raft index, failures that consume
// their index, request-id dedupe, topology changes and what they do to the
// database groups, node choice, adding nodes to database groups, and
// persistence as JSON.

#include "runtime/cluster/cluster_state.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <vector>

using namespace corvus;

namespace {

/// A topology of `members` members (A, B, ...), then `watchers` watchers
/// and `promotables` promotables, in tag order.
raft::topology cluster_of(size_t members, size_t watchers = 0,
                          size_t promotables = 0) {
  raft::topology t;
  t.topology_id = "t-1";
  auto add = [&](std::map<raft::node_tag, std::string>& to) {
    t.last_node_id = raft::next_node_tag(t.last_node_id);
    to.emplace(t.last_node_id, "http://" + t.last_node_id + ":8080");
  };
  for (size_t i = 0; i < members; ++i)
    add(t.members);
  for (size_t i = 0; i < watchers; ++i)
    add(t.watchers);
  for (size_t i = 0; i < promotables; ++i)
    add(t.promotables);
  return t;
}

cluster_state with_topology(const raft::topology& t) {
  cluster_state state;
  REQUIRE(state.apply_topology(1, t));
  return state;
}

create_database_command create(const std::string& body,
                               int replication_factor = 1,
                               uint64_t offset = 0) {
  auto creation = parse_database_creation(body, "", replication_factor);
  REQUIRE(creation);
  return create_database_command{{}, *creation, offset};
}

put_compare_exchange_command put(std::string key, int64_t index,
                                 std::string id = {}) {
  return {std::move(id), "db", std::move(key), R"({"Object":1})", index};
}

const database_created& created(const apply_outcome& out) {
  REQUIRE(out);
  return std::get<database_created>(*out);
}

} // namespace

TEST_CASE("commands apply at the index their log entry has") {
  auto state = with_topology(cluster_of(1));
  CHECK(state.last_index() == 1);
  auto out = state.apply(4, create(R"({"DatabaseName":"db"})"));
  CHECK(created(out).index == 4);
  CHECK(state.find_database("db")->etag == 4);
  CHECK(state.last_index() == 4);
  // Entries the state machine never sees (no-ops) leave gaps.
  REQUIRE(state.apply(9, put("k", 0)));
  CHECK(state.last_index() == 9);
  CHECK(state.compare_exchange().find("db", "k")->index == 9);
}

TEST_CASE("an index at or below the last applied one is an internal error") {
  auto state = with_topology(cluster_of(1));
  REQUIRE(state.apply(5, create(R"({"DatabaseName":"db"})")));
  auto before = state;
  for (raft::index_t index : {5u, 3u}) {
    auto again = state.apply(index, create(R"({"DatabaseName":"other"})"));
    REQUIRE_FALSE(again);
    CHECK(again.error().code == ec::internal_error);
    auto topology = state.apply_topology(index, cluster_of(2));
    REQUIRE_FALSE(topology);
    CHECK(topology.error().code == ec::internal_error);
  }
  CHECK(state == before);
}

TEST_CASE("a failing command consumes its index and changes nothing else") {
  auto state = with_topology(cluster_of(1));
  REQUIRE(state.apply(2, create(R"({"DatabaseName":"db"})")));
  auto dbs = state.databases();
  auto again = state.apply(3, create(R"({"DatabaseName":"DB"})"));
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ec::database_already_exists);
  CHECK(state.last_index() == 3);
  CHECK(state.databases() == dbs);
  auto nowhere = state.apply(4, put_compare_exchange_command{
                                  {}, "missing", "k", "{}", 0});
  REQUIRE_FALSE(nowhere);
  CHECK(nowhere.error().code == ec::database_does_not_exist);
  CHECK(state.last_index() == 4);
  CHECK(state.compare_exchange().size() == 0);
  REQUIRE(state.apply(5, put("k", 0)));
}

TEST_CASE("a command re-submitted with its request id applies once") {
  auto state = with_topology(cluster_of(1));
  REQUIRE(state.apply(2, create(R"({"DatabaseName":"db"})")));
  auto first = state.apply(3, put("k", 0, "req-1"));
  REQUIRE(first);
  auto values = state.compare_exchange();
  // The retry reaches the log again: same answer, nothing changes but the
  // applied index.
  auto second = state.apply(4, put("k", 0, "req-1"));
  REQUIRE(second);
  CHECK(same_outcome(first, second));
  CHECK(std::get<compare_exchange_result>(*second).successful);
  CHECK(state.compare_exchange() == values);
  CHECK(state.last_index() == 4);
  // Without the id the same command is a new one, and fails on index 0.
  auto third = state.apply(5, put("k", 0));
  REQUIRE(third);
  CHECK_FALSE(std::get<compare_exchange_result>(*third).successful);
  // A failure is remembered too.
  auto dup = create(R"({"DatabaseName":"db"})");
  dup.request_id = "req-2";
  auto failed = state.apply(6, dup);
  REQUIRE_FALSE(failed);
  CHECK(same_outcome(failed, state.apply(7, dup)));
  // "" is RavenDB's "don't care" id: never remembered.
  CHECK(state.history().find("") == nullptr);
  CHECK(state.history().size() == 2);
}

TEST_CASE("the request history forgets the oldest ids beyond its bound") {
  request_history history{2};
  apply_outcome ok{cluster_result{databases_deleted{1, {}, {}, {}}}};
  history.record("a", ok);
  history.record("b", ok);
  history.record("c", ok);
  CHECK(history.find("a") == nullptr);
  REQUIRE(history.find("c") != nullptr);
  CHECK(history.entries().front().first == "b");
  CHECK(request_history{}.capacity() == 1024);
}

TEST_CASE("the topology records nodes with their URL and membership") {
  auto state = with_topology(cluster_of(2, 1, 1));
  CHECK(state.bootstrapped());
  auto& t = state.topology();
  CHECK(t.topology_id == "t-1");
  CHECK(t.members.at("B") == "http://B:8080");
  CHECK(t.watchers.count("C") == 1);
  CHECK(t.promotables.count("D") == 1);
  CHECK(t.last_node_id == "D");
  CHECK_FALSE(cluster_state{}.bootstrapped());
}

TEST_CASE("a node leaving the cluster leaves every database group") {
  auto state = with_topology(cluster_of(3));
  REQUIRE(state.apply(2, create(R"({"DatabaseName":"three"})", 3)));
  REQUIRE(state.apply(3, create(
    R"({"DatabaseName":"onb","Topology":{"Members":["B"]}})")));
  REQUIRE(state.apply(4, create(
    R"({"DatabaseName":"ac","Topology":{"Members":["A","C"],
        "PriorityOrder":["C","A"]}})")));
  REQUIRE(state.apply(5, put_compare_exchange_command{{}, "onb", "k", "{}",
                                                      0}));
  auto smaller = cluster_of(3);
  smaller.members.erase("B");
  REQUIRE(state.apply_topology(6, smaller));
  auto* three = state.find_database("three");
  REQUIRE(three != nullptr);
  CHECK(three->topology.members == std::vector<std::string>{"A", "C"});
  // As RavenDB: an explicit removal sets the factor to what is left.
  CHECK(three->topology.replication_factor == 2);
  CHECK(three->etag == 6);
  // The group had no other node: the database and its values are gone.
  CHECK(state.find_database("onb") == nullptr);
  CHECK(state.compare_exchange().find("onb", "k") == nullptr);
  // Groups without B are untouched.
  CHECK(state.find_database("ac")->etag == 4);
  CHECK(state.find_database("ac")->topology.priority_order
        == std::vector<std::string>{"C", "A"});
  CHECK(state.last_index() == 6);
}

TEST_CASE("promotables and rehabs leave with their node too") {
  auto state = with_topology(cluster_of(3));
  REQUIRE(state.apply(2, create(R"({"DatabaseName":"db"})", 1)));
  // A state as the observer would leave it: A member, B promotable,
  // C rehab.
  auto json = state.encode();
  auto members = json.find(R"("Members":["A"])");
  REQUIRE(members != std::string::npos);
  json.replace(json.find(R"("Promotables":[])"), 16, R"("Promotables":["B"])");
  json.replace(json.find(R"("Rehabs":[])"), 11, R"("Rehabs":["C"])");
  auto restored = cluster_state::decode(json);
  REQUIRE(restored);
  auto smaller = cluster_of(1);
  REQUIRE(restored->apply_topology(3, smaller));
  auto& t = restored->find_database("db")->topology;
  CHECK(t.promotables.empty());
  CHECK(t.rehabs.empty());
  CHECK(t.members == std::vector<std::string>{"A"});
  CHECK(t.replication_factor == 1);
}

TEST_CASE("node choice comes from the command, so every node agrees") {
  auto topology = cluster_of(3, 1, 1); // A B C members, D watcher, E prom.
  for (uint64_t offset : {0u, 1u, 5u, 123456789u}) {
    auto x = with_topology(topology);
    auto y = with_topology(topology);
    auto cmd = create(R"({"DatabaseName":"db"})", 2, offset);
    auto a = created(x.apply(2, cmd));
    auto b = created(y.apply(2, cmd));
    CHECK(a == b);
    CHECK(x == y);
  }
  // Candidates are members and watchers (A B C D), never promotables.
  auto state = with_topology(topology);
  auto out = created(state.apply(2, create(R"({"DatabaseName":"x"})", 3, 2)));
  CHECK(out.record.topology.members
        == std::vector<std::string>{"C", "D", "A"});
  CHECK(out.node_urls
        == std::vector<std::string>{"http://C:8080", "http://D:8080",
                                    "http://A:8080"});
  CHECK(out.record.topology.replication_factor == 3);
}

TEST_CASE("the replication factor is capped at the cluster size") {
  auto state = with_topology(cluster_of(2));
  auto out = created(state.apply(2, create(R"({"DatabaseName":"big"})", 5)));
  CHECK(out.record.topology.members.size() == 2);
  CHECK(out.record.topology.replication_factor == 2);
}

TEST_CASE("too few members and watchers for the factor fails") {
  // Three nodes, but one is promotable: RF 3 cannot be placed.
  auto state = with_topology(cluster_of(2, 0, 1));
  auto out = state.apply(2, create(R"({"DatabaseName":"db"})", 3));
  REQUIRE_FALSE(out);
  CHECK(out.error().code == ec::bad_request);
  auto none = cluster_state{}.apply(1, create(R"({"DatabaseName":"db"})"));
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ec::bad_request);
}

TEST_CASE("explicit members must be distinct cluster nodes") {
  auto state = with_topology(cluster_of(3));
  auto out = created(state.apply(2, create(
    R"({"DatabaseName":"pinned","Topology":{"Members":["C","A"]}})")));
  CHECK(out.record.topology.members == std::vector<std::string>{"C", "A"});
  CHECK(out.record.topology.replication_factor == 2);
  for (auto body :
       {R"({"DatabaseName":"x","Topology":{"Members":["Q"]}})",
        R"({"DatabaseName":"x","Topology":{"Members":["A","A"]}})"}) {
    auto bad = state.apply(state.last_index() + 1, create(body));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ec::bad_request);
  }
}

TEST_CASE("deleting removes records, or only copies on some nodes") {
  auto state = with_topology(cluster_of(3));
  REQUIRE(state.apply(2, create(R"({"DatabaseName":"one"})", 3)));
  REQUIRE(state.apply(3, create(R"({"DatabaseName":"Two"})", 1)));
  REQUIRE(state.apply(4, put_compare_exchange_command{{}, "two", "k", "{}",
                                                      0}));
  auto out = state.apply(5, delete_databases_command{{}, {"one"}, {"B"}});
  REQUIRE(out);
  CHECK(std::get<databases_deleted>(*out)
        == databases_deleted{5, {"one"}, {"B"}, {}});
  auto* one = state.find_database("one");
  REQUIRE(one != nullptr);
  CHECK(one->topology.members.size() == 2);
  CHECK(one->etag == 5);
  out = state.apply(6, delete_databases_command{{}, {"TWO", "missing"}, {}});
  REQUIRE(out);
  CHECK(std::get<databases_deleted>(*out).names
        == std::vector<std::string>{"Two"});
  // The one copy of Two goes from the node that held it.
  CHECK(std::get<databases_deleted>(*out).nodes.size() == 1);
  CHECK(state.find_database("two") == nullptr);
  CHECK(state.compare_exchange().size() == 0);
  // A node without a copy (B's went at 5; Z is no node) fails the whole
  // command, and nothing changes.
  for (auto from : {"B", "Z"}) {
    auto refused = state.apply(
      state.last_index() + 1,
      delete_databases_command{{}, {"one"}, {"A", from}});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ec::bad_request);
    CHECK(refused.error().message.find("no copy on node '"
                                       + std::string{from} + "'")
          != std::string::npos);
    REQUIRE(state.find_database("one") != nullptr);
    CHECK(state.find_database("one")->topology.members.size() == 2);
  }
  REQUIRE(state.apply(state.last_index() + 1,
                      delete_databases_command{{}, {"one"}, {"A", "C"}}));
  CHECK(state.find_database("one") == nullptr);
}

TEST_CASE("disabling and enabling databases keeps their records and copies") {
  auto state = with_topology(cluster_of(3));
  REQUIRE(state.apply(2, create(R"({"DatabaseName":"One"})", 3)));
  REQUIRE(state.apply(3, create(R"({"DatabaseName":"two"})", 1)));
  auto out = state.apply(
    4, toggle_databases_command{{}, {"one", "missing", "ONE"}, true});
  REQUIRE(out);
  CHECK(std::get<databases_toggled>(*out)
        == databases_toggled{4, {"One"}, true});
  auto* one = state.find_database("one");
  REQUIRE(one != nullptr);
  CHECK(one->disabled);
  CHECK(one->etag == 4);
  CHECK(one->topology.members.size() == 3);
  CHECK_FALSE(state.find_database("two")->disabled);
  // Disabling again changes nothing, so the record's etag stays.
  out = state.apply(5, toggle_databases_command{{}, {"one", "two"}, true});
  REQUIRE(out);
  CHECK(std::get<databases_toggled>(*out).names
        == std::vector<std::string>{"One", "two"});
  CHECK(state.find_database("one")->etag == 4);
  CHECK(state.find_database("two")->etag == 5);
  out = state.apply(6, toggle_databases_command{{}, {"One"}, false});
  REQUIRE(out);
  CHECK_FALSE(state.find_database("one")->disabled);
  CHECK(state.find_database("one")->etag == 6);
  CHECK(state.find_database("two")->disabled);
  // The flag survives a snapshot.
  auto decoded = cluster_state::decode(shared_text{state.encode()});
  REQUIRE(decoded);
  CHECK(*decoded == state);
  CHECK(decoded->find_database("two")->disabled);
}

TEST_CASE("adding a node to a database group makes it a member") {
  auto state = with_topology(cluster_of(3));
  REQUIRE(state.apply(2, create(
    R"({"DatabaseName":"Shop","Topology":{"Members":["A"]}})")));
  auto out = state.apply(3, add_database_node_command{{}, "shop", "C", 0});
  REQUIRE(out);
  auto& added = std::get<database_node_added>(*out);
  CHECK(added.index == 3);
  CHECK(added.node_tag == "C");
  CHECK(added.node_url == "http://C:8080");
  CHECK(added.record.name == "Shop");
  auto& record = *state.find_database("shop");
  CHECK(added.record == record);
  CHECK(record.topology.members == std::vector<std::string>{"A", "C"});
  CHECK(record.topology.replication_factor == 2);
  // The topology etag clients compare is the index of the change.
  CHECK(record.etag == 3);
}

TEST_CASE("without a node, one outside the group comes from the offset") {
  // Any cluster node may be chosen, promotables too (§2.4).
  auto topology = cluster_of(3, 1, 1); // A B C members, D watcher, E prom.
  for (auto [offset, expected] : std::vector<std::pair<uint64_t,
                                                       std::string>>{
         {0, "A"}, {1, "C"}, {2, "D"}, {3, "E"}, {4, "A"}, {7, "E"}}) {
    CAPTURE(offset);
    auto state = with_topology(topology);
    REQUIRE(state.apply(2, create(
      R"({"DatabaseName":"db","Topology":{"Members":["B"]}})")));
    auto cmd = add_database_node_command{{}, "db", "", offset};
    auto other = state;
    auto out = state.apply(3, cmd);
    REQUIRE(out);
    CHECK(std::get<database_node_added>(*out).node_tag == expected);
    // Every node applying the command picks the same.
    CHECK(same_outcome(out, other.apply(3, cmd)));
    CHECK(other == state);
  }
}

TEST_CASE("adding a node fails for unknown databases and nodes, and for a "
          "node that already has the database") {
  auto state = with_topology(cluster_of(2));
  REQUIRE(state.apply(2, create(R"({"DatabaseName":"db"})", 2)));
  auto before = state.databases();
  auto missing = state.apply(3, add_database_node_command{{}, "nope", "A"});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ec::database_does_not_exist);
  auto unknown = state.apply(4, add_database_node_command{{}, "db", "Q"});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ec::bad_request);
  CHECK(unknown.error().message == "node 'Q' is not in the cluster");
  auto twice = state.apply(5, add_database_node_command{{}, "DB", "B"});
  REQUIRE_FALSE(twice);
  CHECK(twice.error().code == ec::bad_request);
  CHECK(twice.error().message == "node B already has database 'db'");
  auto full = state.apply(6, add_database_node_command{{}, "db", "", 9});
  REQUIRE_FALSE(full);
  CHECK(full.error().code == ec::bad_request);
  CHECK(state.databases() == before);
  CHECK(state.last_index() == 6);
}

TEST_CASE("an add-node retried with its request id applies once") {
  auto state = with_topology(cluster_of(3));
  REQUIRE(state.apply(2, create(
    R"({"DatabaseName":"db","Topology":{"Members":["A"]}})")));
  auto first = state.apply(3, add_database_node_command{"r-1", "db", "", 0});
  REQUIRE(first);
  CHECK(std::get<database_node_added>(*first).node_tag == "B");
  // The retry's proposer drew another offset: the first outcome stands.
  auto again = state.apply(4, add_database_node_command{"r-1", "db", "", 1});
  CHECK(same_outcome(first, again));
  auto& record = *state.find_database("db");
  CHECK(record.topology.members == std::vector<std::string>{"A", "B"});
  CHECK(record.etag == 3);
}

namespace {

using group_change = change_database_group_command::kind;

change_database_group_command change(group_change what,
                                     std::vector<std::string> nodes = {},
                                     bool setting = false) {
  change_database_group_command cmd;
  cmd.name = "shop";
  cmd.what = what;
  cmd.nodes = std::move(nodes);
  cmd.setting = setting;
  return cmd;
}

change_database_group_command new_topology(std::string body) {
  auto cmd = change(group_change::topology);
  auto t = parse_database_topology(body);
  REQUIRE(t);
  cmd.topology = *t;
  return cmd;
}

/// A cluster of A to D and database "Shop" on A, B and C.
cluster_state shop_on_abc() {
  auto state = with_topology(cluster_of(4));
  REQUIRE(state.apply(2, create(
    R"({"DatabaseName":"Shop","Topology":{"Members":["A","B","C"]}})")));
  return state;
}

const database_record& changed(const apply_outcome& out,
                               const cluster_state& state) {
  REQUIRE(out);
  auto& result = std::get<database_group_changed>(*out);
  auto& record = *state.find_database("shop");
  CHECK(result.record == record);
  // The topology etag clients compare is the index of the change.
  CHECK(record.etag == result.index);
  return record;
}

} // namespace

TEST_CASE("a reorder rearranges every node of the group within its list") {
  auto state = shop_on_abc();
  auto& r = changed(state.apply(3, change(group_change::reorder,
                                          {"C", "A", "B"})),
                    state);
  CHECK(r.topology.members == std::vector<std::string>{"C", "A", "B"});
  CHECK(r.topology.priority_order.empty());
  CHECK(r.etag == 3);
  // A fixed order is also the priority order.
  auto& fixed = changed(state.apply(4, change(group_change::reorder,
                                              {"B", "C", "A"}, true)),
                        state);
  CHECK(fixed.topology.members == std::vector<std::string>{"B", "C", "A"});
  CHECK(fixed.topology.priority_order
        == std::vector<std::string>{"B", "C", "A"});
  // Promotables and rehabs stay what they are.
  REQUIRE(state.apply(5, new_topology(
    R"({"Members":["A"],"Promotables":["B"],"Rehabs":["C"]})")));
  auto& mixed = changed(state.apply(6, change(group_change::reorder,
                                              {"C", "B", "A"})),
                        state);
  CHECK(mixed.topology.members == std::vector<std::string>{"A"});
  CHECK(mixed.topology.promotables == std::vector<std::string>{"B"});
  CHECK(mixed.topology.rehabs == std::vector<std::string>{"C"});
}

TEST_CASE("a reorder that is not the group's nodes, each once, changes "
          "nothing") {
  auto state = shop_on_abc();
  auto before = state.databases();
  for (auto order : std::vector<std::vector<std::string>>{
         {"A", "B"}, {"A", "B", "D"}, {"A", "A", "B", "C"}, {"A", "B", "B"}}) {
    CAPTURE(order.size());
    auto out = state.apply(state.last_index() + 1,
                           change(group_change::reorder, order));
    REQUIRE_FALSE(out);
    CHECK(out.error().code == ec::bad_request);
  }
  auto out = state.apply(10, change(group_change::reorder, {"A", "D", "C"}));
  REQUIRE_FALSE(out);
  CHECK(out.error().message
        == "the new order [A, D, C] must name every node of database 'Shop' "
           "once: A, B, C");
  CHECK(state.databases() == before);
}

TEST_CASE("a promotion makes a promotable or a rehab a member; a member "
          "stays one") {
  auto state = shop_on_abc();
  REQUIRE(state.apply(3, new_topology(
    R"({"Members":["A"],"Promotables":["B"],"Rehabs":["C"]})")));
  auto& r = changed(state.apply(4, change(group_change::promote, {"B"})),
                    state);
  CHECK(r.topology.members == std::vector<std::string>{"A", "B"});
  CHECK(r.topology.promotables.empty());
  changed(state.apply(5, change(group_change::promote, {"C"})), state);
  auto& after = changed(state.apply(6, change(group_change::promote, {"A"})),
                        state);
  CHECK(after.topology.members == std::vector<std::string>{"A", "B", "C"});
  CHECK(after.topology.rehabs.empty());
  auto outside = state.apply(7, change(group_change::promote, {"D"}));
  REQUIRE_FALSE(outside);
  CHECK(outside.error().message
        == "node 'D' has no copy of database 'Shop' to promote");
}

TEST_CASE("a new topology replaces the group, checked against the cluster") {
  auto state = shop_on_abc();
  auto& r = changed(state.apply(3, new_topology(
                      R"({"Members":["D","A"],"Promotables":["B"],)"
                      R"("PriorityOrder":["A"],"ReplicationFactor":9,)"
                      R"("DynamicNodesDistribution":true})")),
                    state);
  CHECK(r.topology.members == std::vector<std::string>{"D", "A"});
  CHECK(r.topology.promotables == std::vector<std::string>{"B"});
  CHECK(r.topology.priority_order == std::vector<std::string>{"A"});
  CHECK(r.topology.dynamic_nodes_distribution);
  // The replication factor is what the group holds, whatever was sent.
  CHECK(r.topology.replication_factor == 3);
  auto before = state.databases();
  for (auto [body, message] : std::vector<std::pair<std::string,
                                                    std::string>>{
         {R"({"Members":["A","Q"]})", "node 'Q' is not in the cluster"},
         {R"({"Members":["A"],"Rehabs":["A"]})", "node 'A' is named twice"},
         {R"({"Promotables":["A"]})", "it needs at least one member"},
         {R"({"Members":["A"],"PriorityOrder":["B"]})",
          "PriorityOrder names node 'B', which has no copy in the new "
          "topology"}}) {
    CAPTURE(body);
    auto out = state.apply(state.last_index() + 1, new_topology(body));
    REQUIRE_FALSE(out);
    CHECK(out.error().code == ec::bad_request);
    CHECK(out.error().message
          == "cannot change the topology of database 'Shop': " + message);
  }
  CHECK(state.databases() == before);
}

TEST_CASE("dynamic distribution and resolve-to-latest are settings of the "
          "record") {
  auto state = with_topology(cluster_of(2));
  REQUIRE(state.apply(2, create(R"({"DatabaseName":"Shop",)"
                                R"("Settings":{"k":"v"}})")));
  auto& on = changed(state.apply(3, change(group_change::dynamic_distribution,
                                           {}, true)),
                     state);
  CHECK(on.topology.dynamic_nodes_distribution);
  auto& latest = changed(state.apply(4, change(group_change::resolve_to_latest,
                                               {}, true)),
                         state);
  CHECK(resolves_to_latest(latest));
  // The record's other members stay as they were.
  CHECK(render_database_record(latest).find(R"("Settings":{"k":"v"})")
        != std::string::npos);
  auto& stored = changed(state.apply(5, change(group_change::resolve_to_latest,
                                               {}, false)),
                         state);
  CHECK_FALSE(resolves_to_latest(stored));
  auto missing = change(group_change::dynamic_distribution);
  missing.name = "nope";
  auto out = state.apply(6, missing);
  REQUIRE_FALSE(out);
  CHECK(out.error().code == ec::database_does_not_exist);
}

TEST_CASE("the state round-trips through its snapshot encoding") {
  auto state = with_topology(cluster_of(3, 1, 1));
  REQUIRE(state.apply(2, create(R"({"DatabaseName":"kept","Settings":{"X":"1"},
    "ConflictSolverConfig":{"ResolveToLatest":true},
    "Topology":{"DynamicNodesDistribution":true}})", 2)));
  REQUIRE(state.apply(3, put_compare_exchange_command{
                           "r-1", "kept", "Users/Ayende",
                           R"({"Object":{"n":1.50,"s":"\u00e9\n"}})", 0}));
  auto dup = create(R"({"DatabaseName":"kept"})");
  dup.request_id = "r-2";
  REQUIRE_FALSE(state.apply(4, dup));
  REQUIRE(state.apply(5, add_database_node_command{"r-3", "kept", "", 0}));
  auto restored = cluster_state::decode(state.encode());
  REQUIRE(restored);
  CHECK(*restored == state);
  CHECK(restored->find_database("kept")->other_members.find("ResolveToLatest")
        != std::string::npos);
  CHECK(restored->compare_exchange().find("kept", "users/ayende")->value
        == R"({"Object":{"n":1.50,"s":"\u00e9\n"}})");
  CHECK(restored->encode() == state.encode());
}

TEST_CASE("the encoding also comes in slices, the same bytes in order") {
  auto state = with_topology(cluster_of(1, 1, 1));
  REQUIRE(state.apply(2, create(R"({"DatabaseName":"kept"})", 2)));
  for (int i = 0; i < 20; ++i)
    REQUIRE(state.apply(3 + i, put_compare_exchange_command{
                                 "r-" + std::to_string(i), "kept",
                                 "k" + std::to_string(i),
                                 R"({"Object":{"n":)" + std::to_string(i)
                                   + "}}",
                                 0}));
  std::vector<std::string> slices;
  state.encode_to(
    [&](std::string_view part) { slices.emplace_back(part); }, 100);
  CHECK(slices.size() > 3);
  std::string joined;
  for (auto& part : slices) {
    // A slice stops at the first value that takes it to 100 bytes or more
    // (the first also holds the JSON line).
    if (&part != &slices.front())
      CHECK(part.size() < 100 + 64);
    joined += part;
  }
  CHECK(joined == state.encode());
}

TEST_CASE("restored values share the snapshot's bytes, which they keep") {
  auto state = with_topology(cluster_of(1, 1, 1));
  REQUIRE(state.apply(2, create(R"({"DatabaseName":"kept"})", 2)));
  REQUIRE(state.apply(3, put_compare_exchange_command{
                           "r-1", "kept", "k", R"({"Object":{"n":1}})", 0}));
  std::optional<cluster_state> restored;
  std::string_view bytes;
  {
    shared_text data{state.encode()};
    bytes = data.view();
    auto decoded = cluster_state::decode(data);
    REQUIRE(decoded);
    restored = std::move(*decoded);
  }
  // The snapshot's text is gone but for what the value holds of it.
  auto value = restored->compare_exchange().find("kept", "k")->value.view();
  CHECK(value == R"({"Object":{"n":1}})");
  CHECK(value.data() >= bytes.data());
  CHECK(value.data() + value.size() <= bytes.data() + bytes.size());
  CHECK(*restored == state);
}

TEST_CASE("a state written before the Raft topology is still read") {
  auto restored = cluster_state::decode(
    R"({"TopologyId":"t-9","LastIndex":2,"Nodes":{"A":"http://a:1"},
        "Databases":[{"Name":"Demo","Disabled":false,"Etag":2,
          "Topology":{"Members":["A"],"Promotables":[],"Rehabs":[],
            "PriorityOrder":[],"ReplicationFactor":1,
            "DynamicNodesDistribution":false},"OtherMembers":{}}]})");
  REQUIRE(restored);
  CHECK(restored->topology().topology_id == "t-9");
  CHECK(restored->topology().members.at("A") == "http://a:1");
  CHECK(restored->topology().last_node_id == "A");
  CHECK(restored->last_index() == 2);
  CHECK(restored->find_database("demo") != nullptr);
}

TEST_CASE("a state written as JSON (format version 1) is still read") {
  auto restored = cluster_state::decode(
    R"({"LastIndex":3,"Topology":{"TopologyId":"t-1","LastNodeId":"A",
          "Members":{"A":"http://a:1"},"Watchers":{},"Promotables":{}},
        "Databases":[{"Name":"Demo","Disabled":false,"Etag":2,
          "Topology":{"Members":["A"],"Promotables":[],"Rehabs":[],
            "PriorityOrder":[],"ReplicationFactor":1,
            "DynamicNodesDistribution":false},"OtherMembers":{}}],
        "CompareExchange":[{"Database":"demo","Values":[
          {"Key":"users/1","Index":3,"Value":"{\"Object\":{\"n\":1.50}}"}]}],
        "RequestHistory":{"Capacity":8,"Entries":[]}})");
  REQUIRE(restored);
  CHECK(restored->last_index() == 3);
  auto* value = restored->compare_exchange().find("demo", "users/1");
  REQUIRE(value != nullptr);
  CHECK(value->index == 3);
  CHECK(value->value == R"({"Object":{"n":1.50}})");
  // Written again, it is in the current format and reads back the same.
  auto again = cluster_state::decode(restored->encode());
  REQUIRE(again);
  CHECK(*again == *restored);
}

TEST_CASE("a damaged snapshot encoding is reported, never half read") {
  auto state = with_topology(cluster_of(3));
  REQUIRE(state.apply(2, create(R"({"DatabaseName":"db"})", 2)));
  for (int i = 0; i < 3; ++i)
    REQUIRE(state.apply(3 + i, put_compare_exchange_command{
                                 "r-" + std::to_string(i), "db",
                                 "k" + std::to_string(i),
                                 R"({"Object":")" + std::string(i * 7, 'v')
                                   + R"("})",
                                 0}));
  auto data = state.encode();
  REQUIRE(cluster_state::decode(data));
  SUBCASE("cut anywhere") {
    for (size_t size = 0; size < data.size(); ++size) {
      CAPTURE(size);
      auto restored = cluster_state::decode(data.substr(0, size));
      REQUIRE_FALSE(restored);
      CHECK(restored.error().code == ec::storage_failure);
    }
  }
  SUBCASE("bytes after the last value") {
    auto restored = cluster_state::decode(data + "x");
    REQUIRE_FALSE(restored);
    CHECK(restored.error().message.find("follow the last") != std::string::npos);
  }
  SUBCASE("a count that promises more values than follow") {
    auto more = data;
    more.replace(more.find(R"("Count":3)"), 9, R"("Count":4)");
    auto restored = cluster_state::decode(more);
    REQUIRE_FALSE(restored);
    CHECK(restored.error().message.find("end early") != std::string::npos);
  }
  SUBCASE("a format a later version wrote") {
    auto later = data;
    later.replace(0, later.find('\n'), "corvus-cluster-state 3");
    auto restored = cluster_state::decode(later);
    REQUIRE_FALSE(restored);
    CHECK(restored.error().message.find("corvus-cluster-state 3")
          != std::string::npos);
  }
}

TEST_CASE("a corrupt stored state is reported") {
  for (auto bad :
       {"", "{}", "[]", R"({"LastIndex":1})",
        R"({"LastIndex":-1,"Topology":{},"Databases":[]})",
        R"({"LastIndex":1,"Nodes":{},"Databases":[{}]})",
        R"({"LastIndex":1,"Topology":{"Members":{"a":"x"}},"Databases":[]})",
        R"({"LastIndex":1,"Topology":{},"Databases":[],
            "CompareExchange":[{"Database":"d","Values":[{"Key":"k"}]}]})",
        R"({"LastIndex":1,"Topology":{},"Databases":[],
            "RequestHistory":{"Entries":[{"Id":"x","Outcome":{}}]}})"}) {
    auto restored = cluster_state::decode(bad);
    REQUIRE_FALSE(restored);
    CHECK(restored.error().code == ec::storage_failure);
  }
}
