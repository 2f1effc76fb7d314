// The console's views of a cluster, from canned answers in the shapes the
// node sends (GET /cluster/topology, /admin/actors, /databases, ...).

#include "runtime/console/views.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace corvus;
using namespace corvus::console;

namespace {

rapidjson::Document parse(const char* text) {
  rapidjson::Document doc;
  doc.Parse(text);
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

rapidjson::Document json_of(const view& v) {
  rapidjson::Document doc;
  auto text = render_json(v);
  doc.Parse(text.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

bool fits(const std::string& text, size_t width = 80) {
  size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (display_width(text.substr(start, end - start)) > width)
      return false;
    start = end + 1;
  }
  return true;
}

const char* three_nodes = R"({
  "Topology": {"TopologyId": "89f1", "AllNodes": {
      "B": "http://127.0.0.2:8080", "A": "http://127.0.0.1:8080",
      "C": "http://127.0.0.3:8080"},
    "Members": {"A": "http://127.0.0.1:8080", "B": "http://127.0.0.2:8080"},
    "Promotables": {}, "Watchers": {"C": "http://127.0.0.3:8080"},
    "LastNodeId": "C", "Etag": 7},
  "Etag": 7, "Leader": "A", "CurrentState": "Follower", "NodeTag": "B",
  "CurrentTerm": 3, "Status": {}})";

const char* passive = R"({
  "Topology": {"TopologyId": "", "AllNodes": {"A": "http://127.0.0.1:8080"},
    "Members": {"A": "http://127.0.0.1:8080"}, "Promotables": {},
    "Watchers": {}, "LastNodeId": "A", "Etag": -1},
  "Etag": -1, "Leader": "", "CurrentState": "Passive", "NodeTag": "A",
  "CurrentTerm": 0, "Status": {}})";

const char* actors = R"({"NodeTag": "A", "Url": "http://127.0.0.1:8080",
  "Actors": [
    {"Id": 1, "Kind": "node", "Name": "A", "Parent": 0, "Responsive": true,
     "Restarts": 0, "State": {"NodeTag": "A", "Url": "http://127.0.0.1:8080",
     "ClusterIndex": 4, "Databases": 2}},
    {"Id": 2, "Kind": "http-gateway", "Name": "http", "Parent": 1,
     "Responsive": true, "Restarts": 0, "State": {"Port": 8080,
     "IoThreads": 2, "InFlight": 1, "Requests": 57, "Errors": 0,
     "LatencyBuckets": {"0.001": 50}}},
    {"Id": 3, "Kind": "database", "Name": "demo", "Parent": 1,
     "Responsive": true, "Restarts": 2, "State": {"Database": "demo",
     "Status": "Ready", "LastEtag": 12, "ChangeVector": "A:12-x",
     "Documents": 10, "Tombstones": 2, "SizeBytes": 2097152,
     "Outstanding": 0}},
    {"Id": 4, "Kind": "storage-committer", "Name": "demo", "Parent": 3,
     "Responsive": true, "Restarts": 0, "State": {"Database": "demo",
     "Batches": 5, "Transactions": 9, "LastBatch": 2,
     "AverageCommitMicros": 830, "Failed": ""}},
    {"Id": 5, "Kind": "database", "Name": "orders", "Parent": 1,
     "Responsive": false, "Restarts": 0, "State": null},
    {"Id": 6, "Kind": "raft-member", "Name": "A", "Parent": 1,
     "Responsive": true, "Restarts": 0, "State": {"Role": "Leader",
     "Term": 3, "Leader": "A", "CommitIndex": 9, "AppliedIndex": 9,
     "LastIndex": 10}},
    {"Id": 7, "Kind": "replication-link", "Name": "demo A->B", "Parent": 3,
     "Responsive": true, "Restarts": 0, "State": {"Database": "demo",
     "Source": "A", "Destination": "B", "Cursor": 10, "LagEtags": 2,
     "LastHeartbeat": "2026-11-22T00:10:00.0000000Z", "Connected": true,
     "BackoffMs": 0}},
    {"Id": 8, "Kind": "flux-capacitor", "Name": "x", "Parent": 99,
     "Responsive": true, "Restarts": 0, "State": {"Gigawatts": 1.21}}
  ]})";

} // namespace

