// The database instance actor and its committer under the test
// coordinator, on an in-memory LevelDB Env that fails on demand.

#include "actors/database/database.hpp"

#include "test/fixtures/deterministic_fixture.hpp"
#include "test/fixtures/fault_env.hpp"


using namespace corvus;
using namespace corvus::test;

namespace {

write_transaction put(const std::string& id,
                      cv_expectation expected = {}) {
  write_command cmd;
  cmd.kind = command_kind::put;
  cmd.id = id;
  cmd.expected = std::move(expected);
  cmd.document.collection = "Users";
  cmd.document.body = R"({"name":")" + id + R"("})";
  return write_transaction{{cmd}};
}

struct database_fixture : memory_env, deterministic_fixture {

  database_config config() {
    database_config c;
    c.database = "demo";
    c.dir = "/data/databases/demo";
    c.options.create_if_missing = true;
    c.options.env = &env;
    c.node_tag = "A";
    c.seed = 7;
    c.log = log;
    c.detached = false;
    return c;
  }

  database_actor spawn_database() {
    auto db = sys.spawn(database_instance, config());
    run();
    return db;
  }

  std::shared_ptr<document_store> store_of(const database_actor& db) {
    return value_of(ask<std::shared_ptr<document_store>>(db,
                                                         atom::open_store_v));
  }
};

} // namespace

