// The document store's in-memory filter of ids (storage/known_ids.hpp):
// it must never hide an id the store holds, whether it was built at open
// while writes went on or grown after the store outgrew it.

#include "storage/document_store.hpp"
#include "storage/known_ids.hpp"

#include "test/storage/store_model.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

using namespace corvus;
using namespace corvus::test;

namespace {

std::string id_of(int n) {
  return "Users/" + std::to_string(n) + "-A";
}

/// Puts ids [from, to) in batches of `batch`, without checking the whole
/// store after each (check_store does that once, at the end).
void put_range(document_store& store, store_model& model, int from, int to,
               int batch = 1000) {
  for (int i = from; i < to;) {
    for (int end = std::min(to, i + batch); i < end; ++i)
      model.put(id_of(i), "Users", R"({"n":)" + std::to_string(i) + "}");
    unwrap(store.apply(model.take(), model.state));
  }
}

/// Waits up to 60 s for the filter's status to satisfy `done`.
id_filter_status
wait_for_filter(const document_store& store,
                const std::function<bool(const id_filter_status&)>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto status = store.id_filter_report();
  while (!done(status) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    status = store.id_filter_report();
  }
  return status;
}

/// Every id of the model is found by get and find; `absent` ids are not.
void check_ids(const document_store& store, const store_model& model,
               int absent) {
  for (auto& [key, rec] : model.records) {
    auto found = unwrap(store.find(key));
    REQUIRE(found);
    CHECK(found->tombstone == rec.tombstone);
    CHECK(unwrap(store.get(key)).has_value() == !rec.tombstone);
  }
  for (int i = 0; i < absent; ++i) {
    CHECK(!unwrap(store.find("orders/" + std::to_string(i))));
    CHECK(!unwrap(store.get("orders/" + std::to_string(i))));
  }
}

} // namespace

TEST_CASE("a new store's id filter is ready at once and spares lookups") {
  mem_env m;
  auto store = open_document_store(m);
  auto status = store->id_filter_report();
  CHECK(status.state == "ready");
  CHECK(status.capacity == known_ids::min_capacity);
  CHECK(status.memory_bytes > 0);
  store_model model{store->state()};
  model.put("a", "C", "{}");
  model.put("b", "C", "{}");
  commit(*store, model);
  model.del("b");
  commit(*store, model);
  auto before = store->id_filter_report().lookups_spared;
  check_ids(*store, model, 100);
  // The filter answers once per find and once per get: about 1 % of the 200
  // questions about absent ids may still go on to LevelDB.
  auto spared = store->id_filter_report().lookups_spared - before;
  CHECK(spared > 186);
  CHECK(spared <= 200);
  auto many = unwrap(store->get_many({"a", "missing", "b"}));
  CHECK(many[0]);
  CHECK(!many[1]);
  CHECK(!many[2]);
}

TEST_CASE("a reopened store builds its id filter while it serves writes") {
  mem_env m;
  store_model model;
  {
    auto store = open_document_store(m);
    model.state = store->state();
    put_range(*store, model, 0, 60000);
  }
  bool overlapped = false;
  // Each round writes new ids and deletes old ones right after the open,
  // while the filter is (most likely) still being built from a snapshot
  // that lacks them.
  for (int round = 0; round < 3; ++round) {
    auto store = open_document_store(m, "/db", false);
    overlapped |= store->id_filter_report().state == "building";
    int base = 60000 + round * 2000;
    for (int i = 0; i < 2000; i += 100) {
      put_range(*store, model, base + i, base + i + 100, 100);
      model.del(id_of(round * 2000 + i));
      unwrap(store->apply(model.take(), model.state));
    }
    auto status = wait_for_filter(
      *store, [](auto& s) { return s.state != "building"; });
    REQUIRE(status.state == "ready");
    CHECK(status.filters == 1);
    CHECK(status.capacity >= 2 * 60000);
    CHECK(status.scanned >= 60000);
    CHECK(status.failure.empty());
    check_ids(*store, model, 200);
    CHECK(store->id_filter_report().lookups_spared > 0);
  }
  check_store(*open_document_store(m, "/db", false), model);
  MESSAGE("writes overlapped a build: " << std::string{overlapped ? "yes" : "no"});
}

TEST_CASE("a store that outgrows its id filter adds a second one") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  const int ids = static_cast<int>(known_ids::min_capacity) + 5000;
  put_range(*store, model, 0, ids);
  auto status = store->id_filter_report();
  CHECK(status.state == "ready");
  CHECK(status.filters == 2);
  CHECK(status.capacity == 2 * known_ids::min_capacity);
  // Updates of known ids take no room.
  for (int i = 0; i < 1000; ++i)
    model.put(id_of(i), "Users", "{}");
  unwrap(store->apply(model.take(), model.state));
  CHECK(store->id_filter_report().filters == 2);
  check_ids(*store, model, 200);
  check_store(*store, model);
  // After a reopen one filter holds them all.
  store.reset();
  store = open_document_store(m, "/db", false);
  status = wait_for_filter(
    *store, [](auto& s) { return s.state != "building"; });
  CHECK(status.filters == 1);
  CHECK(status.capacity == 2 * ids);
  check_ids(*store, model, 200);
}

TEST_CASE("a store with the id filter off reads LevelDB for every id") {
  mem_env m;
  auto opts = m.options();
  opts.id_filter = false;
  auto store = unwrap(document_store::open("/db", opts));
  store_model model{store->state()};
  model.put("a", "C", "{}");
  commit(*store, model);
  check_ids(*store, model, 10);
  auto status = store->id_filter_report();
  CHECK(status.state == "off");
  CHECK(status.lookups_spared == 0);
  CHECK(status.memory_bytes == 0);
}