TEST_CASE("nodes: one row per node with role, leader and reachability") {
  auto topology = parse(three_nodes);
  std::map<std::string, node_probe> probes{
    {"A", {true, "Leader"}},
    {"B", {true, "Follower"}},
    {"C", {false, "cannot reach http://127.0.0.3:8080: Connection refused"}}};
  auto v = nodes_view(topology, probes);
  auto text = render_text(v, 80);
  CHECK(text.rfind("TAG  URL                    ROLE     LEADER  REACHABLE  "
                   "STATE\n"
                   "A    http://127.0.0.1:8080  Member   yes     yes        "
                   "Leader\n"
                   "B    http://127.0.0.2:8080  Member   no      yes        "
                   "Follower\n",
                   0)
        == 0);
  CHECK(text.find("C    http://127.0.0.3:8080  Watcher  no      no         "
                  "cannot reach")
        != std::string::npos);
  CHECK(text.find("Leader: A\nTerm:   3\n") != std::string::npos);
  CHECK(fits(text));
  auto json = json_of(v);
  CHECK(json["Leader"] == "A");
  CHECK(json["Nodes"].Size() == 3);
  CHECK(json["Nodes"][2]["Role"] == "Watcher");
  CHECK(json["Nodes"][2]["Reachable"].GetBool() == false);
  CHECK(json["Nodes"][0]["Leader"].GetBool());
}

TEST_CASE("nodes and raft say why there is no leader") {
  auto topology = parse(passive);
  auto text = render_text(nodes_view(topology, {}), 80);
  CHECK(text.find("Leader: none (this node is in no cluster)")
        != std::string::npos);
  CHECK(text.find("A    http://127.0.0.1:8080  Member  no      -          -")
        != std::string::npos);
  CHECK(json_of(nodes_view(topology, {}))["Leader"].IsNull());
  auto raft = render_text(raft_view(topology, nullptr), 80);
  CHECK(raft.find("State:         Passive\n") != std::string::npos);
  CHECK(raft.find("Leader:        none") != std::string::npos);
}

TEST_CASE("raft: this node's consensus state, voters, raft-member actors") {
  auto topology = parse(three_nodes);
  auto list = parse(actors);
  auto v = raft_view(topology, &list);
  auto text = render_text(v, 80);
  CHECK(text.find("Node:          B\n"
                  "State:         Follower\n"
                  "Term:          3\n"
                  "Leader:        A\n")
        == 0);
  CHECK(text.find("C    Watcher  http://127.0.0.3:8080") != std::string::npos);
  CHECK(text.find("CommitIndex:  9") != std::string::npos);
  auto json = json_of(v);
  CHECK(json["RaftMember"]["Role"] == "Leader");
  CHECK(json["Nodes"].Size() == 3);
  CHECK_FALSE(json_of(raft_view(topology, nullptr)).HasMember("RaftMember"));
}

TEST_CASE("actors: a row per actor; state summarized, unknown kinds too") {
  auto list = parse(actors);
  auto v = actors_view(list);
  auto text = render_text(v, 80);
  CHECK(fits(text));
  CHECK(text.rfind("ID  KIND               NAME       RESTARTS  STATE\n", 0)
        == 0);
  CHECK(text.find(" 3  database           demo              2  "
                  "Status=Ready LastEtag=12")
        != std::string::npos);
  CHECK(text.find("(no answer)") != std::string::npos);
  CHECK(text.find("Gigawatts=1.21") != std::string::npos);
  // Nested values stay out of the one-line summary.
  CHECK(text.find("LatencyBuckets") == std::string::npos);
  // Sizes read in binary units.
  auto show = render_text(actor_detail_view(list["Actors"][2]), 80);
  CHECK(show.find("SizeBytes:    2.0 MiB") != std::string::npos);
  auto json = json_of(v);
  CHECK(json["Actors"].Size() == 8);
  CHECK(json["Actors"][4]["Responsive"].GetBool() == false);
  CHECK(json["Actors"][4]["State"].IsNull());
  CHECK(json["Actors"][3]["Parent"].GetInt() == 3);
  CHECK(json["Actors"][2]["State"]["SizeBytes"].GetInt() == 2097152);
}

