#include "runtime/cluster/cluster_result_json.hpp"

#include "runtime/cluster/database_record_json.hpp"
#include "runtime/json/json_fields.hpp"

namespace corvus {

namespace {

constexpr std::string_view what = "cluster result";

/// Every result opens with its type and the raft index it was applied at
/// (read_cluster_result reads both before it looks at the rest).
void write_type_and_index(json_writer& w, std::string_view type,
                          int64_t index) {
  write_field(w, "Type", type);
  write_field(w, "Index", index);
}

void write_one(json_writer& w, const database_created& r) {
  write_type_and_index(w, "DatabaseCreated", r.index);
  w.Key("Record");
  write_database_record(w, r.record);
  write_string_array(w, "NodeUrls", r.node_urls);
}

void write_one(json_writer& w, const databases_deleted& r) {
  write_type_and_index(w, "DatabasesDeleted", r.index);
  write_string_array(w, "Names", r.names);
  write_string_array(w, "Nodes", r.nodes);
}

void write_one(json_writer& w, const databases_toggled& r) {
  write_type_and_index(w, "DatabasesToggled", r.index);
  write_string_array(w, "Names", r.names);
  write_field(w, "Disabled", r.disabled);
}

void write_one(json_writer& w, const database_node_added& r) {
  write_type_and_index(w, "DatabaseNodeAdded", r.index);
  w.Key("Record");
  write_database_record(w, r.record);
  write_field(w, "NodeTag", r.node_tag);
  write_field(w, "NodeUrl", r.node_url);
}

void write_one(json_writer& w, const database_group_changed& r) {
  write_type_and_index(w, "DatabaseGroupChanged", r.index);
  w.Key("Record");
  write_database_record(w, r.record);
}

void write_one(json_writer& w, const compare_exchange_result& r) {
  write_type_and_index(w, "CompareExchangeResult", r.index);
  // The value's text is kept as a string so that it survives byte for byte.
  w.Key("Value");
  if (r.value.empty())
    w.Null();
  else
    write_string(w, r.value);
  write_field(w, "Successful", r.successful);
}

outcome<database_record> record_of(const rapidjson::Value& v) {
  auto record = required_object(v, "Record", what);
  if (!record)
    return record.error();
  return read_database_record(**record);
}

std::optional<ec> code_named(std::string_view name) {
  for (size_t i = 0; i < ec_names.size(); ++i)
    if (ec_names[i] == name)
      return static_cast<ec>(i);
  return std::nullopt;
}

} // namespace

void write_cluster_result(json_writer& w, const cluster_result& result) {
  w.StartObject();
  std::visit([&](auto& r) { write_one(w, r); }, result);
  w.EndObject();
}

outcome<cluster_result> read_cluster_result(const rapidjson::Value& v) {
  if (!v.IsObject())
    return make_failure(ec::bad_request, "a cluster result must be an "
                                         "object");
  auto type = required_string(v, "Type", what);
  if (!type)
    return type.error();
  auto index = required_int64(v, "Index", what);
  if (!index)
    return index.error();
  if (*type == "DatabaseCreated") {
    auto record = record_of(v);
    if (!record)
      return record.error();
    auto urls = string_array(v, "NodeUrls", what);
    if (!urls)
      return urls.error();
    return cluster_result{database_created{*index, std::move(*record),
                                           std::move(*urls)}};
  }
  if (*type == "DatabaseNodeAdded") {
    auto record = record_of(v);
    if (!record)
      return record.error();
    auto tag = required_string(v, "NodeTag", what);
    if (!tag)
      return tag.error();
    auto url = required_string(v, "NodeUrl", what);
    if (!url)
      return url.error();
    return cluster_result{database_node_added{
      *index, std::move(*record), std::move(*tag), std::move(*url)}};
  }
  if (*type == "DatabaseGroupChanged") {
    auto record = record_of(v);
    if (!record)
      return record.error();
    return cluster_result{database_group_changed{*index, std::move(*record)}};
  }
  if (*type == "DatabasesDeleted") {
    auto names = string_array(v, "Names", what);
    if (!names)
      return names.error();
    // Results recorded before deletions named their nodes have none.
    auto nodes = string_array(v, "Nodes", what);
    if (!nodes)
      return nodes.error();
    return cluster_result{
      databases_deleted{*index, std::move(*names), std::move(*nodes), {}}};
  }
  if (*type == "DatabasesToggled") {
    auto names = string_array(v, "Names", what);
    if (!names)
      return names.error();
    auto disabled = optional_bool(v, "Disabled", true, what);
    if (!disabled)
      return disabled.error();
    return cluster_result{
      databases_toggled{*index, std::move(*names), *disabled}};
  }
  if (*type == "CompareExchangeResult") {
    auto value = optional_string(v, "Value", what);
    if (!value)
      return value.error();
    auto successful = optional_bool(v, "Successful", false, what);
    if (!successful)
      return successful.error();
    return cluster_result{
      compare_exchange_result{*index, std::move(*value), *successful}};
  }
  return make_failure(ec::bad_request, "unknown cluster result type '"
                                         + *type + "'");
}

void write_apply_outcome(json_writer& w, const apply_outcome& out) {
  w.StartObject();
  if (out) {
    w.Key("Result");
    write_cluster_result(w, *out);
  } else {
    auto& f = out.error();
    w.Key("Error");
    w.StartObject();
    w.Key("Code");
    auto name = ec_names[static_cast<size_t>(f.code)];
    write_string(w, name);
    w.Key("Message");
    write_string(w, f.message);
    w.Key("Fields");
    w.StartArray();
    for (auto& [key, value] : f.fields) {
      w.StartArray();
      write_string(w, key);
      write_string(w, value);
      w.EndArray();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
}

std::optional<apply_outcome> read_apply_outcome(const rapidjson::Value& v) {
  if (!v.IsObject())
    return std::nullopt;
  if (auto r = v.FindMember("Result"); r != v.MemberEnd()) {
    auto result = read_cluster_result(r->value);
    if (!result)
      return std::nullopt;
    return apply_outcome{std::move(*result)};
  }
  auto e = v.FindMember("Error");
  if (e == v.MemberEnd() || !e->value.IsObject())
    return std::nullopt;
  auto& err = e->value;
  auto code = required_string(err, "Code", what);
  auto message = required_string(err, "Message", what);
  if (!code || !message)
    return std::nullopt;
  auto parsed = code_named(*code);
  if (!parsed)
    return std::nullopt;
  failure f{*parsed, std::move(*message), {}};
  if (auto fields = err.FindMember("Fields"); fields != err.MemberEnd()) {
    if (!fields->value.IsArray())
      return std::nullopt;
    for (auto& pair : fields->value.GetArray()) {
      if (!pair.IsArray() || pair.Size() != 2 || !pair[0].IsString()
          || !pair[1].IsString())
        return std::nullopt;
      f.fields.emplace_back(view_of(pair[0]), view_of(pair[1]));
    }
  }
  return apply_outcome{std::move(f)};
}

std::string apply_outcome_to_json(const apply_outcome& out) {
  return write_json([&](json_writer& w) { write_apply_outcome(w, out); });
}

std::optional<apply_outcome> apply_outcome_from_json(std::string_view text) {
  rapidjson::Document doc;
  if (!parse_json(text, doc, "a command outcome"))
    return std::nullopt;
  return read_apply_outcome(doc);
}

} // namespace corvus
