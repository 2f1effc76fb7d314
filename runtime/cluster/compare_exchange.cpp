#include "runtime/cluster/compare_exchange.hpp"

#include "runtime/documents/document_id.hpp"
#include "runtime/text/utf8.hpp"

namespace corvus {

outcome<done> validate_compare_exchange_key(std::string_view key) {
  if (key.empty())
    return make_failure(ec::bad_request,
                        "The key argument must have value");
  if (!is_valid_utf8(key))
    return make_failure(ec::bad_request,
                        "a compare exchange key must be valid UTF-8");
  if (key.size() > max_compare_exchange_key_bytes)
    return make_failure(ec::bad_request,
                        "Compare Exchange key cannot exceed "
                          + std::to_string(max_compare_exchange_key_bytes)
                          + " bytes, but the key was "
                          + std::to_string(key.size()) + " bytes");
  return done{};
}

compare_exchange_result
compare_exchange_store::put(const put_compare_exchange_command& cmd,
                            int64_t index) {
  auto db = fold_case(cmd.database);
  auto key = fold_case(cmd.key);
  auto d = databases_.find(db);
  auto* entry = d == databases_.end() ? nullptr : d->second.find(key);
  if (entry == nullptr) {
    // Only index 0 creates (RavenDB-22230); the failed creation reports
    // index 0, which is never an applied index.
    if (cmd.index != 0)
      return {0, {}, false};
    databases_[std::move(db)].assign(std::move(key),
                                     compare_exchange_entry{cmd.value, index});
    return {index, cmd.value, true};
  }
  if (entry->index != cmd.index)
    return {entry->index, entry->value, false};
  d->second.assign(std::move(key), compare_exchange_entry{cmd.value, index});
  return {index, cmd.value, true};
}

compare_exchange_result
compare_exchange_store::remove(const remove_compare_exchange_command& cmd,
                               int64_t index) {
  auto db = databases_.find(fold_case(cmd.database));
  if (db == databases_.end())
    return {index, {}, true};
  auto& values = db->second;
  auto key = fold_case(cmd.key);
  auto* entry = values.find(key);
  if (entry == nullptr)
    return {index, {}, true};
  if (entry->index != cmd.index)
    return {entry->index, entry->value, false};
  compare_exchange_result result{index, entry->value, true};
  values.erase(key);
  if (values.empty())
    databases_.erase(db);
  return result;
}

void compare_exchange_store::drop_database(std::string_view database) {
  auto db = databases_.find(fold_case(database));
  if (db == databases_.end())
    return;
  dropped_.push_back(std::move(db->second));
  databases_.erase(db);
}

const compare_exchange_entry*
compare_exchange_store::find(std::string_view database,
                             std::string_view key) const {
  auto db = databases_.find(fold_case(database));
  if (db == databases_.end())
    return nullptr;
  return db->second.find(fold_case(key));
}

std::vector<compare_exchange_item>
compare_exchange_store::get(std::string_view database,
                            const std::vector<std::string>& keys) const {
  std::vector<compare_exchange_item> items;
  items.reserve(keys.size());
  for (auto& key : keys) {
    if (auto* entry = find(database, key))
      items.push_back({key, entry->index, entry->value});
    else
      items.push_back({key, -1, {}});
  }
  return items;
}

compare_exchange_values
compare_exchange_store::values_of(std::string_view database) const {
  auto db = databases_.find(fold_case(database));
  return db == databases_.end() ? values{} : db->second;
}

void compare_exchange_store::restore(std::string folded_database,
                                     std::string folded_key,
                                     compare_exchange_entry entry) {
  databases_[std::move(folded_database)].assign(std::move(folded_key),
                                               std::move(entry));
}

size_t compare_exchange_store::size() const {
  size_t n = 0;
  for (auto& [db, values] : databases_)
    n += values.size();
  return n;
}

compare_exchange_listing::compare_exchange_listing(
  compare_exchange_values values, std::string_view prefix, size_t start,
  size_t page_size)
  : values_(std::move(values)),
    walk_(values_, fold_case(prefix)),
    left_(page_size) {
  walk_.skip(start);
}

std::optional<compare_exchange_item> compare_exchange_listing::next() {
  if (left_ == 0)
    return std::nullopt;
  auto* item = walk_.next();
  if (item == nullptr)
    return std::nullopt;
  --left_;
  return compare_exchange_item{item->first, item->second.index,
                               item->second.value};
}

} // namespace corvus