TEST_CASE("actors tree: children under their supervisors") {
  auto list = parse(actors);
  auto v = actor_tree_view(list);
  auto text = render_text(v, 200);
  CHECK(text.find("#1 node A  Url=http://127.0.0.1:8080 ClusterIndex=4 "
                  "Databases=2\n"
                  "|- #2 http-gateway http  Port=8080")
        == 0);
  CHECK(text.find("|- #3 database demo (restarts: 2)  Status=Ready")
        != std::string::npos);
  CHECK(text.find("|  |- #4 storage-committer demo  Batches=5")
        != std::string::npos);
  CHECK(text.find("|  `- #7 replication-link demo A->B") != std::string::npos);
  CHECK(text.find("|- #5 database orders  (no answer)\n") != std::string::npos);
  CHECK(text.find("`- #6 raft-member A  Role=Leader") != std::string::npos);
  // An actor whose supervisor is unknown is a root of its own.
  CHECK(text.find("\n#8 flux-capacitor x  Gigawatts=1.21\n")
        != std::string::npos);
  CHECK(fits(render_text(v, 80)));
  auto json = json_of(v);
  CHECK(json["Tree"].Size() == 2);
  CHECK(json["Tree"][0]["Children"].Size() == 4);
  CHECK(json["Tree"][0]["Children"][1]["Children"].Size() == 2);
}

TEST_CASE("actors tree survives a broken answer") {
  auto cycle = parse(R"({"Actors":[
    {"Id":1,"Kind":"a","Name":"x","Parent":2},
    {"Id":2,"Kind":"b","Name":"y","Parent":1},
    {"Id":3,"Kind":"c","Name":"z","Parent":3},
    "junk", {"Kind":"d"}]})");
  auto text = render_text(actor_tree_view(cycle), 80);
  CHECK(text.find("#3 c z") != std::string::npos);
  CHECK(text.find("#1 a x\n`- #2 b y\n") != std::string::npos);
  auto empty = parse(R"({"Actors":[]})");
  CHECK(render_text(actor_tree_view(empty), 80) == "no actors\n");
  CHECK(render_text(actors_view(parse("{}")), 80) == "no actors\n");
}

TEST_CASE("show: every field and state key of one actor") {
  auto list = parse(actors);
  auto v = actor_detail_view(list["Actors"][3]);
  auto text = render_text(v, 80);
  CHECK(text == "Id:         4\n"
                "Kind:       storage-committer\n"
                "Name:       demo\n"
                "Parent:     3\n"
                "Responsive: yes\n"
                "Restarts:   0\n"
                "\n"
                "Database:            demo\n"
                "Batches:             5\n"
                "Transactions:        9\n"
                "LastBatch:           2\n"
                "AverageCommitMicros: 830\n"
                "Failed:\n");
  auto json = json_of(v);
  CHECK(json["Kind"] == "storage-committer");
  CHECK(json["State"]["Batches"].GetInt() == 5);
  auto silent = render_text(actor_detail_view(list["Actors"][4]), 80);
  CHECK(silent.find("State:      no answer in time") != std::string::npos);
}

