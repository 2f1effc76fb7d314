#include "runtime/replication/batch_builder.hpp"

#include "test/fixtures/change_vectors.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace corvus;
using corvus::test::cv;

namespace {

const std::string& a_id = test::db_a;
const std::string& b_id = test::db_b;

/// Items written on A, one per etag; `transactions` gives each
/// transaction's size in order.
std::vector<replication_item> items(const std::vector<int>& transactions,
                                    size_t bytes = 100) {
  std::vector<replication_item> out;
  int64_t etag = 0;
  for (auto size : transactions) {
    auto end = etag + size;
    for (int i = 0; i < size; ++i) {
      ++etag;
      out.push_back({etag, end, bytes,
                     cv("A:" + std::to_string(etag) + "-" + a_id), false});
    }
  }
  return out;
}

/// Offers `xs` until the builder refuses one; @returns how many it took.
size_t fill(batch_builder& b, const std::vector<replication_item>& xs,
            size_t from = 0) {
  size_t i = from;
  while (i < xs.size() && b.offer(xs[i]))
    ++i;
  return i - from;
}

} // namespace

TEST_CASE("a batch stops at its limits, but only between transactions") {
  auto xs = items({3, 4, 2, 5});
  SUBCASE("items") {
    batch_builder b{{}, {5, 1 << 20}};
    // 3 fit; the second transaction starts below the limit and is taken
    // whole (7 items), the third starts above it.
    CHECK(fill(b, xs) == 7);
    CHECK(b.to_send().size() == 7);
    CHECK(b.last_etag() == 7);
    CHECK(b.closed());
  }
  SUBCASE("bytes") {
    batch_builder b{{}, {100, 300}};
    CHECK(fill(b, xs) == 3);
    CHECK(b.bytes() == 300);
  }
  SUBCASE("nothing but whole transactions, batch after batch") {
    size_t at = 0;
    std::vector<int64_t> ends;
    while (at < xs.size()) {
      batch_builder b{{}, {2, 1 << 20}};
      at += fill(b, xs, at);
      ends.push_back(b.last_etag());
    }
    CHECK(ends == std::vector<int64_t>{3, 7, 9, 14});
  }
  SUBCASE("the first transaction always goes, however large") {
    batch_builder b{{}, {2, 150}};
    CHECK(fill(b, xs) == 3);
    CHECK(b.bytes() == 300);
  }
}

TEST_CASE("a batch closed before any item still takes a transaction") {
  auto xs = items({2, 1});
  batch_builder b{{}, {}};
  b.close();
  CHECK_FALSE(b.closed());
  CHECK(b.offer(xs[0]));
  CHECK(b.offer(xs[1]));
  CHECK(b.closed());
  CHECK_FALSE(b.offer(xs[2]));
}

TEST_CASE("a closed batch ends at the next transaction boundary") {
  auto xs = items({3, 4});
  batch_builder b{{}, {}};
  CHECK(b.offer(xs[0]));
  b.close();
  CHECK_FALSE(b.closed()); // inside the first transaction
  CHECK(b.offer(xs[1]));
  CHECK(b.offer(xs[2]));
  CHECK(b.closed());
  CHECK_FALSE(b.offer(xs[3]));
  CHECK(b.last_etag() == 3);
}

TEST_CASE("what the destination has is skipped, and still moves the "
          "cursor") {
  auto xs = items({2, 2, 1});
  SUBCASE("covered by the destination's change vector") {
    batch_builder b{cv("A:4-" + a_id), {}};
    CHECK(fill(b, xs) == 5);
    CHECK(b.to_send() == std::vector<int64_t>{5});
    CHECK(b.skipped() == 4);
    CHECK(b.last_etag() == 5);
  }
  SUBCASE("everything covered: an empty batch that advances the cursor") {
    batch_builder b{cv("A:9-" + a_id + ", B:3-" + b_id), {}};
    CHECK(fill(b, xs) == 5);
    CHECK(b.to_send().empty());
    CHECK(b.last_etag() == 5);
  }
  SUBCASE("concurrent with the destination: sent") {
    xs[0].version = cv("A:1-" + a_id + ", B:7-" + b_id);
    batch_builder b{cv("A:4-" + a_id + ", B:3-" + b_id), {}};
    fill(b, xs);
    CHECK(b.to_send() == std::vector<int64_t>{1, 5});
  }
  SUBCASE("resolved versions are sent even when covered") {
    xs[1].always_send = true;
    batch_builder b{cv("A:4-" + a_id), {}};
    fill(b, xs);
    CHECK(b.to_send() == std::vector<int64_t>{2, 5});
  }
  SUBCASE("skipped items do not count against the item limit") {
    batch_builder b{cv("A:4-" + a_id), {1, 1 << 20}};
    CHECK(fill(b, xs) == 5);
    CHECK(b.to_send() == std::vector<int64_t>{5});
  }
}
