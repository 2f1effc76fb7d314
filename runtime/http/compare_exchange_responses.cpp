#include "runtime/http/compare_exchange_responses.hpp"

#include "runtime/json/json.hpp"

#include <limits>

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

compare_exchange_results::compare_exchange_results(item_source items)
  : items_(std::move(items)) {
  // nop
}

std::optional<std::string> compare_exchange_results::next(size_t bytes) {
  if (done_)
    return std::nullopt;
  auto& w = writer_;
  if (!started_) {
    started_ = true;
    w.StartObject();
    w.Key("Results");
    w.StartArray();
  }
  while (out_.size() < bytes) {
    auto item = items_();
    if (!item) {
      w.EndArray();
      w.EndObject();
      done_ = true;
      break;
    }
    w.StartObject();
    w.Key("Key");
    write_string(w, item->key);
    w.Key("Value");
    write_value(w, item->value);
    w.Key("Index");
    w.Int64(item->index);
    w.EndObject();
  }
  // The writer keeps its place in the document; only the text moves on.
  std::string piece;
  piece.swap(out_);
  return piece;
}

std::string
render_compare_exchange_values(std::vector<compare_exchange_item> items) {
  size_t at = 0;
  compare_exchange_results results{
    [&]() -> std::optional<compare_exchange_item> {
      if (at == items.size())
        return std::nullopt;
      return std::move(items[at++]);
    }};
  return *results.next(std::numeric_limits<size_t>::max());
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

std::unique_ptr<compare_exchange_results>
answer_compare_exchange_listing(compare_exchange_values values,
                                const compare_exchange_query& query) {
  auto listing = std::make_shared<compare_exchange_listing>(
    std::move(values), query.starts_with, query.start, query.page_size);
  return std::make_unique<compare_exchange_results>(
    [listing] { return listing->next(); });
}

} // namespace corvus
