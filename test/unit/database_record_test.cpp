// Database records as the clients send and read them (ravendb-http.md
// §5.0, §5.1).

#include "runtime/cluster/database_record.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

using namespace corvus;

TEST_CASE("database names are validated") {
  for (auto good : {"demo", "Demo-1", "a.b_c", "x"})
    CHECK(validate_database_name(good));
  for (auto bad : {"", ".hidden", "trailing.", "sp ace", "sl/ash", "ü",
                   "a?b"})
    CHECK_FALSE(validate_database_name(bad));
  CHECK_FALSE(validate_database_name(std::string(129, 'a')));
}

TEST_CASE("a creation body is parsed, unknown members kept") {
  auto creation = parse_database_creation(
    R"({"DatabaseName":"demo","Settings":{"Indexing.X":"1"},
        "Topology":{"Members":["A"],"ReplicationFactor":1}})",
    "demo", 1);
  REQUIRE(creation);
  CHECK(creation->explicit_members);
  CHECK(creation->record.name == "demo");
  CHECK(creation->record.other_members
        == R"({"Settings":{"Indexing.X":"1"}})");
}

TEST_CASE("creation input errors") {
  CHECK(parse_database_creation("", "fromquery", 1)->record.name
        == "fromquery");
  auto mismatch = parse_database_creation(R"({"DatabaseName":"a"})", "b", 1);
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().code == ec::bad_request);
  auto encrypted = parse_database_creation(
    R"({"DatabaseName":"a","Encrypted":true})", "", 1);
  REQUIRE_FALSE(encrypted);
  CHECK(encrypted.error().code == ec::not_supported);
  for (auto bad : {"[", R"([1])", R"({"DatabaseName":"a","Topology":5})",
                   R"({"DatabaseName":5})", R"({"DatabaseName":[]})",
                   R"({"DatabaseName":"a","Settings":[]})",
                   R"({"DatabaseName":"a","Settings":{"k":1}})",
                   R"({"DatabaseName":"a","Disabled":"yes"})",
                   R"({"DatabaseName":"a","Topology":{"Members":"A"}})",
                   R"({"DatabaseName":"bad name"})", R"({})"})
    CHECK_FALSE(parse_database_creation(bad, "", 1));
}

TEST_CASE("record members asking for features Corvus lacks are refused") {
  for (auto asks : {
         R"("Encrypted":true)",
         R"("ConflictSolverConfig":{"ResolveByCollection":{"Users":{"Script":"return docs[0];"}}})",
         R"("Revisions":{"Default":{"Disabled":false,"MinimumRevisionsToKeep":5}})",
         R"("Revisions":{"Collections":{"Users":{"PurgeOnDelete":true}}})",
         R"("RevisionsForConflicts":{"Disabled":false})",
         R"("Expiration":{"Disabled":false,"DeleteFrequencyInSec":60})",
         R"("Refresh":{"RefreshFrequencyInSec":60})",
         R"("Indexes":{"Users/ByName":{}})",
         R"("PeriodicBackups":[{"Name":"b"}])",
         R"("ExternalReplications":[{"Name":"x"}])"}) {
    CAPTURE(asks);
    auto refused = parse_database_creation(
      std::string{R"({"DatabaseName":"a",)"} + asks + "}", "", 1);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ec::not_supported);
    CHECK(refused.error().message.find("Corvus does not support")
          != std::string::npos);
  }
  // What clients send by default, or switched off, is kept.
  for (auto fine : {
         R"("Encrypted":false)",
         R"("ConflictSolverConfig":{"ResolveToLatest":true,"ResolveByCollection":{}})",
         R"("Revisions":null)",
         R"("Revisions":{"Default":null,"Collections":{"Users":{"Disabled":true}}})",
         R"("Expiration":{"Disabled":true})",
         R"("Indexes":{})", R"("PeriodicBackups":[])",
         R"("Settings":{"Indexing.X":"1"})"}) {
    CAPTURE(fine);
    CHECK(parse_database_creation(
      std::string{R"({"DatabaseName":"a",)"} + fine + "}", "", 1));
  }
}

TEST_CASE("records render with topology, kept members and etag") {
  auto creation = parse_database_creation(
    R"({"DatabaseName":"demo","Settings":{"k":"v"}})", "", 1);
  REQUIRE(creation);
  auto record = creation->record;
  record.topology.members = {"A"};
  record.etag = 7;
  auto json = render_database_record(record);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(std::string{doc["DatabaseName"].GetString()} == "demo");
  CHECK(doc["Topology"]["Members"][0] == "A");
  CHECK(doc["Topology"]["Promotables"].IsArray());
  CHECK(doc["Settings"]["k"] == "v");
  CHECK(doc["Etag"].GetInt64() == 7);
}

TEST_CASE("a client's DatabaseTopology is parsed; what an observer keeps is "
          "ignored") {
  auto t = parse_database_topology(
    R"({"Members":["A","B"],"Promotables":["C"],"Rehabs":[],)"
    R"("PredefinedMentors":{},"DemotionReasons":{},"PromotablesStatus":{},)"
    R"("ReplicationFactor":3,"DynamicNodesDistribution":true,)"
    R"("PriorityOrder":["B"],"Stamp":{"Index":4,"Term":1}})");
  REQUIRE(t);
  CHECK(t->members == std::vector<std::string>{"A", "B"});
  CHECK(t->promotables == std::vector<std::string>{"C"});
  CHECK(t->rehabs.empty());
  CHECK(t->priority_order == std::vector<std::string>{"B"});
  CHECK(t->dynamic_nodes_distribution);
  auto bare = parse_database_topology(R"({"Members":["A"]})");
  REQUIRE(bare);
  CHECK_FALSE(bare->dynamic_nodes_distribution);
  for (auto bad : {"", "[", "[]", R"({"Members":"A"})",
                   R"({"Members":[1]})", R"({"Rehabs":[""]})",
                   R"({"Members":["A"],"DynamicNodesDistribution":"yes"})"}) {
    CAPTURE(bad);
    auto out = parse_database_topology(bad);
    REQUIRE_FALSE(out);
    CHECK(out.error().code == ec::bad_request);
  }
}

TEST_CASE("the conflict solver is set in the record, its other members "
          "kept") {
  auto creation = parse_database_creation(
    R"({"DatabaseName":"demo","Settings":{"k":"v"},)"
    R"("ConflictSolverConfig":{"ResolveToLatest":false}})",
    "", 1);
  REQUIRE(creation);
  auto record = creation->record;
  CHECK_FALSE(resolves_to_latest(record));
  set_resolve_to_latest(record, true);
  CHECK(resolves_to_latest(record));
  CHECK(record.other_members
        == R"({"Settings":{"k":"v"},"ConflictSolverConfig":)"
           R"({"DatabaseResolverId":null,"ResolveByCollection":{},)"
           R"("ResolveToLatest":true}})");
  CHECK(render_conflict_solver(record)
        == R"({"DatabaseResolverId":null,"ResolveByCollection":{},)"
           R"("ResolveToLatest":true})");
  set_resolve_to_latest(record, false);
  CHECK_FALSE(resolves_to_latest(record));
  // A record created without one gets one.
  auto plain = parse_database_creation(R"({"DatabaseName":"p"})", "", 1);
  REQUIRE(plain);
  CHECK(render_conflict_solver(plain->record) == "null");
  set_resolve_to_latest(plain->record, true);
  CHECK(resolves_to_latest(plain->record));
}
