#pragma once

// Reading a node's answers defensively: a member that is missing or of
// another type reads as absent, so the console shows "-" for it instead of
// failing on a node older or newer than itself.

#include "runtime/console/view.hpp"
#include "runtime/json/json.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace corvus::console {

/// @returns member `key` of `v`, or nullptr when `v` is null, not an
///          object, or has no such member.
inline const rapidjson::Value* member(const rapidjson::Value* v,
                                      const char* key) {
  if (!v || !v->IsObject())
    return nullptr;
  auto i = v->FindMember(key);
  return i == v->MemberEnd() ? nullptr : &i->value;
}

/// @returns the string member `key` of `v`, or "".
inline std::string string_of(const rapidjson::Value* v, const char* key) {
  auto m = member(v, key);
  return m && m->IsString() ? std::string{view_of(*m)} : std::string{};
}

/// @returns the integer member `key` of `v`, or `fallback`.
inline int64_t int_of(const rapidjson::Value* v, const char* key,
                      int64_t fallback = 0) {
  auto m = member(v, key);
  return m && m->IsInt64() ? m->GetInt64() : fallback;
}

/// @returns member `key` of `v` as a cell; missing_cell() when absent.
inline cell cell_of(const rapidjson::Value* v, const char* key) {
  auto m = member(v, key);
  return m ? json_cell(*m) : missing_cell();
}

/// @returns whether `s` ends with `suffix`.
inline bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size()
         && s.substr(s.size() - suffix.size()) == suffix;
}

} // namespace corvus::console
