// One database's compare-exchange values: a map split into shards that
// copies share until one side changes them.

#include "runtime/cluster/compare_exchange_values.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace corvus;

namespace {

compare_exchange_entry entry(int64_t index) {
  return {shared_text{"{\"Object\":" + std::to_string(index) + "}"}, index};
}

std::vector<std::string> keys_of(const compare_exchange_values& v,
                                 std::string_view prefix = {}) {
  std::vector<std::string> keys;
  for (auto* item : v.sorted(prefix))
    keys.push_back(item->first);
  return keys;
}

} // namespace

TEST_CASE("values are found, replaced, removed and listed in key order") {
  compare_exchange_values v;
  CHECK(v.empty());
  CHECK(v.find("a") == nullptr);
  v.erase("a");
  for (auto* key : {"users/2", "orders/1", "users/10", "users/1"})
    v.assign(key, entry(1));
  v.assign("users/2", entry(7));
  CHECK(v.size() == 4);
  CHECK(v.find("users/2")->index == 7);
  CHECK(keys_of(v) == std::vector<std::string>{"orders/1", "users/1",
                                               "users/10", "users/2"});
  CHECK(keys_of(v, "users/1")
        == std::vector<std::string>{"users/1", "users/10"});
  CHECK(keys_of(v, "x").empty());
  v.erase("users/10");
  CHECK(v.size() == 3);
  CHECK(v.find("users/10") == nullptr);
  size_t visited = 0;
  v.for_each([&visited](auto&, auto&) { ++visited; });
  CHECK(visited == 3);
}

TEST_CASE("a page of a listing is the same slice of the whole, in order") {
  // Keys spread over every shard; the walk merges their runs.
  compare_exchange_values v;
  std::vector<std::string> users;
  for (int i = 0; i < 5000; ++i) {
    auto key = "users/" + std::to_string(i * 7919 % 5000);
    v.assign(key, entry(i));
    v.assign("orders/" + std::to_string(i), entry(i));
  }
  for (auto* item : v.sorted("users/"))
    users.push_back(item->first);
  REQUIRE(users.size() == 5000);
  CHECK(std::is_sorted(users.begin(), users.end()));
  auto page = [&v](size_t start, size_t count) {
    std::vector<std::string> keys;
    compare_exchange_values::ordered_walk walk{v, "users/"};
    walk.skip(start);
    for (const compare_exchange_values::value_type* item;
         keys.size() < count && (item = walk.next());)
      keys.push_back(item->first);
    return keys;
  };
  for (auto [start, count] : {std::pair<size_t, size_t>{0, 1},
                              {0, 1000},
                              {1, 1},
                              {2500, 10},
                              {4990, 100},
                              {5000, 1},
                              {7000, 5}}) {
    CAPTURE(start);
    CAPTURE(count);
    auto from = std::min(start, users.size());
    auto to = std::min(users.size(), from + count);
    CHECK(page(start, count)
          == std::vector<std::string>(users.begin() + from,
                                      users.begin() + to));
  }
  CHECK(page(0, 0).empty());
  CHECK(keys_of(v).size() == 10000);
  CHECK(keys_of(v).front() == "orders/0");
  CHECK(keys_of(v, "users/4999") == std::vector<std::string>{"users/4999"});
}

TEST_CASE("a copy keeps its values while the original changes, and back") {
  compare_exchange_values original;
  for (int i = 0; i < 5000; ++i)
    original.assign("k" + std::to_string(i), entry(i));
  auto copy = original;
  CHECK(copy == original);
  for (int i = 0; i < 5000; i += 2)
    original.assign("k" + std::to_string(i), entry(100000 + i));
  original.erase("k1");
  original.assign("new", entry(1));
  for (int i = 0; i < 5000; ++i)
    REQUIRE(copy.find("k" + std::to_string(i))->index == i);
  CHECK(copy.find("new") == nullptr);
  CHECK(copy.size() == 5000);
  CHECK(original.size() == 5000);
  CHECK(!(copy == original));
  copy.assign("k3", entry(-3));
  CHECK(original.find("k3")->index == 3);
  CHECK(original.find("k0")->index == 100000);
  // Equal contents are equal, whatever is shared.
  compare_exchange_values rebuilt;
  for (auto* item : original.sorted())
    rebuilt.assign(item->first, item->second);
  CHECK(rebuilt == original);
  CHECK(compare_exchange_values{} == compare_exchange_values{});
}

TEST_CASE("a copy read on another thread sees exactly the values it had") {
  // As the Raft member does: copies taken on the writing thread, read
  // (serialized) on another while the writer goes on.
  compare_exchange_values live;
  for (int i = 0; i < 2000; ++i)
    live.assign("k" + std::to_string(i), entry(0));
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int round = 1; round <= 20; ++round) {
    readers.emplace_back([copy = live, round, &wrong] {
      // Every value of the copy was written in the round before it.
      for (auto* item : copy.sorted())
        if (item->second.index != round - 1)
          ++wrong;
      if (copy.size() != 2000)
        ++wrong;
    });
    for (int i = 0; i < 2000; ++i)
      live.assign("k" + std::to_string(i), entry(round));
  }
  for (auto& r : readers)
    r.join();
  CHECK(wrong == 0);
}
