#include "runtime/documents/change_vector.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace corvus {

namespace {

bool is_base64_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
}

bool is_tag_char(char c) {
  return std::isupper(static_cast<unsigned char>(c))
         || std::isdigit(static_cast<unsigned char>(c));
}

// Entries are ordered by db id, ignoring case (§5.1), with an ordinal
// tie-break so that two ids differing only in case keep a fixed order.
bool db_id_less(std::string_view x, std::string_view y) {
  auto folded_less = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a))
           < std::tolower(static_cast<unsigned char>(b));
  };
  if (std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(),
                                   folded_less))
    return true;
  if (std::lexicographical_compare(y.begin(), y.end(), x.begin(), x.end(),
                                   folded_less))
    return false;
  return x < y;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

outcome<change_vector_entry> parse_entry(std::string_view text) {
  auto malformed = [&](const char* why) {
    return make_failure(ec::bad_request,
                        "invalid change vector entry '" + std::string{text}
                          + "': " + why);
  };
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return malformed("expected TAG:ETAG-DBID");
  auto tag = text.substr(0, colon);
  if (!std::all_of(tag.begin(), tag.end(), is_tag_char))
    return malformed("the node tag must be upper-case letters or digits");
  auto rest = text.substr(colon + 1);
  int64_t etag = 0;
  auto [end, err] = std::from_chars(rest.data(), rest.data() + rest.size(),
                                    etag);
  if (err != std::errc{} || end == rest.data() || etag < 0)
    return malformed("the etag must be a non-negative number");
  rest.remove_prefix(static_cast<size_t>(end - rest.data()));
  if (rest.empty() || rest.front() != '-')
    return malformed("expected '-' before the database id");
  auto db_id = rest.substr(1);
  if (db_id.size() != db_id_length
      || !std::all_of(db_id.begin(), db_id.end(), is_base64_char))
    return malformed("the database id must be 22 base64 characters");
  return change_vector_entry{std::string{tag}, etag, std::string{db_id}};
}

} // namespace

outcome<change_vector> change_vector::parse(std::string_view text) {
  change_vector result;
  text = trim(text);
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    auto entry = parse_entry(item);
    if (!entry)
      return entry.error();
    result.update(entry->node_tag, entry->db_id, entry->etag);
    if (comma == std::string_view::npos)
      break;
    text = text.substr(comma + 1);
    if (trim(text).empty())
      return make_failure(ec::bad_request,
                          "invalid change vector: trailing ','");
  }
  return result;
}

std::string change_vector::to_string() const {
  std::string out;
  out.reserve(entries_.size() * 40);
  for (auto& e : entries_) {
    if (!out.empty())
      out += ", ";
    out += e.node_tag;
    out += ':';
    out += std::to_string(e.etag);
    out += '-';
    out += e.db_id;
  }
  return out;
}

int64_t change_vector::etag_of(std::string_view db_id) const {
  for (auto& e : entries_)
    if (e.db_id == db_id)
      return e.etag;
  return 0;
}

void change_vector::update(std::string_view node_tag, std::string_view db_id,
                           int64_t etag) {
  // Fast path, taken by every local write: the entry exists.
  for (auto& e : entries_)
    if (e.db_id == db_id) {
      if (etag > e.etag) {
        e.etag = etag;
        e.node_tag = std::string{node_tag};
      }
      return;
    }
  auto pos = std::lower_bound(entries_.begin(), entries_.end(), db_id,
                              [](const change_vector_entry& e,
                                 std::string_view id) {
                                return db_id_less(e.db_id, id);
                              });
  entries_.insert(pos, change_vector_entry{std::string{node_tag}, etag,
                                           std::string{db_id}});
}

void change_vector::merge(const change_vector& other) {
  for (auto& e : other.entries_)
    update(e.node_tag, e.db_id, e.etag);
}

conflict_status compare(const change_vector& remote,
                        const change_vector& local) {
  if (remote.empty())
    return conflict_status::already_merged;
  if (local.empty())
    return conflict_status::update;
  bool remote_ahead = false;
  bool local_ahead = false;
  for (auto& e : remote.entries())
    if (e.etag > local.etag_of(e.db_id))
      remote_ahead = true;
  for (auto& e : local.entries())
    if (e.etag > remote.etag_of(e.db_id))
      local_ahead = true;
  if (remote_ahead && local_ahead)
    return conflict_status::conflict;
  if (remote_ahead)
    return conflict_status::update;
  return conflict_status::already_merged;
}

outcome<std::string> canonical_change_vector(std::string_view text) {
  auto parsed = change_vector::parse(text);
  if (!parsed)
    return parsed.error();
  return parsed->to_string();
}

} // namespace corvus
