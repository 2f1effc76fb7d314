// A destination applying replication batches (ravendb-internals.md §4.6,
// §6.2-6.5): what becomes a write, what is ignored, merged, resolved or
// stored as a conflict, and the state the batch leaves.

#include "runtime/replication/incoming_batch.hpp"

#include "runtime/documents/document_id.hpp"
#include "runtime/documents/document_json.hpp"
#include "runtime/documents/timestamp.hpp"
#include "runtime/replication/sender.hpp"
#include "test/fixtures/memory_documents.hpp"

#include "test/fixtures/change_vectors.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace corvus;
using corvus::test::memory_documents;

namespace {

const std::string& a = test::db_a;
const std::string& b = test::db_b;
const std::string& c = test::db_c;
const std::string& d = test::db_d;

// A version as a source stores it.
document_record version(const std::string& id, const std::string& cv,
                        const std::string& body, int64_t modified = 100,
                        int64_t etag = 1) {
  document_record r;
  r.id = id;
  r.collection = "Users";
  r.etag = etag;
  r.change_vector = cv;
  r.last_modified = modified;
  auto doc = prepare_document(body);
  REQUIRE(doc);
  doc->collection = "Users";
  r.json = render_document(*doc, {id, r.collection, cv,
                                  format_timestamp(modified), 0});
  return r;
}

document_record tombstone(const std::string& id, const std::string& cv,
                          int64_t modified = 100) {
  document_record r;
  r.id = id;
  r.collection = "Users";
  r.change_vector = cv;
  r.last_modified = modified;
  r.tombstone = true;
  return r;
}

// Applies a batch from `source` to `dest`, as the instance would.
applied_batch receive(memory_documents& dest, const std::string& source,
                      std::vector<document_record> items,
                      int64_t last_etag = 0, bool latest = false) {
  incoming_batch batch{source, 0, last_etag, std::move(items)};
  if (batch.last_etag == 0 && !batch.items.empty())
    batch.last_etag = batch.items.back().etag;
  auto applied = apply_incoming(batch, dest.state, dest,
                                conflict_policy{latest}, "C");
  REQUIRE(applied);
  dest.apply(applied->writes, applied->state);
  return std::move(*applied);
}

// A destination (tag C, id c) holding users/1 at `cv`.
memory_documents holding(const std::string& cv, const std::string& body) {
  memory_documents dest{c};
  receive(dest, a, {version("users/1", cv, body)});
  return dest;
}

bool flagged(const document_record& r, document_flags f) {
  return (r.flags & f) != 0;
}

} // namespace

TEST_CASE("a new version is stored as it came, under a local etag") {
  memory_documents dest{c};
  auto sent = version("Users/1", "A:7-" + a, R"({"n":1})", 100, 7);
  auto out = receive(dest, a,
                     {sent,
                      version("users/2", "A:8-" + a, R"({"n":2})", 100, 8)});
  REQUIRE(out.writes.size() == 2);
  auto& stored = dest.live.at("users/1");
  CHECK(stored.id == "Users/1");
  CHECK(stored.etag == 1);
  CHECK(stored.change_vector == "A:7-" + a);
  // Byte for byte as the source stored it: nothing in its JSON changes.
  CHECK(stored.json == sent.json);
  CHECK(stored.flags == 0);
  CHECK(dest.state.last_etag == 2);
  CHECK(dest.state.change_vector == "A:8-" + a);
  CHECK(dest.state.accepted_etags.at(a) == 8);
  // The batch is one local transaction.
  CHECK(out.writes[0].transaction_end == 2);
  CHECK(out.writes[1].transaction_end == 2);
  CHECK(out.counts.applied == 2);
  // The source holds what it sent.
  CHECK(out.source_holds.to_string() == "A:8-" + a);
}

TEST_CASE("what the destination holds already is ignored") {
  auto dest = holding("A:7-" + a, R"({"n":1})");
  auto out = receive(dest, b, {version("users/1", "A:5-" + a, "{}")}, 40);
  CHECK(out.writes.empty());
  CHECK(out.counts.ignored == 1);
  // The cursor still moves, and never back.
  CHECK(dest.state.accepted_etags.at(b) == 40);
  receive(dest, b, {}, 30);
  CHECK(dest.state.accepted_etags.at(b) == 40);
}

TEST_CASE("a newer version replaces the live one") {
  auto dest = holding("A:7-" + a, R"({"n":1})");
  receive(dest, b, {version("users/1", "A:7-" + a + ", B:2-" + b,
                            R"({"n":2})")});
  auto& stored = dest.live.at("users/1");
  CHECK(stored.change_vector == "A:7-" + a + ", B:2-" + b);
  CHECK(stored.json.find(R"("n":2)") != std::string::npos);
  receive(dest, b, {tombstone("users/1", "A:7-" + a + ", B:3-" + b)});
  CHECK(dest.live.at("users/1").tombstone);
}

