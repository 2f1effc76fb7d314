// The cluster state machine: bootstrap, database records, deletion, and
// persistence as JSON.

#include "runtime/cluster/cluster_state.hpp"

#include <doctest/doctest.h>

using namespace corvus;

namespace {

create_database_command create(const std::string& body,
                               int replication_factor = 1) {
  auto creation = parse_database_creation(body, "", replication_factor);
  REQUIRE(creation);
  return create_database_command{*creation};
}

cluster_state bootstrapped(size_t nodes) {
  cluster_state state;
  REQUIRE(state.apply(bootstrap_command{"A", "http://a:8080", "t-1"}));
  // Further nodes join through Raft later; here the test adds them by
  // restoring a state that lists them.
  if (nodes > 1) {
    std::string json = R"({"TopologyId":"t-1","LastIndex":1,"Nodes":{)";
    for (size_t i = 0; i < nodes; ++i) {
      if (i > 0)
        json += ',';
      auto tag = node_tag_for(i);
      json += "\"" + tag + "\":\"http://" + tag + ":8080\"";
    }
    json += R"(},"Databases":[]})";
    auto restored = cluster_state::from_json(json);
    REQUIRE(restored);
    state = *restored;
  }
  return state;
}

} // namespace

TEST_CASE("node tags run A..Z, then ZA..ZZ, then ZZA") {
  CHECK(node_tag_for(0) == "A");
  CHECK(node_tag_for(25) == "Z");
  CHECK(node_tag_for(26) == "ZA");
  CHECK(node_tag_for(51) == "ZZ");
  CHECK(node_tag_for(52) == "ZZA");
}

TEST_CASE("bootstrapping makes a cluster of one") {
  cluster_state state;
  CHECK_FALSE(state.bootstrapped());
  auto index = state.apply(bootstrap_command{"A", "http://a:8080", "t-1"});
  REQUIRE(index);
  CHECK(*index == 1);
  CHECK(state.bootstrapped());
  CHECK(state.nodes().at("A") == "http://a:8080");
  CHECK_FALSE(state.apply(bootstrap_command{"A", "http://a:8080", "t-2"}));
  CHECK(state.last_index() == 1);
}

TEST_CASE("creating databases picks nodes and refuses duplicates") {
  auto state = bootstrapped(3);
  auto index = state.apply(create(R"({"DatabaseName":"Demo"})", 2));
  REQUIRE(index);
  auto* record = state.find_database("demo");
  REQUIRE(record != nullptr);
  CHECK(record->name == "Demo");
  CHECK(record->topology.members.size() == 2);
  CHECK(record->topology.replication_factor == 2);
  CHECK(record->etag == *index);
  auto again = state.apply(create(R"({"DatabaseName":"DEMO"})"));
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ec::database_already_exists);
  CHECK(state.last_index() == *index);
}

TEST_CASE("the replication factor is capped at the cluster size") {
  auto state = bootstrapped(2);
  REQUIRE(state.apply(create(R"({"DatabaseName":"big"})", 5)));
  CHECK(state.find_database("big")->topology.members.size() == 2);
}

TEST_CASE("explicit members must be cluster nodes") {
  auto state = bootstrapped(3);
  REQUIRE(state.apply(create(
    R"({"DatabaseName":"pinned","Topology":{"Members":["C","A"]}})")));
  CHECK(state.find_database("pinned")->topology.members
        == std::vector<std::string>{"C", "A"});
  auto bad = state.apply(create(
    R"({"DatabaseName":"nowhere","Topology":{"Members":["Q"]}})"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ec::bad_request);
}

TEST_CASE("deleting removes records, or only copies on some nodes") {
  auto state = bootstrapped(3);
  REQUIRE(state.apply(create(R"({"DatabaseName":"one"})", 3)));
  REQUIRE(state.apply(create(R"({"DatabaseName":"two"})", 1)));
  auto index = state.apply(delete_databases_command{{"one"}, {"B"}, true});
  REQUIRE(index);
  auto* one = state.find_database("one");
  REQUIRE(one != nullptr);
  CHECK(one->topology.members.size() == 2);
  CHECK(one->etag == *index);
  REQUIRE(state.apply(delete_databases_command{{"TWO", "missing"}, {}, true}));
  CHECK(state.find_database("two") == nullptr);
  REQUIRE(state.apply(delete_databases_command{{"one"}, {"A", "C"}, true}));
  CHECK(state.find_database("one") == nullptr);
}

TEST_CASE("the state round-trips through JSON") {
  auto state = bootstrapped(3);
  REQUIRE(state.apply(create(R"({"DatabaseName":"kept","Settings":{"X":"1"},
    "ConflictSolverConfig":{"ResolveToLatest":true},
    "Topology":{"DynamicNodesDistribution":true}})", 2)));
  auto restored = cluster_state::from_json(state.to_json());
  REQUIRE(restored);
  CHECK(*restored == state);
  CHECK(restored->find_database("kept")->other_members.find("ResolveToLatest")
        != std::string::npos);
}

TEST_CASE("a corrupt stored state is reported") {
  for (auto bad : {"", "{}", R"({"LastIndex":1})",
                   R"({"LastIndex":1,"Nodes":{},"Databases":[{}]})"}) {
    auto restored = cluster_state::from_json(bad);
    REQUIRE_FALSE(restored);
  }
}