TEST_CASE_FIXTURE(database_fixture, "a committed write is durable and "
                                    "readable from the store") {
  auto db = spawn_database();
  auto store = store_of(db);
  auto result = value_of(ask<transaction_result>(db, put("users/1")));
  REQUIRE(result.results.size() == 1);
  auto& r = result.results[0];
  CHECK(r.id == "users/1");
  CHECK(r.change_vector == "A:1-" + store->state().db_id);
  auto doc = store->get("users/1");
  REQUIRE(doc);
  REQUIRE(*doc);
  CHECK((*doc)->change_vector == r.change_vector);
  CHECK(env.unsynced_bytes() == 0);
  self->send_exit(db, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(database_fixture, "a failed concurrency check answers the "
                                    "client and changes nothing") {
  auto db = spawn_database();
  auto store = store_of(db);
  value_of(ask<transaction_result>(db, put("users/1")));
  auto answer = ask<transaction_result>(
    db, put("users/1", {cv_expectation::mode::must_be_new, {}}));
  CHECK(error_code_of(answer) == ec::concurrency_violation);
  CHECK(store->state().last_etag == 1);
  self->send_exit(db, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(database_fixture, "transactions that queue up share one "
                                    "sync") {
  auto db = spawn_database();
  auto store = store_of(db);
  auto syncs_before = env.syncs();
  std::vector<answer<transaction_result>> answers;
  for (int i = 0; i < 5; ++i)
    answers.push_back(request<transaction_result>(
      db, put("users/" + std::to_string(i))));
  // One of them fails its check; the others still commit.
  answers.push_back(request<transaction_result>(
    db, put("users/0", {cv_expectation::mode::must_match, "A:99-x"})));
  run();
  for (int i = 0; i < 5; ++i)
    CHECK(value_of(std::move(**answers[i])).results[0].id
          == "users/" + std::to_string(i));
  CHECK(error_code_of(**answers[5]) == ec::concurrency_violation);
  // All five reach the committer before it drains: one batch, one sync.
  CHECK(env.syncs() - syncs_before == 1);
  CHECK(store->state().last_etag == 5);
  self->send_exit(db, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(database_fixture, "a transaction reads the writes still "
                                    "on their way to disk") {
  auto db = spawn_database();
  auto store = store_of(db);
  auto syncs_before = env.syncs();
  auto first = request<transaction_result>(db, put("users/1"));
  // Checked against the first write, which no sync made durable yet.
  auto second = request<transaction_result>(
    db, put("users/1", {cv_expectation::mode::must_match,
                        "A:1-" + store->state().db_id}));
  auto stale = request<transaction_result>(
    db, put("users/1", {cv_expectation::mode::must_match,
                        "A:1-" + store->state().db_id}));
  run();
  auto db_id = store->state().db_id;
  CHECK(value_of(std::move(**first)).results[0].change_vector
        == "A:1-" + db_id);
  CHECK(value_of(std::move(**second)).results[0].change_vector
        == "A:2-" + db_id);
  CHECK(error_code_of(**stale) == ec::concurrency_violation);
  // Both writes of the id went down in one batch, the second replacing the
  // first: one version and one etag entry are left.
  CHECK(env.syncs() - syncs_before == 1);
  auto doc = store->get("users/1");
  REQUIRE(doc);
  REQUIRE(*doc);
  CHECK((*doc)->etag == 2);
  auto changes = store->changes_since(0, 10);
  REQUIRE(changes);
  REQUIRE(changes->size() == 1);
  CHECK((*changes)[0].record.etag == 2);
  self->send_exit(db, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(database_fixture, "HiLo ranges are durable like documents") {
  auto db = spawn_database();
  auto range = value_of(ask<hilo_range>(db, hilo_request{"users", 0, 0, "/",
                                                         0}));
  CHECK(range.low == 1);
  CHECK(range.high == 32);
  CHECK(range.server_tag == "A");
  auto out = std::make_shared<bool>(false);
  sys.spawn([=](caf::event_based_actor* client) {
    client->request(db, caf::infinite, hilo_return{"users", 32, 4})
      .then([=] { *out = true; });
  });
  run();
  CHECK(*out);
  auto next = value_of(ask<hilo_range>(db, hilo_request{"users", 0, 0, "/",
                                                        0}));
  CHECK(next.low == 5);
  self->send_exit(db, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(database_fixture, "a storage failure fails the group and "
                                    "ends instance and committer") {
  auto db = spawn_database();
  store_of(db);
  self->monitor(db);
  env.fail_writes(true);
  auto answer = ask<transaction_result>(db, put("users/1"));
  CHECK(error_code_of(answer) == ec::storage_failure);
  run();
  self->receive([&](const caf::down_msg& msg) {
    CHECK(msg.source == db.address());
    CHECK(to_failure(msg.reason).code == ec::storage_failure);
  });
}

TEST_CASE_FIXTURE(database_fixture, "an orderly stop commits accepted work "
                                    "and refuses new work") {
  auto db = spawn_database();
  auto store = store_of(db);
  self->monitor(db);
  // Helpers act in spawn order: the instance sees request, stop, request.
  auto accepted = request<transaction_result>(db, put("users/1"));
  sys.spawn([db](caf::event_based_actor* supervisor) {
    supervisor->send_exit(db, caf::exit_reason::user_shutdown);
  });
  auto refused = request<transaction_result>(db, put("users/2"));
  run();
  CHECK(value_of(std::move(**accepted)).results[0].id == "users/1");
  REQUIRE(refused->has_value());
  CHECK(error_code_of(**refused) == ec::shutting_down);
  self->receive([&](const caf::down_msg& msg) {
    CHECK(msg.reason == caf::exit_reason::user_shutdown);
  });
  // Everything accepted is durable once the instance is gone.
  CHECK(env.unsynced_bytes() == 0);
  CHECK(store->state().last_etag == 1);
}

TEST_CASE_FIXTURE(database_fixture, "a store that cannot be opened ends the "
                                    "instance with the reason") {
  env.fail_writes(true);
  auto db = sys.spawn(database_instance, config());
  self->monitor(db);
  run();
  self->receive([&](const caf::down_msg& msg) {
    CHECK(to_failure(msg.reason).code == ec::storage_failure);
  });
}

TEST_CASE_FIXTURE(database_fixture, "local requests are answered through "
                                    "their callback once durable") {
  auto db = spawn_database();
  auto store = store_of(db);
  std::vector<outcome<transaction_result>> answers;
  auto reply = [&answers](outcome<transaction_result> r) {
    answers.push_back(std::move(r));
  };
  self->send(db, local_write{put("users/1"), reply});
  self->send(db, local_write{put("users/1", {cv_expectation::mode::must_be_new,
                                             {}}),
                             reply});
  run();
  REQUIRE(answers.size() == 2);
  // The failed check is answered first, at once; the write once durable.
  REQUIRE_FALSE(answers[0]);
  CHECK(answers[0].error().code == ec::concurrency_violation);
  REQUIRE(answers[1]);
  CHECK(answers[1]->results[0].change_vector
        == (*store->get("users/1"))->change_vector);
  self->send_exit(db, caf::exit_reason::user_shutdown);
}

TEST_CASE_FIXTURE(database_fixture, "a storage failure reaches local and "
                                    "actor clients alike") {
  auto db = spawn_database();
  store_of(db);
  env.fail_writes(true);
  std::optional<outcome<transaction_result>> local;
  self->send(db, local_write{put("users/1"),
                             [&local](outcome<transaction_result> r) {
                               local = std::move(r);
                             }});
  auto remote = request<transaction_result>(db, put("users/2"));
  run();
  REQUIRE(local.has_value());
  REQUIRE_FALSE(*local);
  CHECK(local->error().code == ec::storage_failure);
  REQUIRE(remote->has_value());
  CHECK(error_code_of(**remote) == ec::storage_failure);
}
