#include "runtime/documents/include_paths.hpp"

#include <cctype>

namespace corvus {

namespace {

void walk(const rapidjson::Value& v, std::string_view path,
          std::vector<std::string>& ids) {
  if (v.IsArray()) {
    for (auto& item : v.GetArray())
      walk(item, path, ids);
    return;
  }
  if (path.empty()) {
    if (v.IsString())
      ids.emplace_back(v.GetString(), v.GetStringLength());
    return;
  }
  if (!v.IsObject())
    return;
  auto dot = path.find('.');
  auto name = path.substr(0, dot);
  auto rest = dot == std::string_view::npos ? std::string_view{}
                                            : path.substr(dot + 1);
  // `Lines[]` and `Lines` both step into an array.
  if (name.size() >= 2 && name.substr(name.size() - 2) == "[]")
    name.remove_suffix(2);
  auto member = v.FindMember(
    rapidjson::Value{rapidjson::StringRef(name.data(), name.size())});
  if (member != v.MemberEnd())
    walk(member->value, rest, ids);
}

bool match_one(std::string_view text, std::string_view pattern) {
  // Iterative glob match with a single backtrack point for '*'.
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  auto same = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a))
           == std::tolower(static_cast<unsigned char>(b));
  };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || same(pattern[p], text[t]))) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

} // namespace

void collect_include_ids(const rapidjson::Value& doc, std::string_view path,
                         std::vector<std::string>& ids) {
  walk(doc, path, ids);
}

bool matches_wildcards(std::string_view text, std::string_view patterns) {
  while (true) {
    auto bar = patterns.find('|');
    if (match_one(text, patterns.substr(0, bar)))
      return true;
    if (bar == std::string_view::npos)
      return false;
    patterns.remove_prefix(bar + 1);
  }
}

} // namespace corvus
