// Response shapes the npm client depends on (ravendb-http.md §4, §8).

#include "runtime/documents/include_paths.hpp"
#include "runtime/http/responses.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

using namespace corvus;

namespace {

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

document_record doc(std::string id, std::string cv) {
  document_record r;
  r.id = id;
  r.change_vector = cv;
  r.json = R"({"n":1,"@metadata":{"@id":")" + id + R"("}})";
  return r;
}

} // namespace

TEST_CASE("PUT results hold only Type and @ keys, DELETE results their own") {
  transaction_result result;
  result.results.push_back({command_kind::put, "users/1", "Users", "A:1-x",
                            0, 0, false});
  result.results.push_back({command_kind::del, "users/2", "", "", 0, 0,
                            false});
  auto json = parse(render_batch_result(result));
  auto& put = json["Results"][0];
  for (auto& m : put.GetObject()) {
    std::string key = m.name.GetString();
    CHECK((key == "Type" || key[0] == '@'));
  }
  CHECK(put["@id"] == "users/1");
  CHECK(put["@change-vector"] == "A:1-x");
  auto& del = json["Results"][1];
  CHECK(del["Id"] == "users/2");
  CHECK(del["Deleted"] == false);
  CHECK(del["ChangeVector"].IsNull());
}

TEST_CASE("a toggle status per name asked for, in the order asked") {
  databases_toggled toggled{12, {"Orders"}, true};
  auto d = parse(render_toggle_status({"nope", "ORDERS"}, toggled));
  auto& status = d["Status"];
  REQUIRE(status.Size() == 2);
  CHECK(std::string{status[0]["Name"].GetString()} == "nope");
  CHECK_FALSE(status[0]["Success"].GetBool());
  CHECK(std::string{status[0]["Reason"].GetString()} == "database not found");
  CHECK_FALSE(status[0].HasMember("Disabled"));
  CHECK(std::string{status[1]["Name"].GetString()} == "ORDERS");
  CHECK(status[1]["Success"].GetBool());
  CHECK(status[1]["Disabled"].GetBool());
  CHECK(std::string{status[1]["Reason"].GetString()}
        == "the database is disabled (raft index 12)");
}

TEST_CASE("loads embed stored documents and nulls in order") {
  auto a = doc("a", "A:1-x");
  auto json = parse(render_load({&a, nullptr}, {}, false));
  CHECK(json["Results"].Size() == 2);
  CHECK(json["Results"][0]["n"] == 1);
  CHECK(json["Results"][1].IsNull());
  CHECK(json["Includes"].IsObject());
  auto meta = parse(render_load({&a}, {}, true));
  CHECK_FALSE(meta["Results"][0].HasMember("n"));
  CHECK(meta["Results"][0]["@metadata"]["@id"] == "a");
}

TEST_CASE("load ETags change with any returned change vector") {
  auto a = doc("a", "A:1-x");
  auto a2 = doc("a", "A:2-x");
  auto b = doc("b", "A:3-x");
  CHECK(load_etag({&a}, {}) == load_etag({&a}, {}));
  CHECK(load_etag({&a}, {}) != load_etag({&a2}, {}));
  CHECK(load_etag({&a}, {}) != load_etag({&a}, {&b}));
  CHECK(load_etag({&a, nullptr}, {}) != load_etag({&a}, {}));
}

