// LevelDB's files as Corvus writes them (storage/real_files.hpp): where a
// log's records end after a crash (a zero or torn tail is cut, damage before
// intact records is not), recovery through that cut with paranoid checks,
// logs written into zero-filled space on real files, and files written in
// bulk sent to disk a megabyte at a time.

#include "storage/real_files.hpp"
#include "storage/log_tail.hpp"
#include "test/fixtures/temp_dir.hpp"

#include <doctest/doctest.h>

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>
#include <leveldb/options.h>

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace corvus;
using corvus::test::temp_dir;

namespace fs = std::filesystem;

namespace {

std::string value_of(int i, size_t size) {
  return std::string(size, static_cast<char>('a' + i % 26));
}

/// A LevelDB log holding one synced put per key `k0`, `k1`, ...
struct written_log {
  std::string name;
  std::string data;
  /// Where each put's record ends.
  std::vector<uint64_t> ends;
};

leveldb::Options options(leveldb::Env* env) {
  leveldb::Options opts;
  opts.create_if_missing = true;
  opts.paranoid_checks = true;
  opts.env = env;
  return opts;
}

std::string read_all(leveldb::Env* env, const std::string& name) {
  std::string data;
  REQUIRE(leveldb::ReadFileToString(env, name, &data).ok());
  return data;
}

void write_all(leveldb::Env* env, const std::string& name,
               const std::string& data) {
  REQUIRE(leveldb::WriteStringToFile(env, data, name).ok());
}

std::string log_in(leveldb::Env* env, const std::string& dir) {
  std::vector<std::string> children;
  REQUIRE(env->GetChildren(dir, &children).ok());
  for (auto& child : children)
    if (is_leveldb_log(child))
      return dir + "/" + child;
  FAIL("no log in " << dir);
  return {};
}

/// Writes `sizes.size()` synced puts into a fresh store at `dir`.
written_log write_puts(leveldb::Env* env, const std::string& dir,
                       const std::vector<size_t>& sizes) {
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(options(env), dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db{raw};
  written_log log;
  log.name = log_in(env, dir);
  leveldb::WriteOptions sync;
  sync.sync = true;
  for (size_t i = 0; i < sizes.size(); ++i) {
    auto key = "k" + std::to_string(i);
    REQUIRE(db->Put(sync, key, value_of(static_cast<int>(i), sizes[i])).ok());
    uint64_t size = 0;
    REQUIRE(env->GetFileSize(log.name, &size).ok());
    log.ends.push_back(size);
  }
  db.reset();
  log.data = read_all(env, log.name);
  return log;
}

/// @returns how many of the puts `k0`, `k1`, ... a reopened store holds
///          (they must form a prefix), or -1 when it does not open.
int puts_found(leveldb::Env* env, const std::string& dir,
               const std::vector<size_t>& sizes) {
  leveldb::DB* raw = nullptr;
  auto status = leveldb::DB::Open(options(env), dir, &raw);
  if (!status.ok()) {
    MESSAGE("open: " << status.ToString());
    return -1;
  }
  std::unique_ptr<leveldb::DB> db{raw};
  int found = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::string value;
    auto got = db->Get(leveldb::ReadOptions{}, "k" + std::to_string(i), &value);
    if (!got.ok()) {
      CHECK(got.IsNotFound());
      break;
    }
    CHECK(value == value_of(static_cast<int>(i), sizes[i]));
    ++found;
  }
  for (size_t i = static_cast<size_t>(found) + 1; i < sizes.size(); ++i) {
    std::string value;
    CHECK(db->Get(leveldb::ReadOptions{}, "k" + std::to_string(i), &value)
            .IsNotFound());
  }
  return found;
}

struct mem_fixture {
  std::unique_ptr<leveldb::Env> mem{
    leveldb::NewMemEnv(leveldb::Env::Default())};
  log_tail_env tail{mem.get()};
};

} // namespace

