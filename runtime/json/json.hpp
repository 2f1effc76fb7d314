#pragma once

// Small helpers around RapidJSON shared by every core that reads or writes
// JSON: parsing with a readable error, a Writer that appends to std::string,
// and string literals.

#include "runtime/failure.hpp"

#include <rapidjson/document.h>
#include <rapidjson/reader.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

  /// Appends bytes that need no escaping (see the writer's string scan).
  void append(const char* s, size_t n) {
    out_.append(s, n);
  }

private:
  std::string& out_;
};

/// @returns how many bytes from `s` on (at most `n`) a JSON string holds
///          as they are: none of them a quote, a backslash or a control
///          character. Eight bytes are tested at a time.
size_t unescaped_prefix(const char* s, size_t n);

/// A RapidJSON writer producing compact JSON into a std::string.
using json_writer = rapidjson::Writer<string_sink>;

} // namespace corvus

// RapidJSON's writer puts strings out one byte at a time through Put, unless
// this scan hands it runs it may copy whole (it has one of its own only for
// StringBuffer). Strings dominate documents and compare-exchange values.
template <>
inline bool rapidjson::Writer<corvus::string_sink>::ScanWriteUnescapedString(
  rapidjson::StringStream& is, size_t length) {
  auto done = is.Tell();
  auto run = corvus::unescaped_prefix(is.src_, length - done);
  os_->append(is.src_, run);
  is.src_ += run;
  return done + run < length;
}

// Likewise raw values (stored JSON embedded as it is, such as a
// compare-exchange value in every answer to a put): one append instead of a
// Put per byte, which was 1 % of each busy HTTP thread.
template <>
inline bool rapidjson::Writer<corvus::string_sink>::WriteRawValue(
  const char* json, size_t length) {
  os_->append(json, length);
  return true;
}

namespace corvus {

/// Writes `key` as an object key, and `s` as a JSON string (any bytes,
/// with their length; no terminating NUL needed).
inline void write_key(json_writer& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

inline void write_string(json_writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

/// Writes `key` and its value, a member of an object.
inline void write_field(json_writer& w, std::string_view key,
                        std::string_view value) {
  write_key(w, key);
  write_string(w, value);
}

inline void write_field(json_writer& w, std::string_view key,
                        const char* value) {
  write_field(w, key, std::string_view{value});
}

inline void write_field(json_writer& w, std::string_view key, int64_t value) {
  write_key(w, key);
  w.Int64(value);
}

inline void write_field(json_writer& w, std::string_view key, bool value) {
  write_key(w, key);
  w.Bool(value);
}

/// Writes `key` and then `items` as an array of strings.
inline void write_string_array(json_writer& w, std::string_view key,
                               const std::vector<std::string>& items) {
  write_key(w, key);
  w.StartArray();
  for (auto& s : items)
    write_string(w, s);
  w.EndArray();
}

/// @returns the JSON text `write(writer)` produces, with room for
///          `reserve` bytes made up front.
template <class Write>
std::string write_json(size_t reserve, Write&& write) {
  std::string out;
  out.reserve(reserve);
  string_sink sink{out};
  json_writer w{sink};
  write(w);
  return out;
}

/// @returns the JSON text `write(writer)` produces.
template <class Write>
std::string write_json(Write&& write) {
  return write_json(0, std::forward<Write>(write));
}

/// Parses `text` into `doc`; invalid UTF-8 is refused.
/// @returns ec::bad_request with RapidJSON's reason and byte offset, where
///          `what` names the input in the message ("request body").
outcome<done> parse_json(std::string_view text, rapidjson::Document& doc,
                         std::string_view what);

/// @returns the failure for a RapidJSON parse error at byte `offset`.
failure json_parse_failure(rapidjson::ParseErrorCode code, size_t offset,
                           std::string_view what);

/// Deepest nesting of objects and arrays accepted in any JSON input. Deeper
/// input is refused while it is parsed (iteratively), before it reaches
/// code that recurses over values.
inline constexpr int max_json_depth = 512;

/// Forwards SAX events to `Handler`, refusing nesting beyond
/// max_json_depth.
template <class Handler>
class depth_guard {
public:
  explicit depth_guard(Handler& inner) : inner_(inner) {
    // nop
  }

  bool too_deep() const {
    return too_deep_;
  }

  bool Null() {
    return inner_.Null();
  }

  bool Bool(bool b) {
    return inner_.Bool(b);
  }

  bool Int(int i) {
    return inner_.Int(i);
  }

  bool Uint(unsigned u) {
    return inner_.Uint(u);
  }

  bool Int64(int64_t i) {
    return inner_.Int64(i);
  }

  bool Uint64(uint64_t u) {
    return inner_.Uint64(u);
  }

  bool Double(double d) {
    return inner_.Double(d);
  }

  bool RawNumber(const char* str, rapidjson::SizeType length, bool copy) {
    return inner_.RawNumber(str, length, copy);
  }

  bool String(const char* str, rapidjson::SizeType length, bool copy) {
    return inner_.String(str, length, copy);
  }

  bool Key(const char* str, rapidjson::SizeType length, bool copy) {
    return inner_.Key(str, length, copy);
  }

  bool StartObject() {
    return enter() && inner_.StartObject();
  }

  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return inner_.EndObject(members);
  }

  bool StartArray() {
    return enter() && inner_.StartArray();
  }

  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return inner_.EndArray(elements);
  }

private:
  bool enter() {
    if (++depth_ <= max_json_depth)
      return true;
    too_deep_ = true;
    return false;
  }

  Handler& inner_;
  int depth_ = 0;
  bool too_deep_ = false;
};

/// The failure for input nested deeper than max_json_depth.
failure json_too_deep_failure(std::string_view what);

namespace detail {

/// A JSON text made ready for RapidJSON's fast path. RapidJSON copies
/// strings sixteen bytes at a time (SSE2) only from a NUL-terminated
/// StringStream, and only when it need not check UTF-8 byte by byte as it
/// goes: that check made string-heavy input (documents, compare-exchange
/// values) parse five times slower. So the text is checked in one pass
/// first (UTF-8, and no NUL byte: JSON never holds one, and the copy ends
/// at the first) and then read from a terminated copy.
class json_input {
public:
  explicit json_input(std::string_view text) : text_(text) {
    // nop
  }