TEST_CASE("topologies carry Database and an Etag") {
  auto json = parse(render_topology({{"http://a:1", "A", "Member"}}, "demo",
                                    4));
  CHECK(json["Nodes"][0]["Database"] == "demo");
  CHECK(json["Nodes"][0]["ServerRole"] == "Member");
  CHECK(json["Etag"] == 4);
  cluster_summary alone;
  auto cluster = parse(render_cluster_topology(alone, "http://a:1"));
  CHECK(cluster["Topology"]["Members"]["A"] == "http://a:1");
  CHECK(cluster["Topology"]["Watchers"].IsObject());
  CHECK(cluster["Status"].IsObject());
  CHECK(cluster["Etag"] == -1);
  cluster_summary joined;
  joined.topology.topology_id = "t";
  joined.topology.members = {{"A", "http://a:1"}, {"B", "http://b:1"}};
  joined.topology_etag = 7;
  joined.raft.node_tag = "B";
  joined.raft.state = "Follower";
  joined.raft.leader = "A";
  joined.raft.peers.push_back({"A", "http://a:1", true, "", "", 0, 0, {}, false});
  auto two = parse(render_cluster_topology(joined, "http://b:1"));
  CHECK(two["Leader"] == "A");
  CHECK(two["NodeTag"] == "B");
  CHECK(two["Etag"] == 7);
  CHECK(two["Status"]["A"]["Connected"] == true);
  CHECK_FALSE(two["Status"]["A"].HasMember("ReceivingSnapshot"));
  // A snapshot on its way shows its progress, on either side.
  auto& a = joined.raft.peers.back();
  a.snapshot = peer_status::snapshot_transfer{false, 40, 1000, 256};
  auto receiving = parse(render_cluster_topology(joined, "http://b:1"));
  auto& got = receiving["Status"]["A"]["ReceivingSnapshot"];
  CHECK(got["Index"] == 40);
  CHECK(got["Size"] == 1000);
  CHECK(got["Received"] == 256);
  CHECK_FALSE(got.HasMember("Installing"));
  CHECK_FALSE(receiving["Status"]["A"].HasMember("SendingSnapshot"));
  // Whole, while the node installs it.
  a.snapshot = peer_status::snapshot_transfer{false, 40, 1000, 1000, true};
  auto installing = parse(render_cluster_topology(joined, "http://b:1"));
  CHECK(installing["Status"]["A"]["ReceivingSnapshot"]["Installing"] == true);
  a.snapshot = peer_status::snapshot_transfer{true, 40, 1000, 512};
  auto sending = parse(render_cluster_topology(joined, "http://b:1"));
  CHECK(sending["Status"]["A"]["SendingSnapshot"]["Acknowledged"] == 512);
  CHECK_FALSE(sending["Status"]["A"].HasMember("PreparingSnapshot"));
  // Before it goes, while the leader takes a fresh one for that node.
  a.snapshot.reset();
  a.preparing_snapshot = true;
  auto preparing = parse(render_cluster_topology(joined, "http://b:1"));
  CHECK(preparing["Status"]["A"]["PreparingSnapshot"] == true);
  CHECK_FALSE(preparing["Status"]["A"].HasMember("SendingSnapshot"));
}

TEST_CASE("include paths walk objects and arrays") {
  auto json = parse(R"({"Manager":"employees/1","Lines":[{"Product":"p/1"},
    {"Product":"p/2"}],"Tags":["t/1","t/2"],"Address":{"City":"c/1"}})");
  std::vector<std::string> ids;
  collect_include_ids(json, "Manager", ids);
  collect_include_ids(json, "Lines[].Product", ids);
  collect_include_ids(json, "Lines.Product", ids);
  collect_include_ids(json, "Tags", ids);
  collect_include_ids(json, "Address.City", ids);
  collect_include_ids(json, "Missing.Path", ids);
  CHECK(ids == std::vector<std::string>{"employees/1", "p/1", "p/2", "p/1",
                                        "p/2", "t/1", "t/2", "c/1"});
}

TEST_CASE("wildcards match like loadStartingWith's matches") {
  CHECK(matches_wildcards("1-A", "*-A"));
  CHECK(matches_wildcards("12", "1?|9*"));
  CHECK(matches_wildcards("abc", "ABC"));
  CHECK_FALSE(matches_wildcards("12", "1"));
  CHECK_FALSE(matches_wildcards("x", "a*|b*"));
  CHECK(matches_wildcards("", "*"));
}

TEST_CASE("sizes print humanely") {
  CHECK(humane_size(512) == "512 Bytes");
  CHECK(humane_size(1536) == "1.50 KBytes");
}