TEST_CASE("a sound log is read whole") {
  mem_fixture f;
  std::vector<size_t> sizes{100, 200, 40000, 10};
  auto log = write_puts(f.mem.get(), "/db", sizes);
  CHECK(readable_log_length(log.data) == log.data.size());
  CHECK(log.ends.back() == log.data.size());
  CHECK(readable_log_length("") == 0);
  CHECK(puts_found(&f.tail, "/db", sizes) == 4);
}

TEST_CASE("a zero or torn tail is cut at the last intact record") {
  mem_fixture f;
  // The third put (70 KB) spans three blocks as first, middle and last
  // fragments.
  std::vector<size_t> sizes{100, 300, 70000, 500};
  auto log = write_puts(f.mem.get(), "/db", sizes);
  auto full = log.data;
  auto last_start = log.ends[2];
  int expected = 4;
  std::string damaged;
  SUBCASE("zeros after the last record") {
    damaged = full + std::string(100 << 10, '\0');
  }
  SUBCASE("a few zeros, less than a header") {
    damaged = full + std::string(3, '\0');
  }
  SUBCASE("the last record's payload cut short by zeros") {
    damaged = full.substr(0, last_start + 7 + 200);
    damaged += std::string(64 << 10, '\0');
    expected = 3;
  }
  SUBCASE("the last record's header cut short by zeros") {
    damaged = full.substr(0, last_start + 3) + std::string(1000, '\0');
    expected = 3;
  }
  SUBCASE("garbage past the last record") {
    std::mt19937_64 rng{5};
    damaged = full.substr(0, last_start);
    for (int i = 0; i < 5000; ++i)
      damaged += static_cast<char>(rng());
    expected = 3;
  }
  SUBCASE("a fragment of a long record torn") {
    // Into the 70 KB put's middle fragment (the second block): the cut
    // keeps its first fragment, which fills the first block, and LevelDB
    // drops the unfinished record.
    damaged = full.substr(0, 32768 + 1000) + std::string(40000, '\0');
    expected = 2;
  }
  auto cut = readable_log_length(damaged);
  if (expected == 4)
    CHECK(cut == full.size());
  else if (expected == 3)
    CHECK(cut == last_start);
  else
    CHECK(cut == 32768);
  write_all(f.mem.get(), log.name, damaged);
  CHECK(puts_found(&f.tail, "/db", sizes) == expected);
}

TEST_CASE("LevelDB alone refuses a torn record followed by zeros") {
  // Why the cut is needed: with paranoid checks, a record cut short by the
  // zeros of a preallocated log is corruption to LevelDB.
  mem_fixture f;
  std::vector<size_t> sizes{100, 300};
  auto log = write_puts(f.mem.get(), "/db", sizes);
  write_all(f.mem.get(), log.name,
            log.data.substr(0, log.ends[0] + 50) + std::string(4096, '\0'));
  CHECK(puts_found(f.mem.get(), "/db", sizes) == -1);
  CHECK(puts_found(&f.tail, "/db", sizes) == 1);
}

TEST_CASE("damage before intact records is left for LevelDB to report") {
  mem_fixture f;
  std::vector<size_t> sizes{100, 300, 200, 40000, 100};
  auto log = write_puts(f.mem.get(), "/db", sizes);
  auto damaged = log.data;
  SUBCASE("in the same block") {
    damaged[log.ends[0] + 20] ^= 1; // the second put's payload
  }
  SUBCASE("in an earlier block") {
    // The fourth put's first fragment; its later fragments and the fifth
    // put start later blocks.
    damaged[log.ends[2] + 100] ^= 1;
  }
  SUBCASE("zeros over a record") {
    for (auto i = log.ends[0]; i < log.ends[1]; ++i)
      damaged[i] = '\0';
  }
  CHECK(readable_log_length(damaged) == damaged.size());
  write_all(f.mem.get(), log.name, damaged);
  CHECK(puts_found(&f.tail, "/db", sizes) == -1);
}

namespace {

/// A store on real files in a fresh directory, writing one log throughout
/// (a memtable larger than any test here writes).
struct real_store {
  temp_dir dir;
  leveldb::Env* env = real_files_env();
  std::unique_ptr<leveldb::DB> db;
  std::string log;

