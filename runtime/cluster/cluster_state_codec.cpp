// The cluster state as a Raft snapshot carries it.
//
// Version 2, written now: a line naming the format, a line of JSON with
// everything but the compare-exchange values, then the values themselves
// as length-prefixed bytes, database after database in the order and
// number the JSON line gives, each database's in key order:
//
//   corvus-cluster-state 2\n
//   {"LastIndex": n,
//    "Topology": {raft topology, runtime/raft/topology.hpp},
//    "Databases": [database record, database_record_json.hpp],
//    "CompareExchange": [{"Database": folded name, "Count": n}],
//    "RequestHistory": {"Capacity": n, "Entries": [{"Id","Outcome"}]}}\n
//   per value: u32 LE key size, folded key, u64 LE raft index,
//              u32 LE value size, the value's JSON text as the client sent it
//
// Why the values are not JSON: a snapshot is written whenever as many bytes
// were applied as the last one holds, so every value a client writes is
// serialized again and again, on every member. As JSON strings they had to
// be scanned for characters to escape on the way out and parsed back on the
// way in (escaping alone was 7 % of three busy nodes' CPU at 64 clients);
// as bytes they are copied. The JSON line never holds a raw newline
// (RapidJSON escapes control characters in strings), so it ends at the
// first one.
//
// Version 1 was all JSON, with the values inline:
//   "CompareExchange": [{"Database", "Values": [{"Key","Index","Value"}]}]
// (Value a JSON string holding the value's text). It is still read, as are
// states written before the Raft topology ("TopologyId" + "Nodes" tag →
// URL, read as a topology whose nodes are all members).

#include "runtime/cluster/cluster_result_json.hpp"
#include "runtime/cluster/cluster_state.hpp"
#include "runtime/cluster/database_record_json.hpp"
#include "runtime/documents/document_id.hpp"
#include "runtime/json/json_fields.hpp"
#include "runtime/text/byte_fields.hpp"

#include <algorithm>
#include <limits>

