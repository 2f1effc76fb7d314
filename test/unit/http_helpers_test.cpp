// Query strings, TimeSpans, URLs and error bodies as the RavenDB clients
// produce and expect them (ravendb-http.md §1).

#include "runtime/http/error_body.hpp"
#include "runtime/http/query_string.hpp"
#include "runtime/http/timespan.hpp"
#include "runtime/http/url.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

using namespace corvus;

TEST_CASE("the client's unusual query strings parse") {
  auto q = query_string::parse("&id=users%2F1&id=b&first-topology-update"
                               "&raft-request-id=x&name=a+b&&");
  REQUIRE(q);
  CHECK(q->all("id") == std::vector<std::string_view>{"users/1", "b"});
  CHECK(q->get("first-topology-update") == "");
  CHECK(q->get("name") == "a b");
  CHECK_FALSE(q->get("missing"));
  CHECK(query_string::parse("")->all("id").empty());
}

TEST_CASE("query keys match without regard to case, as in ASP.NET Core") {
  auto q = query_string::parse("PAGESIZE=5&Id=a&id=b&%C3%A9=1");
  REQUIRE(q);
  CHECK(*q->get_int("pageSize", 0) == 5);
  CHECK(q->all("id") == std::vector<std::string_view>{"a", "b"});
  CHECK(q->get("\xC3\xA9") == "1");
  CHECK_FALSE(q->get("pageSiz"));
  CHECK_FALSE(q->get("pageSizes"));
}

TEST_CASE("bad escapes, invalid UTF-8 and bad numbers are refused") {
  CHECK_FALSE(query_string::parse("id=%zz"));
  CHECK_FALSE(query_string::parse("id=%"));
  CHECK_FALSE(query_string::parse("id=%ff"));
  auto q = query_string::parse("n=12&x=1a&b=TRUE&c=maybe");
  REQUIRE(q);
  CHECK(*q->get_int("n", 0) == 12);
  CHECK(*q->get_int("absent", 5) == 5);
  CHECK_FALSE(q->get_int("x", 0));
  CHECK(*q->get_bool("b", false));
  CHECK_FALSE(q->get_bool("c", false));
}

TEST_CASE("paths keep '+' and decode escapes") {
  CHECK(*percent_decode("a+b%20c", false) == "a+b c");
}

TEST_CASE("TimeSpans and milliseconds parse") {
  using std::chrono::milliseconds;
  CHECK(*parse_timespan("00:00:15", "t") == milliseconds{15000});
  CHECK(*parse_timespan("00:00:15.500000", "t") == milliseconds{15500});
  CHECK(*parse_timespan("1.02:00:00", "t") == milliseconds{93600000});
  CHECK(*parse_timespan("250", "t") == milliseconds{250});
  for (auto bad : {"", "abc", "00:61:00", "1:2", "-5", "00:00:01.12345678",
                   "-00:00:01", "-1.00:00:00", "00:-1:00", "+00:00:01"})
    CHECK_FALSE(parse_timespan(bad, "t"));
}

TEST_CASE("URLs of the configuration parse") {
  auto url = parse_url("http://127.0.0.1:8080/", "http", "server-url");
  REQUIRE(url);
  CHECK(url->host == "127.0.0.1");
  CHECK(url->port == 8080);
  CHECK(format_url(*url) == "http://127.0.0.1:8080");
  for (auto bad : {"127.0.0.1:8080", "tcp://a:1", "http://:80", "http://a",
                   "http://a:99999", "http://a:x"})
    CHECK_FALSE(parse_url(bad, "http", "server-url"));
}

TEST_CASE("every error code maps to a status and a RavenDB type") {
  for (size_t i = 0; i < ec_names.size(); ++i) {
    auto m = map_error(static_cast<ec>(i));
    CHECK(m.status >= 400);
    CHECK(m.type.rfind("Raven.Client.Exceptions.", 0) == 0);
  }
  CHECK(map_error(ec::concurrency_violation).status == 409);
  CHECK(map_error(ec::database_does_not_exist).status == 503);
  // Write assurance timeouts must not be retried by the client (§8.8).
  CHECK(map_error(ec::timeout).status == 500);
}

TEST_CASE("error bodies carry Url, Type, Message, Error and fields") {
  auto f = make_failure(ec::concurrency_violation, "boom \"quoted\"");
  f.fields = {{"Id", "users/1"}};
  auto json = render_error_body(f, "/databases/x/bulk_docs?");
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(doc["Url"] == "/databases/x/bulk_docs?");
  CHECK(doc["Type"] == "Raven.Client.Exceptions.ConcurrencyException");
  CHECK(doc["Message"] == "boom \"quoted\"");
  CHECK(std::string{doc["Error"].GetString()}
        == "Raven.Client.Exceptions.ConcurrencyException: boom \"quoted\"");
  CHECK(doc["Id"] == "users/1");
}
