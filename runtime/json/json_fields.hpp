#pragma once

// Typed reads of the members of a parsed JSON object, for the internal
// formats Corvus writes itself (log entries, snapshots). Each failure is
// ec::bad_request naming the member and, through `what`, the object.

#include "runtime/failure.hpp"

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corvus {

/// @returns the string member `key` of `obj`; absent or not a string is a
///          failure.
outcome<std::string> required_string(const rapidjson::Value& obj,
                                     const char* key, std::string_view what);

/// @returns the string member `key`, "" when absent or null.
outcome<std::string> optional_string(const rapidjson::Value& obj,
                                     const char* key, std::string_view what);

/// @returns the integer member `key`; absent or not a 64-bit integer is a
///          failure.
outcome<int64_t> required_int64(const rapidjson::Value& obj, const char* key,
                                std::string_view what);

/// @returns the unsigned integer member `key`, `fallback` when absent.
outcome<uint64_t> optional_uint64(const rapidjson::Value& obj,
                                  const char* key, uint64_t fallback,
                                  std::string_view what);

/// @returns the boolean member `key`, `fallback` when absent or null.
outcome<bool> optional_bool(const rapidjson::Value& obj, const char* key,
                            bool fallback, std::string_view what);

/// @returns the array of strings `key`, empty when absent or null.
outcome<std::vector<std::string>>
string_array(const rapidjson::Value& obj, const char* key,
             std::string_view what);

/// @returns the object member `key`; absent or not an object is a failure.
outcome<const rapidjson::Value*> required_object(const rapidjson::Value& obj,
                                                 const char* key,
                                                 std::string_view what);

} // namespace corvus
