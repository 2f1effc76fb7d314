// What the document store keeps for replication (storage/keys.hpp, format
// version 2): conflict versions, the transaction end of every etag, and the
// etags accepted per source database.

#include "storage/document_store.hpp"

#include "test/storage/store_model.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace corvus;
using namespace corvus::test;

namespace {

// @returns the change vectors of the conflict versions of `key`.
std::vector<std::string> conflict_vectors(const document_store& store,
                                          std::string_view key) {
  std::vector<std::string> out;
  for (auto& rec : unwrap(store.conflicts(key)))
    out.push_back(rec.change_vector);
  return out;
}

// A write of `key` in a transaction ending at `transaction_end` (0: the
// write's own etag).
document_write new_document(const std::string& key, int64_t etag,
                            int64_t transaction_end) {
  document_write w;
  w.key = key;
  w.record.id = key;
  w.record.collection = "Users";
  w.record.etag = etag;
  w.record.change_vector = "A:" + std::to_string(etag) + "-x";
  w.record.json = "{}";
  w.transaction_end = transaction_end;
  return w;
}

} // namespace

TEST_CASE("a conflict takes the id out of its collection until resolved") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  model.put("Users/1", "Users", R"({"v":"local"})");
  model.put("users/2", "Users", "{}");
  commit(*store, model);
  model.conflict("users/1", "People", R"({"v":"remote"})");
  commit(*store, model);
  CHECK(!unwrap(store->get("users/1")));
  auto versions = unwrap(store->conflicts("users/1"));
  REQUIRE(versions.size() == 2);
  // The local version first: its change vector sorts before the source's.
  CHECK(versions[0].id == "Users/1");
  CHECK(versions[0].json == R"({"v":"local"})");
  CHECK(versions[0].collection == "Users");
  CHECK(versions[1].json == R"({"v":"remote"})");
  for (auto& rec : versions)
    CHECK((rec.flags & document_flag::conflicted) != 0);
  auto stats = unwrap(store->stats());
  CHECK(stats.document_count == 1);
  CHECK(stats.conflict_count == 2);
  CHECK(stats.conflicted_documents == 1);
  REQUIRE(stats.collections.size() == 1);
  CHECK(stats.collections[0].count == 1);
  SUBCASE("resolved by a document") {
    model.put("Users/1", "Users", R"({"v":"merged"})");
    commit(*store, model);
    CHECK(unwrap(store->get("users/1"))->json == R"({"v":"merged"})");
    CHECK(unwrap(store->stats()).collections[0].count == 2);
  }
  SUBCASE("resolved by a tombstone") {
    model.del("users/1");
    commit(*store, model);
    CHECK(unwrap(store->find("users/1"))->tombstone);
  }
  CHECK(unwrap(store->conflicts("users/1")).empty());
  CHECK(store->conflict_count() == 0);
  CHECK(unwrap(store->stats()).conflicted_documents == 0);
  // The removed versions left the etag order with their keys.
  for (auto& entry : unwrap(store->changes_since(0, 100)))
    CHECK((entry.record.flags & document_flag::conflicted) == 0);
}

TEST_CASE("conflicts begin, grow and end within one batch") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  model.put("a", "Users", "{}");
  model.put("b", "Users", "{}");
  model.del("b");
  commit(*store, model);
  SUBCASE("a document") {
    model.conflict("a", "Users", "{\"r\":1}");
    model.conflict("a", "Users", "{\"r\":2}");
    model.put("a", "Orders", "{\"resolved\":true}");
  }
  SUBCASE("a tombstone, with a deleted version arriving") {
    model.conflict("b", "Users", "");
    model.conflict("b", "Users", "{\"r\":1}");
    commit(*store, model);
    auto versions = unwrap(store->conflicts("b"));
    REQUIRE(versions.size() == 3);
    CHECK(versions[0].tombstone);
    CHECK(versions[1].tombstone);
    CHECK(!versions[2].tombstone);
    model.conflict("b", "Users", "{\"r\":2}");
    model.del("b");
  }
  SUBCASE("one left in conflict") {
    model.conflict("a", "Users", "{\"r\":1}");
    model.put("a", "Users", "{\"resolved\":true}");
    model.conflict("a", "Users", "{\"r\":2}");
  }
  commit(*store, model);
  store.reset();
  store = open_document_store(m, "/db", false);
  check_store(*store, model);
}

