// load_node_config: the command line, the --config file, their precedence,
// RavenDB's flag spellings and the print actions.

#include "config/load_config.hpp"

#include "test/config/config_test_helpers.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace corvus {
namespace {

/// @returns load_node_config for `args`, with a program name in front.
outcome<loaded_config> load(std::vector<std::string> args) {
  args.insert(args.begin(), "corvus-node");
  std::vector<const char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.c_str());
  return load_node_config(static_cast<int>(argv.size()), argv.data());
}

/// @returns the loaded configuration; fails the test on an error.
loaded_config loaded(std::vector<std::string> args) {
  auto result = load(std::move(args));
  REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
  return *result;
}

/// @returns the error message; fails the test on success.
std::string error_of(std::vector<std::string> args) {
  auto result = load(std::move(args));
  REQUIRE(!result);
  CHECK_EQ(result.error().code, ec::bad_request);
  return result.error().message;
}

TEST_CASE("no arguments: run with the embedded defaults") {
  auto result = loaded({});
  CHECK(result.action == cli_action::run);
  CHECK_EQ(result.sources, "embedded defaults");
  test::check_same(result.config, node_config{});
}

TEST_CASE("--config file, then --set, in increasing precedence") {
  test::temp_dir dir;
  auto file = dir.write("node.conf", "http.io-threads = 3\n"
                                     "data-dir = from-file\n");
  auto from_file = loaded({"--config", file});
  CHECK_EQ(from_file.config.http.io_threads, 3);
  CHECK_EQ(from_file.config.data_dir, "from-file");
  CHECK_EQ(from_file.sources, "embedded defaults, " + file);
  auto overridden = loaded({"--set", "http.io-threads=4", "--config", file,
                            "--set=logs.level=warn"});
  CHECK_EQ(overridden.config.http.io_threads, 4);
  CHECK_EQ(overridden.config.data_dir, "from-file");
  CHECK_EQ(overridden.config.logs.level, "warn");
  CHECK_EQ(overridden.sources, "embedded defaults, " + file + ", 2 overrides");
  CHECK_EQ(loaded({"--data-dir", "x"}).sources,
           "embedded defaults, 1 override");
}

