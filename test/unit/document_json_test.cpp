// Splitting client documents into stored parts and rendering them back with
// the metadata the server computes (ravendb-http.md §4.1).

#include "runtime/documents/document_json.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

using namespace corvus;

namespace {

incoming_document prepare(const char* json) {
  auto prepared = prepare_document(json);
  REQUIRE(prepared);
  return *prepared;
}

} // namespace

TEST_CASE("client metadata is kept and computed keys are dropped") {
  auto doc = prepare(R"({"name":"x","@metadata":{"@collection":"Users",
    "Raven-Node-Type":"User","@nested-object-types":{},"@id":"forged",
    "@change-vector":"forged","@last-modified":"forged","@flags":"forged",
    "custom":1}})");
  CHECK(doc.collection == "Users");
  CHECK(doc.body == R"({"name":"x"})");
  CHECK(doc.metadata
        == R"({"Raven-Node-Type":"User","@nested-object-types":{},"custom":1})");
}

TEST_CASE("documents without a collection belong to @empty") {
  CHECK(prepare(R"({"a":1})").collection.empty());
  CHECK(prepare(R"({"a":1,"@metadata":{"@collection":"@empty"}})")
          .collection.empty());
  CHECK(prepare(R"({"a":1,"@metadata":{"@collection":null}})")
          .collection.empty());
  CHECK(prepare(R"({"a":1,"@metadata":null})").metadata == "{}");
}

TEST_CASE("malformed documents are refused") {
  for (auto bad : {R"([1,2])", R"(5)", R"({"@metadata":[]})",
                   R"({"@metadata":5})", R"({"@metadata":{"@collection":5}})",
                   R"({"@metadata":{"@collection":{}}})", R"({"a":1)",
                   R"({"a":1} {})", "{\"a\":\"\xff\"}"}) {
    CAPTURE(bad);
    auto prepared = prepare_document(bad);
    REQUIRE_FALSE(prepared);
    CHECK(prepared.error().code == ec::bad_request);
  }
}

TEST_CASE("numbers keep the client's spelling; nested values pass through") {
  auto doc = prepare(R"({"big":123456789012345678901234567890,"f":1.10,)"
                     R"("e":1e2,"list":[1,{"@metadata":"not special here"}],)"
                     R"("@metadata":{"@flags":{"dropped":[1,2]},"nested":{"@id":"kept"}}})");
  CHECK(doc.body == R"({"big":123456789012345678901234567890,"f":1.10,"e":1e2,)"
                    R"("list":[1,{"@metadata":"not special here"}]})");
  CHECK(doc.metadata == R"({"nested":{"@id":"kept"}})");
}

TEST_CASE("rendering adds the computed metadata") {
  auto doc = prepare(R"({"name":"x","@metadata":{"@collection":"Users",
    "Raven-Node-Type":null}})");
  auto json = render_document(
    doc, {"users/1", "Users", "A:1-x", "1970-01-01T00:00:00.0000000Z", 0});
  CHECK(json
        == R"({"name":"x","@metadata":{"Raven-Node-Type":null,)"
           R"("@collection":"Users","@change-vector":"A:1-x",)"
           R"("@id":"users/1","@last-modified":"1970-01-01T00:00:00.0000000Z"}})");
  rapidjson::Document parsed;
  parsed.Parse(json.data(), json.size());
  CHECK_FALSE(parsed.HasParseError());
}

TEST_CASE("rendering an empty document and escaping ids") {
  auto doc = prepare("{}");
  auto json = render_document(doc, {"we\"ird\\id", "", "A:1-x", "t", 0});
  rapidjson::Document parsed;
  parsed.Parse(json.data(), json.size());
  REQUIRE_FALSE(parsed.HasParseError());
  auto& meta = parsed["@metadata"];
  CHECK(std::string{meta["@id"].GetString()} == "we\"ird\\id");
  CHECK_FALSE(meta.HasMember("@collection"));
  CHECK_FALSE(meta.HasMember("@flags"));
}

TEST_CASE("flags render as RavenDB names") {
  CHECK(format_flags(0).empty());
  CHECK(format_flags(1 | 2) == "HasRevisions, HasAttachments");
}
