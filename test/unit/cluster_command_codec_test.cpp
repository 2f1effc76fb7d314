// Cluster commands as the data of their log entries: compare-exchange
// commands in their binary form, everything else as JSON, and the JSON
// entries that earlier versions wrote for compare-exchange commands still
// read. Damaged binary entries are refused with ec::bad_request.

#include "runtime/cluster/cluster_command_codec.hpp"
#include "runtime/cluster/cluster_command_json.hpp"

#include <doctest/doctest.h>

using namespace corvus;

namespace {

// Quotes, an escaped newline, non-ASCII bytes and a NUL: the value is kept
// byte for byte, whatever it holds.
const char value_bytes[] = "{\"Object\":\"a \\\"b\\\"\\nc\","
                           "\"z\":\"\xc3\xa9\"}\0!";

put_compare_exchange_command sample_put() {
  return put_compare_exchange_command{
    "5f1c6a2e-8a51-4f0e-9a0e-1b2c3d4e5f60", "Demo", "Users/é",
    std::string{value_bytes, sizeof value_bytes - 1}, 42};
}

remove_compare_exchange_command sample_remove() {
  return remove_compare_exchange_command{"r-4", "Demo", "k", 9};
}

void check_round_trip(const cluster_command& cmd) {
  auto data = encode_command(cmd);
  auto decoded = decode_command(data);
  REQUIRE(decoded);
  CHECK(*decoded == cmd);
  CHECK(encode_command(*decoded) == data);
}

} // namespace

TEST_CASE("compare-exchange commands are binary log entries") {
  for (cluster_command cmd :
       {cluster_command{sample_put()}, cluster_command{sample_remove()},
        cluster_command{put_compare_exchange_command{"", "d", "k", "", -1}}}) {
    auto data = encode_command(cmd);
    REQUIRE_FALSE(data.empty());
    CHECK(data.front() != '{');
    check_round_trip(cmd);
  }
  auto put = std::get<put_compare_exchange_command>(
    *decode_command(encode_command(sample_put())));
  CHECK(put.value.size() == sizeof value_bytes - 1);
  CHECK(put.value == sample_put().value);
  // The value is the entry's own bytes, not a copy of them.
  shared_text entry{encode_command(sample_put())};
  auto shared = std::get<put_compare_exchange_command>(*decode_command(entry));
  auto whole = entry.view();
  auto value = shared.value.view();
  CHECK(value.data() >= whole.data());
  CHECK(value.data() + value.size() == whole.data() + whole.size());
}

TEST_CASE("other commands are JSON log entries") {
  cluster_command cmd{add_database_node_command{"r-5", "Demo", "B", 3}};
  auto data = encode_command(cmd);
  CHECK(data == command_to_json(cmd));
  check_round_trip(cmd);
  check_round_trip(
    cluster_command{delete_databases_command{"r-2", {"a"}, {"C"}, false}});
}

TEST_CASE("compare-exchange entries written as JSON still read") {
  for (cluster_command cmd :
       {cluster_command{sample_put()}, cluster_command{sample_remove()}}) {
    auto decoded = decode_command(command_to_json(cmd));
    REQUIRE(decoded);
    CHECK(*decoded == cmd);
  }
}

TEST_CASE("damaged binary entries are refused") {
  for (cluster_command cmd :
       {cluster_command{sample_put()}, cluster_command{sample_remove()}}) {
    auto data = encode_command(cmd);
    // Cut after the tag at every byte: each cut ends inside a field.
    for (size_t size = 1; size < data.size(); ++size) {
      CAPTURE(size);
      auto decoded = decode_command(data.substr(0, size));
      REQUIRE_FALSE(decoded);
      CHECK(decoded.error().code == ec::bad_request);
    }
    auto longer = decode_command(data + "x");
    REQUIRE_FALSE(longer);
    CHECK(longer.error().code == ec::bad_request);
    CHECK(longer.error().message.find("bytes follow") != std::string::npos);
  }
  // A size past the end of the entry.
  auto data = encode_command(cluster_command{sample_remove()});
  data[1] = '\x7f';
  auto decoded = decode_command(data);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().code == ec::bad_request);
}