TEST_CASE("--set reads numbers, booleans and quoted strings as HOCON") {
  auto config = loaded({"--set", "http.io-threads=4",
                        "--set", "storage.sync=false",
                        "--set", "storage.compression=blocks",
                        "--set", "storage.id-filter=false",
                        "--set", "http.max-body-size=1MiB",
                        "--set", "http.request-timeout=2 minutes",
                        "--set", "logs.level=\"error\""})
                  .config;
  CHECK_EQ(config.http.io_threads, 4);
  CHECK_EQ(config.storage.sync, false);
  CHECK_EQ(config.storage.compression, "blocks");
  CHECK_EQ(config.storage.id_filter, false);
  CHECK_EQ(config.http.max_body_size, 1u << 20);
  CHECK_EQ(config.http.request_timeout.count(), 120'000);
  CHECK_EQ(config.logs.level, "error");
}

TEST_CASE("--set takes other values literally, so URLs need no quotes") {
  auto config = loaded({"--set", "logs.path=/x",
                        "--set", "data-dir=//server/share",
                        "--set", "server-url=http://0.0.0.0:9000",
                        "--set", "public-server-url="})
                  .config;
  CHECK_EQ(config.logs.path, "/x");
  CHECK_EQ(config.data_dir, "//server/share");
  CHECK_EQ(config.server_url, "http://0.0.0.0:9000");
  CHECK_EQ(config.public_server_url, "");
}

TEST_CASE("named flags and their RavenDB spellings") {
  auto ours = loaded({"--server-url", "http://h:1",
                      "--public-server-url=http://p:2",
                      "--tcp-url", "tcp://h:3",
                      "--data-dir", "d",
                      "--logs-path", "l"})
                .config;
  auto ravendb = loaded({"--ServerUrl=http://h:1",
                         "--PublicServerUrl=http://p:2",
                         "--ServerUrl.Tcp=tcp://h:3",
                         "--DataDir=d",
                         "--Logs.Path=l"})
                   .config;
  auto expected = node_config{};
  expected.server_url = "http://h:1";
  expected.public_server_url = "http://p:2";
  expected.tcp_url = "tcp://h:3";
  expected.data_dir = "d";
  expected.logs.path = "l";
  test::check_same(ours, expected);
  test::check_same(ravendb, expected);
  // A named flag's value is never HOCON: a numeric folder stays a string.
  CHECK_EQ(loaded({"--data-dir", "2024"}).config.data_dir, "2024");
}

TEST_CASE("the later of two flags for one key wins") {
  CHECK_EQ(loaded({"--set", "data-dir=a", "--data-dir", "b"}).config.data_dir,
           "b");
  CHECK_EQ(loaded({"--DataDir=b", "--set", "data-dir=a"}).config.data_dir,
           "a");
}

TEST_CASE("command-line errors name the flag as typed") {
  CHECK_EQ(error_of({"--set", "http.io-threads=x"}),
           "--set http.io-threads=x: 'http.io-threads' must be a number, "
           "got \"x\"");
  CHECK_EQ(error_of({"--set=htp.io-threads=4"}),
           "--set=htp.io-threads=4: unknown key 'htp.io-threads'");
  CHECK_EQ(error_of({"--set", "http.io-threads"}),
           "--set http.io-threads: expected KEY=VALUE");
  CHECK_EQ(error_of({"--set", "a..b=1"}), "--set a..b=1: invalid key 'a..b'");
  CHECK_EQ(error_of({"--ServerUrl=https://a:443"}),
           "--ServerUrl=https://a:443: 'server-url' must use http:// (https "
           "is not supported yet), got \"https://a:443\"");
  CHECK_EQ(error_of({"--tcp-url", "h:1"}),
           "--tcp-url h:1: 'tcp-url' must look like tcp://host:port, got "
           "\"h:1\"");
}

TEST_CASE("unknown options, positional arguments and repeated flags") {
  CHECK_EQ(error_of({"--bogus"}),
           "command line: unrecognised option '--bogus' (see --help)");
  // No prefix guessing: --data is not --data-dir.
  CHECK_EQ(error_of({"--data", "x"}),
           "command line: unrecognised option '--data' (see --help)");
  CHECK_EQ(error_of({"node.conf"}),
           "command line: too many positional options have been specified "
           "on the command line (see --help)");
  CHECK_EQ(error_of({"--data-dir", "a", "--data-dir", "b"}),
           "command line: option '--data-dir' cannot be specified more than "
           "once (see --help)");
  CHECK_EQ(error_of({"--config"}),
           "command line: the required argument for option '--config' is "
           "missing (see --help)");
}

TEST_CASE("--config errors: missing file, unreadable file, bad content") {
  test::temp_dir dir;
  auto missing = (dir.path() / "nope.conf").string();
  CHECK_EQ(error_of({"--config", missing}),
           "--config " + missing
             + ": cannot read file (No such file or directory)");
  CHECK_EQ(error_of({"--config", dir.path().string()}),
           "--config " + dir.path().string()
             + ": cannot read file (Is a directory)");
  auto unknown = dir.write("unknown.conf", "# comment\nhtp.io-threads = 4\n");
  CHECK_EQ(error_of({"--config", unknown}),
           unknown + ":2: unknown key 'htp.io-threads'");
  auto wrong = dir.write("wrong.conf", "\n\nhttp.io-threads = four\n");
  CHECK_EQ(error_of({"--config", wrong}),
           wrong + ":3: 'http.io-threads' must be a number, got \"four\"");
  auto broken = dir.write("broken.conf", "http {\n");
  CHECK_EQ(error_of({"--config", broken}),
           broken + ": syntax error: expecting a close brace or a field name "
                    "here, got end of file");
  // An empty file is a valid file that changes nothing.
  auto empty = dir.write("empty.conf", "");
  test::check_same(loaded({"--config", empty}).config, node_config{});
}

TEST_CASE("--help and -h print the usage without reading any file") {
  for (auto flag : {"--help", "-h"}) {
    CAPTURE(flag);
    auto result = loaded({"--config", "/nonexistent.conf", flag});
    CHECK(result.action == cli_action::print_help);
    CHECK_EQ(result.text.rfind("Usage: corvus-node [options]\n", 0), 0);
    for (auto needle : {"--config FILE", "--set KEY=VALUE", "--print-config",
                        "--version", "--server-url URL", "--logs-path DIR",
                        "--ServerUrl.Tcp URL", "same as --tcp-url"}) {
      CAPTURE(needle);
      CHECK_NE(result.text.find(needle), std::string::npos);
    }
  }
}

TEST_CASE("--version prints the program and its version") {
  auto result = loaded({"--version"});
  CHECK(result.action == cli_action::print_version);
  CHECK_EQ(result.text, std::string{"corvus-node "} + CORVUS_VERSION + "\n");
}

TEST_CASE("--print-config prints HOCON that reads back to the same config") {
  test::temp_dir dir;
  auto file = dir.write("node.conf", "storage.sync = false\n");
  auto result = loaded({"--print-config", "--config", file,
                        "--set", "http.io-threads=7"});
  CHECK(result.action == cli_action::print_config);
  CHECK_EQ(result.config.http.io_threads, 7);
  CHECK_EQ(result.text.rfind("# Effective corvus-node configuration "
                             "(embedded defaults, "
                               + file + ", 1 override)\n",
                             0),
           0);
  // The documentation of node.conf comes along.
  CHECK_NE(result.text.find("# duration: how long an idle keep-alive"),
           std::string::npos);
  auto reread = parse_node_config(result.text, "printed");
  REQUIRE_MESSAGE(reread, (reread ? "" : reread.error().message));
  test::check_same(*reread, result.config);
}

} // namespace
} // namespace corvus
