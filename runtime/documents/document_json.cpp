#include "runtime/documents/document_json.hpp"

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

document_splitter::document_splitter()
  : body_sink_(doc_.body),
    meta_sink_(doc_.metadata),
    body_writer_(body_sink_),
    meta_writer_(meta_sink_) {
  doc_.body.clear();
}

bool document_splitter::fail(const char* why) {
  error_ = why;
  return false;
}

template <class Write>
bool document_splitter::scalar(Write write) {
  if (skip_.scalar())
    return true;
  if (pending_ == pending::metadata)
    return fail("@metadata must be a JSON object");
  if (pending_ == pending::collection)
    return fail("@metadata.@collection must be a string");
  if (body_depth_ == 0)
    return fail("a document must be a JSON object");
  return write(out());
}

bool document_splitter::Null() {
  if (skip_.scalar())
    return true;
  if (pending_ != pending::none) {
    // A null @metadata or @collection means "none".
    pending_ = pending::none;
    return true;
  }
  return scalar([](json_writer& w) { return w.Null(); });
}

bool document_splitter::Bool(bool b) {
  return scalar([b](json_writer& w) { return w.Bool(b); });
}

bool document_splitter::Int(int i) {
  return scalar([i](json_writer& w) { return w.Int(i); });
}

bool document_splitter::Uint(unsigned u) {
  return scalar([u](json_writer& w) { return w.Uint(u); });
}

bool document_splitter::Int64(int64_t i) {
  return scalar([i](json_writer& w) { return w.Int64(i); });
}

bool document_splitter::Uint64(uint64_t u) {
  return scalar([u](json_writer& w) { return w.Uint64(u); });
}

bool document_splitter::Double(double d) {
  return scalar([d](json_writer& w) { return w.Double(d); });
}

bool document_splitter::RawNumber(const char* str, rapidjson::SizeType length,
                                  bool) {
  return scalar(
    [=](json_writer& w) { return w.RawValue(str, length, rapidjson::kNumberType); });
}

bool document_splitter::String(const char* str, rapidjson::SizeType length,
                               bool) {
  if (skip_.scalar())
    return true;
  if (pending_ == pending::collection) {
    pending_ = pending::none;
    if (!is_empty_collection({str, length}))
      doc_.collection.assign(str, length);
    return true;
  }
  return scalar([=](json_writer& w) { return w.String(str, length); });
}

bool document_splitter::StartObject() {
  if (skip_.open())
    return true;
  if (pending_ == pending::metadata) {
    pending_ = pending::none;
    doc_.metadata.clear();
    meta_depth_ = 1;
    return meta_writer_.StartObject();
  }
  if (pending_ == pending::collection)
    return fail("@metadata.@collection must be a string");
  if (meta_depth_ > 0)
    ++meta_depth_;
  else
    ++body_depth_;
  return out().StartObject();
}

bool document_splitter::Key(const char* str, rapidjson::SizeType length,
                            bool) {
  if (skip_.key())
    return true;
  std::string_view key{str, length};
  if (meta_depth_ == 1) {
    if (key == "@collection") {
      pending_ = pending::collection;
      return true;
    }
    if (is_computed_key(key)) {
      skip_.begin();
      return true;
    }
  } else if (meta_depth_ == 0 && body_depth_ == 1 && key == "@metadata") {
    pending_ = pending::metadata;
    return true;
  }
  return out().Key(str, length);
}

bool document_splitter::EndObject(rapidjson::SizeType) {
  if (skip_.close())
    return true;
  if (meta_depth_ > 0) {
    --meta_depth_;
    return meta_writer_.EndObject();
  }
  if (--body_depth_ == 0)
    done_ = true;
  return body_writer_.EndObject();
}

bool document_splitter::StartArray() {
  if (skip_.open())
    return true;
  if (pending_ == pending::metadata)
    return fail("@metadata must be a JSON object");
  if (pending_ == pending::collection)
    return fail("@metadata.@collection must be a string");
  if (body_depth_ == 0)
    return fail("a document must be a JSON object");
  if (meta_depth_ > 0)
    ++meta_depth_;
  else
    ++body_depth_;
  return out().StartArray();
}

bool document_splitter::EndArray(rapidjson::SizeType) {
  if (skip_.close())
    return true;
  if (meta_depth_ > 0) {
    --meta_depth_;
    return meta_writer_.EndArray();
  }
  --body_depth_;
  return body_writer_.EndArray();
}

outcome<incoming_document> document_splitter::finish() {
  if (error_ != nullptr)
    return make_failure(ec::bad_request, error_);
  if (!done_)
    return make_failure(ec::bad_request, "a document must be a JSON object");
  return std::move(doc_);
}

outcome<incoming_document> prepare_document(std::string_view json) {
  document_splitter splitter;
  if (auto parsed = parse_sax(json, splitter, "the document"); !parsed)
    return parsed.error();
  return splitter.finish();
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
  add("@last-modified", meta.last_modified);
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
  static constexpr std::array<std::string_view, 10> names = {
    "HasRevisions", "HasAttachments", "HasCounters",     "HasTimeSeries",
    "Revision",     "DeleteRevision", "Conflicted",      "Resolved",
    "Artificial",   "FromReplication",
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