TEST_CASE("concurrent versions are stored as a conflict when not resolved") {
  auto dest = holding("A:7-" + a, R"({"n":1})");
  auto out = receive(dest, b, {version("users/1", "B:2-" + b, R"({"n":2})")});
  CHECK(out.counts.conflicts == 1);
  CHECK(dest.live.count("users/1") == 0);
  auto versions = *dest.conflicts("users/1");
  REQUIRE(versions.size() == 2);
  for (auto& v : versions)
    CHECK(flagged(v, document_flag::conflicted));
  // The global vector covers both.
  CHECK(dest.state.change_vector == "A:7-" + a + ", B:2-" + b);
  SUBCASE("a third concurrent version joins them") {
    receive(dest, a, {version("users/1", "D:1-" + d, R"({"n":3})")});
    CHECK(dest.conflicts("users/1")->size() == 3);
  }
  SUBCASE("a concurrent version replaces the stored ones it supersedes") {
    auto out = receive(dest, a, {version("users/1", "A:8-" + a, R"({"n":3})",
                                         100, 8)});
    CHECK(out.counts.conflicts == 1);
    REQUIRE(out.writes.size() == 1);
    REQUIRE(out.writes[0].removed_conflicts.size() == 1);
    CHECK(out.writes[0].removed_conflicts[0].change_vector == "A:7-" + a);
    auto versions = dest.conflicts("users/1");
    REQUIRE(versions);
    std::set<std::string> held;
    for (auto& v : *versions)
      held.insert(v.change_vector);
    CHECK(held == std::set<std::string>{"A:8-" + a, "B:2-" + b});
    CHECK(dest.by_etag.size() == 2);
  }
  SUBCASE("a known version changes nothing") {
    auto again = receive(dest, b, {version("users/1", "B:2-" + b, "{}")});
    CHECK(again.writes.empty());
  }
  SUBCASE("a version newer than all of them resolves the conflict") {
    receive(dest, a, {version("users/1", "A:8-" + a + ", B:2-" + b,
                              R"({"n":4})")});
    CHECK(dest.conflicted.empty());
    CHECK(dest.live.at("users/1").json.find(R"("n":4)") != std::string::npos);
  }
}

TEST_CASE("resolve-to-latest picks the last modified version") {
  auto dest = holding("A:7-" + a, R"({"n":1})");
  auto out = receive(dest, b,
                     {version("users/1", "B:2-" + b, R"({"n":2})", 500)}, 0,
                     true);
  CHECK(out.counts.resolved == 1);
  CHECK(dest.conflicted.empty());
  auto& stored = dest.live.at("users/1");
  CHECK(stored.json.find(R"("n":2)") != std::string::npos);
  CHECK(flagged(stored, document_flag::resolved));
  // Merged, plus a new entry of this instance: it is local work.
  CHECK(stored.change_vector
        == "A:7-" + a + ", B:2-" + b + ", C:2-" + c);
  CHECK(dest.state.change_vector == stored.change_vector);
}

TEST_CASE("resolve-to-latest breaks a tie of times by content, stored "
          "conflicts included") {
  auto dest = holding("A:7-" + a, R"({"n":1})");
  receive(dest, b, {version("users/1", "B:2-" + b, R"({"n":2})")});
  REQUIRE(dest.conflicted.count("users/1") == 1);
  auto out = receive(dest, a, {version("users/1", "D:1-" + d, R"({"n":0})")},
                     0, true);
  CHECK(out.counts.resolved == 1);
  CHECK(dest.live.at("users/1").json.find(R"("n":2)") != std::string::npos);
}

