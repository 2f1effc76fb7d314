// A snapshot sent in pieces (runtime/raft/snapshot_transfer.hpp): the
// sender keeps a window of pieces unacknowledged, the receiver puts them
// together in order and drops what does not belong, and a leader's
// transfers start once per snapshot and end when installed or stalled.

#include "runtime/raft/snapshot_transfer.hpp"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <set>
#include <string>

using namespace corvus;
using namespace corvus::raft;

namespace {

message install(std::string data, term_t term = 3, index_t index = 40) {
  message msg;
  msg.type = message_type::install_snapshot;
  msg.from = "A";
  msg.to = "B";
  msg.term = term;
  msg.snap.index = index;
  msg.snap.term = term;
  msg.snap.config.topology_id = "t";
  msg.snap.config.members = {{"A", "http://a"}, {"B", "http://b"}};
  msg.snap.data = shared_text{std::move(data)};
  return msg;
}

std::string sample(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(static_cast<char>('a' + i * 7 % 26));
  return out;
}

} // namespace

TEST_CASE("a sender keeps at most a window of pieces unacknowledged") {
  // 10 bytes in pieces of 3, two pieces ahead: 0-2, 3-5, then one per ack.
  snapshot_sender s{7, install(sample(10)), 3, 2};
  auto first = s.take_pieces();
  REQUIRE_EQ(first.size(), 2u);
  CHECK_EQ(first[0].offset, 0u);
  CHECK_EQ(first[0].bytes, "aho");
  CHECK_EQ(first[1].offset, 3u);
  CHECK(s.take_pieces().empty());
  CHECK(s.acknowledge(3));
  auto next = s.take_pieces();
  REQUIRE_EQ(next.size(), 1u);
  CHECK_EQ(next[0].offset, 6u);
  CHECK(s.acknowledge(9));
  auto last = s.take_pieces();
  REQUIRE_EQ(last.size(), 1u);
  CHECK_EQ(last[0].offset, 9u);
  CHECK_EQ(last[0].bytes.size(), 1u);
  CHECK_FALSE(s.delivered());
  CHECK(s.acknowledge(10));
  CHECK(s.delivered());
  CHECK(s.take_pieces().empty());
}

TEST_CASE("a sender refuses acknowledgements it cannot have earned") {
  snapshot_sender s{7, install(sample(10)), 4, 1};
  CHECK_FALSE(s.acknowledge(0)); // nothing sent yet
  s.take_pieces();
  CHECK_FALSE(s.acknowledge(5)); // more than sent
  CHECK(s.acknowledge(4));
  CHECK_FALSE(s.acknowledge(2)); // going back
  CHECK_EQ(s.acknowledged(), 4u);
}

TEST_CASE("the header is the message without its data") {
  auto msg = install(sample(10));
  snapshot_sender s{7, msg, 4, 1};
  auto h = s.header();
  CHECK(h.snap.data.empty());
  h.snap.data = msg.snap.data;
  CHECK_EQ(h, msg);
}

TEST_CASE("a repeated request for the same snapshot is recognized") {
  snapshot_sender s{7, install(sample(10)), 4, 1};
  CHECK(s.repeats(install("other bytes")));
  CHECK_FALSE(s.repeats(install(sample(10), 4)));      // a later term
  CHECK_FALSE(s.repeats(install(sample(10), 3, 41)));  // a newer snapshot
  auto elsewhere = install(sample(10));
  elsewhere.to = "C";
  CHECK_FALSE(s.repeats(elsewhere));
}

TEST_CASE("pieces sent and acknowledged one by one rebuild the message") {
  for (size_t size : {0u, 1u, 5u, 6u, 1000u}) {
    CAPTURE(size);
    auto msg = install(sample(size));
    snapshot_sender s{9, msg, 6, 3};
    snapshot_receiver r;
    // What the receiving member writes to the snapshot's file.
    std::string file;
    auto rounds = 0;
    while (!s.delivered()) {
      auto pieces = s.take_pieces();
      REQUIRE_FALSE(pieces.empty());
      for (auto& p : pieces) {
        if (!r.take("A", s.id(), p.offset, s.total(), p.bytes.size(),
                    p.offset == 0 ? s.header() : message{}))
          continue;
        file.append(p.bytes);
        CHECK_EQ(r.received(), file.size());
        if (r.received() > 0)
          CHECK(s.acknowledge(r.received()));
      }
      REQUIRE(++rounds < 1000);
    }
    REQUIRE(r.complete());
    CHECK_EQ(r.header().snap.index, msg.snap.index);
    CHECK_EQ(r.finish(file), msg);
    CHECK_FALSE(r.receiving());
  }
}

