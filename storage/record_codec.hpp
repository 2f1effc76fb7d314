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
// The version byte says how the body is stored: version 1 as it is, version
// 2 compressed with snappy (its raw format, which records the uncompressed
// length). A store compresses each body once, when it is written, instead of
// letting LevelDB compress its blocks: LevelDB decompresses and compresses
// every block again each time a compaction rewrites it, which on a growing
// store cost more CPU than anything else in a write. A body that snappy does
// not shrink by an eighth is kept as it is (version 1), so that reading it
// costs nothing for nothing saved. The version byte lets a later build read
// old records while writing new ones; a record with a version this build
// does not know is an error, never guessed at.

#include "runtime/documents/document.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corvus {

/// Record encoding with the body stored as it is.
inline constexpr uint8_t record_plain_version = 1;
/// Record encoding with the body compressed (snappy's raw format).
inline constexpr uint8_t record_compressed_version = 2;

/// Size of the fixed part of a record, before the id.
inline constexpr size_t record_fixed_size = 22;

/// Sets `out` to the encoding of `rec`, reusing its capacity; with
/// `compress_body`, the body is compressed when that shrinks it by at least
/// an eighth.
void encode_record(std::string& out, const document_record& rec,
                   bool compress_body);

/// Decodes every field of `value` except the body into `rec` and leaves
/// `rec.json` empty.
/// @returns the offset of the (possibly compressed) body in `value`, or
///          nullopt when `value` is not a record of a known encoding version.
std::optional<size_t> decode_record_header(std::string_view value,
                                           document_record& rec);

/// Decodes `value` completely into `rec`. A body stored as it is moves out
/// of `value` instead of being copied.
/// @returns false when `value` is not a record of a known encoding version
///          or its compressed body is damaged.
bool decode_record(std::string&& value, document_record& rec);

/// Decodes `value` completely into `rec`, copying (or decompressing) the
/// body; for values the caller does not own, such as an iterator's.
/// @returns false as the other overload does.
bool decode_record(std::string_view value, document_record& rec);

} // namespace corvus