  /// @returns ec::bad_request naming the first byte that is not UTF-8 or
  ///          is NUL.
  outcome<done> check(std::string_view what) const;

  rapidjson::StringStream stream() const {
    return rapidjson::StringStream{text_.c_str()};
  }

private:
  std::string text_;
};

} // namespace detail

/// Feeds `text` to a SAX `handler` in one pass, iteratively: numbers arrive
/// as raw text (RawNumber, so they keep the client's exact spelling),
/// invalid UTF-8 is refused, and so is nesting beyond max_json_depth.
/// @returns ec::bad_request for malformed JSON; a handler that returned
///          false reports its own reason, so this then returns done.
template <class Handler>
outcome<done> parse_sax(std::string_view text, Handler& handler,
                        std::string_view what) {
  detail::json_input input{text};
  if (auto checked = input.check(what); !checked)
    return checked.error();
  rapidjson::Reader reader;
  auto stream = input.stream();
  depth_guard<Handler> guard{handler};
  reader.Parse<rapidjson::kParseNumbersAsStringsFlag
               | rapidjson::kParseIterativeFlag>(stream, guard);
  if (guard.too_deep())
    return json_too_deep_failure(what);
  if (!reader.HasParseError()
      || reader.GetParseErrorCode() == rapidjson::kParseErrorTermination)
    return done{};
  return json_parse_failure(reader.GetParseErrorCode(),
                            reader.GetErrorOffset(), what);
}

/// Follows a value a SAX handler drops (an unknown or server-owned member):
/// after `begin`, every event belongs to the skipped value until it ends.
class value_skipper {
public:
  /// The next value is to be skipped.
  void begin() {
    active_ = true;
    depth_ = 0;
  }

  /// A key event; @returns whether it is inside the skipped value.
  bool key() const {
    return active_;
  }

  /// A scalar event; @returns whether it was (part of) the skipped value.
  bool scalar() {
    if (!active_)
      return false;
    if (depth_ == 0)
      active_ = false;
    return true;
  }

  /// A StartObject/StartArray event; @returns whether it was skipped.
  bool open() {
    if (!active_)
      return false;
    ++depth_;
    return true;
  }

  /// An EndObject/EndArray event; @returns whether it was skipped.
  bool close() {
    if (!active_)
      return false;
    if (--depth_ == 0)
      active_ = false;
    return true;
  }

private:
  bool active_ = false;
  int depth_ = 0;
};

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
