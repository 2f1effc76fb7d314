// Cluster commands as JSON: every command survives writing and reading,
// carries RavenDB's type name and request id, and malformed JSON is
// refused with ec::bad_request.

#include "runtime/cluster/cluster_command_json.hpp"
#include "runtime/cluster/cluster_result_json.hpp"
#include "runtime/json/json.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

using namespace corvus;

namespace {

void check_round_trip(const cluster_command& cmd, const char* type) {
  auto text = command_to_json(cmd);
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  REQUIRE(doc.IsObject());
  CHECK(std::string{doc["Type"].GetString()} == type);
  CHECK(std::string{doc["UniqueRequestId"].GetString()}
        == request_id_of(cmd));
  auto decoded = command_from_json(text);
  REQUIRE(decoded);
  CHECK(*decoded == cmd);
  CHECK(command_to_json(*decoded) == text);
}

database_creation sample_creation() {
  auto c = parse_database_creation(
    R"({"DatabaseName":"Demo","Disabled":true,"Settings":{"A.b":"1"},
        "ConflictSolverConfig":{"ResolveToLatest":true,"Weight":2.5},
        "Topology":{"Members":["B","A"],"PriorityOrder":["A"],
                    "DynamicNodesDistribution":true}})",
    "", 2);
  REQUIRE(c);
  return *c;
}

} // namespace

TEST_CASE("every command round-trips through its log entry") {
  check_round_trip(create_database_command{"r-1", sample_creation(), 7},
                   "AddDatabaseCommand");
  auto implicit = parse_database_creation("", "plain", 3);
  REQUIRE(implicit);
  check_round_trip(create_database_command{"", *implicit, 0},
                   "AddDatabaseCommand");
  check_round_trip(delete_databases_command{"r-2", {"a", "B"}, {"C"}, false},
                   "DeleteDatabaseCommand");
  check_round_trip(delete_databases_command{"", {"a"}, {}, true},
                   "DeleteDatabaseCommand");
  check_round_trip(add_database_node_command{"r-5", "Demo", "B", 3},
                   "AddDatabaseNodeCommand");
  check_round_trip(add_database_node_command{"", "Demo", "", 0},
                   "AddDatabaseNodeCommand");
  check_round_trip(toggle_databases_command{"r-6", {"a", "B"}, true},
                   "ToggleDatabasesStateCommand");
  check_round_trip(toggle_databases_command{"", {"a"}, false},
                   "ToggleDatabasesStateCommand");
  check_round_trip(put_compare_exchange_command{
                     "r-3", "Demo", "Users/é",
                     R"({"Object":{"n":1.10,"big":12345678901234567890},)"
                     R"("@metadata":{"@expires":"2030-01-01T00:00:00Z"}})",
                     42},
                   "AddOrUpdateCompareExchangeCommand");
  check_round_trip(remove_compare_exchange_command{"r-4", "Demo", "k", 9},
                   "RemoveCompareExchangeCommand");
  using group_change = change_database_group_command::kind;
  for (auto what : {group_change::reorder, group_change::promote,
                    group_change::dynamic_distribution,
                    group_change::topology,
                    group_change::resolve_to_latest}) {
    CAPTURE(static_cast<int>(what));
    change_database_group_command cmd{"r-7", "Demo", what, {"B", "A"}, true,
                                      sample_creation().record.topology};
    check_round_trip(cmd, "ChangeDatabaseGroupCommand");
  }
  check_round_trip(change_database_group_command{},
                   "ChangeDatabaseGroupCommand");
}

TEST_CASE("RaftRequestId is read when UniqueRequestId is absent") {
  auto decoded = command_from_json(
    R"({"Type":"RemoveCompareExchangeCommand","RaftRequestId":"x",
        "Database":"d","Key":"k","Index":3})");
  REQUIRE(decoded);
  CHECK(request_id_of(*decoded) == "x");
  auto none = command_from_json(
    R"({"Type":"DeleteDatabaseCommand","DatabaseNames":["d"]})");
  REQUIRE(none);
  CHECK(request_id_of(*none).empty());
  CHECK(std::get<delete_databases_command>(*none).hard_delete);
}

