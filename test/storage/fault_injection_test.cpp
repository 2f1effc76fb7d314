// The document store under failing I/O and simulated power loss
// (test/fixtures/fault_env.hpp): a failed apply changes nothing visible, a
// synced apply that returned success survives a crash, and a crash never
// leaves part of a batch behind.

#include "storage/document_store.hpp"

#include "test/fixtures/fault_env.hpp"
#include "test/storage/store_model.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using namespace corvus;
using namespace corvus::test;

namespace {

struct fault_fixture {
  mem_env mem;
  fault_env env{mem.env.get()};
  /// What the stores read their logs through when logs are zero-filled.
  log_tail_env tail{&env};
  /// When not 0, logs end in this many zeros after a crash, as Corvus
  /// writes them on real files (storage/real_files.hpp); otherwise they are
  /// plain appended files.
  uint64_t zero_tail = 0;

  store_options options(bool sync) {
    auto opts = mem.options();
    opts.env = zero_tail > 0 ? static_cast<leveldb::Env*>(&tail) : &env;
    opts.sync = sync;
    // Small memtables: flushes and compactions happen while writing.
    opts.write_buffer_size = 32 << 10;
    return opts;
  }

  std::shared_ptr<document_store> open(bool sync,
                                       size_t write_buffer = 32 << 10) {
    auto opts = options(sync);
    opts.write_buffer_size = write_buffer;
    return unwrap(document_store::open("/db", opts));
  }
};

// Adds a batch of random writes (conflict versions too) over a small key
// space to `model`.
void random_batch(std::mt19937_64& rng, store_model& model) {
  static const char* collections[] = {"Users", "Orders", "users", "@empty"};
  auto n = 1 + rng() % 40;
  for (size_t i = 0; i < n; ++i) {
    auto id = "items/" + std::to_string(rng() % 60);
    auto kind = rng() % 10;
    if (kind < 2)
      model.del(id);
    else if (kind == 2)
      model.conflict(id, collections[rng() % 4],
                     "{\"r\":" + std::to_string(rng() % 100) + "}");
    else
      model.put(id, collections[rng() % 4],
                "{\"v\":\"" + std::string(rng() % 1500, 'a' + rng() % 26)
                  + "\"}");
  }
}

} // namespace

TEST_CASE_FIXTURE(fault_fixture, "a failed write changes nothing visible") {
  auto store = open(true);
  store_model model{store->state()};
  model.put("a", "Users", "{}");
  unwrap(store->apply(model.take(), model.state));
  auto before = model;
  model.put("b", "Users", "{}");
  model.del("a");
  auto writes = model.take();
  SUBCASE("the write fails") {
    env.fail_writes(true);
  }
  SUBCASE("the sync fails") {
    env.fail_syncs(true);
  }
  auto res = store->apply(writes, model.state);
  REQUIRE(!res);
  CHECK(env.injected_failures() > 0);
  CHECK(res.error().code == ec::storage_failure);
  CHECK(res.error().message.find("injected") != std::string::npos);
  CHECK(store->state() == before.state);
  check_store(*store, before);
  // LevelDB cannot tell how much of the failed batch reached its log; the
  // store refuses to write on top of that until reopened.
  env.fail_writes(false);
  env.fail_syncs(false);
  auto again = store->apply(writes, model.state);
  REQUIRE(!again);
  CHECK(again.error().message.find("reopen") != std::string::npos);
  store.reset();
  REQUIRE(env.crash().ok());
  store = open(true);
  check_store(*store, before);
  // Writing works again after recovery.
  before.put("c", "Orders", "{}");
  unwrap(store->apply(before.take(), before.state));
  check_store(*store, before);
}

