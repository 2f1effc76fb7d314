#include "storage/document_store.hpp"

#include "storage/keys.hpp"
#include "test/storage/store_model.hpp"

#include <doctest/doctest.h>

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>

using namespace corvus;
using namespace corvus::test;

namespace {

bool base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
         || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

} // namespace

TEST_CASE("a new store has a database id like RavenDB's and nothing else") {
  mem_env m;
  auto store = open_document_store(m);
  auto& id = store->state().db_id;
  CHECK(id.size() == 22);
  CHECK(std::all_of(id.begin(), id.end(), base64_char));
  // 128 bits in 22 characters: the last one carries 2 bits.
  CHECK(std::string{"AQgw"}.find(id.back()) != std::string::npos);
  CHECK(store->state().last_etag == 0);
  CHECK(store->state().change_vector.empty());
  auto other = open_document_store(m, "/other");
  CHECK(other->state().db_id != id);
  auto stats = unwrap(store->stats());
  CHECK(stats.state == store->state());
  CHECK(stats.document_count == 0);
  CHECK(stats.tombstone_count == 0);
  CHECK(stats.collections.empty());
  CHECK(stats.size_on_disk > 0);
}

TEST_CASE("documents round trip with every field") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  model.put("Users/1-A", "Users", R"({"name":"Ann"})");
  model.put("Пользователь/Ä-😀", "Люди", R"({"name":"Юрий"})");
  model.put("plain", empty_collection, "{}");
  commit(*store, model);
  auto rec = unwrap(store->get("users/1-a"));
  REQUIRE(rec);
  CHECK(rec->id == "Users/1-A");
  CHECK(rec->collection == "Users");
  CHECK(rec->etag == 1);
  CHECK(rec->change_vector == "A:1-" + store->state().db_id);
  CHECK(rec->json == R"({"name":"Ann"})");
  CHECK(!unwrap(store->get("missing")));
  CHECK(!unwrap(store->find("missing")));
  auto many = unwrap(store->get_many({"plain", "missing", "users/1-a"}));
  REQUIRE(many.size() == 3);
  CHECK(many[0]->id == "plain");
  CHECK(!many[1]);
  CHECK(many[2]->id == "Users/1-A");
}

TEST_CASE("find returns documents and tombstones, bodies on request") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  model.put("a", "C", R"({"big":")" + std::string(5000, 'x') + "\"}");
  model.put("b", "C", "{}");
  commit(*store, model);
  model.del("b");
  commit(*store, model);
  auto a = unwrap(store->find("a"));
  REQUIRE(a);
  CHECK(a->json.empty());
  CHECK(!a->tombstone);
  CHECK(a->etag == 1);
  auto b = unwrap(store->find("b"));
  REQUIRE(b);
  CHECK(b->tombstone);
  CHECK(b->etag == 3);
  CHECK(!unwrap(store->get("b")));
  // Asked for bodies: the document's, and a tombstone as before.
  auto full = unwrap(store->find("a", true));
  REQUIRE(full);
  CHECK(full->json.size() > 5000);
  CHECK(full->etag == 1);
  auto gone = unwrap(store->find("b", true));
  REQUIRE(gone);
  CHECK(gone->tombstone);
  CHECK(gone->json.empty());
  CHECK(!unwrap(store->find("missing", true)));
}

