// The sending side of a replication link (ravendb-internals.md §4.5): what
// the next batch holds, given what the destination is known to have.

#include "runtime/replication/sender.hpp"

#include "runtime/documents/document_json.hpp"
#include "runtime/documents/timestamp.hpp"
#include "runtime/documents/transaction_executor.hpp"
#include "runtime/replication/incoming_batch.hpp"
#include "test/fixtures/memory_documents.hpp"

#include "test/fixtures/change_vectors.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace corvus;
using corvus::test::cv;
using corvus::test::memory_documents;

namespace {

const std::string& a = test::db_a;
const std::string& b = test::db_b;
const std::string& c = test::db_c;

// An instance B writing locally.
struct instance {
  memory_documents store{b};
  transaction_executor executor{"B", 1};

  void put(const std::string& id, const std::string& body) {
    write_command cmd;
    cmd.id = id;
    cmd.document.collection = "Users";
    cmd.document.body = body;
    auto tx = executor.execute(write_transaction{{cmd}}, store.state, store,
                               100 * ticks_per_second);
    REQUIRE(tx);
    store.apply(tx->writes, tx->state);
  }

  // Receives `id` at `version` from C, storing conflicts.
  void receive(const std::string& id, const std::string& version) {
    document_record r;
    r.id = id;
    r.collection = "Users";
    r.etag = 1;
    r.change_vector = version;
    r.last_modified = 100 * ticks_per_second;
    auto doc = prepare_document(R"({"from":"C"})");
    REQUIRE(doc);
    doc->collection = "Users";
    r.json = render_document(*doc, {id, r.collection, version,
                                    format_timestamp(r.last_modified), 0});
    auto applied = apply_incoming({c, 0, 1, {r}}, store.state, store,
                                  conflict_policy{false}, "B");
    REQUIRE(applied);
    store.apply(applied->writes, applied->state);
  }

  std::vector<std::string> next_batch(replication_sender& sender) {
    auto batch = sender.next([&](int64_t after, size_t limit) {
      return outcome<std::vector<etag_entry>>{
        store.changes_since(after, limit)};
    });
    REQUIRE(batch);
    std::vector<std::string> out;
    if (*batch)
      for (auto& r : (*batch)->items)
        out.push_back(r.id + " " + r.change_vector);
    return out;
  }
};

} // namespace

TEST_CASE("what the destination's vector covers is skipped") {
  instance src;
  src.put("users/1", "{}");
  src.put("users/2", "{}");
  replication_sender sender;
  sender.connected(0, cv("B:1-" + b));
  CHECK(src.next_batch(sender)
        == std::vector<std::string>{"users/2 B:2-" + b});
  CHECK(sender.in_flight());
  sender.acknowledged(2, cv("B:2-" + b));
  CHECK(!sender.in_flight());
  CHECK(sender.cursor() == 2);
}

TEST_CASE("conflict versions are sent even when the destination's vector "
          "covers them") {
  // users/1 is written, then users/2 over B's whole vector, then a
  // concurrent users/1 from C moves B's users/1 into the conflicts, under
  // a new etag after users/2. A destination that got users/2 (from B or
  // from anyone) covers B's users/1 without holding it.
  instance src;
  src.put("users/1", "{}");
  src.put("users/2", "{}");
  src.receive("users/1", "C:1-" + c);
  REQUIRE(src.store.conflicted.at("users/1").size() == 2);
  replication_sender sender;
  sender.connected(0, cv("B:2-" + b));
  CHECK(src.next_batch(sender)
        == std::vector<std::string>{"users/1 B:1-" + b,
                                    "users/1 C:1-" + c});
}

TEST_CASE("what the destination sent itself is not sent back") {
  // users/1 came from C; B then writes users/2 and wakes its sender to C,
  // whose vector as last reported predates users/1.
  instance src;
  src.receive("users/1", "C:1-" + c);
  src.put("users/2", "{}");
  replication_sender sender;
  sender.connected(0, change_vector{});
  SUBCASE("without knowing") {
    CHECK(src.next_batch(sender).size() == 2);
  }
  SUBCASE("knowing") {
    sender.destination_holds(cv("C:1-" + c));
    CHECK(src.next_batch(sender)
          == std::vector<std::string>{"users/2 B:2-" + b + ", C:1-" + c});
  }
}

TEST_CASE("a window of batches follow each other until acknowledged") {
  instance src;
  for (int i = 0; i < 5; ++i)
    src.put("users/" + std::to_string(i), "{}");
  replication_sender sender{batch_limits{2, 1 << 20}, 1024, 2};
  sender.connected(0, change_vector{});
  auto read = [&](int64_t after, size_t limit) {
    return outcome<std::vector<etag_entry>>{
      src.store.changes_since(after, limit)};
  };
  auto first = *sender.next(read);
  auto second = *sender.next(read);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->after_etag == 0);
  CHECK(first->last_etag == 2);
  CHECK(second->after_etag == 2);
  CHECK(second->last_etag == 4);
  // The window is full.
  CHECK(!sender.can_send());
  CHECK(!*sender.next(read));
  sender.acknowledged(2, change_vector{});
  CHECK(sender.in_flight());
  auto third = *sender.next(read);
  REQUIRE(third);
  CHECK(third->after_etag == 4);
  CHECK(third->last_etag == 5);
  SUBCASE("acknowledged in order") {
    sender.acknowledged(4, change_vector{});
    sender.acknowledged(5, change_vector{});
    CHECK(!sender.in_flight());
    CHECK(sender.cursor() == 5);
  }
  SUBCASE("a reconnect starts again from what the destination accepted") {
    sender.disconnected();
    sender.connected(2, change_vector{});
    auto again = *sender.next(read);
    REQUIRE(again);
    CHECK(again->after_etag == 2);
    CHECK(again->last_etag == 4);
  }
}

TEST_CASE("a small batch in flight holds the next until acknowledged or "
          "enough is written to fill one") {
  instance src;
  replication_sender sender{batch_limits{3, 1 << 20}, 1024, 2};
  sender.connected(0, change_vector{});
  auto read = [&](int64_t after, size_t limit) {
    return outcome<std::vector<etag_entry>>{
      src.store.changes_since(after, limit)};
  };
  auto put = [&](int i) {
    src.put("users/" + std::to_string(i), "{}");
    sender.wrote(src.store.state.last_etag);
  };
  put(1);
  auto first = *sender.next(read);
  REQUIRE(first);
  CHECK(!first->more);
  put(2);
  put(3);
  // Two writes cannot fill a batch of three: they wait for the answer.
  CHECK(!sender.can_send());
  CHECK(!*sender.next(read));
  SUBCASE("the answer sends everything written meanwhile") {
    sender.acknowledged(1, change_vector{});
    auto second = *sender.next(read);
    REQUIRE(second);
    CHECK(second->items.size() == 2);
  }
  SUBCASE("a full batch joins the one in flight") {
    put(4);
    REQUIRE(sender.can_send());
    auto second = *sender.next(read);
    REQUIRE(second);
    CHECK(second->after_etag == 1);
    CHECK(second->items.size() == 3);
  }
}
