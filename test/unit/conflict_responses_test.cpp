// Documents in conflict over HTTP (ravendb-http.md §6.2): the conflicts
// query's body and the 409 a load of a conflicted id gets.

#include "runtime/http/conflict_responses.hpp"
#include "runtime/http/error_body.hpp"
#include "runtime/documents/timestamp.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

using namespace corvus;

namespace {

constexpr int64_t at = int64_t{1714558830} * ticks_per_second + 1234567;

document_record version(std::string cv, int64_t etag, std::string json) {
  document_record r;
  r.id = "Users/1";
  r.collection = "Users";
  r.etag = etag;
  r.change_vector = std::move(cv);
  r.last_modified = at;
  r.json = std::move(json);
  r.tombstone = r.json.empty();
  return r;
}

rapidjson::Document parsed(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

} // namespace

TEST_CASE("the conflict versions of an id, with their bodies") {
  std::vector<document_record> versions{
    version("A:5-x", 17,
            R"({"name":"a","@metadata":{"@collection":"Users"}})"),
    version("B:3-y", 12, ""),
  };
  auto doc = parsed(render_conflicts("users/1", versions));
  CHECK(doc["Id"] == "users/1");
  CHECK(doc["LargestEtag"].GetInt64() == 17);
  auto& results = doc["Results"];
  REQUIRE(results.Size() == 2);
  CHECK(results[0]["ChangeVector"] == "A:5-x");
  CHECK(results[0]["Doc"]["name"] == "a");
  CHECK(results[0]["Doc"]["@metadata"]["@collection"] == "Users");
  CHECK(results[0]["LastModified"] == "2024-05-01T10:20:30.1234567Z");
  // A deletion in conflict has no body.
  CHECK(results[1]["ChangeVector"] == "B:3-y");
  CHECK(results[1]["Doc"].IsNull());
}

TEST_CASE("an id not in conflict has no versions") {
  auto doc = parsed(render_conflicts("users/2", {}));
  CHECK(doc["Id"] == "users/2");
  CHECK(doc["LargestEtag"].GetInt64() == 0);
  CHECK(doc["Results"].IsArray());
  CHECK(doc["Results"].Empty());
}

TEST_CASE("loading an id in conflict is a DocumentConflictException") {
  std::vector<document_record> versions{version("A:5-x", 9, "{}"),
                                        version("B:3-y", 21, "{}")};
  auto f = document_conflict("Users/1", versions);
  CHECK(f.code == ec::document_conflict);
  auto mapping = map_error(f.code);
  CHECK(mapping.status == 409);
  auto doc = parsed(render_error_body(f, "/databases/db/docs?id=Users%2F1"));
  CHECK(doc["Type"]
        == "Raven.Client.Exceptions.Documents.DocumentConflictException");
  CHECK(doc["Message"]
        == "Conflict detected on Users/1, conflict must be resolved before "
           "the document will be accessible");
  CHECK(doc["DocId"] == "Users/1");
  // A number, as RavenDB writes it.
  REQUIRE(doc["LargestEtag"].IsInt64());
  CHECK(doc["LargestEtag"].GetInt64() == 21);
}