namespace corvus {

namespace {

/// The first line of a version-2 state; a later version changes the number.
constexpr std::string_view format_line = "corvus-cluster-state 2\n";
constexpr std::string_view format_prefix = "corvus-cluster-state ";

/// Size of a value record's fixed part: key size, index, value size.
constexpr size_t value_record_fixed_size = 4 + 8 + 4;

void write_compare_exchange_counts(json_writer& w,
                                   const compare_exchange_store& store) {
  w.Key("CompareExchange");
  w.StartArray();
  for (auto& [db, values] : store.databases()) {
    w.StartObject();
    w.Key("Database");
    write_string(w, db);
    w.Key("Count");
    w.Uint64(values.size());
    w.EndObject();
  }
  w.EndArray();
}

void append_value_record(std::string& out, const std::string& key,
                         const compare_exchange_entry& entry) {
  append_sized(out, key);
  byte_order::append_little_endian(out, static_cast<uint64_t>(entry.index));
  append_sized(out, entry.value.view());
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

/// Version 1: the values inline, as JSON strings.
outcome<done> read_inline_values(const rapidjson::Value& doc,
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

/// Reads one of version 2's value records; false when the bytes end
/// inside it.
bool next_value_record(byte_reader& in, std::string_view& key, int64_t& index,
                       std::string_view& value) {
  uint64_t raw_index = 0;
  if (!in.sized(key) || !in.fixed64(raw_index) || !in.sized(value))
    return false;
  index = static_cast<int64_t>(raw_index);
  return true;
}

/// Version 2: the databases and counts on the JSON line, the values in
/// `records` after it, a part of `data`. Each value is kept as its part
/// of `data` rather than a copy.
outcome<done> read_value_records(const rapidjson::Value& doc,
                                 const shared_text& data,
                                 std::string_view records,
                                 compare_exchange_store& store) {
  auto all = doc.FindMember("CompareExchange");
  if (all == doc.MemberEnd() || !all->value.IsArray())
    return make_failure(ec::bad_request, "CompareExchange missing");
  byte_reader in{records};
  for (auto& db : all->value.GetArray()) {
    auto name = db.IsObject() ? string_member(db, "Database") : nullptr;
    auto count = db.IsObject() ? db.FindMember("Count") : db.MemberEnd();
    if (name == nullptr || count == db.MemberEnd()
        || !count->value.IsUint64())
      return make_failure(ec::bad_request,
                          "a compare exchange database is incomplete");
    std::string database{view_of(*name)};
    std::string_view key;
    std::string_view value;
    int64_t index = 0;
    for (uint64_t i = 0; i < count->value.GetUint64(); ++i) {
      if (!next_value_record(in, key, index, value))
        return make_failure(ec::bad_request,
                            "the compare exchange values of " + database
                              + " end early");
      store.restore(database, std::string{key}, {data.part(value), index});
    }
  }
  if (!in.at_end())
    return make_failure(ec::bad_request,
                        "bytes follow the last compare exchange value");
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

std::string cluster_state::encode_header() const {
  return write_json([&](json_writer& w) {
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
    write_compare_exchange_counts(w, compare_exchange_);
    write_history(w, history_);
    w.EndObject();
  });
}

void cluster_state::encode_into(
  std::string& out, const std::string& header, size_t slice,
  const std::function<void(std::string&)>& flush) const {
  out += format_line;
  out += header;
  out += '\n';
  // In key order: the keys a client writes in sequence come back in the
  // order their values were allocated, so the copying reads memory
  // sequentially (faster than the shards' own order, measured).
  for (auto& [db, values] : compare_exchange_.databases())
    for (auto* item : values.sorted()) {
      if (out.size() >= slice)
        flush(out);
      append_value_record(out, item->first, item->second);
    }
}

std::string cluster_state::encode() const {
  auto header = encode_header();
  // Reserved whole, so that a gigabyte of values is not copied again each
  // time the string outgrows its buffer.
  auto size = format_line.size() + header.size() + 1;
  for (auto& [db, values] : compare_exchange_.databases())
    values.for_each([&size](auto& key, auto& entry) {
      size += value_record_fixed_size + key.size() + entry.value.size();
    });
  std::string out;
  out.reserve(size);
  encode_into(out, header, std::numeric_limits<size_t>::max(), {});
  return out;
}

void cluster_state::encode_to(
  const std::function<void(std::string_view)>& sink, size_t slice) const {
  auto header = encode_header();
  std::string out;
  out.reserve(std::max(slice, header.size()) + (64 << 10));
  encode_into(out, header, slice, [&sink](std::string& full) {
    sink(full);
    full.clear();
  });
  sink(out);
}

outcome<cluster_state> cluster_state::decode(const shared_text& text) {
  // Version 1 is one JSON object; version 2 starts with its format line.
  auto data = text.view();
  auto json = data;
  std::string_view records;
  bool version_2 = data.substr(0, format_line.size()) == format_line;
  if (version_2) {
    auto rest = data.substr(format_line.size());
    auto end = rest.find('\n');
    if (end == std::string_view::npos)
      return corrupt("the line of JSON does not end");
    json = rest.substr(0, end);
    records = rest.substr(end + 1);
  } else if (data.substr(0, format_prefix.size()) == format_prefix) {
    auto line = data.substr(0, std::min(data.find('\n'), size_t{64}));
    return corrupt("it is in a format this version does not know ("
                   + std::string{line} + ")");
  }
  rapidjson::Document doc;
  if (auto parsed = parse_json(json, doc, "the stored cluster state");
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
  auto values = version_2
                  ? read_value_records(doc, text, records,
                                       state.compare_exchange_)
                  : read_inline_values(doc, state.compare_exchange_);
  if (!values)
    return corrupt(values.error().message);
  auto history = read_history(doc);
  if (!history)
    return corrupt(history.error().message);
  state.history_ = std::move(*history);
  return state;
}

} // namespace corvus
