#include "runtime/http/conflict_responses.hpp"

#include "runtime/documents/timestamp.hpp"
#include "runtime/json/json.hpp"

#include <algorithm>

namespace corvus {

int64_t largest_etag(const std::vector<document_record>& versions) {
  int64_t largest = 0;
  for (auto& v : versions)
    largest = std::max(largest, v.etag);
  return largest;
}

std::string render_conflicts(std::string_view id,
                             const std::vector<document_record>& versions) {
  size_t reserve = 64;
  for (auto& v : versions)
    reserve += v.json.size() + v.change_vector.size() + 96;
  return write_json(reserve, [&](json_writer& w) {
    w.StartObject();
    write_key(w, "Id");
    write_string(w, id);
    write_key(w, "LargestEtag");
    w.Int64(largest_etag(versions));
    write_key(w, "Results");
    w.StartArray();
    for (auto& v : versions) {
      w.StartObject();
      write_key(w, "ChangeVector");
      write_string(w, v.change_vector);
      write_key(w, "Doc");
      if (v.tombstone || v.json.empty())
        w.Null();
      else
        w.RawValue(v.json.data(), v.json.size(), rapidjson::kObjectType);
      write_key(w, "LastModified");
      write_string(w, format_timestamp(v.last_modified));
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

failure document_conflict(std::string_view id,
                          const std::vector<document_record>& versions) {
  std::string text{id};
  auto f = make_failure(ec::document_conflict,
                        "Conflict detected on " + text
                          + ", conflict must be resolved before the "
                            "document will be accessible");
  f.fields = {{"DocId", text},
              {"LargestEtag", std::to_string(largest_etag(versions))}};
  return f;
}

} // namespace corvus
