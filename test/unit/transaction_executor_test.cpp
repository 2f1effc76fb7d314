// The transaction core: optimistic concurrency (ravendb-http.md §4.5),
// etags and change vectors (ravendb-internals.md §5.4), generated ids,
// collections and HiLo ranges (§4.6).

#include "runtime/documents/transaction_executor.hpp"

#include "runtime/documents/document_id.hpp"
#include "runtime/documents/timestamp.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <map>
#include <regex>

using namespace corvus;

namespace {

constexpr const char* db_id = "hb0jT0Fq9kS5xJ1wdc7W1g";
constexpr int64_t now = int64_t{1714558830} * ticks_per_second;

// A store as a map; `commit` applies what the executor returned.
struct memory_store : document_lookup {
  std::map<std::string, document_record> records;
  database_state state{db_id, 0, "", {}};

  outcome<std::optional<document_record>> find(std::string_view key,
                                               bool with_body) override {
    auto i = records.find(std::string{key});
    if (i == records.end())
      return std::optional<document_record>{};
    auto r = i->second;
    if (!with_body)
      r.json.clear();
    return std::optional<document_record>{r};
  }

  // These transactions are all local: no id is ever in conflict.
  outcome<std::vector<document_record>> conflicts(std::string_view) override {
    return std::vector<document_record>{};
  }

  template <class T>
  void commit(const executed_transaction<T>& tx) {
    for (auto& w : tx.writes)
      records[w.key] = w.record;
    state = tx.state;
  }
};

write_command put(std::string id, std::string collection = "Users",
                  cv_expectation expected = {}) {
  write_command cmd;
  cmd.kind = command_kind::put;
  cmd.id = std::move(id);
  cmd.expected = std::move(expected);
  cmd.document.collection = std::move(collection);
  cmd.document.body = R"({"name":"x"})";
  return cmd;
}

write_command del(std::string id, cv_expectation expected = {}) {
  write_command cmd;
  cmd.kind = command_kind::del;
  cmd.id = std::move(id);
  cmd.expected = std::move(expected);
  return cmd;
}

cv_expectation must_match(std::string cv) {
  return {cv_expectation::mode::must_match, std::move(cv)};
}

const cv_expectation must_be_new{cv_expectation::mode::must_be_new, {}};

std::string local_cv(int64_t etag) {
  return "A:" + std::to_string(etag) + "-" + db_id;
}

struct fixture {
  memory_store store;
  transaction_executor executor{"A", 42};

