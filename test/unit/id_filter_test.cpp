// The in-memory filter of ids a document store may hold.

#include "runtime/documents/id_filter.hpp"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

using namespace corvus;

namespace {

std::string id_of(size_t n, const char* prefix = "users/") {
  return prefix + std::to_string(n) + "-a";
}

} // namespace

TEST_CASE("an id filter finds every id added to it") {
  id_filter filter{100000};
  for (size_t i = 0; i < 100000; ++i)
    filter.add(id_of(i));
  for (size_t i = 0; i < 100000; ++i)
    REQUIRE(filter.may_contain(id_of(i)));
}

TEST_CASE("an empty id filter holds nothing") {
  id_filter filter{1000};
  for (size_t i = 0; i < 1000; ++i)
    CHECK_FALSE(filter.may_contain(id_of(i)));
  CHECK_FALSE(filter.may_contain(""));
}

TEST_CASE("an id filter at capacity answers about 1 % of absent ids wrongly") {
  const size_t capacity = 200000;
  id_filter filter{capacity};
  for (size_t i = 0; i < capacity; ++i)
    filter.add(id_of(i));
  size_t wrong = 0;
  const size_t probes = 200000;
  for (size_t i = 0; i < probes; ++i)
    wrong += filter.may_contain(id_of(i, "orders/")) ? 1 : 0;
  MESSAGE("false positives at capacity: " << wrong << " of " << probes);
  CHECK(wrong < probes * 2 / 100);
  // Far below capacity, hardly any.
  id_filter roomy{capacity * 8};
  for (size_t i = 0; i < capacity; ++i)
    roomy.add(id_of(i));
  wrong = 0;
  for (size_t i = 0; i < probes; ++i)
    wrong += roomy.may_contain(id_of(i, "orders/")) ? 1 : 0;
  CHECK(wrong < probes / 1000);
}

TEST_CASE("an id filter takes ten bits per id of its capacity") {
  CHECK(id_filter{1000000}.memory_bytes() == 1250048);
  CHECK(id_filter{1}.memory_bytes() == 64);
  CHECK(id_filter{0}.memory_bytes() == 64);
  CHECK(id_filter{0}.capacity() == 0);
}

TEST_CASE("ids added by several threads at once are all found") {
  // Ids differing in few bits land in shared blocks: adds race on words.
  id_filter filter{4000};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t)
    threads.emplace_back([&filter, t] {
      for (size_t i = t; i < 40000; i += 4)
        filter.add(id_of(i));
    });
  for (auto& t : threads)
    t.join();
  for (size_t i = 0; i < 40000; ++i)
    REQUIRE(filter.may_contain(id_of(i)));
}
