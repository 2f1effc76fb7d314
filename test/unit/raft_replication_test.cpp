// Raft core: log replication and commitment (Raft §5.3, §5.4; etcd's fast
// back-off; ravendb-internals.md §1.4, §1.7).

#include "runtime/raft/core.hpp"
#include "test/fixtures/raft_network.hpp"

#include <doctest/doctest.h>

using namespace corvus;
using namespace corvus::raft;
using corvus::test::raft_network;

namespace {

entry command(index_t index, term_t term, std::string data) {
  return entry{index, term, entry_kind::command, std::move(data)};
}

std::vector<std::string> commands(const std::vector<entry>& entries) {
  std::vector<std::string> out;
  for (auto& e : entries)
    if (e.kind == entry_kind::command)
      out.emplace_back(e.data.view());
  return out;
}

/// Replaces the stored log of `tag` (after the founding entry) and its term.
void set_log(raft_network& net, const node_tag& tag, term_t term,
             std::vector<entry> rest) {
  auto& stored = net.members.at(tag).storage.durable;
  stored.entries.resize(1);
  stored.entries.insert(stored.entries.end(), rest.begin(), rest.end());
  stored.state.term = term;
  net.restart(tag);
}

/// Makes A the leader of `net` (A and B) with an in-flight window of two
/// one-entry appends, and gives it ten entries to send.
/// @returns A's config.
config leader_with_ten_entries(raft_network& net) {
  auto cfg = raft_network::config_for("A");
  cfg.max_inflight = 2;
  cfg.max_append_bytes = 1;
  net.restart("A", cfg);
  net.elect("A");
  for (int i = 0; i < 10; ++i)
    REQUIRE(net["A"].propose("c"));
  net.drain("A");
  return cfg;
}

/// Makes A the leader of `net` (A and B), sending appends of one 100-byte
/// entry with at most `inflight_bytes` of them in flight, and gives it
/// `count` such entries to send.
void leader_with_entries_of_100_bytes(raft_network& net, size_t inflight_bytes,
                                      int count) {
  auto cfg = raft_network::config_for("A");
  cfg.max_append_bytes = 100;
  cfg.max_inflight_bytes = inflight_bytes;
  net.restart("A", cfg);
  net.elect("A");
  net.deliver();
  for (int i = 0; i < count; ++i)
    REQUIRE(net["A"].propose(std::string(100, 'x')));
  net.drain("A");
}

} // namespace

TEST_SUITE("raft §5.3 log replication") {

TEST_CASE("the leader replicates, commits by majority, and all apply") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  auto index = net["A"].propose("x");
  REQUIRE(index);
  CHECK(*index == 3);
  REQUIRE(net["A"].propose("y"));
  net.deliver();
  for (auto& t : {"A", "B", "C"}) {
    CHECK(net[t].commit() == 4);
    CHECK(commands(net.members.at(t).applied)
          == std::vector<std::string>{"x", "y"});
  }
}

TEST_CASE("proposals of one turn travel in one append per follower") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  for (int i = 0; i < 10; ++i)
    REQUIRE(net["A"].propose("c" + std::to_string(i)));
  net.drain("A");
  auto appends = net.queued(message_type::append);
  REQUIRE(appends.size() == 2);
  CHECK(appends[0].entries.size() == 10);
}

TEST_CASE("nothing commits without a majority") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  net.isolated["B"] = true;
  net.isolated["C"] = true;
  REQUIRE(net["A"].propose("x"));
  net.deliver();
  CHECK(net["A"].commit() == 2);
  CHECK(net.members.at("A").applied.size() == 2);
  net.isolated.erase("B");
  net.tick_all(4); // the next heartbeat round reaches B
  CHECK(net["A"].commit() == 3);
  CHECK(net["B"].commit() == 3);
}

TEST_CASE("a follower's conflicting suffix is replaced by the leader's") {
  raft_network net{{"A", "B", "C"}};
  // B holds entries of term 2 nobody else has (a leader that crashed
  // before replicating them); A and C hold a committed-looking prefix.
  set_log(net, "A", 3, {command(2, 1, "a")});
  set_log(net, "C", 3, {command(2, 1, "a")});
  set_log(net, "B", 2,
          {command(2, 1, "a"), command(3, 2, "b1"), command(4, 2, "b2")});
  // A wins with C's vote (B refuses: its last term is higher).
  net.elect("A");
  REQUIRE(net["A"].current_role() == role::leader);
  REQUIRE(net["A"].propose("z"));
  net.deliver();
  net.tick_all(4);
  auto& b = net.members.at("B").storage.durable.entries;
  auto& a = net.members.at("A").storage.durable.entries;
  CHECK(b == a);
  CHECK(commands(net.members.at("B").applied)
        == std::vector<std::string>{"a", "z"});
}

