#include "runtime/replication/arrival.hpp"

#include "test/fixtures/change_vectors.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace corvus;
using corvus::test::cv;

namespace {

const std::string& a = test::db_a;
const std::string& b = test::db_b;
const std::string& c = test::db_c;

document_version doc(const std::string& version, std::string_view json,
                     int64_t modified = 0) {
  return {cv(version), false, json, modified};
}

document_version tomb(const std::string& version, int64_t modified = 0) {
  return {cv(version), true, {}, modified};
}

const conflict_policy latest_on{true};
const conflict_policy latest_off{false};

} // namespace

TEST_CASE("a newer version applies, a known one is ignored") {
  auto local = doc("A:5-" + a, R"({"n":1})");
  SUBCASE("never seen") {
    auto d = decide_arrival(doc("B:1-" + b, "{}"), {}, {}, latest_on);
    CHECK(d.outcome == arrival_outcome::apply);
  }
  SUBCASE("newer") {
    auto d = decide_arrival(doc("A:6-" + a, R"({"n":2})"), local, {},
                            latest_on);
    CHECK(d.outcome == arrival_outcome::apply);
  }
  SUBCASE("a deletion that saw the local version") {
    auto d = decide_arrival(tomb("A:5-" + a + ", B:2-" + b), local, {},
                            latest_on);
    CHECK(d.outcome == arrival_outcome::apply);
  }
  SUBCASE("older or equal") {
    for (auto v : {"A:4-" + a, "A:5-" + a}) {
      auto d = decide_arrival(doc(v, R"({"n":0})"), local, {}, latest_on);
      CHECK(d.outcome == arrival_outcome::ignore);
    }
  }
}

TEST_CASE("concurrent versions: identical content and two deletions merge "
          "silently") {
  auto merged = cv("A:5-" + a + ", B:3-" + b);
  SUBCASE("same document") {
    auto d = decide_arrival(doc("B:3-" + b, R"({"n":1})"),
                            doc("A:5-" + a, R"({"n":1})"), {}, latest_off);
    CHECK(d.outcome == arrival_outcome::merge_identical);
    CHECK(d.merged == merged);
  }
  SUBCASE("two deletions") {
    auto d = decide_arrival(tomb("B:3-" + b), tomb("A:5-" + a), {},
                            latest_off);
    CHECK(d.outcome == arrival_outcome::merge_identical);
    CHECK(d.merged == merged);
  }
  SUBCASE("a document against a deletion is no match") {
    auto d = decide_arrival(doc("B:3-" + b, "{}"), tomb("A:5-" + a), {},
                            latest_off);
    CHECK(d.outcome == arrival_outcome::conflict);
  }
}

TEST_CASE("concurrent different versions: the latest wins, or a conflict "
          "is stored") {
  auto local = doc("A:5-" + a, R"({"n":1})", 100);
  auto incoming = doc("B:3-" + b, R"({"n":2})", 200);
  SUBCASE("resolve to latest: the later modification") {
    auto d = decide_arrival(incoming, local, {}, latest_on);
    CHECK(d.outcome == arrival_outcome::resolve);
    CHECK(d.winner == arrival_winner::incoming);
    CHECK(d.merged == cv("A:5-" + a + ", B:3-" + b));
    incoming.last_modified = 50;
    d = decide_arrival(incoming, local, {}, latest_on);
    CHECK(d.winner == arrival_winner::local);
  }
  SUBCASE("a tie goes to the greater content, wherever asked, whatever "
          "the vectors") {
    // Resolutions keep the winner's time and content but not its vector:
    // a tie broken by vectors could pick differently on every copy.
    incoming.last_modified = local.last_modified;
    auto here = decide_arrival(incoming, local, {}, latest_on);
    auto there = decide_arrival(local, incoming, {}, latest_on);
    CHECK(here.winner == arrival_winner::incoming); // {"n":2} > {"n":1}
    CHECK(there.winner == arrival_winner::local);
    auto resolved = doc("A:5-" + a + ", B:3-" + b + ", C:1-" + c,
                        R"({"n":1})", 100);
    auto later = decide_arrival(incoming, resolved, {}, latest_on);
    CHECK(later.winner == arrival_winner::incoming);
    auto tomb_tie = decide_arrival(tomb("B:3-" + b, 100), local, {},
                                   latest_on);
    CHECK(tomb_tie.winner == arrival_winner::local); // a document
  }
  SUBCASE("a tie of time and content goes to the smaller vector text") {
    auto tomb_local = tomb("A:5-" + a, 100);
    auto tomb_incoming = tomb("B:3-" + b, 100);
    auto here = decide_arrival(tomb_incoming, tomb_local, {}, latest_on);
    // (Two tombstones merge; as candidates of a conflict they tie.)
    CHECK(here.outcome == arrival_outcome::merge_identical);
    std::vector<document_version> conflicts{tomb_local, tomb_incoming};
    auto third = doc("C:1-" + c, R"({"n":0})", 50);
    auto d = decide_arrival(third, {}, conflicts, latest_on);
    CHECK(d.winner == arrival_winner::stored_conflict);
    CHECK(d.conflict_index == 0); // "A:..." < "B:..."
  }
  SUBCASE("without resolve to latest: a conflict") {
    auto d = decide_arrival(incoming, local, {}, latest_off);
    CHECK(d.outcome == arrival_outcome::conflict);
  }
}

TEST_CASE("an id in conflict: a version newer than all resolves it, a "
          "known one is dropped, another concurrent one joins") {
  std::vector<document_version> conflicts{doc("A:5-" + a, R"({"n":1})", 10),
                                          doc("B:3-" + b, R"({"n":2})", 30)};
  SUBCASE("newer than every stored version") {
    auto d = decide_arrival(doc("A:5-" + a + ", B:3-" + b + ", C:1-" + c,
                                R"({"n":3})"),
                            {}, conflicts, latest_off);
    CHECK(d.outcome == arrival_outcome::apply);
  }
  SUBCASE("one of them again") {
    auto d = decide_arrival(doc("B:2-" + b, R"({"n":2})"), {}, conflicts,
                            latest_off);
    CHECK(d.outcome == arrival_outcome::ignore);
  }
  SUBCASE("a third concurrent version") {
    auto third = doc("C:1-" + c, R"({"n":3})", 20);
    auto d = decide_arrival(third, {}, conflicts, latest_off);
    CHECK(d.outcome == arrival_outcome::conflict);
    CHECK(d.superseded.empty());
    d = decide_arrival(third, {}, conflicts, latest_on);
    CHECK(d.outcome == arrival_outcome::resolve);
    CHECK(d.winner == arrival_winner::stored_conflict);
    CHECK(d.conflict_index == 1);
    CHECK(d.merged == cv("A:5-" + a + ", B:3-" + b + ", C:1-" + c));
  }
}

TEST_CASE("an id in conflict: a version that supersedes some of the stored "
          "ones replaces them") {
  // A copy that received the new version before the ones it descends from
  // ignores those; every copy must end with the same conflicts.
  std::vector<document_version> conflicts{doc("A:5-" + a, R"({"n":1})"),
                                          doc("B:3-" + b, R"({"n":2})"),
                                          doc("A:4-" + a, R"({"n":0})")};
  auto d = decide_arrival(doc("A:6-" + a, R"({"n":3})"), {}, conflicts,
                          latest_off);
  CHECK(d.outcome == arrival_outcome::conflict);
  CHECK(d.superseded == std::vector<size_t>{0, 2});
}
