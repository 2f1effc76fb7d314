// The raft store on LevelDB's memenv, with the fault-injecting Env for
// crashes: round trips, the log edits a Raft core asks for (divergent
// suffixes, compaction, snapshot installs), refusal of saves and stores
// that would break the log's invariants, and a long random run against an
// in-memory model.

#include "storage/raft_store.hpp"

#include "storage/keys.hpp"
#include "storage/mapped_text.hpp"
#include "test/fixtures/fault_env.hpp"
#include "test/fixtures/mapped_file_of.hpp"
#include "test/fixtures/raft_durable_model.hpp"
#include "test/fixtures/temp_dir.hpp"
#include "test/storage/store_model.hpp"

#include <doctest/doctest.h>

#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace corvus;
using namespace corvus::test;
using corvus::test::temp_dir;

namespace {

namespace kb = byte_order;
namespace rk = raft_keys;

using contents = raft_store::contents;

constexpr const char* dir = "/raft";

raft::entry make_entry(raft::index_t index, raft::term_t term,
                       raft::entry_kind kind = raft::entry_kind::command,
                       std::string data = {}) {
  raft::entry e;
  e.index = index;
  e.term = term;
  e.kind = kind;
  e.data = data.empty() && kind == raft::entry_kind::command
             ? "{\"cmd\":" + std::to_string(index) + "}"
             : std::move(data);
  return e;
}

// Commands at `from` to `to`, all in `term`.
std::vector<raft::entry> commands(raft::index_t from, raft::index_t to,
                                  raft::term_t term) {
  std::vector<raft::entry> out;
  for (auto i = from; i <= to; ++i)
    out.push_back(make_entry(i, term));
  return out;
}

raft::topology sample_topology() {
  raft::topology t;
  t.topology_id = "6a1f2c3e-0d4b-4c5a-9e8f-7b6a5c4d3e2f";
  t.members = {{"A", "http://10.0.0.1:8080"}, {"B", "http://10.0.0.2:8080"}};
  t.promotables = {{"C", "http://10.0.0.3:8080"}};
  t.watchers = {{"D", "http://10.0.0.4:8080"}};
  t.last_node_id = "D";
  return t;
}

raft::snapshot make_snapshot(raft::index_t index, raft::term_t term,
                             std::string data = "state") {
  raft::snapshot s;
  s.index = index;
  s.term = term;
  s.config = sample_topology();
  s.data = std::move(data);
  return s;
}

raft::ready append(std::vector<raft::entry> entries) {
  raft::ready r;
  r.entries = std::move(entries);
  return r;
}

std::unique_ptr<raft_store> open_store(leveldb::Env* env) {
  return unwrap(raft_store::open(dir, env));
}

// @returns the first difference between `got` and `want`; empty if none.
std::string difference(const contents& got, const contents& want) {
  std::ostringstream out;
  if (got.tag != want.tag)
    out << "tag '" << got.tag << "' != '" << want.tag << "'";
  else if (got.state != want.state)
    out << "hard state (term " << got.state.term << ", vote '"
        << got.state.voted_for << "', commit " << got.state.commit
        << ") != (" << want.state.term << ", '" << want.state.voted_for
        << "', " << want.state.commit << ")";
  else if (got.snap != want.snap)
    out << "snapshot at " << got.snap.index << "/" << got.snap.term
        << " (" << got.snap.data.size() << " bytes) != "
        << want.snap.index << "/" << want.snap.term << " ("
        << want.snap.data.size() << " bytes)";
  else if (got.entries.size() != want.entries.size())
    out << got.entries.size() << " entries != " << want.entries.size();
  else
    for (size_t i = 0; i < got.entries.size(); ++i)
      if (got.entries[i] != want.entries[i]) {
        out << "entry #" << i << " at " << got.entries[i].index << "/"
            << got.entries[i].term << " != " << want.entries[i].index << "/"
            << want.entries[i].term;
        break;
      }
  return out.str();
}

// Checks that `store` holds `want`, accessors included.
void check_holds(const raft_store& store, const contents& want) {
  auto got = unwrap(store.load());
  auto diff = difference(got, want);
  REQUIRE_MESSAGE(diff.empty(), diff);
  auto first = want.entries.empty() ? 0 : want.entries.front().index;
  auto last = want.entries.empty() ? 0 : want.entries.back().index;
  CHECK(store.first_index() == first);
  CHECK(store.last_index() == last);
  CHECK(unwrap(store.tag()) == want.tag);
}

// What a store must hold after a sequence of saves, done naively.
struct raft_model {
  contents c;

  void save(const raft::ready& r) {
    test::persist_naively(c, r);
  }

  raft::index_t last_index() const {
    return c.entries.empty() ? c.snap.index : c.entries.back().index;
  }

  raft::term_t last_term() const {
    return c.entries.empty() ? c.snap.term : c.entries.back().term;
  }