TEST_CASE("changes come in etag order with tombstones and bodies") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  for (int i = 0; i < 20; ++i)
    model.put("doc/" + std::to_string(i), "Docs", std::to_string(i));
  commit(*store, model);
  model.put("doc/3", "Docs", "\"again\"");
  model.del("doc/5");
  commit(*store, model);
  auto all = unwrap(store->changes_since(0, 100));
  REQUIRE(all.size() == 20);
  for (size_t i = 1; i < all.size(); ++i)
    CHECK(all[i - 1].record.etag < all[i].record.etag);
  CHECK(all[18].record.id == "doc/3");
  CHECK(all[18].record.json == "\"again\"");
  CHECK(all[19].record.id == "doc/5");
  CHECK(all[19].record.tombstone);
  auto page = unwrap(store->changes_since(10, 3));
  REQUIRE(page.size() == 3);
  CHECK(page[0].record.etag == 11);
  CHECK(page[2].record.etag == 13);
  CHECK(unwrap(store->changes_since(22, 10)).empty());
  CHECK(unwrap(store->changes_since(-5, 1)).front().record.etag == 1);
  CHECK(unwrap(store->changes_since(0, 0)).empty());
}

TEST_CASE("tombstones replace documents and documents replace tombstones") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  model.put("Users/1", "Users", "{\"v\":1}");
  model.put("users/2", "Users", "{\"v\":2}");
  commit(*store, model);
  model.del("users/1");
  commit(*store, model);
  auto stats = unwrap(store->stats());
  CHECK(stats.document_count == 1);
  CHECK(stats.tombstone_count == 1);
  REQUIRE(stats.collections.size() == 1);
  CHECK(stats.collections[0].count == 1);
  model.put("USERS/1", "Users", "{\"v\":3}");
  commit(*store, model);
  stats = unwrap(store->stats());
  CHECK(stats.document_count == 2);
  CHECK(stats.tombstone_count == 0);
  CHECK(stats.collections[0].count == 2);
  // The id keeps the casing of its latest write.
  CHECK(unwrap(store->get("users/1"))->id == "USERS/1");
  // Only current versions stay in the etag index.
  CHECK(unwrap(store->changes_since(0, 100)).size() == 2);
}

TEST_CASE("collection counts follow moves and repeated keys in one apply") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  model.put("a", "Users", "{}");
  model.put("b", "users", "{}");
  model.put("c", "Orders", "{}");
  commit(*store, model);
  CHECK(unwrap(store->stats()).collections[1].name == "Users");
  SUBCASE("a key written several times in one batch") {
    model.put("a", "Users", "{\"v\":2}");
    model.put("a", "Orders", "{\"v\":3}");
    model.del("a");
    model.put("a", "Products", "{\"v\":4}");
    model.put("d", "Users", "{}");
    model.del("d");
    commit(*store, model);
    auto stats = unwrap(store->stats());
    REQUIRE(stats.collections.size() == 3);
    CHECK(stats.collections[0].name == "Orders");
    CHECK(stats.collections[0].count == 1);
    CHECK(stats.collections[1].name == "Products");
    CHECK(stats.collections[2].count == 1);
    CHECK(stats.tombstone_count == 1);
  }
  SUBCASE("a collection emptied and refilled keeps the newest casing") {
    model.del("a");
    model.del("b");
    model.put("e", "USERS", "{}");
    commit(*store, model);
    auto stats = unwrap(store->stats());
    REQUIRE(stats.collections.size() == 2);
    CHECK(stats.collections[1].name == "USERS");
  }
  SUBCASE("a collection emptied disappears") {
    model.del("c");
    commit(*store, model);
    CHECK(unwrap(store->stats()).collections.size() == 1);
  }
}

TEST_CASE("listing by prefix with paging") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  for (auto id : {"users/1", "users/2", "users/3", "users/10", "orders/1",
                  "usersx", "user"})
    model.put(id, "C", "{}");
  model.put("users/4", "C", "{}");
  commit(*store, model);
  model.del("users/4");
  commit(*store, model);
  auto ids = [&](const listing_request& req) {
    std::vector<std::string> out;
    for (auto& rec : unwrap(store->list(req)))
      out.push_back(rec.id);
    return out;
  };
  listing_request req;
  req.key_prefix = "users/";
  CHECK(ids(req)
        == std::vector<std::string>{"users/1", "users/10", "users/2",
                                    "users/3"});
  req.start = 1;
  req.page_size = 2;
  CHECK(ids(req) == std::vector<std::string>{"users/10", "users/2"});
  req.start = 0;
  req.start_after = "users/10";
  CHECK(ids(req) == std::vector<std::string>{"users/2", "users/3"});
  req.start_after = "a";
  CHECK(ids(req) == std::vector<std::string>{"users/1", "users/10"});
  req.start_after = "users/3";
  CHECK(ids(req).empty());
  listing_request all;
  all.page_size = 100;
  CHECK(ids(all).size() == 7);
  all.start = 7;
  CHECK(ids(all).empty());
  all.start = 0;
  all.key_prefix = "zzz";
  CHECK(ids(all).empty());
}

