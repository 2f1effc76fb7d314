// Files mapped as text (storage/mapped_text.hpp): their bytes, and what a
// node says when a mapped file cannot be read.

#include "storage/mapped_text.hpp"
#include "test/fixtures/mapped_file_of.hpp"
#include "test/fixtures/temp_dir.hpp"

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace corvus;
using corvus::test::mapped_file_of;
using corvus::test::temp_dir;

namespace {

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out{path, std::ios::binary};
  out << data;
}

} // namespace

TEST_CASE("a mapped file's text is its bytes") {
  temp_dir dir;
  auto path = dir.path("file");
  std::string data(3 << 20, 'x');
  data.replace(12345, 5, "bytes");
  write_file(path, data);
  auto text = map_file_text(path);
  REQUIRE(text);
  CHECK(text->view() == data);
  CHECK(mapped_file_of(text->view().data()) == path);
  CHECK(mapped_file_of(data.data()).empty());
  write_file(dir.path("empty"), "");
  auto empty = map_file_text(dir.path("empty"));
  REQUIRE(empty);
  CHECK(empty->empty());
  auto missing = map_file_text(dir.path("missing"));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("cannot open") != std::string::npos);
}

TEST_CASE("a mapped file cut short stops the process with a message") {
  temp_dir dir;
  auto path = dir.path("snapshot");
  write_file(path, std::string(1 << 20, 's'));
  int err[2];
  REQUIRE(::pipe(err) == 0);
  auto child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::dup2(err[1], STDERR_FILENO);
    struct rlimit no_core {};
    ::setrlimit(RLIMIT_CORE, &no_core); // the fault is the test's own
    report_unreadable_mappings();
    auto text = map_file_text(path);
    if (!text)
      ::_exit(2);
    // Cut short by something else: the pages past the end are gone.
    std::filesystem::resize_file(path, 0);
    volatile char c = text->view()[512 << 10];
    (void) c;
    ::_exit(3); // not reached: the read faults
  }
  ::close(err[1]);
  std::string said;
  char buf[512];
  for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0;)
    said.append(buf, static_cast<size_t>(n));
  ::close(err[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGBUS);
  CHECK(said.find("a file mapped into memory") != std::string::npos);
  CHECK(said.find("could not be read") != std::string::npos);
}
