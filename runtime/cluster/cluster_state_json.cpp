// The cluster state as JSON: what a Raft snapshot carries.
//
//   {"LastIndex": n,
//    "Topology": {raft topology, runtime/raft/topology.hpp},
//    "Databases": [database record, database_record_json.hpp],
//    "CompareExchange": [{"Database": folded name,
//                         "Values": [{"Key","Index","Value"}]}],
//    "RequestHistory": {"Capacity": n, "Entries": [{"Id","Outcome"}]}}
//
// Compare-exchange values are JSON strings holding the value's text, so
// that they come back byte for byte (numbers as the client spelled them)
// and a restore copies strings instead of re-serializing objects. States
// written before the Raft topology ("TopologyId" + "Nodes" tag → URL) are
// read as a topology whose nodes are all members.

#include "runtime/cluster/cluster_result_json.hpp"
#include "runtime/cluster/cluster_state.hpp"
#include "runtime/cluster/database_record_json.hpp"
#include "runtime/documents/document_id.hpp"
#include "runtime/json/json_fields.hpp"

namespace corvus {

namespace {

void write_compare_exchange(json_writer& w,
                            const compare_exchange_store& store) {
  w.Key("CompareExchange");
  w.StartArray();
  for (auto& [db, values] : store.databases()) {
    w.StartObject();
    w.Key("Database");
    write_string(w, db);
    w.Key("Values");
    w.StartArray();
    for (auto* item : values.sorted()) {
      auto& [key, entry] = *item;
      w.StartObject();
      w.Key("Key");
      write_string(w, key);
      w.Key("Index");
      w.Int64(entry.index);
      w.Key("Value");
      write_string(w, entry.value.str());
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

void write_history(json_writer& w, const request_history& history) {
  w.Key("RequestHistory");
  w.StartObject();
  w.Key("Capacity");
  w.Uint64(history.capacity());
  w.Key("Entries");
  w.StartArray();
  for (auto& [id, out] : history.entries()) {
    w.StartObject();
    w.Key("Id");
    write_string(w, id);
    w.Key("Outcome");
    write_apply_outcome(w, out);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

failure corrupt(const std::string& what) {
  return make_failure(ec::storage_failure,
                      "the stored cluster state is corrupt: " + what);
}

outcome<raft::topology> read_legacy_topology(const rapidjson::Value& doc) {
  raft::topology t;
  auto id = optional_string(doc, "TopologyId", "cluster state");
  if (!id)
    return id.error();
  t.topology_id = std::move(*id);
  auto nodes = doc.FindMember("Nodes");
  if (nodes == doc.MemberEnd() || !nodes->value.IsObject())
    return make_failure(ec::bad_request, "Topology missing");
  for (auto& n : nodes->value.GetObject()) {
    if (!n.value.IsString())
      return make_failure(ec::bad_request, "a node URL is not a string");
    t.members.emplace(std::string{view_of(n.name)},
                      std::string{view_of(n.value)});
  }
  // Tags were handed out in sequence, so the largest is the last one.
  for (auto& [tag, url] : t.members)
    if (tag.size() > t.last_node_id.size()
        || (tag.size() == t.last_node_id.size() && tag > t.last_node_id))
      t.last_node_id = tag;
  return t;
}

outcome<done> read_compare_exchange(const rapidjson::Value& doc,
                                    compare_exchange_store& store) {
  auto all = doc.FindMember("CompareExchange");
  if (all == doc.MemberEnd())
    return done{};
  if (!all->value.IsArray())
    return make_failure(ec::bad_request, "CompareExchange is not an array");
  for (auto& db : all->value.GetArray()) {
    auto name = db.IsObject() ? string_member(db, "Database") : nullptr;
    auto values = db.IsObject() ? db.FindMember("Values") : db.MemberEnd();
    if (name == nullptr || values == db.MemberEnd()
        || !values->value.IsArray())
      return make_failure(ec::bad_request,
                          "a compare exchange database is incomplete");
    for (auto& v : values->value.GetArray()) {
      auto key = v.IsObject() ? string_member(v, "Key") : nullptr;
      auto text = v.IsObject() ? string_member(v, "Value") : nullptr;
      auto index = v.IsObject() ? v.FindMember("Index") : v.MemberEnd();
      if (key == nullptr || text == nullptr || index == v.MemberEnd()
          || !index->value.IsInt64())
        return make_failure(ec::bad_request,
                            "a compare exchange value is incomplete");
      store.restore(std::string{view_of(*name)}, std::string{view_of(*key)},
                    {std::string{view_of(*text)}, index->value.GetInt64()});
    }
  }
  return done{};
}

outcome<request_history> read_history(const rapidjson::Value& doc) {
  auto h = doc.FindMember("RequestHistory");
  if (h == doc.MemberEnd())
    return request_history{};
  if (!h->value.IsObject())
    return make_failure(ec::bad_request, "RequestHistory is not an object");
  auto capacity = optional_uint64(h->value, "Capacity",
                                  request_history::default_capacity,
                                  "RequestHistory");
  if (!capacity)
    return capacity.error();
  request_history history{static_cast<size_t>(*capacity)};
  auto entries = h->value.FindMember("Entries");
  if (entries == h->value.MemberEnd() || !entries->value.IsArray())
    return make_failure(ec::bad_request, "RequestHistory.Entries missing");
  for (auto& e : entries->value.GetArray()) {
    auto id = e.IsObject() ? string_member(e, "Id") : nullptr;
    auto out = e.IsObject() ? e.FindMember("Outcome") : e.MemberEnd();
    if (id == nullptr || out == e.MemberEnd())
      return make_failure(ec::bad_request, "a request history entry is "
                                           "incomplete");
    auto parsed = read_apply_outcome(out->value);
    if (!parsed)
      return make_failure(ec::bad_request, "a request outcome is malformed");
    auto key = std::string{view_of(*id)};
    if (key.empty() || history.find(key) != nullptr)
      return make_failure(ec::bad_request, "a request id is empty or "
                                           "repeated");
    history.record(key, std::move(*parsed));
  }
  return history;
}

} // namespace

std::string cluster_state::to_json() const {
  // Reserve what the values will take so that 100k of them do not make the
  // string grow (and copy) a few dozen times.
  size_t reserve = 4096;
  for (auto& [db, values] : compare_exchange_.databases())
    values.for_each([&reserve](auto& key, auto& entry) {
      reserve += key.size() + entry.value.size() + entry.value.size() / 8
                 + 48;
    });
  return write_json(reserve, [&](json_writer& w) {
    w.StartObject();
    w.Key("LastIndex");
    w.Uint64(last_index_);
    w.Key("Topology");
    auto topology = raft::to_json(topology_);
    w.RawValue(topology.data(), topology.size(), rapidjson::kObjectType);
    w.Key("Databases");
    w.StartArray();
    for (auto& [key, record] : databases_)
      write_database_record(w, record);
    w.EndArray();
    write_compare_exchange(w, compare_exchange_);
    write_history(w, history_);
    w.EndObject();
  });
}

outcome<cluster_state> cluster_state::from_json(std::string_view text) {
  rapidjson::Document doc;
  if (auto parsed = parse_json(text, doc, "the stored cluster state");
      !parsed)
    return corrupt(parsed.error().message);
  if (!doc.IsObject())
    return corrupt("not an object");
  cluster_state state;
  auto index = doc.FindMember("LastIndex");
  if (index == doc.MemberEnd() || !index->value.IsUint64())
    return corrupt("LastIndex missing");
  state.last_index_ = index->value.GetUint64();
  if (auto t = doc.FindMember("Topology"); t != doc.MemberEnd()) {
    if (!t->value.IsObject())
      return corrupt("Topology is not an object");
    auto topology = raft::topology_from_json(to_json_text(t->value));
    if (!topology)
      return corrupt(topology.error().message);
    state.topology_ = std::move(*topology);
  } else {
    auto legacy = read_legacy_topology(doc);
    if (!legacy)
      return corrupt(legacy.error().message);
    state.topology_ = std::move(*legacy);
  }
  auto dbs = doc.FindMember("Databases");
  if (dbs == doc.MemberEnd() || !dbs->value.IsArray())
    return corrupt("Databases missing");
  for (auto& d : dbs->value.GetArray()) {
    auto record = read_database_record(d);
    if (!record)
      return corrupt(record.error().message);
    auto key = fold_case(record->name);
    state.databases_.emplace(std::move(key), std::move(*record));
  }
  if (auto read = read_compare_exchange(doc, state.compare_exchange_);
      !read)
    return corrupt(read.error().message);
  auto history = read_history(doc);
  if (!history)
    return corrupt(history.error().message);
  state.history_ = std::move(*history);
  return state;
}

} // namespace corvus
