// Compare-exchange semantics as RavenDB applies them: create only with
// index 0, replace only at the current index, a stale index answers the
// current value, delete by index, case-insensitive keys, listing by prefix
// with paging.

#include "runtime/cluster/cluster_state.hpp"

#include <doctest/doctest.h>

#include <limits>

using namespace corvus;

namespace {

struct fixture {
  cluster_state state;

  fixture() {
    raft::topology t;
    t.topology_id = "t";
    t.last_node_id = "A";
    t.members.emplace("A", "http://a");
    REQUIRE(state.apply_topology(1, t));
    auto creation = parse_database_creation("", "Shop", 1);
    REQUIRE(creation);
    REQUIRE(state.apply(2, create_database_command{{}, *creation, 0}));
  }

  compare_exchange_result apply(const cluster_command& cmd) {
    auto out = state.apply(state.last_index() + 1, cmd);
    REQUIRE(out);
    return std::get<compare_exchange_result>(*out);
  }

  compare_exchange_result put(const std::string& key, int64_t index,
                              const std::string& value = R"({"Object":1})") {
    return apply(put_compare_exchange_command{{}, "shop", key, value, index});
  }

  compare_exchange_result remove(const std::string& key, int64_t index) {
    return apply(remove_compare_exchange_command{{}, "SHOP", key, index});
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "index 0 creates only an absent key") {
  auto created = put("users/1", 0, R"({"Object":"a"})");
  CHECK(created == compare_exchange_result{3, R"({"Object":"a"})", true});
  auto again = put("USERS/1", 0, R"({"Object":"b"})");
  CHECK(again == compare_exchange_result{3, R"({"Object":"a"})", false});
  CHECK(state.compare_exchange().find("Shop", "Users/1")->value
        == R"({"Object":"a"})");
}

TEST_CASE_FIXTURE(fixture, "a put replaces only at the current index") {
  put("k", 0);
  auto updated = put("k", 3, R"({"Object":2})");
  CHECK(updated == compare_exchange_result{4, R"({"Object":2})", true});
  // The stale index fails and answers the current index and value.
  auto stale = put("k", 3, R"({"Object":3})");
  CHECK(stale == compare_exchange_result{4, R"({"Object":2})", false});
  CHECK(state.compare_exchange().find("shop", "k")->index == 4);
}

TEST_CASE_FIXTURE(fixture, "a non-zero index on an absent key creates "
                           "nothing") {
  auto missing = put("k", 123);
  CHECK(missing == compare_exchange_result{0, "", false});
  CHECK(state.compare_exchange().find("shop", "k") == nullptr);
  CHECK(state.compare_exchange().size() == 0);
}

TEST_CASE_FIXTURE(fixture, "a delete removes only at the current index") {
  put("k", 0, R"({"Object":"v"})");
  auto stale = remove("K", 99);
  CHECK(stale == compare_exchange_result{3, R"({"Object":"v"})", false});
  auto removed = remove("K", 3);
  CHECK(removed == compare_exchange_result{5, R"({"Object":"v"})", true});
  CHECK(state.compare_exchange().find("shop", "k") == nullptr);
  // Deleting what is not there succeeds, with no value.
  CHECK(remove("k", 0) == compare_exchange_result{6, "", true});
  // The key can be created again from scratch.
  CHECK(put("k", 0).successful);
}

TEST_CASE_FIXTURE(fixture, "bad keys and indexes fail the command") {
  std::string long_key(513, 'x');
  for (auto& cmd : std::vector<cluster_command>{
         put_compare_exchange_command{{}, "shop", "", "{}", 0},
         put_compare_exchange_command{{}, "shop", long_key, "{}", 0},
         put_compare_exchange_command{{}, "shop", "k", "{}", -1},
         put_compare_exchange_command{{}, "shop", "k", "", 0},
         remove_compare_exchange_command{{}, "shop", "", 0},
         remove_compare_exchange_command{{}, "shop", "k", -2}}) {
    auto out = state.apply(state.last_index() + 1, cmd);
    REQUIRE_FALSE(out);
    CHECK(out.error().code == ec::bad_request);
  }
  // 512 bytes of UTF-8 are fine, 513 are not.
  CHECK(put(std::string(510, 'y') + "\xc3\xa9", 0).successful);
  CHECK_FALSE(validate_compare_exchange_key(std::string(511, 'y')
                                            + "\xc3\xa9"));
}

TEST_CASE_FIXTURE(fixture, "values are read by key, many keys or prefix") {
  for (auto key : {"users/3", "Users/1", "users/2", "orders/1", "usersX"})
    put(key, 0);
  auto& store = state.compare_exchange();
  auto some = store.get("SHOP", {"USERS/2", "nope"});
  REQUIRE(some.size() == 2);
  CHECK(some[0] == compare_exchange_item{"USERS/2", 5, R"({"Object":1})"});
  CHECK(some[1] == compare_exchange_item{"nope", -1, ""});
  auto keys = [](const std::vector<compare_exchange_item>& items) {
    std::vector<std::string> out;
    for (auto& i : items)
      out.push_back(i.key);
    return out;
  };
  auto all = std::numeric_limits<size_t>::max();
  // Listed keys come back lower-cased, in byte order.
  auto list = [&store](std::string_view db, std::string_view prefix,
                       size_t start, size_t page_size) {
    compare_exchange_listing listing{store.values_of(db), prefix, start,
                                     page_size};
    std::vector<compare_exchange_item> items;
    while (auto item = listing.next())
      items.push_back(std::move(*item));
    return items;
  };
  CHECK(keys(list("shop", "USERS/", 0, all))
        == std::vector<std::string>{"users/1", "users/2", "users/3"});
  CHECK(keys(list("shop", "users/", 1, 1))
        == std::vector<std::string>{"users/2"});
  CHECK(keys(list("shop", "users/", 5, all)).empty());
  CHECK(keys(list("shop", "", 0, all)).size() == 5);
  CHECK(list("other", "", 0, all).empty());
  CHECK(store.get("other", {"k"}).front().index == -1);
  // Lookups and listings share the stored values' bytes: a listing of a
  // large state costs no second copy of it.
  auto stored = store.find("shop", "users/2")->value.view().data();
  CHECK(some[0].value.view().data() == stored);
  CHECK(list("shop", "users/2", 0, 1).front().value.view().data() == stored);
}

TEST_CASE_FIXTURE(fixture, "a listing under way keeps what it started on") {
  // The HTTP thread sends a large listing a piece at a time while the Raft
  // member goes on changing the values.
  for (int i = 0; i < 2000; ++i)
    put("k/" + std::to_string(10000 + i), 0);
  compare_exchange_listing listing{
    state.compare_exchange().values_of("shop"), "K/", 5, 1000};
  auto first = listing.next();
  REQUIRE(first);
  CHECK(first->key == "k/10005");
  auto index = first->index;
  for (int i = 0; i < 2000; i += 2) {
    auto key = "k/" + std::to_string(10000 + i);
    apply(remove_compare_exchange_command{
      {}, "shop", key, state.compare_exchange().find("shop", key)->index});
  }
  put("k/10007", state.compare_exchange().find("shop", "k/10007")->index,
      R"({"Object":2})");
  size_t seen = 1;
  while (auto item = listing.next()) {
    CHECK(item->key == "k/" + std::to_string(10005 + seen));
    CHECK(item->index == index + static_cast<int64_t>(seen));
    CHECK(item->value == R"({"Object":1})");
    ++seen;
  }
  CHECK(seen == 1000);
}

TEST_CASE_FIXTURE(fixture, "deleting the database deletes its values") {
  put("k", 0);
  REQUIRE(state.apply(state.last_index() + 1,
                      delete_databases_command{{}, {"shop"}, {}}));
  CHECK(state.compare_exchange().size() == 0);
  // Held for the caller to free where it has the time, then forgotten.
  auto dropped = state.take_dropped();
  REQUIRE(dropped.size() == 1);
  CHECK(dropped.front().find("k") != nullptr);
  CHECK(state.take_dropped().empty());
  auto out = state.apply(state.last_index() + 1,
                         put_compare_exchange_command{{}, "shop", "k", "{}",
                                                      0});
  REQUIRE_FALSE(out);
  CHECK(out.error().code == ec::database_does_not_exist);
}
