// Parsing bulk_docs bodies (ravendb-http.md §4.3, §4.5).

#include "runtime/documents/batch_request.hpp"

#include <doctest/doctest.h>

using namespace corvus;

namespace {

constexpr const char* db_id = "hb0jT0Fq9kS5xJ1wdc7W1g";

} // namespace

TEST_CASE("a batch of PUT and DELETE commands parses") {
  std::string cv = std::string{"A:3-"} + db_id;
  std::string body =
    R"({"Commands":[)"
    R"({"Id":"users/1","ChangeVector":null,"Document":{"name":"x","ok":true,)"
    R"("no":false,"none":null,"n":-1.5e3,"list":[true,null,{"a":[]}]},"Type":"PUT"},)"
    R"({"Id":"users/2","Document":{"name":"y","@metadata":{"@collection":"Users"}},)"
    R"("Type":"PUT","OriginalChangeVector":")" + cv + R"("},)"
    R"({"Id":"users/3","ChangeVector":"","Document":{},"Type":"PUT"},)"
    R"({"Id":"users/4","ChangeVector":")" + cv + R"(","Type":"DELETE"},)"
    R"({"Id":null,"Document":{"z":1},"Type":"PUT"}]})";
  auto tx = parse_batch_request(body);
  REQUIRE(tx);
  REQUIRE(tx->commands.size() == 5);
  auto& c = tx->commands;
  CHECK(c[0].kind == command_kind::put);
  CHECK(c[0].expected.kind == cv_expectation::mode::none);
  CHECK(c[0].document.body
        == R"({"name":"x","ok":true,"no":false,"none":null,"n":-1.5e3,)"
           R"("list":[true,null,{"a":[]}]})");
  CHECK(c[1].expected.kind == cv_expectation::mode::none);
  CHECK(c[1].document.collection == "Users");
  CHECK(c[2].expected.kind == cv_expectation::mode::must_be_new);
  CHECK(c[3].kind == command_kind::del);
  CHECK(c[3].expected.kind == cv_expectation::mode::must_match);
  CHECK(c[3].expected.change_vector == cv);
  CHECK(c[4].id.empty());
}

TEST_CASE("malformed batches name the command and field") {
  struct bad_case {
    const char* body;
    const char* mentions;
  };
  for (auto& [body, mentions] : std::initializer_list<bad_case>{
         {"not json", "not valid JSON"},
         {"[]", "JSON object"},
         {R"({"Commands":5})", "Commands"},
         {R"({"Commands":[5]})", "Commands[0]"},
         {R"({"Commands":[{"Id":"a"}]})", "'Type'"},
         {R"({"Commands":[{"Id":"a","Type":"FOO"}]})", "unknown command type"},
         {R"({"Commands":[{"Id":"a","Type":"PUT"}]})", "'Document'"},
         {R"({"Commands":[{"Type":"DELETE"}]})", "needs an 'Id'"},
         {R"({"Commands":[{"Id":5,"Type":"DELETE"}]})", "'Id'"},
         {R"({"Commands":[{"Id":"","Type":"DELETE"}]})", "empty"},
         {R"({"Commands":[{"Id":"a","Type":"DELETE","ChangeVector":"zz"}]})",
          "change vector"},
         {R"({"Commands":[{"Id":"a","Type":"DELETE","ChangeVector":1}]})",
          "'ChangeVector'"},
       }) {
    CAPTURE(body);
    auto tx = parse_batch_request(body);
    REQUIRE_FALSE(tx);
    CHECK(tx.error().code == ec::bad_request);
    CHECK(tx.error().message.find(mentions) != std::string::npos);
  }
}

TEST_CASE("known but unimplemented features are reported as unsupported") {
  for (auto body :
       {R"({"Commands":[{"Id":"a","Type":"PATCH"}]})",
        R"({"Commands":[{"Id":"a","Type":"AttachmentPUT"}]})",
        R"({"Commands":[{"Id":"users|","Type":"PUT","Document":{}}]})",
        R"({"Commands":[],"TransactionMode":"ClusterWide"})",
        // Doing less than these ask would be answered as done.
        R"({"Commands":[{"Id":"users/","IdPrefixed":true,"Type":"DELETE"}]})",
        R"({"Commands":[{"Id":"a","Type":"PUT","Document":{},)"
        R"("ForceRevisionCreationStrategy":"Before"}]})"}) {
    CAPTURE(body);
    auto tx = parse_batch_request(body);
    REQUIRE_FALSE(tx);
    CHECK(tx.error().code == ec::not_supported);
  }
  // Their defaults ask for nothing more.
  for (auto body :
       {R"({"Commands":[{"Id":"a","IdPrefixed":false,"Type":"DELETE"}]})",
        R"({"Commands":[{"Id":"a","Type":"PUT","Document":{},)"
        R"("ForceRevisionCreationStrategy":"None"}]})"}) {
    CAPTURE(body);
    CHECK(parse_batch_request(body));
  }
}
