// Every type in messages/type_ids.hpp survives CAF's binary serialization,
// both directly and inside a caf::message (which needs the type registry,
// as messages between processes do). A field missing from an inspect
// overload fails here, not in a cluster.

#include "messages/type_ids.hpp"

#include "test/fixtures/deterministic_fixture.hpp"
#include "test/fixtures/full_record.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

using namespace corvus;
using namespace corvus::test;

namespace {

struct wire_fixture : deterministic_fixture {
  template <class T>
  void check_round_trip(T value) {
    std::vector<char> buf;
    {
      caf::binary_serializer sink{sys, buf};
      REQUIRE_FALSE(sink(value));
    }
    T copy;
    caf::binary_deserializer source{sys, buf};
    REQUIRE_FALSE(source(copy));
    CHECK(copy == value);
    // Inside a message, by the registered type name.
    std::vector<char> msg_buf;
    auto msg = caf::make_message(value);
    {
      caf::binary_serializer sink{sys, msg_buf};
      REQUIRE_FALSE(sink(msg));
    }
    caf::message received;
    caf::binary_deserializer msg_source{sys, msg_buf};
    REQUIRE_FALSE(msg_source(received));
    REQUIRE(received.match_elements<T>());
    CHECK(received.get_as<T>(0) == value);
  }
};

incoming_document sample_document() {
  return {"Users", R"({"name":"ü"})", R"({"Raven-Node-Type":"User"})"};
}

database_record sample_record() {
  database_record r;
  r.name = "Demo";
  r.disabled = true;
  r.topology.members = {"A", "B"};
  r.topology.promotables = {"C"};
  r.topology.rehabs = {"D"};
  r.topology.replication_factor = 4;
  r.topology.dynamic_nodes_distribution = true;
  r.topology.priority_order = {"B", "A"};
  r.other_members = R"({"Settings":{"k":"v"}})";
  r.etag = 42;
  return r;
}

} // namespace

TEST_CASE_FIXTURE(wire_fixture, "document messages round-trip") {
  cv_expectation expected{cv_expectation::mode::must_match, "A:1-x"};
  check_round_trip(expected);
  check_round_trip(sample_document());
  write_command cmd{command_kind::del, "users/1", expected, sample_document()};
  check_round_trip(cmd);
  check_round_trip(write_transaction{{cmd, cmd}});
  command_result result{command_kind::put, "users/1", "Users", "A:2-x", 99,
                        3, true};
  check_round_trip(result);
  check_round_trip(transaction_result{{result, result}});
  check_round_trip(hilo_request{"users", 32, 1234, "/", 64});
  check_round_trip(hilo_range{"users/", 1, 32, 32, "A", 5678});
  check_round_trip(hilo_return{"users", 32, 7});
}

TEST_CASE_FIXTURE(wire_fixture, "cluster messages round-trip") {
  auto record = sample_record();
  check_round_trip(record.topology);
  check_round_trip(record);
  check_round_trip(database_creation{record, true});
  check_round_trip(
    delete_databases_command{"req-1", {"a", "b"}, {"C"}, false});
  check_round_trip(database_created{7, record, {"http://a:1"}});
  check_round_trip(databases_deleted{8, {"a"}, {"B", "C"}, {"C"}});
  check_round_trip(toggle_databases_command{"req-5", {"a", "B"}, true});
  check_round_trip(databases_toggled{9, {"a"}, false});
  check_round_trip(add_database_node_command{"req-4", "db", "B", 11});
  check_round_trip(database_node_added{10, record, "B", "http://b:1"});
  check_round_trip(change_database_group_command{
    "req-6", "db", change_database_group_command::kind::topology, {"A"}, true,
    record.topology});
  check_round_trip(database_group_changed{12, record});
  check_round_trip(put_compare_exchange_command{
    "req-2", "db", "users/1", R"({"Object":1})", 4});
  check_round_trip(remove_compare_exchange_command{"req-3", "db", "k", 5});
  check_round_trip(compare_exchange_result{9, R"({"Object":2})", true});
}

