#pragma once

// Encoding of a stored document version or tombstone (the value of a `d` or
// `t` key, storage/keys.hpp). Integers are little-endian and fixed-size,
// strings carry a u32 LE byte length, and the JSON body comes last without a
// length, so reading the header never touches the body:
//
//   offset  size  field
//        0     1  encoding version (`record_encoding_version`)
//        1     1  kind: 0 = document, 1 = tombstone
//        2     4  flags (u32)
//        6     8  etag (i64)
//       14     8  last modified, 100 ns ticks since the Unix epoch (i64)
//       22   4+n  id as written
//            4+n  collection as written
//            4+n  change vector
//         rest    JSON body (empty for tombstones)
//
// The version byte lets a later build read old records while writing new
// ones; a record with a version this build does not know is an error, never
// guessed at.

#include "runtime/documents/document.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corvus {

/// The record encoding this build writes (and the only one it reads).
inline constexpr uint8_t record_encoding_version = 1;

/// Size of the fixed part of a record, before the id.
inline constexpr size_t record_fixed_size = 22;

/// Sets `out` to the encoding of `rec`, reusing its capacity.
void encode_record(std::string& out, const document_record& rec);

/// Decodes every field of `value` except the body into `rec` and leaves
/// `rec.json` empty.
/// @returns the offset of the body in `value`, or nullopt when `value` is not
///          a record of a known encoding version.
std::optional<size_t> decode_record_header(std::string_view value,
                                           document_record& rec);

/// Decodes `value` completely into `rec`, moving the body out of `value`
/// instead of copying it.
/// @returns false when `value` is not a record of a known encoding version.
bool decode_record(std::string&& value, document_record& rec);

} // namespace corvus