  real_store() {
    auto opts = options(env);
    opts.write_buffer_size = 64 << 20;
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(opts, dir.path("db"), &raw).ok());
    db.reset(raw);
    log = log_in(env, dir.path("db"));
  }

  /// Puts `k0`, `k1`, ... with values of `sizes`, each synced or not.
  void put_all(const std::vector<size_t>& sizes, bool synced) {
    leveldb::WriteOptions write;
    write.sync = synced;
    for (size_t i = 0; i < sizes.size(); ++i)
      REQUIRE(db->Put(write, "k" + std::to_string(i),
                      value_of(static_cast<int>(i), sizes[i]))
                .ok());
  }

  /// @returns the log's bytes as they are on disk.
  std::string log_data() const {
    return read_all(leveldb::Env::Default(), log);
  }
};

} // namespace

TEST_CASE("logs on real files are written into zero-filled space") {
  real_store store;
  std::vector<size_t> sizes(300, 1000);
  store.put_all(sizes, true);
  // A chunk ahead of the records, in whole chunks.
  auto on_disk = fs::file_size(store.log);
  CHECK(on_disk % (1 << 20) == 0);
  auto data = store.log_data();
  auto records = readable_log_length(data);
  CHECK(records > 300 * 1000);
  CHECK(on_disk >= records + (1 << 20));
  CHECK(data.find_first_not_of('\0', records) == std::string::npos);
  // What a killed process leaves: the files as they are now.
  auto killed = store.dir.path("killed");
  fs::copy(store.dir.path("db"), killed);
  SUBCASE("recovery finds every put") {
    CHECK(puts_found(store.env, killed, sizes) == 300);
  }
  SUBCASE("a torn last put is dropped, the rest recovered") {
    auto torn = data;
    for (auto i = records - 300; i < records; ++i)
      torn[i] = '\0';
    write_all(leveldb::Env::Default(),
              killed + "/" + fs::path(store.log).filename().string(), torn);
    CHECK(puts_found(store.env, killed, sizes) == 299);
  }
  // Closed, the log is cut back to its records.
  store.db.reset();
  CHECK(fs::file_size(store.log) == records);
  CHECK(puts_found(store.env, store.dir.path("db"), sizes) == 300);
}

TEST_CASE("logs with large syncs are appended, not filled") {
  // Filling writes every byte twice; with a megabyte per sync it costs
  // more than the journal commits it saves.
  real_store store;
  std::vector<size_t> sizes(8, 1 << 20);
  store.put_all(sizes, true);
  auto data = store.log_data();
  CHECK(readable_log_length(data) == data.size());
  CHECK(data.size() > 8 * (1 << 20));
  // Small syncs that follow (overwriting the first puts) bring the
  // filling back.
  store.put_all(std::vector<size_t>(12, 10), true);
  data = store.log_data();
  CHECK(data.size() - readable_log_length(data) >= (1 << 20));
  store.db.reset();
  fs::copy(store.dir.path("db"), store.dir.path("copy"));
  CHECK(puts_found(store.env, store.dir.path("copy"), {10, 10}) == 2);
}

TEST_CASE("logs that are never synced are appended, not filled") {
  real_store store;
  store.put_all(std::vector<size_t>(64, 64 << 10), false);
  // Only the first write filled ahead; the file has outgrown that.
  auto data = store.log_data();
  CHECK(data.size() > 4 * (1 << 20));
  CHECK(readable_log_length(data) == data.size());
}

TEST_CASE("LevelDB's background thread is named leveldb-bg") {
  real_store store;
  store.put_all(std::vector<size_t>(10, 1000), true);
  // Flushes the memtable on the background thread and waits for it.
  store.db->CompactRange(nullptr, nullptr);
  auto found = false;
  for (auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream comm{task.path() / "comm"};
    std::string name;
    std::getline(comm, name);
    found = found || name == "leveldb-bg";
  }
  CHECK(found);
}

