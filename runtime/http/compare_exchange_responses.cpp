#include "runtime/http/compare_exchange_responses.hpp"

#include "runtime/json/json.hpp"

namespace corvus {

namespace {

// Stored values are compact JSON objects written by our own writer, so
// they are embedded as they are.
void write_value(json_writer& w, std::string_view value) {
  if (value.empty())
    w.Null();
  else
    w.RawValue(value.data(), value.size(), rapidjson::kObjectType);
}

} // namespace

std::string render_compare_exchange_result(const compare_exchange_result& r) {
  return write_json(r.value.size() + 64, [&](json_writer& w) {
    w.StartObject();
    w.Key("Index");
    w.Int64(r.index);
    w.Key("Value");
    write_value(w, r.value);
    w.Key("Successful");
    w.Bool(r.successful);
    w.EndObject();
  });
}

std::string render_compare_exchange_values(
  const std::vector<compare_exchange_item>& items) {
  size_t reserve = 16;
  for (auto& i : items)
    reserve += i.key.size() + i.value.size() + 48;
  return write_json(reserve, [&](json_writer& w) {
    w.StartObject();
    w.Key("Results");
    w.StartArray();
    for (auto& i : items) {
      w.StartObject();
      w.Key("Key");
      w.String(i.key.data(), static_cast<rapidjson::SizeType>(i.key.size()));
      w.Key("Value");
      write_value(w, i.value);
      w.Key("Index");
      w.Int64(i.index);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

std::optional<std::string>
answer_compare_exchange_lookup(const compare_exchange_store& store,
                               std::string_view database,
                               const compare_exchange_query& query) {
  auto items = store.get(database, query.keys);
  if (items.size() == 1 && items.front().value.empty())
    return std::nullopt;
  return render_compare_exchange_values(items);
}

std::string answer_compare_exchange_listing(const compare_exchange_values& values,
                                            const compare_exchange_query& query) {
  return render_compare_exchange_values(list_compare_exchange(
    values, query.starts_with, query.start, query.page_size));
}

} // namespace corvus