TEST_CASE("a receiver drops pieces that do not follow what it holds") {
  auto msg = install("0123456789");
  snapshot_sender s{1, msg, 4, 1};
  auto h = s.header();
  snapshot_receiver r;
  // Nothing started: a middle piece is dropped.
  CHECK_FALSE(r.take("A", 1, 4, 10, 4, message{}));
  CHECK(r.take("A", 1, 0, 10, 4, h));
  CHECK_EQ(r.received(), 4u);
  CHECK_FALSE(r.take("A", 1, 8, 10, 2, message{})); // a gap
  CHECK_FALSE(r.take("A", 2, 4, 10, 4, message{})); // another transfer
  CHECK_FALSE(r.take("C", 1, 4, 10, 4, message{})); // another sender
  CHECK_FALSE(r.take("A", 1, 4, 11, 4, message{})); // another size
  CHECK_EQ(r.received(), 4u);
  CHECK(r.take("A", 1, 4, 10, 4, message{}));
  CHECK_EQ(r.received(), 8u);
  CHECK_FALSE(r.complete());
  // Past the announced size: the whole snapshot is dropped.
  CHECK_FALSE(r.take("A", 1, 8, 10, 3, message{}));
  CHECK_FALSE(r.receiving());
  CHECK_EQ(r.received(), 0u);
}

TEST_CASE("a first piece starts over and drops an unfinished snapshot") {
  auto older = install("0123456789", 3, 40);
  auto newer = install("abcdef", 3, 50);
  snapshot_receiver r;
  CHECK(r.take("A", 1, 0, 10, 4, snapshot_sender{1, older, 4, 1}.header()));
  CHECK(r.take("A", 2, 0, 6, 6, snapshot_sender{2, newer, 8, 1}.header()));
  CHECK_EQ(r.received(), 6u);
  REQUIRE(r.complete());
  CHECK_EQ(r.finish("abcdef"), newer);
  // The rest of the older one finds nothing to follow.
  CHECK_FALSE(r.take("A", 1, 4, 10, 4, message{}));
}

namespace {

using namespace std::chrono_literals;

/// A leader's transfers in pieces of 4 bytes, one ahead, that stall after
/// 3 s without progress.
struct transfers_fixture {
  snapshot_transfers transfers{4, 1, 3s};
  snapshot_transfers::time_point t0{};
  /// What the core reports of the followers' logs.
  std::map<node_tag, index_t> match;
  /// Nodes the core no longer follows.
  std::set<node_tag> unfollowed;

  std::vector<snapshot_transfers::stalled> expire_at(
    std::chrono::milliseconds elapsed) {
    return transfers.expire(
      t0 + elapsed, [this](const node_tag& to) -> std::optional<index_t> {
        if (unfollowed.count(to) > 0)
          return std::nullopt;
        return match.count(to) ? match.at(to) : index_t{0};
      });
  }

  /// Sends every piece of the transfer to B, each acknowledged at `at`.
  void deliver(std::chrono::milliseconds at) {
    auto* s = transfers.find("B");
    REQUIRE(s);
    for (auto pieces = s->take_pieces(); !pieces.empty();
         pieces = s->take_pieces()) {
      auto& last = pieces.back();
      REQUIRE(transfers.acknowledge("B", s->id(),
                                    last.offset + last.bytes.size(), t0 + at));
    }
    REQUIRE(s->delivered());
  }
};

} // namespace

