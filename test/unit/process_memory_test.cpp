// The process's memory as the node reports it (runtime/introspection/
// process_memory.hpp): parsing /proc/<pid>/status, the JSON of
// GET /admin/debug/memory/stats, and reading this test program's own.

#include "runtime/introspection/process_memory.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

using namespace corvus;

namespace {

constexpr const char* status_text = "Name:\tcorvus-node\n"
                                    "VmPeak:\t  200000 kB\n"
                                    "VmSize:\t  191164 kB\n"
                                    "VmHWM:\t   40000 kB\n"
                                    "VmRSS:\t   21108 kB\n"
                                    "RssAnon:\t    3584 kB\n"
                                    "RssFile:\t   17524 kB\n"
                                    "RssShmem:\t       0 kB\n"
                                    "Threads:\t17\n";

} // namespace

TEST_SUITE("process memory") {

TEST_CASE("the kernel's counts come from the status text in bytes") {
  auto m = parse_proc_status(status_text);
  REQUIRE(m);
  CHECK(m->resident == 21108 * 1024);
  CHECK(m->peak_resident == 40000 * 1024);
  CHECK(m->anonymous == 3584 * 1024);
  CHECK(m->mapped_files == 17524 * 1024);
  CHECK(m->virtual_size == 191164 * 1024);
  CHECK_FALSE(m->allocator);
  // VmRSS must be there; a prefix of another name is not it.
  CHECK_FALSE(parse_proc_status("Name:\tx\nVmRSSx:\t1 kB\n"));
  CHECK_FALSE(parse_proc_status(""));
}

TEST_CASE("the JSON names every count, and the allocator when known") {
  auto m = *parse_proc_status(status_text);
  rapidjson::Document doc;
  doc.Parse(render_memory(m).c_str());
  REQUIRE(doc.IsObject());
  CHECK(doc["WorkingSet"].GetInt64() == 21108 * 1024);
  CHECK(doc["PeakWorkingSet"].GetInt64() == 40000 * 1024);
  CHECK(doc["Anonymous"].GetInt64() == 3584 * 1024);
  CHECK(doc["MappedFiles"].GetInt64() == 17524 * 1024);
  CHECK(doc["VirtualSize"].GetInt64() == 191164 * 1024);
  CHECK(doc["Allocator"].IsNull());
  m.allocator = allocator_memory{"jemalloc", 10, 20, 3, 40, 50, 60};
  doc.Parse(render_memory(m).c_str());
  auto& a = doc["Allocator"];
  CHECK(std::string{a["Name"].GetString()} == "jemalloc");
  CHECK(a["Allocated"].GetInt64() == 10);
  CHECK(a["Active"].GetInt64() == 20);
  CHECK(a["Metadata"].GetInt64() == 3);
  CHECK(a["Resident"].GetInt64() == 40);
  CHECK(a["Mapped"].GetInt64() == 50);
  CHECK(a["Retained"].GetInt64() == 60);
}

TEST_CASE("this program's memory grows with what it holds") {
  // The unit tests run on glibc's malloc: no allocator counts.
  auto before = read_process_memory();
  REQUIRE(before);
  CHECK_FALSE(before->allocator);
  CHECK(before->resident > 0);
  CHECK(before->anonymous > 0);
  CHECK(before->peak_resident >= before->resident);
  std::vector<char> held(64 << 20, 'x');
  auto after = read_process_memory();
  REQUIRE(after);
  CHECK(after->anonymous >= before->anonymous + (60 << 20));
  CHECK(held.back() == 'x');
}

} // TEST_SUITE
