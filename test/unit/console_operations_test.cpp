// The console's cluster operations as HTTP requests, what it says when one
// succeeded, and the one error line for each kind of failed answer.

#include "runtime/console/operations.hpp"

#include <doctest/doctest.h>

using namespace corvus;
using namespace corvus::console;

namespace {

client_request plan(std::string_view line) {
  auto cmd = parse_command(line);
  REQUIRE(cmd);
  REQUIRE(is_operation(*cmd));
  auto call = plan_operation(*cmd);
  REQUIRE(call);
  return *call;
}

std::string plan_error(std::string_view line) {
  auto cmd = parse_command(line);
  REQUIRE(cmd);
  auto call = plan_operation(*cmd);
  REQUIRE_FALSE(call);
  return call.error().message;
}

std::string error_for(unsigned status, std::string body,
                      std::string missing = "") {
  http_answer answer{status, std::move(body), {}};
  if (!missing.empty())
    answer.headers.emplace_back("Database-Missing", std::move(missing));
  return error_line(answer, "adding nodes");
}

} // namespace

TEST_CASE("percent encoding keeps unreserved characters only") {
  CHECK(percent_encode("demo-1_a.b~") == "demo-1_a.b~");
  CHECK(percent_encode("a b/c?d&é") == "a%20b%2Fc%3Fd%26%C3%A9");
  CHECK(percent_encode("http://h:1") == "http%3A%2F%2Fh%3A1");
}

TEST_CASE("create-db by replication factor or by nodes") {
  CHECK(plan("create-db demo")
        == client_request{"PUT", "/admin/databases?name=demo&replicationFactor=1",
                     R"({"DatabaseName":"demo"})"});
  CHECK(plan("create-db 'my db' --rf 3")
        == client_request{"PUT",
                     "/admin/databases?name=my%20db&replicationFactor=3",
                     R"({"DatabaseName":"my db"})"});
  CHECK(plan("create-db demo --nodes A,B")
        == client_request{"PUT", "/admin/databases?name=demo&replicationFactor=2",
                     R"({"DatabaseName":"demo","Topology":{"Members":)"
                     R"(["A","B"],"ReplicationFactor":2}})"});
  CHECK(plan("create-db demo --nodes ' A, ,C '").body
        == R"({"DatabaseName":"demo","Topology":{"Members":["A","C"],)"
           R"("ReplicationFactor":2}})");
  CHECK(plan_error("create-db demo --rf 2 --nodes A")
        == "create-db takes --rf or --nodes, not both");
  CHECK(plan_error("create-db demo --rf 0")
        == "--rf takes a positive number, not '0'");
  CHECK(plan_error("create-db demo --rf two")
        == "--rf takes a positive number, not 'two'");
  CHECK(plan_error("create-db demo --nodes ,")
        == "--nodes needs node tags, e.g. --nodes A,B");
}

TEST_CASE("delete-db everywhere, from some nodes, keeping files") {
  CHECK(plan("delete-db demo")
        == client_request{"DELETE", "/admin/databases",
                     R"({"DatabaseNames":["demo"],"HardDelete":true})"});
  CHECK(plan("delete-db demo --from B,C --keep-files").body
        == R"({"DatabaseNames":["demo"],"HardDelete":false,)"
           R"("FromNodes":["B","C"]})");
}

TEST_CASE("disable-db and enable-db name one database") {
  CHECK(plan("disable-db demo")
        == client_request{"POST", "/admin/databases/disable",
                          R"({"DatabaseNames":["demo"]})"});
  CHECK(plan("enable-db 'my db'")
        == client_request{"POST", "/admin/databases/enable",
                          R"({"DatabaseNames":["my db"]})"});
  auto disabled = operation_view(
    *parse_command("disable-db demo"),
    {200, R"({"Status":[{"Name":"demo","Success":true,"Disabled":true,)"
          R"("Reason":"the database is disabled"}]})", {}});
  CHECK(render_text(disabled, 80) == "database 'demo' disabled\n");
  auto unknown = operation_view(
    *parse_command("enable-db nope"),
    {200, R"({"Status":[{"Name":"nope","Success":false,)"
          R"("Reason":"database not found"}]})", {}});
  CHECK(render_text(unknown, 80)
        == "database 'nope' was not changed: database not found\n");
}