TEST_CASE("fast back-off skips a conflicting term in one step") {
  raft_network net{{"A", "B", "C"}};
  std::vector<entry> stale;
  for (index_t i = 2; i < 60; ++i)
    stale.push_back(command(i, 2, "stale"));
  set_log(net, "B", 2, stale);
  set_log(net, "A", 3, {command(2, 3, "a")});
  set_log(net, "C", 3, {command(2, 3, "a")});
  net.elect("A");
  int rejections = 0;
  net.deliver([&](const message& m) {
    if (m.type == message_type::append_response && m.reject)
      ++rejections;
    return true;
  });
  net.tick_all(4);
  CHECK(rejections <= 3);
  CHECK(net["B"].last_index() == net["A"].last_index());
  CHECK(net["B"].commit() == net["A"].commit());
}

TEST_CASE("a restarted follower catches up from its durable log") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  REQUIRE(net["A"].propose("x"));
  net.deliver();
  net.isolated["C"] = true;
  REQUIRE(net["A"].propose("y"));
  net.deliver();
  net.restart("C");
  net.isolated.clear();
  net.tick_all(5);
  // After a restart the committed entries are applied again from the log.
  CHECK(commands(net.members.at("C").applied)
        == std::vector<std::string>{"x", "y"});
}

TEST_CASE("the in-flight window bounds unacknowledged appends") {
  raft_network net{{"A", "B"}};
  leader_with_ten_entries(net);
  CHECK(net.queued(message_type::append).size() == 2);
  net.deliver();
  CHECK(net["B"].last_index() == net["A"].last_index());
}

TEST_CASE("the in-flight bytes bound a follower catching up") {
  // Appends of 100 bytes, up to 256 of them in flight: without a bound on
  // bytes a follower far behind would get them all at once.
  raft_network net{{"A", "B"}};
  leader_with_entries_of_100_bytes(net, 350, 20);
  // Three appends reach 300 bytes, the fourth passes the bound.
  CHECK(net.queued(message_type::append).size() == 4);
  net.deliver();
  CHECK(net["B"].last_index() == net["A"].last_index());
}

TEST_CASE("one append is in flight however large") {
  raft_network net{{"A", "B"}};
  leader_with_entries_of_100_bytes(net, 1, 5);
  CHECK(net.queued(message_type::append).size() == 1);
  net.deliver();
  CHECK(net["B"].last_index() == net["A"].last_index());
}

TEST_CASE("heartbeat answers release one append per heartbeat period") {
  // A follower that stalled answers every heartbeat it missed at once;
  // each answer releasing another append queued a burst for it ahead of
  // the other followers' traffic.
  raft_network net{{"A", "B"}};
  auto cfg = leader_with_ten_entries(net);
  REQUIRE(net.queued(message_type::append).size() == 2);
  net.in_flight.clear(); // lost: the pipeline stays full
  auto answer = [&] {
    message m;
    m.type = message_type::heartbeat_response;
    m.from = "B";
    m.to = "A";
    m.term = net["A"].term();
    net["A"].step(m);
    net.drain("A");
  };
  for (int i = 0; i < 5; ++i)
    answer();
  CHECK(net.queued(message_type::append).size() == 1);
  net.in_flight.clear();
  // The next heartbeat period releases one more.
  net.tick("A", cfg.heartbeat_ticks);
  net.in_flight.clear();
  for (int i = 0; i < 5; ++i)
    answer();
  CHECK(net.queued(message_type::append).size() == 1);
}