namespace {

/// Bytes `size` of a reproducible pattern (so that a misplaced chunk shows).
std::string pattern(size_t size) {
  std::string data(size, '\0');
  std::mt19937 gen{7};
  for (auto& c : data)
    c = static_cast<char>(gen());
  return data;
}

/// Writes `data` to `name` through `env` in appends of odd sizes, without
/// a sync, and keeps the file open until `done` has looked at it.
template <class Look>
void write_unsynced(leveldb::Env* env, const std::string& name,
                    const std::string& data, Look done) {
  leveldb::WritableFile* raw = nullptr;
  REQUIRE(env->NewWritableFile(name, &raw).ok());
  std::unique_ptr<leveldb::WritableFile> file{raw};
  for (size_t at = 0, step = 1; at < data.size(); at += step, step = step * 3 % 300007)
    REQUIRE(file->Append(leveldb::Slice(data.data() + at,
                                        std::min(step, data.size() - at)))
              .ok());
  REQUIRE(file->Flush().ok());
  done();
  REQUIRE(file->Close().ok());
}

/// @returns how many pages of `name`'s first `length` bytes are dirty or
///          under writeback (cachestat, Linux 6.5), or nothing on a kernel
///          without it.
std::optional<uint64_t> unwritten_pages(const std::string& name,
                                        uint64_t length) {
  struct range {
    uint64_t offset;
    uint64_t length;
  } asked{0, length};
  struct {
    uint64_t cached, dirty, writeback, evicted, recently_evicted;
  } stat{};
  constexpr long cachestat = 451; // x86_64 and the generic table alike
  auto fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  auto result = ::syscall(cachestat, fd, &asked, &stat, 0);
  auto error = errno;
  ::close(fd);
  if (result != 0) {
    REQUIRE(error == ENOSYS);
    return std::nullopt;
  }
  return stat.dirty + stat.writeback;
}

} // namespace

TEST_CASE("files written in bulk go to disk a megabyte at a time") {
  temp_dir dir;
  auto data = pattern((8 << 20) + 12345);
  auto name = dir.path("000007.ldb");
  std::optional<uint64_t> paced, lazy;
  write_unsynced(real_files_env(), name, data, [&] {
    // Every chunk but the last two has reached the disk.
    paced = unwritten_pages(name, 6 << 20);
  });
  CHECK(read_all(leveldb::Env::Default(), name) == data);
  auto control = dir.path("000008.ldb");
  write_unsynced(leveldb::Env::Default(), control, data,
                 [&] { lazy = unwritten_pages(control, 6 << 20); });
  if (!paced) {
    MESSAGE("this kernel has no cachestat; only the contents were checked");
    return;
  }
  CHECK(*paced == 0);
  // LevelDB's own files leave it to the kernel, which waits for seconds.
  WARN(*lazy > 0);
}

TEST_CASE("stores on real files keep their tables and manifests whole") {
  CHECK(is_leveldb_manifest("/x/db/MANIFEST-000005"));
  CHECK(is_leveldb_manifest("MANIFEST-000001"));
  CHECK_FALSE(is_leveldb_manifest("/x/MANIFEST-dir/000005.ldb"));
  CHECK_FALSE(is_leveldb_log("/x/db/MANIFEST-000005"));
  temp_dir dir;
  auto opts = options(real_files_env());
  opts.write_buffer_size = 256 << 10; // many flushes, tables, compactions
  std::vector<size_t> sizes(3000, 1500);
  {
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(opts, dir.path("db"), &raw).ok());
    std::unique_ptr<leveldb::DB> db{raw};
    for (size_t i = 0; i < sizes.size(); ++i)
      REQUIRE(db->Put({}, "k" + std::to_string(i),
                      value_of(static_cast<int>(i), sizes[i]))
                .ok());
    db->CompactRange(nullptr, nullptr);
  }
  size_t tables = 0;
  for (auto& file : fs::directory_iterator(dir.path("db")))
    tables += file.path().extension() == ".ldb" ? 1 : 0;
  CHECK(tables >= 1);
  CHECK(puts_found(real_files_env(), dir.path("db"), sizes) == 3000);
}