TEST_CASE("malformed log entries are refused") {
  auto record = R"({"Name":"d","Etag":0,"OtherMembers":{},
    "Topology":{"Members":[],"ReplicationFactor":1}})";
  for (std::string bad : {
         std::string{""},
         std::string{"{"},
         std::string{"[]"},
         std::string{"{}"},
         std::string{R"({"Type":7})"},
         std::string{R"({"Type":"NoSuchCommand"})"},
         std::string{R"({"Type":"DeleteDatabaseCommand","UniqueRequestId":1})"},
         std::string{R"({"Type":"DeleteDatabaseCommand",)"
                     R"("DatabaseNames":"d"})"},
         std::string{R"({"Type":"DeleteDatabaseCommand",)"
                     R"("DatabaseNames":[1]})"},
         std::string{R"({"Type":"DeleteDatabaseCommand",)"
                     R"("DatabaseNames":[],"HardDelete":"yes"})"},
         std::string{R"({"Type":"AddDatabaseCommand","Name":"d"})"},
         std::string{R"({"Type":"AddDatabaseCommand","Name":"e","Record":)"}
           + record + "}",
         std::string{R"({"Type":"AddDatabaseCommand","Name":"d",)"
                     R"("NodeOffset":-1,"Record":)"}
           + record + "}",
         std::string{R"({"Type":"AddDatabaseCommand","Name":"d","Record":)"
                     R"({"Name":"d","Etag":0,"OtherMembers":{},)"
                     R"("Topology":{"Members":[1],"ReplicationFactor":1}}})"},
         std::string{R"({"Type":"AddDatabaseNodeCommand","NodeTag":"B"})"},
         std::string{R"({"Type":"AddDatabaseNodeCommand","Name":"d",)"
                     R"("NodeTag":5})"},
         std::string{R"({"Type":"AddDatabaseNodeCommand","Name":"d",)"
                     R"("NodeOffset":-1})"},
         std::string{R"({"Type":"AddOrUpdateCompareExchangeCommand",)"
                     R"("Database":"d","Key":"k","Index":1})"},
         std::string{R"({"Type":"AddOrUpdateCompareExchangeCommand",)"
                     R"("Database":"d","Key":"k","Index":1.5,"Value":"{}"})"},
         std::string{R"({"Type":"AddOrUpdateCompareExchangeCommand",)"
                     R"("Database":"d","Key":"k","Index":1,"Value":{}})"},
         std::string{R"({"Type":"RemoveCompareExchangeCommand",)"
                     R"("Database":"d","Index":1})"},
         std::string{R"({"Type":"RemoveCompareExchangeCommand","Key":"k",)"
                     R"("Database":"d","Index":1} trailing)"},
       }) {
    CAPTURE(bad);
    auto decoded = command_from_json(bad);
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().code == ec::bad_request);
  }
  auto good = command_from_json(
    std::string{R"({"Type":"AddDatabaseCommand","Name":"d","Record":)"}
    + record + "}");
  CHECK(good);
}

TEST_CASE("apply outcomes survive their JSON form") {
  database_record record;
  record.name = "Demo";
  record.topology.members = {"A", "B"};
  record.etag = 3;
  apply_outcome created{cluster_result{
    database_created{3, record, {"http://a:1", "http://b:1"}}}};
  auto back = apply_outcome_from_json(apply_outcome_to_json(created));
  REQUIRE(back);
  REQUIRE(*back);
  CHECK(std::get<database_created>(**back) == std::get<database_created>(*created));
  apply_outcome added{cluster_result{
    database_node_added{4, record, "B", "http://b:1"}}};
  back = apply_outcome_from_json(apply_outcome_to_json(added));
  REQUIRE(back);
  REQUIRE(*back);
  CHECK(std::get<database_node_added>(**back)
        == std::get<database_node_added>(*added));
  apply_outcome deleted{
    cluster_result{databases_deleted{6, {"Demo"}, {"A", "B"}, {}}}};
  back = apply_outcome_from_json(apply_outcome_to_json(deleted));
  REQUIRE(back);
  REQUIRE(*back);
  CHECK(std::get<databases_deleted>(**back)
        == std::get<databases_deleted>(*deleted));
  // One recorded before deletions named their nodes.
  back = apply_outcome_from_json(
    R"({"Result":{"Type":"DatabasesDeleted","Index":6,"Names":["Demo"]}})");
  REQUIRE(back);
  REQUIRE(*back);
  CHECK(std::get<databases_deleted>(**back)
        == databases_deleted{6, {"Demo"}, {}, {}});
  for (bool disabled : {true, false}) {
    apply_outcome toggled{
      cluster_result{databases_toggled{5, {"Demo", "b"}, disabled}}};
    back = apply_outcome_from_json(apply_outcome_to_json(toggled));
    REQUIRE(back);
    REQUIRE(*back);
    CHECK(std::get<databases_toggled>(**back)
          == std::get<databases_toggled>(*toggled));
  }
  apply_outcome group{
    cluster_result{database_group_changed{11, sample_creation().record}}};
  back = apply_outcome_from_json(apply_outcome_to_json(group));
  REQUIRE(back);
  REQUIRE(*back);
  CHECK(std::get<database_group_changed>(**back)
        == std::get<database_group_changed>(*group));
  apply_outcome failed{make_failure(ec::database_already_exists, "exists")};
  back = apply_outcome_from_json(apply_outcome_to_json(failed));
  REQUIRE(back);
  REQUIRE_FALSE(*back);
  CHECK(back->error().code == ec::database_already_exists);
  for (auto bad : {"", "{", "[]", R"({"Result":7})", R"({"Error":{}})"}) {
    CAPTURE(bad);
    CHECK_FALSE(apply_outcome_from_json(bad));
  }
}
