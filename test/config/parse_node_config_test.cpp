// parse_node_config: the embedded defaults, HOCON files on top of them, and
// the one-line errors for every way a key or value can be wrong.

#include "config/load_config.hpp"

#include "test/config/config_test_helpers.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

namespace corvus {
namespace {

using std::chrono::milliseconds;

constexpr const char* origin = "/etc/n.conf";

/// @returns the configuration `text` yields; fails the test on an error.
node_config parse(const std::string& text) {
  auto result = parse_node_config(text, origin);
  REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
  return *result;
}

/// @returns the error message `text` yields; fails the test on success.
std::string error_of(const std::string& text) {
  auto result = parse_node_config(text, origin);
  REQUIRE_MESSAGE(!result, "accepted: " << text);
  CHECK_EQ(result.error().code, ec::bad_request);
  return result.error().message;
}

TEST_CASE("the embedded node.conf holds exactly node_config's defaults") {
  // The guard that the two sources of defaults agree: a key missing from
  // node.conf, an extra key, or a different default fails here.
  test::check_same(parse(""), node_config{});
}

TEST_CASE("a file overrides only the keys it names") {
  auto config = parse(R"(
    server-url = "http://0.0.0.0:9000"
    data-dir = /var/lib/corvus
    logs { level = debug }
    http.io-threads = 8
    storage.sync = false
    database.restart-backoff-max = 1m
  )");
  auto expected = node_config{};
  expected.server_url = "http://0.0.0.0:9000";
  expected.data_dir = "/var/lib/corvus";
  expected.logs.level = "debug";
  expected.http.io_threads = 8;
  expected.storage.sync = false;
  expected.database.restart_backoff_max = milliseconds{60'000};
  test::check_same(config, expected);
}

TEST_CASE("substitutions see the defaults") {
  CHECK_EQ(parse("logs.path = ${data-dir}\"/logs\"").logs.path, "data/logs");
  auto message = error_of("logs.path = ${nope}");
  CHECK_EQ(message.rfind(std::string{origin} + ": ", 0), 0);
  CHECK_NE(message.find("${nope}"), std::string::npos);
}

TEST_CASE("sizes: plain bytes or a number with a unit") {
  struct row {
    const char* text;
    uint64_t bytes;
  };
  const row rows[] = {
    {"4096", 4096},
    {"\"4096\"", 4096},
    {"1B", 1},
    {"1K", 1024},
    {"1KiB", 1024},
    {"1KB", 1000},
    {"\"2 MiB\"", 2ull << 20},
    {"3mb", 3'000'000},
    {"2M", 2ull << 20},
    {"1G", 1ull << 30},
    {"1gib", 1ull << 30},
    {"5GB", 5'000'000'000},
    {"\" 7 k \"", 7 * 1024},
  };
  for (auto [text, bytes] : rows) {
    CAPTURE(text);
    CHECK_EQ(parse(std::string{"storage.block-cache-size = "} + text)
               .storage.block_cache_size,
             bytes);
  }
}

TEST_CASE("sizes: what is refused") {
  const std::string expected = "/etc/n.conf:1: 'http.max-body-size' must be "
                               "a size such as \"64MiB\" or a number of "
                               "bytes, got ";
  const char* rows[] = {"\"12 parsecs\"", "\"1.5GiB\"", "1.5", "-1",
                        "\"-1\"",         "\"MiB\"",    "true", "\"\"",
                        "\"99999999999G\""};
  for (auto text : rows) {
    CAPTURE(text);
    CHECK_EQ(error_of(std::string{"http.max-body-size = "} + text),
             expected + text);
  }
  CHECK_EQ(error_of("http.max-body-size = 0"),
           "/etc/n.conf:1: 'http.max-body-size' must be greater than 0 and "
           "at most 2GiB, got 0");
  // Bodies become strings sized in 32 bits.
  CHECK_EQ(error_of("http.max-body-size = 3GiB"),
           "/etc/n.conf:1: 'http.max-body-size' must be greater than 0 and "
           "at most 2GiB, got \"3GiB\"");
  CHECK_EQ(parse("http.max-body-size = 2GiB").http.max_body_size, 2ull << 30);
}

TEST_CASE("durations: HOCON durations or plain milliseconds") {
  struct row {
    const char* text;
    int64_t ms;
  };
  const row rows[] = {
    {"250", 250},           {"500ms", 500},      {"\"30 s\"", 30'000},
    {"1.5s", 1500},         {"2m", 120'000},     {"2 minutes", 120'000},
    {"3h", 10'800'000},     {"1d", 86'400'000},  {"\"5 seconds\"", 5000},
  };
  for (auto [text, ms] : rows) {
    CAPTURE(text);
    CHECK_EQ(parse(std::string{"http.request-timeout = "} + text)
               .http.request_timeout.count(),
             ms);
  }
}

TEST_CASE("durations: what is refused") {
  const std::string expected = "/etc/n.conf:1: 'http.request-timeout' must "
                               "be a duration such as \"500ms\" or \"2m\", "
                               "got ";
  for (auto text : {"soon", "\"5 weeks\"", "\"5S\"", "true", "\"\""}) {
    CAPTURE(text);
    auto rendered = std::string{text};
    if (rendered.front() != '"' && rendered != "true")
      rendered = '"' + rendered + '"';
    CHECK_EQ(error_of(std::string{"http.request-timeout = "} + text),
             expected + rendered);
  }
  for (auto text : {"0", "0s", "\"-1s\"", "100us"}) {
    CAPTURE(text);
    auto message = error_of(std::string{"http.request-timeout = "} + text);
    CHECK_NE(message.find("'http.request-timeout' must be greater than 0"),
             std::string::npos);
  }
}

TEST_CASE("unknown keys name the file and line") {
  CHECK_EQ(error_of("\n\nhtp.io-threads = 4"),
           "/etc/n.conf:3: unknown key 'htp.io-threads'");
  CHECK_EQ(error_of("http { io-threads = 4\n  workers = 2 }"),
           "/etc/n.conf:2: unknown key 'http.workers'");
  // A section replaced by a plain value is not a key either.
  CHECK_EQ(error_of("http = 5"), "/etc/n.conf:1: unknown key 'http'");
}

TEST_CASE("values of the wrong kind name the key, the file and the line") {
  CHECK_EQ(error_of("\n\nhttp.io-threads = four"),
           "/etc/n.conf:3: 'http.io-threads' must be a number, got \"four\"");
  CHECK_EQ(error_of("http.io-threads = 2.5"),
           "/etc/n.conf:1: 'http.io-threads' must be a whole number, got 2.5");
  CHECK_EQ(error_of("http.io-threads = \"4\""),
           "/etc/n.conf:1: 'http.io-threads' must be a number, got \"4\"");
  CHECK_EQ(error_of("storage.sync = yes"),
           "/etc/n.conf:1: 'storage.sync' must be true or false, got \"yes\"");
  CHECK_EQ(error_of("data-dir = 5"),
           "/etc/n.conf:1: 'data-dir' must be a string, got 5");
  CHECK_EQ(error_of("data-dir = null"),
           "/etc/n.conf:1: 'data-dir' must be a string, got null");
  CHECK_EQ(error_of("data-dir = [a, b]"),
           "/etc/n.conf:1: 'data-dir' must be a string, got [\"a\",\"b\"]");
}

TEST_CASE("numbers are range checked") {
  CHECK_EQ(parse("http.io-threads = 1").http.io_threads, 1);
  CHECK_EQ(parse("http.io-threads = 64").http.io_threads, 64);
  CHECK_EQ(parse("scheduler.threads = 0").scheduler.threads, 0);
  CHECK_EQ(parse("scheduler.threads = 256").scheduler.threads, 256);
  CHECK_EQ(error_of("http.io-threads = 0"),
           "/etc/n.conf:1: 'http.io-threads' must be between 1 and 64, "
           "got 0");
  CHECK_EQ(error_of("http.io-threads = 65"),
           "/etc/n.conf:1: 'http.io-threads' must be between 1 and 64, "
           "got 65");
  CHECK_EQ(error_of("http.io-threads = 99999999999"),
           "/etc/n.conf:1: 'http.io-threads' must be between 1 and 64, "
           "got 99999999999");
  CHECK_EQ(error_of("scheduler.threads = -1"),
           "/etc/n.conf:1: 'scheduler.threads' must be between 0 and 256, "
           "got -1");
  CHECK_EQ(parse("cluster.snapshot-piece-size = 64KiB")
             .cluster.snapshot_piece_size,
           64u << 10);
  CHECK_EQ(parse("cluster.max-inflight-append-size = 2MiB")
             .cluster.max_inflight_append_size,
           2u << 20);
  CHECK_EQ(parse("cluster.snapshot-pieces-ahead = 1")
             .cluster.snapshot_pieces_ahead,
           1);
  CHECK_EQ(error_of("cluster.snapshot-pieces-ahead = 0"),
           "/etc/n.conf:1: 'cluster.snapshot-pieces-ahead' must be between "
           "1 and 4096, got 0");
  CHECK_EQ(error_of("scheduler.threads = 257"),
           "/etc/n.conf:1: 'scheduler.threads' must be between 0 and 256, "
           "got 257");
}

TEST_CASE("URLs: http for the API, tcp between nodes") {
  CHECK_EQ(parse("server-url = \"http://0.0.0.0:0\"").server_url,
           "http://0.0.0.0:0");
  CHECK_EQ(parse("server-url = \"http://[::1]:8080\"").server_url,
           "http://[::1]:8080");
  CHECK_EQ(parse("public-server-url = \"http://a.example:80\"")
             .public_server_url,
           "http://a.example:80");
  CHECK_EQ(parse("tcp-url = \"tcp://10.0.0.1:38889\"").tcp_url,
           "tcp://10.0.0.1:38889");
  CHECK_EQ(error_of("server-url = \"https://a:443\""),
           "/etc/n.conf:1: 'server-url' must use http:// (https is not "
           "supported yet), got \"https://a:443\"");
  CHECK_EQ(error_of("public-server-url = \"https://a:443\""),
           "/etc/n.conf:1: 'public-server-url' must use http:// (https is "
           "not supported yet), got \"https://a:443\"");
  // A trailing '/' is accepted: clients and topologies never see it.
  CHECK_EQ(parse("public-server-url = \"http://a.example:80/\"")
             .public_server_url,
           "http://a.example:80/");
  for (auto url : {"http://a", "http://:80", "http://a:http", "a:80",
                   "http://a:65536", "http://a:80/x", "http://u@a:80"}) {
    CAPTURE(url);
    CHECK_EQ(error_of(std::string{"server-url = \""} + url + '"'),
             std::string{"/etc/n.conf:1: 'server-url' must look like "
                         "http://host:port, got \""}
               + url + '"');
  }
  CHECK_EQ(error_of("tcp-url = \"http://a:1\""),
           "/etc/n.conf:1: 'tcp-url' must look like tcp://host:port, got "
           "\"http://a:1\"");
}

TEST_CASE("log levels and paths") {
  for (auto level : {"trace", "debug", "info", "warn", "error", "off"})
    CHECK_EQ(parse(std::string{"logs.level = "} + level).logs.level, level);
  CHECK_EQ(error_of("logs.level = verbose"),
           "/etc/n.conf:1: 'logs.level' must be one of trace, debug, info, "
           "warn, error, off, got \"verbose\"");
  // Paths are kept as written, relative ones included.
  CHECK_EQ(parse("logs.path = \"./x/../logs\"").logs.path, "./x/../logs");
  CHECK_EQ(error_of("data-dir = \"\""),
           "/etc/n.conf:1: 'data-dir' must not be empty, got \"\"");
}

TEST_CASE("storage compression is one of three words") {
  for (auto word : {"documents", "blocks", "none"})
    CHECK_EQ(parse(std::string{"storage.compression = "} + word)
               .storage.compression,
             word);
  CHECK_EQ(error_of("storage.compression = zstd"),
           "/etc/n.conf:1: 'storage.compression' must be one of documents, "
           "blocks, none, got \"zstd\"");
  // The boolean of earlier builds is refused, not taken for a word.
  CHECK_EQ(error_of("storage.compression = true"),
           "/etc/n.conf:1: 'storage.compression' must be a string, got true");
}

TEST_CASE("the restart back-off may not start above its cap") {
  CHECK_EQ(parse("database.restart-backoff-initial = 30s")
             .database.restart_backoff_initial.count(),
           30'000);
  auto message = error_of("database.restart-backoff-initial = 40s");
  CHECK_EQ(message.rfind("/etc/n.conf:1: 'database.restart-backoff-initial' "
                         "must not exceed 'database.restart-backoff-max' "
                         "(\"30s\" at embedded node.conf:",
                         0),
           0);
  const std::string tail = "), got \"40s\"";
  CHECK_EQ(message.substr(message.size() - tail.size()), tail);
}

TEST_CASE("syntax errors name the origin") {
  CHECK_EQ(error_of("http {"),
           "/etc/n.conf: syntax error: expecting a close brace or a field "
           "name here, got end of file");
  auto message = error_of("a b c");
  CHECK_EQ(message.rfind("/etc/n.conf: syntax error: ", 0), 0);
  CHECK_EQ(message.find('\n'), std::string::npos);
}

} // namespace
} // namespace corvus