TEST_CASE_FIXTURE(fault_fixture,
                  "unsynced applies survive a process crash") {
  store_model model;
  {
    auto store = open(false);
    model.state = store->state();
    for (int i = 0; i < 50; ++i) {
      model.put("a/" + std::to_string(i), "Users", std::string(900, 'x'));
      unwrap(store->apply(model.take(), model.state));
    }
    CHECK(env.unsynced_bytes() > 0);
  }
  // The operating system still holds what was written: no env.crash().
  auto store = open(true);
  check_store(*store, model);
}

TEST_CASE_FIXTURE(fault_fixture,
                  "a failed sync is all or nothing after reopen without "
                  "crash") {
  auto store = open(true);
  store_model model{store->state()};
  model.put("a", "Users", "{}");
  unwrap(store->apply(model.take(), model.state));
  auto before = model;
  for (int i = 0; i < 10; ++i)
    model.put("b/" + std::to_string(i), "Users", "{}");
  env.fail_syncs(true);
  REQUIRE(!store->apply(model.take(), model.state));
  env.fail_syncs(false);
  store.reset();
  // The batch reached the log but was never acknowledged: it may come
  // back whole, never in part.
  store = open(true);
  if (store->state() == before.state)
    check_store(*store, before);
  else
    check_store(*store, model);
}

TEST_CASE_FIXTURE(fault_fixture,
                  "synced applies survive crashes; unsynced ones vanish "
                  "whole") {
  std::mt19937_64 rng{20240501};
  SUBCASE("appended logs") {}
  SUBCASE("zero-filled logs") {
    // Past a block's end, so that intact-looking block starts are searched.
    zero_tail = 40 << 10;
  }
  auto store = open(true);
  // models[k]: what the store holds after the k-th apply. Crash recovery
  // must land on one of them, at or after the last acknowledged synced one.
  std::vector<store_model> models{store_model{store->state()}};
  size_t acked = 0;
  size_t failed_applies = 0;
  for (int cycle = 0; cycle < 25; ++cycle) {
    INFO("cycle " << cycle);
    // A torn crash keeps a random part of every unsynced tail.
    auto torn = rng() % 2 == 0;
    bool broken = false;
    // Synced phase: every success is a promise to the client. Failures are
    // injected now and then.
    for (int i = 0; i < 8 && !broken; ++i) {
      auto model = models.back();
      random_batch(rng, model);
      auto inject = rng() % 12 == 0;
      if (inject)
        (rng() % 2 == 0 ? env.fail_syncs(true) : env.fail_writes(true));
      auto res = store->apply(model.take(), model.state);
      env.fail_syncs(false);
      env.fail_writes(false);
      if (res) {
        CHECK(!inject);
        models.push_back(std::move(model));
        acked = models.size() - 1;
      } else {
        REQUIRE(inject);
        ++failed_applies;
        CHECK(store->state() == models.back().state);
        // Not acknowledged, but it may have reached the log whole.
        models.push_back(std::move(model));
        broken = true;
      }
    }
    // Unsynced phase: these may be lost, but never in part. LevelDB does
    // not sync a log when it moves on to the next one, so a torn crash
    // could keep a later log's batches and lose an earlier log's tail;
    // torn cycles therefore keep to one log (a large memtable).
    if (!broken) {
      store.reset();
      store = open(false, torn ? 16 << 20 : 32 << 10);
      for (int i = 0; i < 6; ++i) {
        auto model = models.back();
        random_batch(rng, model);
        unwrap(store->apply(model.take(), model.state));
        models.push_back(std::move(model));
      }
      check_store(*store, models.back());
    }
    store.reset();
    REQUIRE(env.crash(torn ? &rng : nullptr, zero_tail).ok());
    store = open(true);
    auto recovered = store->state().last_etag;
    size_t k = models.size();
    for (size_t j = 0; j < models.size(); ++j)
      if (models[j].state.last_etag == recovered)
        k = j;
    REQUIRE(k < models.size());
    CHECK(k >= acked);
    check_store(*store, models[k]);
    models.resize(k + 1);
    acked = k;
  }
  // The seed above does inject failures; keep it that way when changing it.
  CHECK(failed_applies > 0);
}