TEST_CASE("conflict versions of ids that prefix each other stay apart") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  const std::string ids[] = {"a", std::string{"a\0", 2},
                             std::string{"a\0b", 3}, "ab", "a\x01"};
  for (auto& id : ids)
    model.conflict(id, "C", "{\"id\":\"" + std::to_string(id.size()) + "\"}");
  model.conflict("a", "C", "{}");
  commit(*store, model);
  CHECK(conflict_vectors(*store, "a").size() == 2);
  for (auto& id : ids)
    CHECK(unwrap(store->conflicts(id)).front().id == id);
  CHECK(unwrap(store->conflicts("")).empty());
  CHECK(unwrap(store->conflicts("b")).empty());
}

TEST_CASE("conflict versions are listed in change vector byte order") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  // The source's counter goes from 9 to 10: "B:10-" sorts before "B:9-".
  for (int i = 0; i < 8; ++i)
    model.conflict("other/" + std::to_string(i), "C", "{}");
  model.conflict("x", "C", "{}");
  model.conflict("x", "C", "{}");
  commit(*store, model);
  auto vectors = conflict_vectors(*store, "x");
  REQUIRE(vectors.size() == 2);
  CHECK(vectors[0].substr(0, 5) == "B:10-");
  CHECK(vectors[1].substr(0, 4) == "B:9-");
}

TEST_CASE("transaction ends come with every change") {
  mem_env m;
  auto store = open_document_store(m);
  auto state = store->state();
  state.last_etag = 4;
  // Two transactions in one batch, then a lone write whose end the store
  // derives.
  std::vector<document_write> writes{
    new_document("a", 1, 2), new_document("b", 2, 2),
    new_document("c", 3, 4), new_document("d", 4, 4)};
  unwrap(store->apply(writes, state));
  auto replaced = writes[0].record;
  replaced.json.clear();
  auto again = new_document("a", 5, 0);
  again.replaced = replaced;
  state.last_etag = 5;
  unwrap(store->apply({again}, state));
  std::vector<std::pair<int64_t, int64_t>> ends;
  for (auto& entry : unwrap(store->changes_since(0, 10)))
    ends.emplace_back(entry.record.etag, entry.transaction_end);
  CHECK(ends
        == std::vector<std::pair<int64_t, int64_t>>{
          {2, 2}, {3, 4}, {4, 4}, {5, 5}});
  SUBCASE("an end before the write's etag is refused") {
    auto early = new_document("e", 6, 5);
    state.last_etag = 6;
    auto res = store->apply({early}, state);
    REQUIRE(!res);
    CHECK(res.error().code == ec::internal_error);
    CHECK(store->state().last_etag == 5);
  }
}

TEST_CASE("accepted etags per source survive reopening") {
  mem_env m;
  auto store = open_document_store(m);
  auto state = store->state();
  state.change_vector = "A:0-" + state.db_id;
  state.accepted_etags = {{"8YlB6x2uO0i9qAy6rjaR1w", 17},
                          {"hb0jT0Fq9kS5xJ1wdc7W1g", int64_t{1} << 40}};
  unwrap(store->apply(std::vector<document_write>{}, state));
  CHECK(unwrap(store->stats()).state == state);
  CHECK(unwrap(store->durable_state()) == state);
  store.reset();
  store = open_document_store(m, "/db", false);
  CHECK(store->state() == state);
  state.accepted_etags.erase("8YlB6x2uO0i9qAy6rjaR1w");
  unwrap(store->apply(std::vector<document_write>{}, state));
  CHECK(unwrap(store->stats()).state == state);
  SUBCASE("a source that is no database id is refused") {
    auto bad = state;
    bad.accepted_etags["B"] = 1;
    auto res = store->apply(std::vector<document_write>{}, bad);
    REQUIRE(!res);
    CHECK(res.error().code == ec::internal_error);
    CHECK(store->state() == state);
  }
}

TEST_CASE("removing conflict versions the store does not hold is refused") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  model.conflict("a", "Users", "{}");
  commit(*store, model);
  auto before = model;
  model.put("a", "Users", "{}");
  auto writes = model.take();
  // Removes the one version twice.
  writes[0].removed_conflicts.push_back(writes[0].removed_conflicts[0]);
  auto res = store->apply(writes, model.state);
  REQUIRE(!res);
  CHECK(res.error().code == ec::internal_error);
  check_store(*store, before);
}