TEST_CASE("actors are found by id, kind/name, or a unique kind or name") {
  auto list = parse(actors);
  auto by_id = find_actor(list, "4");
  REQUIRE(by_id);
  CHECK((**by_id)["Kind"] == "storage-committer");
  auto by_kind_name = find_actor(list, "database/orders");
  REQUIRE(by_kind_name);
  CHECK((**by_kind_name)["Id"].GetInt() == 5);
  CHECK((**find_actor(list, "http-gateway"))["Id"].GetInt() == 2);
  CHECK((**find_actor(list, "orders"))["Id"].GetInt() == 5);

  auto missing = find_actor(list, "42");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "no actor 42 on node A");
  CHECK(find_actor(list, "database/nope").error().message
        == "no actor 'database/nope' on node A");
  CHECK(find_actor(list, "database").error().message
        == "'database' matches 2 actors (3, 5); use an id");
  CHECK(find_actor(parse("{}"), "1").error().message
        == "no actor 1 on node ?");
}

TEST_CASE("completion words for actors and databases") {
  auto names = actor_names(parse(actors));
  CHECK(std::find(names.begin(), names.end(), "3") != names.end());
  CHECK(std::find(names.begin(), names.end(), "database/demo") != names.end());
  CHECK(database_names(parse(R"({"Databases":[{"Name":"demo"},{"Name":"b"},
                                 {"Disabled":true}]})"))
        == std::vector<std::string>{"demo", "b"});
  auto urls = cluster_urls(parse(three_nodes));
  CHECK(urls.size() == 3);
  CHECK(urls["C"] == "http://127.0.0.3:8080");
}

TEST_CASE("databases: factor, nodes by role, documents and size") {
  auto list = parse(R"({"Databases":[
    {"Name":"demo","Disabled":false,"IsEncrypted":false,"ReplicationFactor":2},
    {"Name":"orders","Disabled":false,"IsEncrypted":false,
     "ReplicationFactor":1}]})");
  auto record = parse(R"({"DatabaseName":"demo","Topology":{
    "Members":["A","B"],"Promotables":["C"],"Rehabs":[],
    "ReplicationFactor":3}})");
  auto stats = parse(R"({"CountOfDocuments":1234,
    "SizeOnDisk":{"HumaneSize":"8.68 KBytes","SizeInBytes":8893}})");
  std::map<std::string, database_details> details{
    {"demo", {&record, &stats}}};
  auto v = databases_view(list, details);
  auto text = render_text(v, 80);
  CHECK(text == "NAME    RF  MEMBERS  PROMOTABLES  REHABS  DOCS     SIZE\n"
                "demo     3  A,B      C            -       1234  8.7 KiB\n"
                "orders   1  -        -            -          -        -\n");
  auto json = json_of(v);
  CHECK(json["Databases"][0]["Members"][1] == "B");
  CHECK(json["Databases"][0]["Documents"].GetInt() == 1234);
  CHECK(json["Databases"][1]["Documents"].IsNull());
  CHECK(render_text(databases_view(parse(R"({"Databases":[]})"), {}), 80)
        == "no databases\n");
  CHECK(group_size(record) == 3);
}

TEST_CASE("topology: the group's nodes by role, with URLs and reasons") {
  auto record = parse(R"({"DatabaseName":"demo","Disabled":false,"Etag":9,
    "Topology":{"Members":["A"],"Promotables":["B"],"Rehabs":["C"],
      "ReplicationFactor":3,"PromotablesStatus":{"B":"catching up"},
      "DemotionReasons":{"C":"not responding"}}})");
  auto client = parse(R"({"Nodes":[{"Url":"http://127.0.0.1:8080",
    "ClusterTag":"A","ServerRole":"Member","Database":"demo"}],"Etag":9})");
  auto cluster = parse(three_nodes);
  auto v = topology_view("demo", record, &client, &cluster);
  auto text = render_text(v, 80);
  CHECK(text == "Database:           demo\n"
                "Replication factor: 3\n"
                "Etag:               9\n"
                "Disabled:           no\n"
                "\n"
                "TAG  ROLE        URL                    NOTE\n"
                "A    Member      http://127.0.0.1:8080  -\n"
                "B    Promotable  http://127.0.0.2:8080  catching up\n"
                "C    Rehab       http://127.0.0.3:8080  not responding\n");
  auto json = json_of(v);
  CHECK(json["ReplicationFactor"].GetInt() == 3);
  CHECK(json["Nodes"][1]["Role"] == "Promotable");
  auto bare = render_text(topology_view("demo", record, nullptr, nullptr), 80);
  CHECK(bare.find("B    Promotable  -    catching up") != std::string::npos);
}