TEST_CASE("listings in etag order: newest first, or from an etag on") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  // Etags: a 1, b 2, c 3, d 4, e 5; then b again (6), c deleted (7),
  // d in conflict (its version 8, the arriving one 9).
  for (auto id : {"a", "b", "c", "d", "e"})
    model.put(id, "C", "{}");
  commit(*store, model);
  model.put("B", "C", R"({"v":2})");
  commit(*store, model);
  model.del("c");
  commit(*store, model);
  model.conflict("d", "C", R"({"v":"theirs"})");
  commit(*store, model);
  auto listed = [&](const listing_request& req) {
    std::vector<std::string> out;
    for (auto& rec : unwrap(store->list(req)))
      out.push_back(rec.id + "@" + std::to_string(rec.etag));
    return out;
  };
  listing_request newest;
  newest.order = listing_order::newest_first;
  newest.page_size = 100;
  CHECK(listed(newest) == std::vector<std::string>{"B@6", "e@5", "a@1"});
  newest.start = 1;
  newest.page_size = 1;
  CHECK(listed(newest) == std::vector<std::string>{"e@5"});
  newest.start = 3;
  CHECK(listed(newest).empty());
  listing_request from;
  from.order = listing_order::from_etag;
  from.page_size = 100;
  CHECK(listed(from) == std::vector<std::string>{"a@1", "e@5", "B@6"});
  from.from_etag = 5;
  CHECK(listed(from) == std::vector<std::string>{"e@5", "B@6"});
  from.from_etag = 2;
  from.start = 1;
  CHECK(listed(from) == std::vector<std::string>{"B@6"});
  from.from_etag = 10;
  from.start = 0;
  CHECK(listed(from).empty());
  // The order ignores the filters of listings by id.
  newest.start = 0;
  newest.page_size = 100;
  newest.key_prefix = "zzz";
  CHECK(listed(newest).size() == 3);
  auto empty = open_document_store(m, "/empty");
  CHECK(unwrap(empty->list(newest)).empty());
}

TEST_CASE("a listing in etag order reads one moment of the store") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  for (auto id : {"a", "b", "c"})
    model.put(id, "C", R"({"v":"old"})");
  commit(*store, model);
  listing_request req;
  req.order = listing_order::newest_first;
  req.page_size = 100;
  auto listing = store->listing(req);
  auto first = unwrap(listing->next());
  REQUIRE(first);
  CHECK(first->id == "c");
  // b is rewritten and a deleted after the listing began: the listing
  // still names and reads them as they were.
  model.put("b", "C", R"({"v":"new"})");
  model.del("a");
  commit(*store, model);
  std::vector<std::string> rest;
  while (auto doc = unwrap(listing->next())) {
    CHECK(doc->json.find("old") != std::string::npos);
    rest.push_back(doc->id);
  }
  CHECK(rest == std::vector<std::string>{"b", "a"});
}