TEST_CASE("a commit-only append to a follower that keeps up is not answered") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  REQUIRE(net["A"].propose("x"));
  std::vector<message> appends;
  std::vector<message> answers;
  net.deliver([&](const message& m) {
    if (m.type == message_type::append)
      appends.push_back(m);
    if (m.type == message_type::append_response)
      answers.push_back(m);
    return true;
  });
  // Two appends carry the entry and are answered; the two that carry the
  // new commit index are accepted silently.
  REQUIRE(appends.size() == 4);
  for (int i = 0; i < 2; ++i) {
    CHECK(appends[i].entries.size() == 1);
    CHECK_FALSE(appends[i].quiet);
    CHECK(appends[i + 2].entries.empty());
    CHECK(appends[i + 2].quiet);
    CHECK(appends[i + 2].commit == 3);
  }
  CHECK(answers.size() == 2);
  for (auto& t : {"B", "C"})
    CHECK(net[t].commit() == 3);
}

TEST_CASE("a quiet append that does not match is answered with a rejection") {
  raft_network net{{"A", "B", "C"}};
  net.elect("A");
  REQUIRE(net["A"].propose("x"));
  // B loses the entry; A and C commit it, and the quiet commit news
  // reaches a B that lacks it.
  auto lost = false;
  std::vector<message> from_b;
  net.deliver([&](const message& m) {
    if (m.type == message_type::append && m.to == "B" && !m.entries.empty()
        && !lost) {
      lost = true;
      return false;
    }
    if (m.from == "B" && m.type == message_type::append_response)
      from_b.push_back(m);
    return true;
  });
  REQUIRE(lost);
  REQUIRE_FALSE(from_b.empty());
  CHECK(from_b.front().reject);
  // The rejection sends A back to B's match point; B catches up at once.
  CHECK(net["B"].last_index() == 3);
  CHECK(net["B"].commit() == 3);
}

} // TEST_SUITE

TEST_SUITE("raft §5.4 safety") {

TEST_CASE("Figure 8: an earlier term's entry is not committed by counting") {
  // Five members. A led term 2 and replicated entry 2 only to B; E led
  // term 3 and wrote its own entry 2. A is leader again in term 4.
  raft_network net{{"A", "B", "C", "D", "E"}};
  set_log(net, "A", 3, {command(2, 2, "from A")});
  set_log(net, "B", 3, {command(2, 2, "from A")});
  set_log(net, "E", 3, {command(2, 3, "from E")});
  set_log(net, "C", 3, {});
  set_log(net, "D", 3, {});
  net.isolated["E"] = true;
  net["A"].campaign();
  net.deliver([](const message& m) {
    return m.type == message_type::vote
           || m.type == message_type::vote_response;
  });
  REQUIRE(net["A"].current_role() == role::leader);
  REQUIRE(net["A"].term() == 4);
  // A's append carries entry 2 (term 2) and its no-op 3 (term 4). Only
  // entry 2 reaches C: entry 2 is now on A, B and C - a majority.
  net.drain("A");
  for (auto& m : net.queued(message_type::append)) {
    if (m.to != "C")
      continue;
    auto trimmed = m;
    trimmed.entries.resize(1);
    REQUIRE(trimmed.entries[0].index == 2);
    net["C"].step(trimmed);
  }
  net.in_flight.clear();
  net.drain("C");
  net.deliver([](const message& m) {
    return m.type == message_type::append_response;
  });
  // Counting replicas would commit entry 2 here; Raft must not.
  CHECK(net["A"].commit() < 2);
  // Indeed: A crashes, E (last term 3) wins with C and D, and replaces
  // entry 2 everywhere.
  net.members.at("A").core.reset();
  net.isolated.clear();
  net.in_flight.clear();
  // The others stop hearing A (their timers have not fired yet).
  for (auto& t : {"B", "C", "D"})
    for (int i = 0; i < 6; ++i)
      net[t].tick();
  net.in_flight.clear();
  net["E"].campaign(); // term 4: refused, they voted for A in term 4
  net.deliver();
  net["E"].campaign(); // term 5
  net.deliver();
  REQUIRE(net["E"].current_role() == role::leader);
  net.tick_all(5);
  CHECK(net.members.at("B").storage.durable.entries.at(1).data == "from E");
}

TEST_CASE("entries of the current term commit earlier ones with them") {
  raft_network net{{"A", "B", "C"}};
  set_log(net, "A", 2, {command(2, 2, "old")});
  set_log(net, "B", 2, {});
  set_log(net, "C", 2, {});
  net.elect("A");
  // The no-op of term 3 commits, and with it entry 2 of term 2.
  CHECK(net["A"].commit() == 3);
  CHECK(commands(net.members.at("B").applied)
        == std::vector<std::string>{"old"});
}

} // TEST_SUITE