TEST_CASE_FIXTURE(wire_fixture, "introspection messages round-trip") {
  actor_view view{9, "database", "demo", 4, false, 2, R"({"LastEtag":7})"};
  check_round_trip(view);
  check_round_trip(std::vector<actor_view>{view, view});
  restart_view restart{"database", "demo", "disk full", 123, 500};
  check_round_trip(restart);
  check_round_trip(std::vector<restart_view>{restart});
}

TEST_CASE_FIXTURE(wire_fixture, "Raft messages round-trip") {
  raft::topology t;
  t.topology_id = "8c3f";
  t.members = {{"A", "http://a:1"}, {"B", "http://b:1"}};
  t.promotables = {{"C", "http://c:1"}};
  t.watchers = {{"D", "http://d:1"}};
  t.last_node_id = "D";
  check_round_trip(t);
  raft::entry e{4, 2, raft::entry_kind::topology, raft::to_json(t)};
  check_round_trip(e);
  raft::snapshot snap{9, 3, t, std::string{"state\0bytes", 11}};
  check_round_trip(snap);
  raft::message m;
  m.type = raft::message_type::append;
  m.from = "A";
  m.to = "B";
  m.term = 3;
  m.log_term = 2;
  m.index = 8;
  m.entries = {e, raft::entry{5, 3, raft::entry_kind::noop, {}}};
  m.commit = 7;
  m.reject = true;
  m.reject_hint = 6;
  m.force = true;
  m.context = 42;
  m.not_in_topology = true;
  m.quiet = true;
  m.snap = snap;
  check_round_trip(m);
  check_round_trip(raft_envelope{"8c3f", m});
  check_round_trip(
    raft_hello{raft_protocol_version, "8c3f", "A", "B", "http://a:1", 300});
  auto header = m;
  header.type = raft::message_type::install_snapshot;
  header.snap.data = shared_text{};
  check_round_trip(raft_snapshot_piece{"8c3f", "A", "B", 9, 0, 12, header,
                                       std::string("\0bytes\xff", 7)});
  // A piece as a leader sends it: part of a text another owner holds.
  auto held = std::make_shared<const std::string>("..whole snapshot..");
  shared_text snapshot{held, *held};
  check_round_trip(raft_snapshot_piece{
    "8c3f", "A", "B", 9, 2, 19, {}, snapshot.part(snapshot.view().substr(2, 5))});
  check_round_trip(raft_snapshot_ack{"8c3f", "B", "A", 9, 7});
  check_round_trip(command_reply{12, R"({"Result":{}})"});
  check_round_trip(topology_request{topology_request::kind::demote,
                                    "http://c:1", "C", true});
}

TEST_CASE_FIXTURE(wire_fixture,
                  "shared text goes out as a string does, whoever holds it") {
  auto held = std::make_shared<const std::string>("a mapped file, say");
  std::string nul_and_high("\0x\xff", 3);
  for (auto& text :
       {shared_text{held, std::string_view{*held}.substr(2, 6)},
        shared_text{nul_and_high}, shared_text{}}) {
    std::vector<char> as_text;
    std::vector<char> as_string;
    {
      caf::binary_serializer sink{sys, as_text};
      auto copy = text;
      REQUIRE_FALSE(sink(copy));
    }
    {
      caf::binary_serializer sink{sys, as_string};
      std::string copy{text.view()};
      REQUIRE_FALSE(sink(copy));
    }
    CHECK(as_text == as_string);
    shared_text back;
    caf::binary_deserializer source{sys, as_text};
    REQUIRE_FALSE(source(back));
    CHECK(back == text.view());
  }
}

TEST_CASE_FIXTURE(wire_fixture, "replication messages round-trip") {
  auto doc = test::full_record();
  auto tomb = doc;
  tomb.tombstone = true;
  tomb.json.clear();
  check_round_trip(doc);
  check_round_trip(replication_batch{4, 9, {doc, tomb}});
  check_round_trip(replication_ack{9, doc.change_vector});
  check_round_trip(replication_processing{2});
  // Handles travel too: a null one here; a live one in the process tests.
  check_round_trip(replication_hello{"Demo", "hb0jT0Fq9kS5xJ1wdc7W1g", "A",
                                     "http://127.0.0.1:8080", 1, {}});
  check_round_trip(replication_welcome{"hb0jT0Fq9kS5xJ1wdc7W1g", 5,
                                       doc.change_vector, {}});
}