TEST_CASE("node operations") {
  CHECK(plan("add-node http://127.0.0.2:8080/")
        == client_request{"PUT",
                     "/admin/cluster/node?url=http%3A%2F%2F127.0.0.2%3A8080"
                     "&watcher=false",
                     ""});
  CHECK(plan("add-node http://h:1 --watcher --tag D").target
        == "/admin/cluster/node?url=http%3A%2F%2Fh%3A1&watcher=true&tag=D");
  CHECK(plan_error("add-node 127.0.0.2:8080").find("is not a valid http://")
        != std::string::npos);
  CHECK(plan("remove-node B")
        == client_request{"DELETE", "/admin/cluster/node?nodeTag=B", ""});
  CHECK(plan("promote D")
        == client_request{"POST", "/admin/cluster/promote?nodeTag=D", ""});
  CHECK(plan("demote D")
        == client_request{"POST", "/admin/cluster/demote?nodeTag=D", ""});
  CHECK(plan("reelect")
        == client_request{"POST", "/admin/cluster/reelect", ""});
  CHECK(plan("timeout")
        == client_request{"POST", "/admin/cluster/timeout", ""});
  CHECK(plan("add-db-node demo")
        == client_request{"PUT", "/admin/databases/node?name=demo", ""});
  CHECK(plan("add-db-node demo C").target
        == "/admin/databases/node?name=demo&node=C");
  for (auto read_only : {"nodes", "databases", "show 1", "connect http://a:1"})
    CHECK_FALSE(is_operation(*parse_command(read_only)));
}

TEST_CASE("a successful operation is one sentence; JSON keeps the data") {
  auto created = operation_view(
    *parse_command("create-db demo"),
    {201, R"({"RaftCommandIndex":2,"Name":"demo","Topology":{"Members":["A"]},)"
          R"("NodesAddedTo":["http://127.0.0.1:8080"]})", {}});
  CHECK(render_text(created, 80)
        == "database 'demo' created on A (raft index 2)\n");
  CHECK(render_json(created)
        == R"j({"Result":"database 'demo' created on A (raft index 2)",)j"
           R"("Database":"demo","Members":["A"],"RaftCommandIndex":2})");
  auto deleted = operation_view(
    *parse_command("delete-db demo --from B --keep-files"),
    {200, R"({"RaftCommandIndex":3,"PendingDeletes":["B"]})", {}});
  CHECK(render_text(deleted, 80)
        == "database 'demo' deleted from B, files kept (raft index 3)\n");
  CHECK(render_text(operation_view(*parse_command("add-node http://h:1 "
                                                  "--watcher"),
                                   {204, "", {}}),
                    80)
        == "node http://h:1 added as a watcher\n");
  CHECK(render_text(operation_view(*parse_command("remove-node B"),
                                   {204, "", {}}),
                    80)
        == "node B removed from the cluster\n");
  CHECK(render_text(operation_view(*parse_command("promote D"),
                                   {204, "", {}}),
                    80)
        == "node D promoted: a voter once caught up\n");
  CHECK(render_text(operation_view(*parse_command("demote D"),
                                   {204, "", {}}),
                    80)
        == "node D demoted to watcher\n");
  CHECK(render_json(operation_view(*parse_command("reelect"), {204, "", {}}))
        == R"({"Result":"the leader hands over to another member"})");
  CHECK(render_text(operation_view(*parse_command("add-db-node demo C"),
                                   {201, "not json", {}}),
                    80)
        == "node C added to the group of 'demo'\n");
}

TEST_CASE("failed answers become one clear line") {
  CHECK(error_for(400, R"({"Url":"/admin/cluster/node","Type":"Raven.Client.)"
                       R"(Exceptions.Routing.RouteNotFoundException",)"
                       R"("Message":"There is no route for PUT /admin/)"
                       R"(cluster/node","Error":"..."})")
        == "this node does not support adding nodes yet");
  CHECK(error_for(503, R"({"Type":"Raven.Client.Exceptions.Database.)"
                       R"(DatabaseDoesNotExistException","Message":"Database )"
                       R"('x' was not found"})",
                  "x")
        == "database 'x' does not exist");
  CHECK(error_for(404, "", "x") == "database 'x' does not exist");
  CHECK(error_for(503, R"({"Type":"Raven.Server.Rachis.NoLeaderException",)"
                       R"("Message":"there is no leader in term 4"})")
        == "no leader: there is no leader in term 4");
  CHECK(error_for(409, R"({"Type":"Raven.Client.Exceptions.)"
                       R"(ConcurrencyException","Message":"database 'demo' )"
                       R"(already exists"})")
        == "database 'demo' already exists");
  CHECK(error_for(500, "<html>oops</html>")
        == "adding nodes failed: the node answered HTTP 500");
  CHECK(error_for(502, "")
        == "adding nodes failed: the node answered HTTP 502");
}