TEST_CASE("links: a database's replication links, or why there are none") {
  auto list = parse(actors);
  auto v = links_view("demo", list, 2);
  auto text = render_text(v, 80);
  CHECK(text == "ID  FROM  TO  CONNECTED  CURSOR  LAG  HEARTBEAT            "
                "BACKOFF MS\n"
                " 7  A     B   yes            10    2  2026-11-22 00:10:00  "
                "         0\n");
  CHECK(json_of(v)["Links"][0]["LastHeartbeat"]
        == "2026-11-22T00:10:00.0000000Z");
  CHECK(render_text(links_view("orders", list, 1), 80)
        == "no replication links: orders has one copy\n");
  CHECK(render_text(links_view("orders", list, 3), 80)
        == "no replication links for orders on this node\n");
}

TEST_CASE("restarts: what failed, when, and when it is tried again") {
  auto restarts = parse(R"({"Restarts":[{"Kind":"database","Name":"demo",
    "Reason":"storage failure: IO error: /data/demo/000012.log: disk full",
    "At":"2026-11-22T00:10:00.0000000Z","NextAttemptMs":500}]})");
  auto v = restarts_view(restarts);
  auto text = render_text(v, 80);
  CHECK(fits(text));
  CHECK(text.rfind("KIND      NAME  AT                   NEXT MS  REASON\n"
                   "database  demo  2026-11-22 00:10:00      500  storage "
                   "failure: IO error:",
                   0)
        == 0);
  CHECK(text.find("~\n") != std::string::npos);
  CHECK(json_of(v)["Restarts"][0]["NextAttemptMs"].GetInt() == 500);
  CHECK(render_text(restarts_view(parse(R"({"Restarts":[]})")), 80)
        == "no restarts\n");
}

TEST_CASE("memory: the process's counts, then the allocator's") {
  auto stats = parse(R"({"WorkingSet":21643264,"PeakWorkingSet":31457280,
    "Anonymous":3698688,"MappedFiles":17944576,"VirtualSize":191164416,
    "Allocator":{"Name":"jemalloc","Allocated":3044560,"Active":3657728,
    "Metadata":3627744,"Resident":6995968,"Mapped":24000000,
    "Retained":13111296}})");
  auto v = memory_view(stats);
  auto text = render_text(v, 80);
  CHECK(fits(text));
  CHECK(text.find("Resident:         20.6 MiB\n") == 0);
  CHECK(text.find("Peak resident:    30.0 MiB\n") != std::string::npos);
  CHECK(text.find("Anonymous (heap): 3.5 MiB\n") != std::string::npos);
  CHECK(text.find("Allocator: jemalloc\n") != std::string::npos);
  CHECK(text.find("Allocated: 2.9 MiB\n") != std::string::npos);
  auto json = json_of(v);
  CHECK(json["WorkingSet"].GetInt64() == 21643264);
  CHECK(json["Allocator"]["Allocated"].GetInt64() == 3044560);
  auto without = memory_view(parse(R"({"WorkingSet":1024,"Allocator":null})"));
  text = render_text(without, 80);
  CHECK(text.find("Resident:         1.0 KiB\n") == 0);
  CHECK(text.find("Peak resident:    -\n") != std::string::npos);
  CHECK(text.find("allocator statistics: not available") != std::string::npos);
}
