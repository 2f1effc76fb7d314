// The compare-exchange routes' pure halves: what the npm client sends
// parses into commands and queries, and results render in the shapes the
// client reads.

#include "runtime/http/compare_exchange_requests.hpp"
#include "runtime/http/compare_exchange_responses.hpp"

#include <doctest/doctest.h>

using namespace corvus;

namespace {

compare_exchange_query keys_query(std::vector<std::string> keys) {
  compare_exchange_query q;
  q.keys = std::move(keys);
  return q;
}

query_string query(std::string_view text) {
  auto q = query_string::parse(text);
  REQUIRE(q);
  return *q;
}

} // namespace

TEST_CASE("a PUT becomes the put command, body kept as compact text") {
  auto cmd = parse_compare_exchange_put(
    query("key=users%2F%C3%A9&index=7&raft-request-id=abc"),
    "{ \"Object\" : { \"n\" : 1.50, \"big\": 123456789012345678901 },\n"
    "  \"@metadata\": {\"@expires\": \"2030-01-01T00:00:00.0000000Z\"} }",
    "Demo");
  REQUIRE(cmd);
  CHECK(cmd->request_id == "abc");
  CHECK(cmd->database == "Demo");
  CHECK(cmd->key == "users/\xc3\xa9");
  CHECK(cmd->index == 7);
  CHECK(cmd->value
        == R"({"Object":{"n":1.50,"big":123456789012345678901},)"
           R"("@metadata":{"@expires":"2030-01-01T00:00:00.0000000Z"}})");
  auto primitive = parse_compare_exchange_put(query("key=k&index=0"),
                                              R"({"Object":"text"})", "d");
  REQUIRE(primitive);
  CHECK(primitive->request_id.empty());
}

TEST_CASE("a bad PUT is refused") {
  std::string long_key(513, 'k');
  struct bad_put {
    std::string query;
    std::string body;
  };
  for (auto& [q, body] : std::vector<bad_put>{
         {"index=0", R"({"Object":1})"},
         {"key=&index=0", R"({"Object":1})"},
         {"key=" + long_key + "&index=0", R"({"Object":1})"},
         {"key=k", R"({"Object":1})"},
         {"key=k&index=x", R"({"Object":1})"},
         {"key=k&index=-1", R"({"Object":1})"},
         {"key=k&index=0", ""},
         {"key=k&index=0", "[1]"},
         {"key=k&index=0", "\"Object\""},
         {"key=k&index=0", "{\"Object\":"},
       }) {
    CAPTURE(q);
    CAPTURE(body);
    auto cmd = parse_compare_exchange_put(query(q), body, "d");
    REQUIRE_FALSE(cmd);
    CHECK(cmd.error().code == ec::bad_request);
  }
}

TEST_CASE("a DELETE becomes the remove command") {
  auto cmd = parse_compare_exchange_delete(
    query("key=a%20b&index=12&raft-request-id=r"), "db");
  REQUIRE(cmd);
  CHECK(*cmd == remove_compare_exchange_command{"r", "db", "a b", 12});
  CHECK_FALSE(parse_compare_exchange_delete(query("index=1"), "db"));
  CHECK_FALSE(parse_compare_exchange_delete(query("key=k"), "db"));
  CHECK_FALSE(parse_compare_exchange_delete(query("key=k&index=-3"), "db"));
}

TEST_CASE("a GET asks for keys or for a page of a prefix") {
  auto keys = parse_compare_exchange_get(query("&key=a&key=b%2Fc"));
  REQUIRE(keys);
  CHECK(keys->keys == std::vector<std::string>{"a", "b/c"});
  auto page = parse_compare_exchange_get(
    query("&startsWith=users%2F&start=10&pageSize=25"));
  REQUIRE(page);
  CHECK(*page == compare_exchange_query{{}, "users/", 10, 25});
  auto all = parse_compare_exchange_get(query(""));
  REQUIRE(all);
  CHECK(*all == compare_exchange_query{});
  auto zero = parse_compare_exchange_get(query("pageSize=0"));
  REQUIRE(zero);
  CHECK(zero->page_size == compare_exchange_query{}.page_size);
  CHECK_FALSE(parse_compare_exchange_get(query("start=-1")));
  CHECK_FALSE(parse_compare_exchange_get(query("start=x")));
  CHECK_FALSE(parse_compare_exchange_get(query("pageSize=many")));
}

TEST_CASE("PUT and DELETE answers carry Index, Value and Successful") {
  CHECK(render_compare_exchange_result({12, R"({"Object":{"a":1}})", true})
        == R"({"Index":12,"Value":{"Object":{"a":1}},"Successful":true})");
  CHECK(render_compare_exchange_result({0, "", false})
        == R"({"Index":0,"Value":null,"Successful":false})");
}

TEST_CASE("GET answers list Key, Value and Index; one missing key is 404") {
  compare_exchange_store store;
  store.restore("db", "users/1", {R"({"Object":1})", 4});
  store.restore("db", "users/2", {R"({"Object":2})", 5});
  store.restore("db", "zeta", {R"({"Object":3})", 6});
  auto whole = [](std::unique_ptr<results_in_pieces> results) {
    return *results->whole();
  };
  auto listing = whole(answer_compare_exchange_listing(
    store.values_of("DB"), compare_exchange_query{{}, "Users/", 1, 10}));
  CHECK(listing
        == R"({"Results":[{"Key":"users/2","Value":{"Object":2},"Index":5}]})");
  auto by_keys = answer_compare_exchange_lookup(
    store, "db", keys_query({"USERS/1", "nope"}));
  REQUIRE(by_keys);
  CHECK(*by_keys
        == R"({"Results":[{"Key":"USERS/1","Value":{"Object":1},"Index":4},)"
           R"({"Key":"nope","Value":null,"Index":-1}]})");
  CHECK_FALSE(answer_compare_exchange_lookup(store, "db",
                                             keys_query({"nope"})));
  auto empty = whole(answer_compare_exchange_listing(store.values_of("other"),
                                                     compare_exchange_query{}));
  CHECK(empty == R"({"Results":[]})");
}

