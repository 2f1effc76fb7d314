// Whole-node simulation (cluster_fixture.hpp). Database records through Raft: a
// change is confirmed once the nodes acted on it, and waits for them end in
// time.

#include "test/actors/cluster/cluster_fixture.hpp"

using namespace corvus;
using namespace corvus::test;
using namespace corvus::test::cluster_sim;

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