TEST_CASE_FIXTURE(transfers_fixture,
                  "a request for the snapshot already on its way starts "
                  "nothing; another snapshot replaces it") {
  auto* first = transfers.start(install(sample(10)), t0);
  REQUIRE(first);
  auto id = first->id();
  first->take_pieces();
  CHECK_FALSE(transfers.start(install(sample(10)), t0 + 1s));
  CHECK_EQ(transfers.find("B")->id(), id);
  CHECK_EQ(transfers.find("B")->acknowledged(), 0u);
  auto* newer = transfers.start(install(sample(10), 3, 41), t0 + 1s);
  REQUIRE(newer);
  CHECK_NE(newer->id(), id);
  CHECK_EQ(transfers.find("B"), newer);
  CHECK_FALSE(transfers.find("C"));
}

TEST_CASE_FIXTURE(transfers_fixture,
                  "only acknowledgements of the current transfer move it") {
  auto* s = transfers.start(install(sample(10)), t0);
  REQUIRE(s);
  s->take_pieces();
  CHECK_FALSE(transfers.acknowledge("B", s->id() + 1, 4, t0 + 2s));
  CHECK_FALSE(transfers.acknowledge("C", s->id(), 4, t0 + 2s));
  CHECK_FALSE(transfers.acknowledge("B", s->id(), 5, t0 + 2s)); // not sent
  CHECK(expire_at(3500ms).size() == 1); // none of those counted as progress
  s = transfers.start(install(sample(10)), t0 + 3500ms);
  REQUIRE(s);
  s->take_pieces();
  CHECK_EQ(transfers.acknowledge("B", s->id(), 4, t0 + 6s), s);
  // Moved at 6 s: not stalled at 8 s, stalled past 9 s.
  CHECK(expire_at(8s).empty());
  auto stalled = expire_at(9100ms);
  REQUIRE_EQ(stalled.size(), 1u);
  CHECK_EQ(stalled[0].to, "B");
  CHECK_EQ(stalled[0].index, 40u);
  CHECK_FALSE(stalled[0].delivered);
  CHECK_EQ(stalled[0].acknowledged, 4u);
  CHECK_EQ(stalled[0].total, 10u);
  CHECK_FALSE(transfers.find("B"));
}

TEST_CASE_FIXTURE(transfers_fixture,
                  "a delivered snapshot is kept until the follower installed "
                  "it, and not sent again meanwhile") {
  transfers.start(install(sample(10)), t0);
  deliver(1s);
  // The follower decodes it and answers the leader's probes meanwhile; the
  // core asks for the snapshot again on each answer.
  match["B"] = 12;
  CHECK(expire_at(2s).empty());
  CHECK_FALSE(transfers.start(install(sample(10)), t0 + 2s));
  REQUIRE(transfers.find("B"));
  SUBCASE("installed: dropped without a word") {
    match["B"] = 40;
    CHECK(expire_at(2500ms).empty());
    CHECK_FALSE(transfers.find("B"));
  }
  SUBCASE("to a node no longer followed: dropped without a word") {
    // A removed node that came back learns its removal from the snapshot;
    // its answers then stop, which is no stall.
    unfollowed.insert("B");
    CHECK(expire_at(4100ms).empty());
    CHECK_FALSE(transfers.find("B"));
  }
  SUBCASE("never installed: dropped as stalled, and sent again when asked") {
    auto stalled = expire_at(4100ms);
    REQUIRE_EQ(stalled.size(), 1u);
    CHECK(stalled[0].delivered);
    CHECK(transfers.start(install(sample(10)), t0 + 5s));
  }
}

TEST_CASE_FIXTURE(transfers_fixture,
                  "a transfer under way to a node that leaves the followers "
                  "ends at the next expiry, not as a stall") {
  auto* s = transfers.start(install(sample(10)), t0);
  REQUIRE(s);
  s->take_pieces();
  CHECK(expire_at(1s).empty());
  REQUIRE(transfers.find("B"));
  unfollowed.insert("B");
  CHECK(expire_at(1100ms).empty());
  CHECK_FALSE(transfers.find("B"));
}

TEST_CASE_FIXTURE(transfers_fixture, "transfers can be dropped one or all") {
  transfers.start(install(sample(10)), t0);
  auto to_c = install(sample(10));
  to_c.to = "C";
  transfers.start(to_c, t0);
  transfers.drop("B");
  CHECK_FALSE(transfers.find("B"));
  CHECK(transfers.find("C"));
  transfers.drop_all();
  CHECK_FALSE(transfers.find("C"));
  CHECK(expire_at(10s).empty());
}