  outcome<executed_transaction<transaction_result>>
  run(std::vector<write_command> commands, bool commit = true) {
    auto tx = executor.execute(write_transaction{std::move(commands)},
                               store.state, store, now);
    if (tx && commit)
      store.commit(*tx);
    return tx;
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "a PUT gets the next etag and a change vector") {
  auto tx = run({put("users/1")});
  REQUIRE(tx);
  REQUIRE(tx->writes.size() == 1);
  auto& w = tx->writes[0];
  CHECK(w.key == "users/1");
  CHECK(w.record.etag == 1);
  CHECK(w.record.change_vector == local_cv(1));
  CHECK(w.record.collection == "Users");
  CHECK(w.record.last_modified == now);
  CHECK_FALSE(w.replaced);
  CHECK(tx->state.last_etag == 1);
  CHECK(tx->state.change_vector == local_cv(1));
  auto& r = tx->result.results.at(0);
  CHECK(r.id == "users/1");
  CHECK(r.change_vector == local_cv(1));
  rapidjson::Document json;
  json.Parse(w.record.json.c_str());
  REQUIRE_FALSE(json.HasParseError());
  CHECK(std::string{json["@metadata"]["@id"].GetString()} == "users/1");
  CHECK(std::string{json["@metadata"]["@change-vector"].GetString()}
        == local_cv(1));
}

TEST_CASE_FIXTURE(fixture, "an update replaces the stored version") {
  REQUIRE(run({put("users/1")}));
  auto tx = run({put("USERS/1")});
  REQUIRE(tx);
  auto& w = tx->writes.at(0);
  CHECK(w.key == "users/1");
  REQUIRE(w.replaced);
  CHECK(w.replaced->etag == 1);
  CHECK(w.replaced->json.empty());
  CHECK(w.record.etag == 2);
  CHECK(w.record.id == "USERS/1");
}

TEST_CASE_FIXTURE(fixture, "local writes carry the whole global vector") {
  store.state.change_vector = std::string{"B:9-8YlB6x2uO0i9qAy6rjaR1w, "}
                              + local_cv(0);
  auto tx = run({put("users/1")});
  REQUIRE(tx);
  CHECK(tx->writes[0].record.change_vector
        == std::string{"B:9-8YlB6x2uO0i9qAy6rjaR1w, "} + local_cv(1));
}

TEST_CASE_FIXTURE(fixture, "optimistic concurrency follows the three modes") {
  REQUIRE(run({put("users/1")}));
  SUBCASE("expecting a new document fails when it exists") {
    auto tx = run({put("users/1", "Users", must_be_new)});
    REQUIRE_FALSE(tx);
    CHECK(tx.error().code == ec::concurrency_violation);
    CHECK(tx.error().fields.at(0)
          == std::pair<std::string, std::string>{"Id", "users/1"});
    CHECK(tx.error().fields.at(2).second == local_cv(1));
  }
  SUBCASE("expecting a new document succeeds for a new id") {
    CHECK(run({put("users/2", "Users", must_be_new)}));
  }
  SUBCASE("a matching change vector passes") {
    CHECK(run({put("users/1", "Users", must_match(local_cv(1)))}));
  }
  SUBCASE("a stale change vector fails") {
    auto tx = run({put("users/1", "Users", must_match(local_cv(7)))});
    REQUIRE_FALSE(tx);
    CHECK(tx.error().code == ec::concurrency_violation);
  }
  SUBCASE("a change vector for a missing document fails") {
    auto tx = run({put("users/9", "Users", must_match(local_cv(1)))});
    REQUIRE_FALSE(tx);
    CHECK(tx.error().message.find("does not exist") != std::string::npos);
  }
  SUBCASE("DELETE checks the same way") {
    CHECK_FALSE(run({del("users/1", must_match(local_cv(3)))}));
    CHECK(run({del("users/1", must_match(local_cv(1)))}));
  }
}

TEST_CASE_FIXTURE(fixture, "a failing command aborts the whole transaction") {
  REQUIRE(run({put("users/1")}));
  auto before = store.state;
  auto tx = run({put("users/2"), put("users/1", "Users", must_be_new)});
  REQUIRE_FALSE(tx);
  CHECK(store.state == before);
  CHECK(store.records.count("users/2") == 0);
}

TEST_CASE_FIXTURE(fixture, "DELETE writes a tombstone, or nothing") {
  REQUIRE(run({put("users/1")}));
  auto tx = run({del("users/1")});
  REQUIRE(tx);
  REQUIRE(tx->writes.size() == 1);
  CHECK(tx->writes[0].record.tombstone);
  CHECK(tx->writes[0].record.collection == "Users");
  CHECK(tx->result.results[0].deleted);
  auto again = run({del("users/1")});
  REQUIRE(again);
  CHECK(again->writes.empty());
  CHECK_FALSE(again->result.results[0].deleted);
  // A tombstone counts as missing for "must be new".
  CHECK(run({put("users/1", "Users", must_be_new)}));
}

TEST_CASE_FIXTURE(fixture, "later commands see earlier ones of the same "
                           "transaction") {
  auto tx = run({put("users/1"), del("users/1"), put("users/1")});
  REQUIRE(tx);
  REQUIRE(tx->writes.size() == 3);
  CHECK(tx->writes[1].replaced->etag == 1);
  CHECK(tx->writes[2].replaced->tombstone);
  CHECK(tx->state.last_etag == 3);
}

TEST_CASE_FIXTURE(fixture, "an update cannot change the collection") {
  REQUIRE(run({put("users/1", "Users")}));
  CHECK(run({put("users/1", "users")})); // case-insensitive
  auto tx = run({put("users/1", "Orders")});
  REQUIRE_FALSE(tx);
  CHECK(tx.error().code == ec::collection_mismatch);
  REQUIRE(run({put("plain/1", "")}));
  CHECK(run({put("plain/1", "@empty")}));
  CHECK_FALSE(run({put("plain/1", "Users")}));
}

TEST_CASE_FIXTURE(fixture, "the server generates missing and prefix ids") {
  auto tx = run({put("", ""), put("users/", "Users")});
  REQUIRE(tx);
  auto& guid = tx->result.results[0].id;
  CHECK(std::regex_match(guid, std::regex{"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}"
                                          "-[89ab][0-9a-f]{3}-[0-9a-f]{12}"}));
  CHECK(tx->result.results[1].id == "users/0000000000000000002-A");
  CHECK(tx->writes[1].key == "users/0000000000000000002-a");
}

TEST_CASE_FIXTURE(fixture, "HiLo hands out growing, non-overlapping ranges") {
  auto first = executor.execute(hilo_request{"users", 0, 0, "/", 0},
                                store.state, store, now);
  REQUIRE(first);
  CHECK(first->result.prefix == "users/");
  CHECK(first->result.low == 1);
  CHECK(first->result.high == 32);
  CHECK(first->result.server_tag == "A");
  store.commit(*first);
  auto& doc = store.records.at(fold_case(hilo_document_id("users")));
  CHECK(doc.collection == "@hilo");
  CHECK(doc.json.find(R"("Max":32)") != std::string::npos);
  auto second = executor.execute(hilo_request{"users", 32, now, "/", 32},
                                 store.state, store, now + ticks_per_second);
  REQUIRE(second);
  CHECK(second->result.low == 33);
  CHECK(second->result.high == 33 + 64 - 1);
  store.commit(*second);
  // A client that saw a higher maximum elsewhere starts above it.
  auto third = executor.execute(hilo_request{"users", 0, 0, "/", 500},
                                store.state, store, now);
  REQUIRE(third);
  CHECK(third->result.low == 501);
}

TEST_CASE_FIXTURE(fixture, "HiLo returns shrink only the newest range") {
  auto range = executor.execute(hilo_request{"orders", 0, 0, "/", 0},
                                store.state, store, now);
  REQUIRE(range);
  store.commit(*range);
  auto stale = executor.execute(hilo_return{"orders", 10, 3}, store.state,
                                store, now);
  REQUIRE(stale);
  CHECK(stale->writes.empty());
  auto back = executor.execute(hilo_return{"orders", 32, 5}, store.state,
                               store, now);
  REQUIRE(back);
  REQUIRE(back->writes.size() == 1);
  store.commit(*back);
  auto next = executor.execute(hilo_request{"orders", 0, 0, "/", 0},
                               store.state, store, now);
  REQUIRE(next);
  CHECK(next->result.low == 6);
}

TEST_CASE("HiLo capacity grows when asked often and shrinks when idle") {
  auto s = ticks_per_second;
  CHECK(next_hilo_capacity(0, 0, 100 * s) == 32);
  CHECK(next_hilo_capacity(32, 90 * s, 100 * s) == 64);
  CHECK(next_hilo_capacity(64, 0, 200 * s) == 64);
  CHECK(next_hilo_capacity(64, 0, 1000 * s) == 32);
  CHECK(next_hilo_capacity(1 << 20, 99 * s, 100 * s) == 1 << 20);
}

TEST_CASE_FIXTURE(fixture, "invalid HiLo tags are refused") {
  auto empty = executor.execute(hilo_request{"", 0, 0, "/", 0}, store.state,
                                store, now);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == ec::bad_request);
}
