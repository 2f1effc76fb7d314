#pragma once

// `include=` paths of a load (ravendb-http §4.2): a dotted path into the
// document whose string values are ids of documents to send along, e.g.
// `Manager`, `Address.CityId`, `Lines[].Product` or `Lines.Product` (arrays
// are walked either way).

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

namespace corvus {

/// Appends to `ids` every string found at `path` in `doc`.
void collect_include_ids(const rapidjson::Value& doc, std::string_view path,
                         std::vector<std::string>& ids);

/// @returns whether `text` matches one of the `|`-separated patterns in
///          `patterns`, where `*` is any run of characters and `?` one
///          character, compared case-insensitively (ASCII).
bool matches_wildcards(std::string_view text, std::string_view patterns);

} // namespace corvus
