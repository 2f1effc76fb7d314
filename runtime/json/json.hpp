#pragma once

// Small helpers around RapidJSON shared by every core that reads or writes
// JSON: parsing with a readable error, a Writer that appends to std::string,
// and string literals.

#include "runtime/failure.hpp"

#include <rapidjson/document.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace corvus {

/// RapidJSON output stream appending to a std::string we own.
class string_sink {
public:
  using Ch = char;

  explicit string_sink(std::string& out) : out_(out) {
    // nop
  }

  void Put(char c) {
    out_.push_back(c);
  }

  void Flush() {
    // nop
  }

private:
  std::string& out_;
};

/// A RapidJSON writer producing compact JSON into a std::string.
using json_writer = rapidjson::Writer<string_sink>;

/// Parses `text` into `doc`.
/// @returns ec::bad_request with RapidJSON's reason and byte offset, where
///          `what` names the input in the message ("request body").
outcome<done> parse_json(std::string_view text, rapidjson::Document& doc,
                         std::string_view what);

/// Appends `s` to `out` as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view s);

/// @returns `v` serialized as compact JSON.
std::string to_json_text(const rapidjson::Value& v);

/// @returns the string member `key` of object `obj`, or nullptr when it is
///          absent or not a string.
const rapidjson::Value* string_member(const rapidjson::Value& obj,
                                      const char* key);

/// @returns `v` as string_view. @pre v.IsString()
inline std::string_view view_of(const rapidjson::Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

} // namespace corvus
