#include "storage/data_dir.hpp"

#include "storage/document_store.hpp"
#include "test/fixtures/temp_dir.hpp"
#include "test/storage/store_model.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace corvus;
using namespace corvus::test;

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  return std::string{std::istreambuf_iterator<char>{in},
                     std::istreambuf_iterator<char>{}};
}

} // namespace

TEST_CASE("a missing or empty directory is fine and check never writes") {
  temp_dir tmp;
  CHECK(check_data_dir(tmp.path("missing")));
  CHECK(!fs::exists(tmp.path("missing")));
  fs::create_directories(tmp.path("empty"));
  CHECK(check_data_dir(tmp.path("empty")));
  CHECK(fs::is_empty(tmp.path("empty")));
  CHECK(!check_data_dir(""));
}

TEST_CASE("prepare writes the marker and the folders") {
  temp_dir tmp;
  auto dir = tmp.path("data");
  unwrap(prepare_data_dir(dir));
  CHECK(read_file(fs::path{dir} / "corvus-format.json")
        == R"({"Product":"corvus","FormatVersion":1})");
  CHECK(fs::is_directory(system_store_dir(dir)));
  CHECK(fs::is_directory(raft_store_dir(dir)));
  CHECK(fs::is_directory(fs::path{dir} / "databases"));
  CHECK(!fs::exists(fs::path{dir} / "corvus-format.json.tmp"));
  CHECK(check_data_dir(dir));
  // Preparing again is harmless.
  unwrap(prepare_data_dir(dir));
  CHECK(system_store_dir(dir) == dir + "/system");
  CHECK(raft_store_dir(dir) == dir + "/raft");
  CHECK(database_store_dir(dir, "shop") == dir + "/databases/shop");
}

TEST_CASE("a non-empty directory without a marker is refused") {
  temp_dir tmp;
  tmp.write("data/photos/cat.jpg", "meow");
  auto dir = tmp.path("data");
  auto res = check_data_dir(dir);
  REQUIRE(!res);
  CHECK(res.error().code == ec::unsupported_format);
  CHECK(res.error().message
        == dir
             + " is not a Corvus data directory (no corvus-format.json); "
               "refusing to use it");
  CHECK(!prepare_data_dir(dir));
  CHECK(!fs::exists(tmp.path("data/corvus-format.json")));
}

TEST_CASE("an unknown format version is refused naming both versions") {
  temp_dir tmp;
  tmp.write("data/corvus-format.json",
            R"({"Product":"corvus","FormatVersion":7})");
  auto res = check_data_dir(tmp.path("data"));
  REQUIRE(!res);
  CHECK(res.error().code == ec::unsupported_format);
  CHECK(res.error().message
        == tmp.path("data")
             + " has data-dir format version 7; this build understands "
               "version 1");
}

TEST_CASE("broken markers are refused") {
  temp_dir tmp;
  for (auto content : {"", "{", "[]",
                       R"({"Product":"other","FormatVersion":1})",
                       R"({"Product":"corvus"})",
                       R"({"Product":"corvus","FormatVersion":"1"})"}) {
    INFO(content);
    tmp.write("data/corvus-format.json", content);
    auto res = check_data_dir(tmp.path("data"));
    REQUIRE(!res);
    CHECK(res.error().message.find("not a valid Corvus format marker")
          != std::string::npos);
  }
}

TEST_CASE("a file or an unreadable path is refused") {
  temp_dir tmp;
  tmp.write("file", "x");
  auto res = check_data_dir(tmp.path("file"));
  REQUIRE(!res);
  CHECK(res.error().message == tmp.path("file") + " is not a directory");
  fs::create_directories(tmp.path("locked"));
  tmp.write("locked/x", "x");
  fs::permissions(tmp.path("locked"), fs::perms::none);
  // Root reads anything; the check only means something for other users.
  if (!std::ifstream{tmp.path("locked/x")}) {
    CHECK(!check_data_dir(tmp.path("locked")));
  }
  fs::permissions(tmp.path("locked"), fs::perms::owner_all);
}

TEST_CASE("a directory holding only a half-written marker counts as empty") {
  temp_dir tmp;
  tmp.write("data/corvus-format.json.tmp", R"({"Produ)");
  CHECK(check_data_dir(tmp.path("data")));
  unwrap(prepare_data_dir(tmp.path("data")));
  CHECK(check_data_dir(tmp.path("data")));
}

TEST_CASE("removing a database store removes its folder") {
  temp_dir tmp;
  auto dir = tmp.path("data");
  unwrap(prepare_data_dir(dir));
  store_options opts;
  opts.create_if_missing = true;
  {
    auto store = unwrap(document_store::open(database_store_dir(dir, "shop"),
                                             opts));
    store_model model{store->state()};
    model.put("a", "Users", "{}");
    unwrap(store->apply(model.take(), model.state));
  }
  unwrap(document_store::open(database_store_dir(dir, "other"), opts));
  unwrap(remove_database_store(dir, "shop"));
  CHECK(!fs::exists(database_store_dir(dir, "shop")));
  CHECK(fs::exists(database_store_dir(dir, "other")));
  CHECK(fs::is_empty(fs::path{dir} / "trash"));
  // Removing what is not there is fine; odd names are refused.
  unwrap(remove_database_store(dir, "shop"));
  for (auto bad : {"", ".", "..", "a/b", "../data"})
    CHECK(remove_database_store(dir, bad).error().code == ec::bad_request);
  CHECK(fs::exists(database_store_dir(dir, "other")));
  // A removal a crash interrupted is finished at the next start.
  tmp.write("data/trash/old.123/000005.ldb", "x");
  unwrap(prepare_data_dir(dir));
  CHECK(fs::is_empty(fs::path{dir} / "trash"));
  // A recreated database starts empty, with a new id.
  auto fresh = unwrap(document_store::open(database_store_dir(dir, "shop"),
                                           opts));
  CHECK(!unwrap(fresh->get("a")));
}
