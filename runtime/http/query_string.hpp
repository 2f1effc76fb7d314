#pragma once

// Query strings as the RavenDB clients send them (ravendb-http.md §1.1):
// `?` alone, a leading `&`, flags without `=`, repeated keys, percent
// escapes, unknown parameters. Keys match without regard to ASCII case, as
// ASP.NET Core (RavenDB's host) reads them: `pagesize=` is `pageSize=`.

#include "runtime/failure.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corvus {

class query_string {
public:
  /// Parses the part after `?` (without the `?`).
  /// @returns ec::bad_request on a malformed percent escape or invalid UTF-8.
  static outcome<query_string> parse(std::string_view text);

  /// @returns the first value of `key`, or nullopt; a flag without `=` has
  ///          the empty value.
  std::optional<std::string_view> get(std::string_view key) const;

  /// @returns every value of `key`, in order.
  std::vector<std::string_view> all(std::string_view key) const;

  /// @returns the integer value of `key`, `fallback` when absent, or
  ///          ec::bad_request naming the parameter when not an integer.
  outcome<int64_t> get_int(std::string_view key, int64_t fallback) const;

  /// @returns the boolean value of `key` ("true"/"false", any case),
  ///          `fallback` when absent, ec::bad_request otherwise.
  outcome<bool> get_bool(std::string_view key, bool fallback) const;

private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

/// Decodes percent escapes in `text`; '+' becomes a space when
/// `plus_is_space` (query strings), stays otherwise (paths).
/// @returns ec::bad_request on a malformed escape or invalid UTF-8.
outcome<std::string> percent_decode(std::string_view text, bool plus_is_space);

} // namespace corvus