TEST_CASE("identical content merges silently, whatever the metadata says") {
  auto dest = holding("A:7-" + a, R"({"n":1})");
  auto out = receive(dest, b, {version("users/1", "B:2-" + b, R"({"n":1})",
                                       900)});
  CHECK(out.counts.merged == 1);
  CHECK(dest.conflicted.empty());
  CHECK(dest.live.at("users/1").change_vector == "A:7-" + a + ", B:2-" + b);
  CHECK(flagged(dest.live.at("users/1"), document_flag::resolved));
  // The later time of the two: copies that merge in the other order agree.
  CHECK(dest.live.at("users/1").last_modified == 900);
  memory_documents other{c};
  receive(other, b, {version("users/1", "B:2-" + b, R"({"n":1})", 900)});
  receive(other, a, {version("users/1", "A:7-" + a, R"({"n":1})", 100)});
  CHECK(other.live.at("users/1").last_modified == 900);
  CHECK(other.live.at("users/1").change_vector
        == dest.live.at("users/1").change_vector);
  SUBCASE("the merged version reaches copies that cover it already") {
    // B's copy of users/1 is still B:2, but B wrote on since: its global
    // vector covers the merged one. Only a Resolved version is sent then.
    replication_sender sender;
    auto destination = change_vector::parse("A:7-" + a + ", B:9-" + b);
    REQUIRE(destination);
    sender.connected(0, *destination);
    auto batch = sender.next([&](int64_t after, size_t limit) {
      return outcome<std::vector<etag_entry>>{
        dest.changes_since(after, limit)};
    });
    REQUIRE(batch);
    REQUIRE(*batch);
    REQUIRE((*batch)->items.size() == 1);
    CHECK((*batch)->items[0].change_vector == "A:7-" + a + ", B:2-" + b);
  }
  SUBCASE("the merged version stays Resolved in the conflicts") {
    receive(dest, a, {version("users/1", "A:8-" + a, R"({"n":2})")});
    auto versions = dest.conflicts("users/1");
    REQUIRE(versions);
    REQUIRE(versions->size() == 2);
    for (auto& v : *versions)
      CHECK(flagged(v, document_flag::resolved)
            == (v.change_vector == "A:7-" + a + ", B:2-" + b));
    // And so does it on the copies it reaches as a conflict version.
    memory_documents other{b};
    receive(other, a, {version("users/1", "A:8-" + a, R"({"n":2})")});
    receive(other, c, *versions);
    auto there = other.conflicts("users/1");
    REQUIRE(there);
    REQUIRE(there->size() == 2);
    for (auto& v : *there)
      CHECK(flagged(v, document_flag::resolved)
            == (v.change_vector == "A:7-" + a + ", B:2-" + b));
  }
  SUBCASE("two deletions merge too") {
    receive(dest, a, {tombstone("users/2", "A:9-" + a)});
    receive(dest, b, {tombstone("users/2", "B:3-" + b)});
    CHECK(dest.live.at("users/2").tombstone);
    CHECK(dest.conflicted.empty());
  }
}

TEST_CASE("a local write over a conflict resolves it") {
  auto dest = holding("A:7-" + a, R"({"n":1})");
  receive(dest, b, {version("users/1", "B:2-" + b, R"({"n":2})")});
  transaction_executor exec{"C", 1};
  write_command put;
  put.id = "users/1";
  put.document.collection = "Users";
  put.document.body = R"({"n":5})";
  SUBCASE("by a PUT") {
    auto tx = exec.execute(write_transaction{{put}}, dest.state, dest, 1000);
    REQUIRE(tx);
    REQUIRE(tx->writes.size() == 1);
    CHECK(tx->writes[0].removed_conflicts.size() == 2);
    dest.apply(tx->writes, tx->state);
    CHECK(dest.conflicted.empty());
    CHECK(dest.live.at("users/1").change_vector
          == "A:7-" + a + ", B:2-" + b + ", C:4-" + c);
  }
  SUBCASE("by a DELETE") {
    put.kind = command_kind::del;
    auto tx = exec.execute(write_transaction{{put}}, dest.state, dest, 1000);
    REQUIRE(tx);
    REQUIRE(tx->writes.size() == 1);
    CHECK(tx->writes[0].record.tombstone);
    CHECK(tx->result.results[0].deleted);
    dest.apply(tx->writes, tx->state);
    CHECK(dest.conflicted.empty());
    CHECK(dest.live.at("users/1").tombstone);
  }
}

TEST_CASE("items of one id in one batch see each other") {
  memory_documents dest{c};
  auto out = receive(dest, a,
                     {version("users/1", "A:1-" + a, R"({"n":1})", 1, 1),
                      version("users/1", "A:2-" + a, R"({"n":2})", 2, 2),
                      tombstone("users/1", "A:3-" + a)});
  CHECK(out.writes.size() == 3);
  CHECK(dest.live.at("users/1").tombstone);
  CHECK(dest.by_etag.size() == 1);
}

TEST_CASE("a batch with an unreadable item applies nothing") {
  memory_documents dest{c};
  auto bad = version("users/2", "A:2-" + a, "{}");
  bad.change_vector = "garbage";
  incoming_batch batch{a, 0, 2, {version("users/1", "A:1-" + a, "{}"), bad}};
  auto out = apply_incoming(batch, dest.state, dest, {}, "C");
  REQUIRE(!out);
  CHECK(out.error().code == ec::bad_request);
}

TEST_CASE("a batch that does not follow what was accepted is refused") {
  auto dest = holding("A:7-" + a, R"({"n":1})"); // accepted up to 1 from a
  incoming_batch gap{a, 5, 9, {version("users/2", "A:9-" + a, "{}")}};
  auto out = apply_incoming(gap, dest.state, dest, {}, "C");
  REQUIRE(!out);
  CHECK(out.error().code == ec::bad_request);
  // Pipelined: one starting at or before what was accepted applies.
  incoming_batch next{a, 1, 9, {version("users/2", "A:9-" + a, "{}")}};
  CHECK(apply_incoming(next, dest.state, dest, {}, "C"));
}