TEST_CASE("a listing reads the store as it was when it began, and keeps "
          "it open") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  for (auto id : {"users/1", "users/2", "users/3", "users/4", "users/5"})
    model.put(id, "Users", R"({"v":"old"})");
  commit(*store, model);
  listing_request req;
  req.key_prefix = "users/";
  req.page_size = 100;
  auto listing = store->listing(req);
  auto first = unwrap(listing->next());
  REQUIRE(first);
  CHECK(first->id == "users/1");
  // Writes after the listing began do not show in it.
  model.del("users/3");
  model.put("users/25", "Users", R"({"v":"new"})");
  model.put("users/4", "Users", R"({"v":"new"})");
  commit(*store, model);
  std::weak_ptr<document_store> alive = store;
  store.reset();
  CHECK_FALSE(alive.expired());
  std::vector<std::string> rest;
  while (auto doc = unwrap(listing->next())) {
    CHECK(doc->json.find("old") != std::string::npos);
    rest.push_back(doc->id);
  }
  CHECK(rest
        == std::vector<std::string>{"users/2", "users/3", "users/4",
                                    "users/5"});
  CHECK_FALSE(unwrap(listing->next()));
  listing.reset();
  CHECK(alive.expired());
}

TEST_CASE("reopening keeps documents, state and counters") {
  mem_env m;
  store_model model;
  {
    auto store = open_document_store(m);
    model.state = store->state();
    model.put("a", "Users", "{\"a\":1}");
    model.put("b", "Orders", "{\"b\":1}");
    commit(*store, model);
    model.del("a");
    commit(*store, model);
  }
  auto store = open_document_store(m, "/db", false);
  check_store(*store, model);
  model.put("c", "Users", "{}");
  commit(*store, model);
}

TEST_CASE("state-only applies and empty batches") {
  mem_env m;
  auto store = open_document_store(m);
  auto state = store->state();
  state.change_vector = "A:0-" + state.db_id + ", B:9-8YlB6x2uO0i9qAy6rjaR1w";
  unwrap(store->apply(std::vector<document_write>{}, state));
  CHECK(store->state() == state);
  CHECK(unwrap(store->stats()).state == state);
}

TEST_CASE("writes contradicting the store are refused without writing") {
  mem_env m;
  auto store = open_document_store(m);
  store_model model{store->state()};
  model.put("a", "Users", "{}");
  commit(*store, model);
  auto before = store->state();
  SUBCASE("another database id") {
    auto state = model.state;
    state.db_id = "AAAAAAAAAAAAAAAAAAAAAA";
    auto res = store->apply(std::vector<document_write>{}, state);
    REQUIRE(!res);
    CHECK(res.error().code == ec::internal_error);
  }
  SUBCASE("replacing a version the store does not hold") {
    document_write w;
    w.key = "b";
    w.record.id = "b";
    w.record.etag = 2;
    w.record.tombstone = true;
    w.replaced = w.record;
    w.replaced->tombstone = false;
    w.replaced->collection = "Orders";
    w.replaced->etag = 1;
    auto state = model.state;
    state.last_etag = 2;
    auto res = store->apply({w}, state);
    REQUIRE(!res);
    CHECK(res.error().code == ec::internal_error);
  }
  SUBCASE("a non-positive etag") {
    document_write w;
    w.key = "b";
    w.record.id = "b";
    auto res = store->apply({w}, model.state);
    REQUIRE(!res);
    CHECK(res.error().code == ec::internal_error);
  }
  CHECK(store->state() == before);
  check_store(*store, model);
}

TEST_CASE("opening a missing store without create fails clearly") {
  mem_env m;
  auto res = document_store::open("/nowhere", m.options(false));
  REQUIRE(!res);
  CHECK(res.error().code == ec::storage_failure);
  CHECK(res.error().message.find("/nowhere") != std::string::npos);
}

TEST_CASE("a store of an unknown format version is refused") {
  mem_env m;
  { open_document_store(m); }
  {
    leveldb::Options opts;
    opts.env = m.env.get();
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(opts, "/db", &raw).ok());
    std::unique_ptr<leveldb::DB> db{raw};
    std::string version{"\x04\0\0\0", 4};
    REQUIRE(db->Put({}, std::string{document_keys::format_key}, version).ok());
  }
  auto res = document_store::open("/db", m.options(false));
  REQUIRE(!res);
  CHECK(res.error().code == ec::unsupported_format);
  CHECK(res.error().message
        == "document store /db has format version 4; this build "
           "understands version 3");
}

