#include "runtime/documents/document_json.hpp"

#include "runtime/documents/timestamp.hpp"
#include "runtime/json/json.hpp"

#include <array>

namespace corvus {

namespace {

// Metadata keys the server owns: whatever a client sends for them is
// dropped and recomputed (or, for the feature-owned ones, will be kept by
// those features in their own storage).
constexpr std::array<std::string_view, 8> computed_keys = {
  "@id",          "@change-vector", "@last-modified", "@flags",
  "@attachments", "@counters",      "@timeseries",    "@collection",
};

bool is_computed_key(std::string_view key) {
  for (auto k : computed_keys)
    if (k == key)
      return true;
  return false;
}

// Appends `member` to the object text `obj` (which ends in '}').
void append_member(std::string& obj, std::string_view key,
                   std::string_view json_value) {
  obj.pop_back();
  if (obj.size() > 1)
    obj += ',';
  append_json_string(obj, key);
  obj += ':';
  obj += json_value;
  obj += '}';
}

} // namespace

bool is_empty_collection(std::string_view collection) {
  return collection.empty() || collection == empty_collection;
}

outcome<incoming_document> prepare_document(const rapidjson::Value& doc) {
  if (!doc.IsObject())
    return make_failure(ec::bad_request, "a document must be a JSON object");
  incoming_document result;
  string_sink body_sink{result.body};
  result.body.clear();
  json_writer body{body_sink};
  body.StartObject();
  for (auto& member : doc.GetObject()) {
    if (view_of(member.name) != "@metadata") {
      member.name.Accept(body);
      member.value.Accept(body);
      continue;
    }
    auto& meta = member.value;
    if (meta.IsNull())
      continue;
    if (!meta.IsObject())
      return make_failure(ec::bad_request, "@metadata must be a JSON object");
    result.metadata.clear();
    string_sink meta_sink{result.metadata};
    json_writer writer{meta_sink};
    writer.StartObject();
    for (auto& m : meta.GetObject()) {
      auto key = view_of(m.name);
      if (key == "@collection") {
        if (m.value.IsString()) {
          if (!is_empty_collection(view_of(m.value)))
            result.collection = std::string{view_of(m.value)};
        } else if (!m.value.IsNull()) {
          return make_failure(ec::bad_request,
                              "@metadata.@collection must be a string");
        }
        continue;
      }
      if (is_computed_key(key))
        continue;
      m.name.Accept(writer);
      m.value.Accept(writer);
    }
    writer.EndObject();
  }
  body.EndObject();
  return result;
}

std::string render_document(const incoming_document& doc,
                            const computed_metadata& meta) {
  std::string metadata;
  metadata.reserve(doc.metadata.size() + meta.id.size()
                   + meta.change_vector.size() + 128);
  metadata = doc.metadata;
  std::string value;
  auto add = [&](std::string_view key, std::string_view text) {
    value.clear();
    append_json_string(value, text);
    append_member(metadata, key, value);
  };
  if (!is_empty_collection(meta.collection))
    add("@collection", meta.collection);
  add("@change-vector", meta.change_vector);
  add("@id", meta.id);
  add("@last-modified", format_timestamp(meta.last_modified));
  if (meta.flags != 0)
    add("@flags", format_flags(meta.flags));
  std::string out;
  out.reserve(doc.body.size() + metadata.size() + 16);
  out = doc.body;
  append_member(out, "@metadata", metadata);
  return out;
}

std::string format_flags(document_flags flags) {
  // RavenDB's DocumentFlags names, in its bit order.
  static constexpr std::array<std::string_view, 8> names = {
    "HasRevisions", "HasAttachments", "HasCounters", "HasTimeSeries",
    "Revision",     "DeleteRevision", "Conflicted",  "Resolved",
  };
  std::string out;
  for (size_t bit = 0; bit < names.size(); ++bit) {
    if ((flags & (1u << bit)) == 0)
      continue;
    if (!out.empty())
      out += ", ";
    out += names[bit];
  }
  return out;
}

} // namespace corvus
