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

void write_item(json_writer& w, const compare_exchange_item& item) {
  w.StartObject();
  w.Key("Key");
  write_string(w, item.key);
  w.Key("Value");
  write_value(w, item.value);
  w.Key("Index");
  w.Int64(item.index);
  w.EndObject();
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

std::string
render_compare_exchange_values(std::vector<compare_exchange_item> items) {
  size_t at = 0;
  results_in_pieces results{[&](json_writer& w) -> outcome<bool> {
    if (at == items.size())
      return false;
    write_item(w, items[at++]);
    return true;
  }};
  return *results.whole();
}

std::optional<std::string>
answer_compare_exchange_lookup(const compare_exchange_store& store,
                               std::string_view database,
                               const compare_exchange_query& query) {
  auto items = store.get(database, query.keys);
  if (items.size() == 1 && items.front().value.empty())
    return std::nullopt;
  return render_compare_exchange_values(std::move(items));
}

std::unique_ptr<results_in_pieces>
answer_compare_exchange_listing(compare_exchange_values values,
                                const compare_exchange_query& query) {
  auto listing = std::make_shared<compare_exchange_listing>(
    std::move(values), query.starts_with, query.start, query.page_size);
  return std::make_unique<results_in_pieces>(
    [listing](json_writer& w) -> outcome<bool> {
      auto item = listing->next();
      if (!item)
        return false;
      write_item(w, *item);
      return true;
    });
}

} // namespace corvus