TEST_CASE("a LevelDB without our format key is refused") {
  mem_env m;
  {
    leveldb::Options opts;
    opts.env = m.env.get();
    opts.create_if_missing = true;
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(opts, "/db", &raw).ok());
    std::unique_ptr<leveldb::DB> db{raw};
    REQUIRE(db->Put({}, "foreign", "data").ok());
  }
  auto res = document_store::open("/db", m.options(true));
  REQUIRE(!res);
  CHECK(res.error().code == ec::unsupported_format);
}

TEST_CASE("a shared block cache serves several stores") {
  mem_env m;
  auto opts = m.options();
  opts.block_cache = make_block_cache(1 << 20);
  auto a = unwrap(document_store::open("/a", opts));
  auto b = unwrap(document_store::open("/b", opts));
  store_model model{a->state()};
  model.put("x", "C", "{}");
  commit(*a, model);
  CHECK(!unwrap(b->get("x")));
}

TEST_CASE("randomized writes agree with the model, across flushes") {
  mem_env m;
  auto opts = m.options();
  // A tiny memtable makes LevelDB flush and compact during the test.
  opts.write_buffer_size = 64 << 10;
  auto store = unwrap(document_store::open("/db", opts));
  store_model model{store->state()};
  std::mt19937_64 rng{42};
  const char* collections[] = {"Users", "USERS", "Orders", "@empty", "X"};
  for (int round = 0; round < 60; ++round) {
    auto n = 1 + rng() % 30;
    for (size_t i = 0; i < n; ++i) {
      auto id = "Doc/" + std::to_string(rng() % 50);
      auto kind = rng() % 8;
      if (kind < 2) {
        model.del(id);
      } else if (kind == 2) {
        // A conflicted tombstone half of the time.
        auto json = rng() % 2 == 0 ? std::string(1 + rng() % 2000, 'A') : "";
        model.conflict(id, collections[rng() % 5], json);
      } else {
        model.put(id, collections[rng() % 5],
                  std::string(rng() % 2000, 'a' + rng() % 26));
      }
    }
    commit(*store, model);
    if (round % 20 == 19) {
      store.reset();
      store = unwrap(document_store::open("/db", opts));
      check_store(*store, model);
    }
  }
}

TEST_CASE("readers on other threads see whole batches") {
  mem_env m;
  auto opts = m.options();
  opts.write_buffer_size = 64 << 10;
  auto store = unwrap(document_store::open("/db", opts));
  store_model model{store->state()};
  // Every batch writes the same version into both documents.
  auto write_version = [&](int v) {
    model.put("a", "Pairs", std::to_string(v));
    model.put("b", "Pairs", std::to_string(v));
    unwrap(store->apply(model.take(), model.state));
  };
  write_version(0);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  auto reader = [&] {
    while (!stop) {
      auto pair = store->get_many({"a", "b"});
      auto listed = store->list(listing_request{});
      auto stats = store->stats();
      if (!pair || !listed || !stats || !(*pair)[0] || !(*pair)[1]
          || (*pair)[0]->json != (*pair)[1]->json || listed->size() != 2
          || (*listed)[0].json != (*listed)[1].json
          || stats->document_count != 2)
        ++torn;
      ++reads;
    }
  };
  std::thread r1{reader};
  std::thread r2{reader};
  for (int v = 1; v <= 300; ++v)
    write_version(v);
  // On a busy machine the readers may not have run yet: they must read at
  // least once while the last version stands.
  while (reads < 2)
    std::this_thread::yield();
  stop = true;
  r1.join();
  r2.join();
  CHECK(torn == 0);
  check_store(*store, model);
}
