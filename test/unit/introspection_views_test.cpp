// The introspection answers: actor lists, restarts and Prometheus text.

#include "runtime/introspection/snapshots.hpp"
#include "runtime/introspection/views.hpp"

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

} // namespace

TEST_CASE("actor lists carry ids, parents, states and unresponsive actors") {
  database_snapshot_view db;
  db.database = "demo";
  db.status = "Ready";
  db.last_etag = 7;
  std::vector<actor_view> actors = {
    {4, "node", "A", 0, true, 0, R"({"NodeTag":"A"})"},
    {9, "database", "demo", 4, true, 2, to_json(db)},
    {10, "storage-committer", "demo", 9, false, 0, ""},
  };
  auto json = parse(render_actor_list("A", "http://a:1", actors));
  CHECK(json["NodeTag"] == "A");
  REQUIRE(json["Actors"].Size() == 3);
  auto& d = json["Actors"][1];
  CHECK(d["Kind"] == "database");
  CHECK(d["Parent"] == 4);
  CHECK(d["Restarts"] == 2);
  CHECK(d["State"]["LastEtag"] == 7);
  CHECK(json["Actors"][2]["Responsive"] == false);
  CHECK(json["Actors"][2]["State"].IsNull());
  CHECK(parse(render_actor(actors[0]))["State"]["NodeTag"] == "A");
}

TEST_CASE("restarts render with their time and next attempt") {
  auto json = parse(render_restarts({{"database", "demo", "disk full", 0,
                                      500}}));
  auto& r = json["Restarts"][0];
  CHECK(r["Kind"] == "database");
  CHECK(r["Reason"] == "disk full");
  CHECK(r["At"] == "1970-01-01T00:00:00.0000000Z");
  CHECK(r["NextAttemptMs"] == 500);
}

TEST_CASE("metrics export every numeric field, histograms and restarts") {
  gateway_snapshot_view gw;
  gw.requests = 3;
  gw.errors = 1;
  gw.duration_sum = 0.25;
  gw.buckets = {{0.001, 1}, {0.1, 3}};
  database_snapshot_view db;
  db.database = "de\"mo";
  db.documents = 42;
  std::vector<actor_view> actors = {
    {7, "http-gateway", "http://a:1", 4, true, 0, to_json(gw)},
    {9, "database", "de\"mo", 4, true, 0, to_json(db)},
    {10, "storage-committer", "x", 9, false, 0, ""},
  };
  auto text = render_metrics("A", actors, {{"database", "de\"mo", "r", 0, 1}});
  auto has = [&](const std::string& line) {
    CAPTURE(line);
    CHECK(text.find(line + "\n") != std::string::npos);
  };
  has("# TYPE corvus_http_gateway_requests_total counter");
  has(R"(corvus_http_gateway_requests_total{node="A",name="http://a:1"} 3)");
  has("# TYPE corvus_http_request_duration_seconds histogram");
  has(R"(corvus_http_request_duration_seconds_bucket{node="A",name="http://a:1",le="0.001"} 1)");
  has(R"(corvus_http_request_duration_seconds_bucket{node="A",name="http://a:1",le="+Inf"} 3)");
  has(R"(corvus_http_request_duration_seconds_sum{node="A",name="http://a:1"} 0.25)");
  has(R"(corvus_database_documents{node="A",name="de\"mo"} 42)");
  has(R"(corvus_actor_responsive{node="A",name="x",kind="storage-committer"} 0)");
  has(R"(corvus_actor_restarts_total{node="A",kind="database",name="de\"mo"} 1)");
  // A metric is announced once, however many actors report it.
  CHECK(text.find("# TYPE corvus_actors gauge")
        == text.rfind("# TYPE corvus_actors gauge"));
  CHECK(text.find("duration_seconds gauge") == std::string::npos);
}

TEST_CASE("metrics carry the process's memory and its allocator's") {
  process_memory m;
  m.resident = 1000;
  m.virtual_size = 5000;
  m.anonymous = 600;
  m.mapped_files = 400;
  auto text = render_metrics("A", {}, {}, &m);
  auto has = [&](const std::string& line) {
    CAPTURE(line);
    CHECK(text.find(line + "\n") != std::string::npos);
  };
  has("# TYPE process_resident_memory_bytes gauge");
  has(R"(process_resident_memory_bytes{node="A"} 1000)");
  has(R"(process_virtual_memory_bytes{node="A"} 5000)");
  has(R"(corvus_process_anonymous_memory_bytes{node="A"} 600)");
  has(R"(corvus_process_mapped_file_memory_bytes{node="A"} 400)");
  CHECK(text.find("corvus_allocator_") == std::string::npos);
  m.allocator = allocator_memory{"jemalloc", 10, 20, 3, 40, 50, 60};
  text = render_metrics("A", {}, {}, &m);
  has(R"(corvus_allocator_allocated_bytes{node="A"} 10)");
  has(R"(corvus_allocator_active_bytes{node="A"} 20)");
  has(R"(corvus_allocator_metadata_bytes{node="A"} 3)");
  has(R"(corvus_allocator_resident_bytes{node="A"} 40)");
  has(R"(corvus_allocator_retained_bytes{node="A"} 60)");
  // Without a reading, no memory series at all.
  CHECK(render_metrics("A", {}, {}).find("memory") == std::string::npos);
}

TEST_CASE("snapshots render their fields") {
  committer_snapshot_view c;
  c.database = "demo";
  c.batches = 2;
  auto json = parse(to_json(c));
  CHECK(json["Batches"] == 2);
  CHECK(json["Failed"].IsNull());
  c.failed = "disk full";
  c.id_filter.state = "building";
  c.id_filter.scanned = 1234;
  json = parse(to_json(c));
  CHECK(json["Failed"] == "disk full");
  CHECK(json["IdFilter"] == "building");
  CHECK(json["IdFilterScanned"] == 1234);
  CHECK(json["IdFilterFailure"] == "");
  node_snapshot_view n;
  n.node_tag = "?";
  CHECK(parse(to_json(n))["NodeTag"] == "?");
  link_snapshot_view l;
  l.destination = "B";
  l.connected = true;
  l.lag_etags = 3;
  auto link = parse(to_json(l));
  CHECK(link["Destination"] == "B");
  CHECK(link["Connected"] == true);
  CHECK(link["LagEtags"] == 3);
  CHECK(link["LastHeartbeat"].IsNull());
  l.last_heartbeat = 17'000'000'000'000'000; // 100 ns ticks since the epoch
  CHECK(parse(to_json(l))["LastHeartbeat"].IsString());
  l.reconnect.attempts = 4;
  l.reconnect.last_error = "refused";
  link = parse(to_json(l));
  CHECK(link["Attempts"] == 4);
  CHECK(link["LastError"] == "refused");
  peer_link_snapshot_view p;
  p.peer = "C";
  p.tcp_url = "tcp://127.0.0.3:1";
  p.reconnect.connections = 2;
  p.reconnect.backoff_ms = 150;
  auto peer = parse(to_json(p));
  CHECK(peer["Peer"] == "C");
  CHECK(peer["TcpUrl"] == "tcp://127.0.0.3:1");
  CHECK(peer["Connected"] == false);
  CHECK(peer["Connections"] == 2);
  CHECK(peer["BackoffMs"] == 150);
  CHECK(peer["LastError"] == "");
  inbox_snapshot_view i;
  i.accepted_etag = 7;
  CHECK(parse(to_json(i))["AcceptedEtag"] == 7);
}
