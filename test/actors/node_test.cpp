// The node actor as supervisor under the test coordinator: database
// creation through the cluster state, the published directory, and restart
// with back-off of a database instance whose storage fails.

#include "actors/node/node.hpp"

#include <map>

#include "runtime/documents/document_id.hpp"
#include "storage/data_dir.hpp"
#include "test/fixtures/deterministic_fixture.hpp"
#include "test/fixtures/fault_env.hpp"


using namespace corvus;
using namespace corvus::test;
using namespace std::chrono_literals;

namespace {

struct node_fixture : memory_env, deterministic_fixture {
  std::shared_ptr<node_directory> directory
    = std::make_shared<node_directory>();

  node_actor spawn_node() {
    auto system = system_store::open(system_store_dir("/data"), mem.get());
    REQUIRE(system);
    node_settings s;
    s.data_dir = "/data";
    s.public_url = "http://127.0.0.1:8080";
    s.store.env = &env;
    s.restart_backoff_initial = 500ms;
    s.restart_backoff_max = 4s;
    s.detached_databases = false;
    s.directory = directory;
    s.system = std::shared_ptr<system_store>{std::move(*system)};
    auto raft = raft_store::open(raft_store_dir("/data"), mem.get());
    REQUIRE(raft);
    s.raft.store = std::shared_ptr<raft_store>{std::move(*raft)};
    s.raft.publish = false;
    s.raft.detached_snapshots = false;
    s.detached_member = false;
    s.log = log;
    auto n = sys.spawn(node, std::move(s));
    run();
    return n;
  }

  create_database_command creation(const std::string& name) {
    auto c = parse_database_creation("", name, 1);
    REQUIRE(c);
    return create_database_command{"", std::move(*c), 0};
  }

  std::shared_ptr<const published_database> published(const std::string& name) {
    auto snapshot = directory->current();
    auto i = snapshot->databases.find(fold_case(name));
    return i == snapshot->databases.end() ? nullptr : i->second;
  }

  write_transaction put(const std::string& id) {
    write_command cmd;
    cmd.id = id;
    cmd.document.body = "{}";
    return write_transaction{{cmd}};
  }
};

} // namespace

TEST_CASE_FIXTURE(node_fixture, "a fresh node has no tag until its first "
                                "database makes it a cluster of one") {
  auto n = spawn_node();
  CHECK(directory->current()->node_tag == "?");
  CHECK_FALSE(directory->current()->cluster->bootstrapped());
  auto created = value_of(ask<database_created>(n, creation("Demo")));
  CHECK(created.record.topology.members == std::vector<std::string>{"A"});
  CHECK(created.node_urls == std::vector<std::string>{"http://127.0.0.1:8080"});
  auto snapshot = directory->current();
  CHECK(snapshot->node_tag == "A");
  auto db = published("demo");
  REQUIRE(db != nullptr);
  CHECK(db->ready());
  CHECK(db->name == "Demo");
  CHECK(error_code_of(ask<database_created>(n, creation("DEMO")))
        == ec::database_already_exists);
  self->send_exit(n, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(node_fixture, "the node remembers its tag and databases") {
  {
    auto n = spawn_node();
    value_of(ask<database_created>(n, creation("kept")));
    self->monitor(n);
    self->send_exit(n, caf::exit_reason::user_shutdown);
    run();
    self->receive([](const caf::down_msg&) {});
  }
  auto n = spawn_node();
  CHECK(directory->current()->node_tag == "A");
  auto db = published("kept");
  REQUIRE(db != nullptr);
  CHECK(db->ready());
  self->send_exit(n, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(node_fixture, "a failed instance restarts from storage "
                                "with a doubling back-off") {
  auto n = spawn_node();
  value_of(ask<database_created>(n, creation("demo")));
  auto db = published("demo");
  value_of(ask<transaction_result>(db->actor, put("users/1")));
  env.fail_writes(true);
  CHECK(error_code_of(ask<transaction_result>(db->actor, put("users/2")))
        == ec::storage_failure);
  run();
  auto failed = published("demo");
  REQUIRE(failed != nullptr);
  CHECK_FALSE(failed->ready());
  CHECK(failed->unavailable_reason.find("restarting") != std::string::npos);
  // First retry after 500 ms: the disk still fails, so it fails again.
  advance(499ms);
  CHECK_FALSE(published("demo")->actor);
  advance(1ms);
  CHECK_FALSE(published("demo")->ready());
  // The next retry waits twice as long; the disk is healthy by then.
  env.fail_writes(false);
  advance(999ms);
  CHECK_FALSE(published("demo")->ready());
  advance(1ms);
  auto back = published("demo");
  REQUIRE(back != nullptr);
  REQUIRE(back->ready());
  // What was durable before the failure is still there; the failed write
  // is not.
  CHECK(back->store->get("users/1")->has_value());
  CHECK_FALSE(back->store->get("users/2")->has_value());
  value_of(ask<transaction_result>(back->actor, put("users/3")));
  self->send_exit(n, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(node_fixture, "the node's actors register in its tree; "
                                "restarts are recorded") {
  auto n = spawn_node();
  value_of(ask<database_created>(n, creation("demo")));
  auto registry = directory->current()->registry;
  REQUIRE(registry);
  auto views = value_of(ask<std::vector<actor_view>>(registry, atom::list_v));
  std::map<std::string, actor_view> by_kind;
  for (auto& v : views)
    by_kind[v.kind] = v;
  REQUIRE(by_kind.count("node") == 1);
  REQUIRE(by_kind.count("database") == 1);
  REQUIRE(by_kind.count("storage-committer") == 1);
  CHECK(by_kind["node"].name == "A");
  CHECK(by_kind["database"].parent == by_kind["node"].id);
  CHECK(by_kind["storage-committer"].parent == by_kind["database"].id);
  CHECK(by_kind["database"].state.find(R"("Status":"Ready")")
        != std::string::npos);
  // A failed instance is recorded as a restart, with its reason.
  env.fail_writes(true);
  ask<transaction_result>(published("demo")->actor, put("users/1"));
  run();
  env.fail_writes(false);
  auto restarts = value_of(
    ask<std::vector<restart_view>>(registry, atom::restarts_v));
  REQUIRE(restarts.size() == 1);
  CHECK(restarts[0].kind == "database");
  CHECK(restarts[0].name == "demo");
  CHECK(restarts[0].next_attempt_ms == 500);
  self->send_exit(n, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(node_fixture, "deleting a database stops its instance") {
  auto n = spawn_node();
  value_of(ask<database_created>(n, creation("gone")));
  auto deleted = value_of(ask<databases_deleted>(
    n, delete_databases_command{{}, {"gone", "never-was"}, {}, false},
    caf::timespan{std::chrono::seconds{15}}));
  CHECK(deleted.names == std::vector<std::string>{"gone"});
  CHECK(deleted.nodes == std::vector<std::string>{"A"});
  CHECK(deleted.pending_nodes.empty());
  CHECK(published("gone") == nullptr);
  CHECK(directory->current()->cluster->find_database("gone") == nullptr);
  self->send_exit(n, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(node_fixture, "an orderly stop ends every instance, then "
                                "the node") {
  auto n = spawn_node();
  value_of(ask<database_created>(n, creation("one")));
  value_of(ask<database_created>(n, creation("two")));
  self->monitor(n);
  self->send_exit(n, caf::exit_reason::user_shutdown);
  run();
  self->receive([&](const caf::down_msg& msg) {
    CHECK(msg.reason == caf::exit_reason::user_shutdown);
  });
  CHECK(env.unsynced_bytes() == 0);
}