  raft::term_t term_at(raft::index_t index) const {
    return index == c.snap.index
             ? c.snap.term
             : c.entries[index - c.snap.index - 1].term;
  }
};

// Changes the closed store in `dir` directly through LevelDB.
void tamper(leveldb::Env* env,
            const std::function<void(leveldb::WriteBatch&)>& edit) {
  leveldb::Options opts;
  opts.env = env;
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(opts, dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db{raw};
  leveldb::WriteBatch batch;
  edit(batch);
  REQUIRE(db->Write(leveldb::WriteOptions{}, &batch).ok());
}

/// The start of a snapshot value: index, term, topology JSON length.
std::string snapshot_head(raft::index_t index, raft::term_t term,
                          size_t json_size) {
  std::string value;
  kb::append_little_endian(value, index);
  kb::append_little_endian(value, term);
  kb::append_little_endian32(value, static_cast<uint32_t>(json_size));
  return value;
}

std::string entry_key(raft::index_t index) {
  std::string key;
  rk::entry_key(key, index);
  return key;
}

std::string entry_value(raft::term_t term, uint8_t kind,
                        std::string_view data = "x") {
  std::string value;
  kb::append_little_endian(value, term);
  value.push_back(static_cast<char>(kind));
  value.append(data);
  return value;
}

// @returns the failure of opening and loading the store, which must fail.
failure open_and_load_failure(leveldb::Env* env) {
  auto store = raft_store::open(dir, env);
  if (!store)
    return store.error();
  auto loaded = (*store)->load();
  REQUIRE_MESSAGE(!loaded, "a broken store loaded");
  return loaded.error();
}

/// A store on an in-memory Env and the model of what it must hold.
struct modelled_store {
  mem_env m;
  std::unique_ptr<raft_store> store = open_store(m.env.get());
  raft_model model;

  /// Saves `r` in both and checks that the store holds the model.
  void save(const raft::ready& r) {
    unwrap(store->save(r));
    model.save(r);
    check_holds(*store, model.c);
  }

  /// Saves a ready that records `snap` and discards the entries through
  /// `discard_through`.
  void save_snapshot(raft::snapshot snap, raft::index_t discard_through) {
    raft::ready r;
    r.new_snapshot = std::move(snap);
    r.discard_through = discard_through;
    save(r);
  }

  /// @returns the names of the store's files that start with one of
  ///          `prefixes`, sorted.
  std::vector<std::string>
  files_starting(std::initializer_list<std::string_view> prefixes) const {
    std::vector<std::string> all;
    REQUIRE(m.env->GetChildren(dir, &all).ok());
    std::vector<std::string> out;
    for (auto& name : all)
      for (auto prefix : prefixes)
        if (name.rfind(prefix, 0) == 0)
          out.push_back(name);
    std::sort(out.begin(), out.end());
    return out;
  }

  /// Reopens the store and checks that it still holds the model.
  void reopen() {
    store.reset();
    store = open_store(m.env.get());
    check_holds(*store, model.c);
  }
};

} // namespace

TEST_CASE("a new raft store loads empty") {
  mem_env m;
  auto store = open_store(m.env.get());
  check_holds(*store, contents{});
  auto loaded = unwrap(store->load());
  CHECK(loaded.tag.empty());
  CHECK(loaded.snap.empty());
  store.reset();
  // Reopening an empty store is fine too: the format key is there.
  store = open_store(m.env.get());
  check_holds(*store, contents{});
}

TEST_CASE("every field round trips, before and after reopening") {
  mem_env m;
  auto store = open_store(m.env.get());
  contents want;
  want.tag = "B";
  want.state = raft::hard_state{7, "C", 9};
  want.snap = make_snapshot(3, 2, std::string{"\0snap\xff\x01", 7});
  want.entries = {
    make_entry(4, 2, raft::entry_kind::noop),
    make_entry(5, 2, raft::entry_kind::command,
               std::string{"\0bin\xff\x80\n", 7}),
    make_entry(6, 5, raft::entry_kind::topology,
               raft::to_json(sample_topology())),
    make_entry(7, 5, raft::entry_kind::command, std::string(70000, 'q')),
    make_entry(8, 7),
    make_entry(9, 7, raft::entry_kind::noop),
  };
  unwrap(store->save_tag(want.tag));
  raft::ready r;
  r.new_hard_state = want.state;
  r.new_snapshot = want.snap;
  r.discard_through = 3;
  r.entries = want.entries;
  unwrap(store->save(r));
  check_holds(*store, want);
  store.reset();
  store = open_store(m.env.get());
  check_holds(*store, want);
  // An empty voted_for and a replaced tag survive as well.
  want.state = raft::hard_state{8, "", 9};
  want.tag = "ZA";
  raft::ready hs;
  hs.new_hard_state = want.state;
  unwrap(store->save(hs));
  unwrap(store->save_tag(want.tag));
  store.reset();
  store = open_store(m.env.get());
  check_holds(*store, want);
}

TEST_CASE_FIXTURE(modelled_store, "entries at an index inside the log "
                                   "replace a divergent suffix") {
  save(append(commands(1, 10, 1)));
  SUBCASE("a shorter suffix: the rest goes too") {
    save(append(commands(6, 7, 2)));
    CHECK(store->last_index() == 7);
  }
  SUBCASE("a longer suffix") {
    save(append(commands(4, 15, 3)));
    CHECK(store->last_index() == 15);
  }
  SUBCASE("from the first entry") {
    save(append(commands(1, 2, 4)));
    CHECK(store->first_index() == 1);
    CHECK(store->last_index() == 2);
  }
  SUBCASE("only the last entry") {
    save(append(commands(10, 10, 2)));
    CHECK(store->last_index() == 10);
  }
  SUBCASE("right after the last entry: a plain append") {
    save(append(commands(11, 12, 1)));
  }
  // Then appending goes on from the new end, and all of it survives.
  auto next = store->last_index() + 1;
  save(append(commands(next, next + 2, model.last_term())));
  reopen();
}

TEST_CASE("compaction may keep entries the snapshot covers") {
  mem_env m;
  auto store = open_store(m.env.get());
  raft_model model;
  unwrap(store->save(append(commands(1, 20, 1))));
  model.save(append(commands(1, 20, 1)));
  // The core keeps some entries before its snapshot, so that followers a
  // little behind still get entries (runtime/raft/core.hpp, compact).
  raft::ready r;
  r.new_snapshot = make_snapshot(15, 1, "upto-15");
  r.discard_through = 9;
  unwrap(store->save(r));
  model.save(r);
  store.reset();
  store = open_store(m.env.get());
  check_holds(*store, model.c);
  CHECK(store->first_index() == 10);
  unwrap(store->save(append(commands(21, 22, 2))));
}

TEST_CASE("a large compaction deletes its entries over several saves") {
  mem_env m;
  auto store = open_store(m.env.get());
  const raft::index_t per_save = 10000;
  unwrap(store->save(append(commands(1, 25000, 1))));
  raft::ready r;
  r.new_snapshot = make_snapshot(24000, 1, "upto-24000");
  r.discard_through = 24000;
  unwrap(store->save(r));
  CHECK(store->first_index() == per_save + 1);
  // A restart keeps what is not deleted yet: the log may hold entries its
  // snapshot covers.
  store.reset();
  store = open_store(m.env.get());
  auto loaded = unwrap(store->load());
  CHECK(loaded.snap.index == 24000);
  CHECK(loaded.entries.front().index == per_save + 1);
  CHECK(loaded.entries.back().index == 25000);
  // The next compaction asks again; the saves that follow go on deleting.
  raft::ready again;
  again.discard_through = 24000;
  unwrap(store->save(again));
  CHECK(store->first_index() == 2 * per_save + 1);
  raft::index_t i = 25001;
  for (raft::index_t want : {raft::index_t{24001}, raft::index_t{24001}}) {
    unwrap(store->save(append(commands(i, i, 1))));
    CHECK(store->first_index() == want);
    CHECK(store->last_index() == i++);
  }
  store.reset();
  store = open_store(m.env.get());
  loaded = unwrap(store->load());
  CHECK(loaded.entries.front().index == 24001);
  CHECK(loaded.entries.size() == 25002 - 24000);
}

TEST_CASE_FIXTURE(modelled_store, "compaction discards the covered "
                                   "entries with a new snapshot") {
  save(append(commands(1, 20, 1)));
  raft::ready first;
  first.new_snapshot = make_snapshot(12, 1, "upto-12");
  first.discard_through = 12;
  save(first);
  CHECK(store->first_index() == 13);
  CHECK(store->last_index() == 20);
  // Compaction, new hard state, and appends, in one ready.
  raft::ready second;
  second.new_hard_state = raft::hard_state{2, "A", 18};
  second.new_snapshot = make_snapshot(18, 1, std::string(1 << 20, 's'));
  second.discard_through = 18;
  second.entries = commands(21, 25, 2);
  save(second);
  CHECK(store->first_index() == 19);
  CHECK(store->last_index() == 25);
  // Compacting everything leaves an empty log that appends continue.
  raft::ready all;
  all.new_snapshot = make_snapshot(25, 2, "upto-25");
  all.discard_through = 25;
  save(all);
  CHECK(store->first_index() == 0);
  CHECK(store->last_index() == 0);
  save(append(commands(26, 27, 2)));
  reopen();
  CHECK(store->first_index() == 26);
}

TEST_CASE_FIXTURE(modelled_store, "installing a snapshot can discard the "
                                   "whole log") {
  save(append(commands(1, 10, 1)));
  raft::ready install;
  install.new_hard_state = raft::hard_state{4, "", 30};
  install.installed = true;
  SUBCASE("a snapshot beyond the log") {
    install.new_snapshot = make_snapshot(30, 4, "leader's state");
    install.discard_through = 30;
  }
  SUBCASE("a snapshot inside the log that conflicts with it") {
    install.new_snapshot = make_snapshot(7, 4, "leader's state");
    install.discard_through = 10;
  }
  SUBCASE("with the leader's next entries in the same ready") {
    install.new_snapshot = make_snapshot(30, 4, "leader's state");
    install.discard_through = 30;
    install.entries = commands(31, 33, 4);
  }
  save(install);
  auto next = model.last_index() + 1;
  save(append(commands(next, next + 1, 4)));
  CHECK(store->first_index() == install.new_snapshot->index + 1);
  reopen();
}

TEST_CASE("a ready with nothing to persist writes nothing") {
  memory_env m;
  auto store = open_store(&m.env);
  auto syncs = m.env.syncs();
  raft::ready r;
  r.committed = commands(1, 2, 1);
  unwrap(store->save(r));
  CHECK(m.env.syncs() == syncs);
  unwrap(store->save(append(commands(1, 1, 1))));
  CHECK(m.env.syncs() > syncs);
}

TEST_CASE("only a save that moves nothing but the commit index skips the "
          "sync") {
  memory_env m;
  auto store = open_store(&m.env);
  unwrap(store->save(append(commands(1, 3, 1))));
  auto save_state = [&](raft::hard_state hs) {
    auto syncs = m.env.syncs();
    raft::ready r;
    r.new_hard_state = hs;
    unwrap(store->save(r));
    return m.env.syncs() > syncs;
  };
  CHECK(save_state({1, "A", 0}));
  CHECK_FALSE(save_state({1, "A", 2}));
  CHECK_FALSE(save_state({1, "A", 3}));
  CHECK(save_state({2, "", 3}));
  CHECK(save_state({2, "B", 3}));
  // A reopened store knows the saved term and vote.
  store.reset();
  store = open_store(&m.env);
  CHECK_FALSE(save_state({2, "B", 3}));
  CHECK(save_state({3, "B", 3}));
}

TEST_CASE("saves that would break the log are refused and write nothing") {
  mem_env m;
  auto store = open_store(m.env.get());
  raft_model model;
  raft::ready setup;
  setup.new_snapshot = make_snapshot(4, 2);
  setup.discard_through = 4;
  setup.entries = commands(5, 10, 3);
  unwrap(store->save(setup));
  model.save(setup);
  // The checks run on what open read back, not only on what save set.
  store.reset();
  store = open_store(m.env.get());
  raft::ready r;
  std::string why;
  SUBCASE("a gap after the log") {
    r.entries = commands(12, 13, 3);
    why = "gap";
  }
  SUBCASE("entries that are not contiguous") {
    r.entries = {make_entry(11, 3), make_entry(13, 3)};
    why = "follows";
  }
  SUBCASE("terms falling within the entries") {
    r.entries = {make_entry(11, 4), make_entry(12, 3)};
    why = "falls";
  }
  SUBCASE("a term below the entry before") {
    r.entries = commands(11, 11, 2);
    why = "below the term 3";
  }
  SUBCASE("a term below the entry before, inside the log") {
    r.entries = commands(8, 8, 2);
    why = "below the term 3";
  }
  SUBCASE("a term below the snapshot's") {
    r.discard_through = 10;
    r.entries = commands(5, 5, 1);
    why = "snapshot's term";
  }
  SUBCASE("an entry at index 0") {
    r.discard_through = 10;
    r.entries = commands(0, 1, 3);
    why = "index 0";
  }
  SUBCASE("entries that would end before the snapshot") {
    r.discard_through = 10;
    r.entries = commands(3, 3, 3);
    why = "would end at index 3";
  }
  SUBCASE("a snapshot older than the stored one") {
    r.new_snapshot = make_snapshot(3, 2);
    why = "older";
  }
  SUBCASE("a snapshot past the end of the log") {
    r.new_snapshot = make_snapshot(12, 3);
    why = "would end at index 10";
  }
  SUBCASE("a snapshot with a term above the entries after it") {
    r.new_snapshot = make_snapshot(6, 4);
    r.discard_through = 6;
    why = "below the snapshot's term";
  }
  auto res = store->save(r);
  REQUIRE(!res);
  CHECK(res.error().code == ec::internal_error);
  INFO(res.error().message);
  CHECK(res.error().message.find(why) != std::string::npos);
  check_holds(*store, model.c);
  // A refusal is not a write failure: the store still takes good saves.
  unwrap(store->save(append(commands(11, 11, 3))));
  model.save(append(commands(11, 11, 3)));
  check_holds(*store, model.c);
}

TEST_CASE("what a save returned survives a crash, exactly") {
  memory_env m;
  auto store = open_store(&m.env);
  raft_model model;
  std::mt19937_64 torn{7};
  for (int round = 0; round < 5; ++round) {
    INFO("round " << round);
    auto next = model.last_index() + 1;
    raft::ready r;
    r.new_hard_state = raft::hard_state{1 + static_cast<raft::term_t>(round),
                                        "A", next};
    r.entries = commands(next, next + 30, r.new_hard_state->term);
    if (round % 2 == 1) {
      r.new_snapshot = make_snapshot(next - 1, model.term_at(next - 1),
                                     std::string(200000, 'a' + round));
      r.discard_through = next - 1;
    }
    unwrap(store->save(r));
    model.save(r);
    unwrap(store->save_tag("A"));
    model.c.tag = "A";
    // Not all files: LevelDB may be compacting in the background (seen
    // once in CI: 732 bytes after a reopen).
    CHECK(m.env.unsynced_log_bytes() == 0);
    store.reset();
    REQUIRE(m.env.crash(round % 2 == 0 ? &torn : nullptr).ok());
    store = open_store(&m.env);
    check_holds(*store, model.c);
  }
}

TEST_CASE("a failed save leaves the store whole, before or after") {
  memory_env m;
  auto store = open_store(&m.env);
  raft_model model;
  unwrap(store->save(append(commands(1, 5, 1))));
  model.save(append(commands(1, 5, 1)));
  auto before = model.c;
  raft::ready r;
  r.new_hard_state = raft::hard_state{2, "B", 5};
  r.entries = commands(4, 9, 2);
  model.save(r);
  SUBCASE("the write fails") {
    m.env.fail_writes(true);
  }
  SUBCASE("the sync fails") {
    m.env.fail_syncs(true);
  }
  auto res = store->save(r);
  REQUIRE(!res);
  CHECK(res.error().code == ec::storage_failure);
  CHECK(res.error().message.find("injected") != std::string::npos);
  CHECK(store->last_index() == 5);
  m.env.fail_writes(false);
  m.env.fail_syncs(false);
  // Later writes fail too: only reopening tells what reached the disk.
  auto again = store->save(append(commands(6, 6, 1)));
  REQUIRE(!again);
  CHECK(again.error().message.find("reopen") != std::string::npos);
  CHECK(!store->save_tag("A"));
  store.reset();
  std::mt19937_64 torn{11};
  REQUIRE(m.env.crash(&torn).ok());
  store = open_store(&m.env);
  auto got = unwrap(store->load());
  if (difference(got, before).empty())
    check_holds(*store, before);
  else
    check_holds(*store, model.c);
}

TEST_CASE("a corrupt store is reported, not loaded") {
  mem_env m;
  {
    auto store = open_store(m.env.get());
    raft::ready r;
    r.new_hard_state = raft::hard_state{3, "A", 2};
    r.entries = commands(1, 5, 3);
    unwrap(store->save(r));
  }
  std::string why;
  SUBCASE("a gap in the log") {
    tamper(m.env.get(), [](leveldb::WriteBatch& b) {
      b.Put(entry_key(8), entry_value(3, 0));
    });
    why = "skips from index 5 to 8";
  }
  SUBCASE("a hole inside the log") {
    tamper(m.env.get(), [](leveldb::WriteBatch& b) {
      b.Delete(entry_key(3));
    });
    why = "skips from index 2 to 4";
  }
  SUBCASE("a log not starting after the snapshot") {
    tamper(m.env.get(), [](leveldb::WriteBatch& b) {
      b.Delete(entry_key(1));
    });
    why = "starts at index 2 but the snapshot ends at index 0";
  }
  SUBCASE("a falling term") {
    tamper(m.env.get(), [](leveldb::WriteBatch& b) {
      b.Put(entry_key(4), entry_value(2, 0));
    });
    why = "index 4 has term 2, below the term 3";
  }
  SUBCASE("an unknown entry kind") {
    tamper(m.env.get(), [](leveldb::WriteBatch& b) {
      b.Put(entry_key(2), entry_value(3, 9));
    });
    why = "index 2 is malformed";
  }
  SUBCASE("a log key of the wrong size") {
    tamper(m.env.get(), [](leveldb::WriteBatch& b) {
      b.Put(std::string{"l\x01\x02", 3}, entry_value(3, 0));
    });
    why = "log key is malformed";
  }
  SUBCASE("an unknown key") {
    tamper(m.env.get(), [](leveldb::WriteBatch& b) {
      b.Put(std::string{"mstray\0", 7}, "?");
    });
    why = "unknown key 'mstray\\x00'";
  }
  SUBCASE("a short hard state") {
    tamper(m.env.get(), [](leveldb::WriteBatch& b) {
      b.Put(std::string{rk::hard_state_key}, "short");
    });
    why = "hard state is malformed";
  }
  SUBCASE("a snapshot with broken topology JSON") {
    tamper(m.env.get(), [](leveldb::WriteBatch& b) {
      b.Put(std::string{rk::snapshot_key}, snapshot_head(0, 0, 3) + "{x}data");
    });
    why = "snapshot is malformed";
  }
  SUBCASE("a snapshot with a JSON length past its end") {
    tamper(m.env.get(), [](leveldb::WriteBatch& b) {
      b.Put(std::string{rk::snapshot_key}, snapshot_head(0, 0, 1000) + "{}");
    });
    why = "snapshot is malformed";
  }
  auto err = open_and_load_failure(m.env.get());
  INFO(err.message);
  CHECK(err.code == ec::storage_failure);
  CHECK(err.message.find("raft store /raft is corrupt") != std::string::npos);
  CHECK(err.message.find(why) != std::string::npos);
}

TEST_CASE_FIXTURE(modelled_store, "a snapshot's data lives in a file of "
                                   "its own, written ahead or by the save") {
  save(append(commands(1, 10, 1)));
  auto files = [&] { return files_starting({"snapshot-"}); };
  // Written by the save itself (a snapshot installed from a leader).
  save_snapshot(make_snapshot(5, 1, std::string(3'000'000, 'x')), 4);
  CHECK(files() == std::vector<std::string>{"snapshot-5-1"});
  // Written ahead (a member serializing in the background): the save
  // records it and removes the older file.
  auto later = make_snapshot(8, 1, "later state");
  unwrap(store->write_snapshot_data(later.index, later.term, later.data));
  CHECK(files() == std::vector<std::string>{"snapshot-5-1", "snapshot-8-1"});
  save_snapshot(later, 7);
  CHECK(files() == std::vector<std::string>{"snapshot-8-1"});
  reopen();
  // A damaged file is a corrupt store, named.
  store.reset();
  REQUIRE(leveldb::WriteStringToFile(m.env.get(), "later statX",
                                     std::string{dir} + "/snapshot-8-1")
            .ok());
  auto damaged = raft_store::open(dir, m.env.get());
  REQUIRE(damaged);
  auto loaded = (*damaged)->load();
  REQUIRE(!loaded);
  CHECK(loaded.error().message.find("snapshot file /raft/snapshot-8-1 is "
                                    "damaged")
        != std::string::npos);
  REQUIRE(m.env->RemoveFile(std::string{dir} + "/snapshot-8-1").ok());
  loaded = (*damaged)->load();
  REQUIRE(!loaded);
  CHECK(loaded.error().message.find("cannot read the snapshot file")
        != std::string::npos);
}

TEST_CASE("a snapshot file whose write failed stays failed") {
  memory_env m;
  auto store = open_store(&m.env);
  auto file = unwrap(store->begin_snapshot_data(7, 1));
  unwrap(file->append("first part, "));
  m.env.fail_writes(true);
  auto failed = file->append("second part");
  REQUIRE(!failed);
  m.env.fail_writes(false);
  // The bytes after a lost part would make a file with a hole in it.
  auto after = file->append("third part");
  REQUIRE(!after);
  CHECK(after.error().message == failed.error().message);
  auto finished = store->finish_snapshot_data(*file);
  REQUIRE(!finished);
  CHECK(finished.error().message == failed.error().message);
  file.reset();
  std::vector<std::string> names;
  REQUIRE(m.env.GetChildren(dir, &names).ok());
  for (auto& name : names) {
    CHECK(name.rfind("snapshot-", 0) != 0);
    CHECK(name.rfind("partial-", 0) != 0);
  }
}

TEST_CASE_FIXTURE(modelled_store, "a snapshot written in parts takes its "
                                   "name only once whole") {
  save(append(commands(1, 10, 1)));
  auto names = [&] { return files_starting({"snapshot-", "partial-"}); };
  auto snap = make_snapshot(7, 1, "first part, second part");
  auto file = unwrap(store->begin_snapshot_data(7, 1));
  unwrap(file->append("first part, "));
  unwrap(file->append("second part"));
  // While written, the file has a name no load or cleanup takes for a
  // snapshot's.
  auto partial = names();
  REQUIRE_EQ(partial.size(), 1u);
  CHECK(partial[0].rfind("partial-", 0) == 0);
  auto crc = unwrap(store->finish_snapshot_data(*file));
  CHECK_EQ(crc, unwrap(store->write_snapshot_data(99, 9, snap.data)));
  CHECK(names() == std::vector<std::string>{"snapshot-7-1", "snapshot-99-9"});
  CHECK(unwrap(store->snapshot_data(7, 1)) == snap.data);
  // The save records the file as written, and the load finds it whole.
  save_snapshot(snap, 6);
  CHECK(names() == std::vector<std::string>{"snapshot-7-1"});
  reopen();
}

TEST_CASE_FIXTURE(modelled_store, "a snapshot file dropped unfinished, or "
                                   "left by a crash, is removed") {
  auto partial_files = [&] { return files_starting({"partial-"}).size(); };
  {
    auto file = unwrap(store->begin_snapshot_data(4, 1));
    unwrap(file->append("half"));
    CHECK_EQ(partial_files(), 1u);
  }
  CHECK_EQ(partial_files(), 0u);
  CHECK_FALSE(m.env->FileExists(std::string{dir} + "/snapshot-4-1"));
  // A crash leaves its partial file behind; the next open removes it.
  REQUIRE(leveldb::WriteStringToFile(m.env.get(), "half",
                                     std::string{dir}
                                       + "/partial-0-snapshot-6-1")
            .ok());
  CHECK_EQ(partial_files(), 1u);
  reopen();
  CHECK_EQ(partial_files(), 0u);
}

TEST_CASE("on real files a snapshot's data is its file, mapped") {
  temp_dir tmp;
  auto path = tmp.path("raft");
  auto store = unwrap(raft_store::open(path));
  unwrap(store->save(append(commands(1, 10, 1))));
  std::string data(3 << 20, 'x');
  data.replace(100, 5, "state");
  raft::ready r;
  r.new_snapshot = make_snapshot(8, 1, data);
  r.discard_through = 7;
  unwrap(store->save(r));
  // Read back, the text is the file's pages, not a string of the process.
  auto mapped = unwrap(store->snapshot_data(8, 1));
  CHECK(mapped.view() == data);
  CHECK(mapped_file_of(mapped.view().data()) == path + "/snapshot-8-1");
  // Another file of the same name replaces it by renaming: the text
  // mapped before keeps its bytes (writing into the mapped file would not).
  unwrap(store->write_snapshot_data(8, 1, std::string(data.size(), 'y')));
  CHECK(mapped.view() == data);
  unwrap(store->write_snapshot_data(8, 1, data));
  store.reset();
  store = unwrap(raft_store::open(path));
  auto loaded = unwrap(store->load());
  CHECK(loaded.snap.data.view() == data);
  CHECK(mapped_file_of(loaded.snap.data.view().data())
        == path + "/snapshot-8-1");
}

TEST_CASE("on real files replaced and unfinished snapshot files are removed "
          "on a thread of their own") {
  temp_dir tmp;
  auto path = tmp.path("raft");
  auto store = unwrap(raft_store::open(path));
  unwrap(store->save(append(commands(1, 10, 1))));
  auto names = [&](std::string_view prefix) {
    std::vector<std::string> out;
    for (auto& f : std::filesystem::directory_iterator(path)) {
      auto name = f.path().filename().string();
      if (name.rfind(prefix, 0) == 0)
        out.push_back(name);
    }
    return out;
  };
  raft::ready first;
  first.new_snapshot = make_snapshot(5, 1, std::string(1 << 20, 'a'));
  unwrap(store->save(first));
  raft::ready second;
  second.new_snapshot = make_snapshot(8, 1, std::string(1 << 20, 'b'));
  unwrap(store->save(second));
  // Gone from its name at once; its blocks go a little later.
  CHECK(names("snapshot-") == std::vector<std::string>{"snapshot-8-1"});
  for (int i = 0; i < 500 && !names("removed-").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  CHECK(names("removed-").empty());
  // So does a snapshot file dropped unfinished (a transfer given up).
  {
    auto partial = unwrap(store->begin_snapshot_data(9, 1));
    unwrap(partial->append(std::string(1 << 20, 'c')));
    CHECK(names("partial-").size() == 1);
  }
  for (int i = 0; i < 500 && !names("partial-").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  CHECK(names("partial-").empty());
  // One a crash left behind goes at open.
  std::ofstream{path + "/removed-3-snapshot-5-1"} << "old";
  store.reset();
  store = unwrap(raft_store::open(path));
  CHECK(names("removed-").empty());
  CHECK(unwrap(store->load()).snap.data.view() == std::string(1 << 20, 'b'));
}

TEST_CASE("a snapshot file that cannot be mapped is read instead") {
  temp_dir tmp;
  auto path = tmp.path("raft");
  std::string data(64 << 10, 'x');
  data.replace(100, 5, "state");
  {
    auto store = unwrap(raft_store::open(path));
    unwrap(store->save(append(commands(1, 10, 1))));
    raft::ready r;
    r.new_snapshot = make_snapshot(8, 1, data);
    r.discard_through = 7;
    unwrap(store->save(r));
  }
  // A forked child runs out of mappings (each process may hold
  // vm.max_map_count of them), so that mmap really fails there; the
  // snapshot is small enough that reading it needs no new mapping.
  auto child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto store = raft_store::open(path);
    if (!store)
      ::_exit(2);
    const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    // Alternating protections keep neighbours from merging into one.
    for (int i = 0;; ++i)
      if (::mmap(nullptr, page, i % 2 ? PROT_READ : PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
          == MAP_FAILED)
        break;
    if (map_file_text(path + "/snapshot-8-1"))
      ::_exit(3); // the fault did not happen: nothing is tested
    auto text = (*store)->snapshot_data(8, 1);
    if (!text)
      ::_exit(4);
    if (text->view() != data)
      ::_exit(5);
    if (!mapped_file_of(text->view().data()).empty())
      ::_exit(6);
    ::_exit(0); // no clean-up: LevelDB's threads were not forked
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  // 2: the store did not open; 3: mmap did not fail; 4: the read failed;
  // 5: other bytes; 6: mapped after all.
  CHECK_EQ(WEXITSTATUS(status), 0);
}

TEST_CASE("a store of format version 1 moves its inline snapshot to a "
          "file") {
  mem_env m;
  { open_store(m.env.get()); }
  auto snap = make_snapshot(3, 2, std::string{"\0inline\xff", 8});
  // Version 1's layout: the data right after the topology JSON.
  auto config = raft::to_json(snap.config);
  auto inline_value = snapshot_head(snap.index, snap.term, config.size())
                      + config + std::string{snap.data.view()};
  tamper(m.env.get(), [&](leveldb::WriteBatch& b) {
    b.Put(std::string{rk::format_key}, std::string{"\x01\0\0\0", 4});
    b.Put(std::string{rk::snapshot_key}, inline_value);
    b.Put(entry_key(4), entry_value(2, 0));
  });
  auto store = open_store(m.env.get());
  auto got = unwrap(store->load());
  CHECK(got.snap.index == 3);
  CHECK(got.snap.term == 2);
  CHECK(got.snap.data == snap.data);
  CHECK(got.snap.config == snap.config);
  REQUIRE(got.entries.size() == 1);
  CHECK(m.env->FileExists(std::string{dir} + "/snapshot-3-2"));
  // And it stays so.
  store.reset();
  store = open_store(m.env.get());
  CHECK(unwrap(store->load()).snap.data == snap.data);
}

TEST_CASE("a raft store of an unknown format is refused") {
  mem_env m;
  std::string expected;
  SUBCASE("a newer version") {
    { open_store(m.env.get()); }
    tamper(m.env.get(), [](leveldb::WriteBatch& b) {
      b.Put(std::string{rk::format_key}, std::string{"\x03\0\0\0", 4});
    });
    expected = "raft store /raft has format version 3; this build "
               "understands version 2";
  }
  SUBCASE("an unreadable version") {
    { open_store(m.env.get()); }
    tamper(m.env.get(), [](leveldb::WriteBatch& b) {
      b.Put(std::string{rk::format_key}, "1");
    });
    expected = "raft store /raft has an unreadable format version";
  }
  SUBCASE("data without a version") {
    leveldb::Options opts;
    opts.env = m.env.get();
    opts.create_if_missing = true;
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(opts, dir, &raw).ok());
    std::unique_ptr<leveldb::DB> db{raw};
    REQUIRE(db->Put({}, entry_key(1), entry_value(1, 0)).ok());
    db.reset();
    expected = "raft store /raft holds data but no format version";
  }
  auto res = raft_store::open(dir, m.env.get());
  REQUIRE(!res);
  CHECK(res.error().code == ec::unsupported_format);
  CHECK(res.error().message == expected);
}

namespace {

// A random ready a Raft core could produce from what `model` holds, with
// `term` the highest term seen so far (kept up to date here). Now and then
// one no core may produce; `invalid` says so.
raft::ready random_ready(std::mt19937_64& rng, const raft_model& model,
                         raft::term_t& term, bool& invalid) {
  static const raft::node_tag tags[] = {"", "A", "B", "C"};
  auto random_entries = [&](raft::index_t from, size_t n) {
    std::vector<raft::entry> out;
    for (size_t i = 0; i < n; ++i) {
      auto kind = static_cast<raft::entry_kind>(rng() % 3);
      std::string data(kind == raft::entry_kind::noop ? 0 : rng() % 300,
                       '\0');
      for (auto& c : data)
        c = static_cast<char>(rng());
      out.push_back(make_entry(from + i, term, kind, std::move(data)));
    }
    return out;
  };
  auto random_snapshot = [&](raft::index_t index, raft::term_t t) {
    auto snap = make_snapshot(index, t, std::string(rng() % 2000, 'd'));
    if (rng() % 2 == 0)
      snap.config.watchers.clear();
    return snap;
  };
  raft::ready r;
  auto first = model.c.snap.index + 1;
  auto last = model.last_index();
  switch (rng() % 8) {
    case 0:
    case 1:
    case 2: // leader or follower appends at the end
      r.entries = random_entries(last + 1, 1 + rng() % 8);
      break;
    case 3: // a follower replaces a divergent suffix (new leader's term)
      if (last >= first) {
        ++term;
        auto start = first + rng() % (last - first + 1);
        r.entries = random_entries(start, 1 + rng() % 6);
      }
      break;
    case 4: // compaction at an applied index, maybe with appends
      if (last >= first) {
        auto at = first + rng() % (last - first + 1);
        r.new_snapshot = random_snapshot(at, model.term_at(at));
        r.discard_through = at;
        if (rng() % 2 == 0)
          r.entries = random_entries(last + 1, 1 + rng() % 4);
      }
      break;
    case 5: { // the leader installs a snapshot; the log goes
      term += rng() % 2;
      auto at = model.c.snap.index + 1
                + rng() % (last - model.c.snap.index + 20);
      r.new_snapshot = random_snapshot(at, term);
      r.installed = true;
      r.discard_through = std::max(at, last);
      if (rng() % 2 == 0)
        r.entries = random_entries(at + 1, 1 + rng() % 4);
      break;
    }
    case 6: // a vote or a new term only
      term += rng() % 2;
      break;
    case 7: // an invalid ready: a gap after the log
      r.entries = random_entries(last + 2 + rng() % 3, 1);
      invalid = true;
      break;
  }
  if (r.entries.empty() || rng() % 2 == 0)
    r.new_hard_state = raft::hard_state{term, tags[rng() % 4],
                                        rng() % (last + 1)};
  return r;
}

} // namespace

TEST_CASE("random saves, reopens and crashes match a model") {
  // Logs as LevelDB appends them, or ending in zeros after a crash as
  // Corvus writes them on real files (storage/real_files.hpp).
  uint64_t zero_tail = 0;
  SUBCASE("appended logs") {}
  SUBCASE("zero-filled logs") {
    zero_tail = 40 << 10;
  }
  for (uint64_t seed : {1, 2, 3, 4, 5, 6, 7, 8}) {
    INFO("seed " << seed);
    std::mt19937_64 rng{seed};
    memory_env m;
    log_tail_env tail{&m.env};
    leveldb::Env* env = zero_tail > 0 ? static_cast<leveldb::Env*>(&tail)
                                      : &m.env;
    auto store = open_store(env);
    raft_model model;
    raft::term_t term = 1;
    size_t refused = 0;
    // The commit indexes saved since the last sync, that one first: a
    // crash may lose any suffix of them (only commit-only saves skip the
    // sync).
    std::vector<raft::index_t> commits_since_sync{0};
    for (int step = 0; step < 300; ++step) {
      INFO("step " << step);
      bool invalid = false;
      auto r = random_ready(rng, model, term, invalid);
      auto res = store->save(r);
      // Whether the log was synced, by the store's rule (the Env's sync
      // count would also see LevelDB's background syncs of other files).
      auto synced = false;
      if (invalid) {
        REQUIRE(!res);
        CHECK(res.error().code == ec::internal_error);
        ++refused;
      } else {
        if (!res)
          FAIL("unexpected failure: " << res.error().message);
        synced = r.needs_sync(model.c.state);
        model.save(r);
      }
      if (rng() % 25 == 0) {
        model.c.tag = std::string(1, static_cast<char>('A' + rng() % 26));
        unwrap(store->save_tag(model.c.tag));
        synced = true;
      }
      if (synced)
        commits_since_sync.clear();
      commits_since_sync.push_back(model.c.state.commit);
      switch (rng() % 20) {
        case 0:
          store.reset();
          store = open_store(env);
          break;
        case 1: {
          store.reset();
          REQUIRE(m.env.crash(&rng, zero_tail).ok());
          store = open_store(env);
          auto commit = unwrap(store->load()).state.commit;
          CHECK(std::find(commits_since_sync.begin(),
                          commits_since_sync.end(), commit)
                != commits_since_sync.end());
          model.c.state.commit = commit;
          commits_since_sync = {commit};
          break;
        }
        default:
          break;
      }
      check_holds(*store, model.c);
    }
    CHECK(refused > 0);
  }
}
