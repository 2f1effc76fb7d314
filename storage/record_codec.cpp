#include "storage/record_codec.hpp"

#include "storage/keys.hpp"

#include <snappy.h>

namespace corvus {

namespace {

void append_u32(std::string& out, uint32_t x) {
  for (int shift = 0; shift < 32; shift += 8)
    out.push_back(static_cast<char>((x >> shift) & 0xff));
}

uint32_t read_u32(const char* p) {
  uint32_t x = 0;
  for (int i = 3; i >= 0; --i)
    x = (x << 8) | static_cast<unsigned char>(p[i]);
  return x;
}

void append_string(std::string& out, std::string_view str) {
  append_u32(out, static_cast<uint32_t>(str.size()));
  out.append(str);
}

// Reads one length-prefixed string at `pos`, advancing it; false when the
// value ends early.
bool read_string(std::string_view value, size_t& pos, std::string& out) {
  if (value.size() - pos < 4)
    return false;
  auto len = read_u32(value.data() + pos);
  pos += 4;
  if (value.size() - pos < len)
    return false;
  out.assign(value.data() + pos, len);
  pos += len;
  return true;
}

} // namespace

// Bodies shorter than this are stored as they are: snappy's few bytes of
// framing leave nothing worth the call to save.
constexpr size_t min_compressed_body = 64;

void encode_record(std::string& out, const document_record& rec,
                   bool compress_body) {
  out.clear();
  out.reserve(record_fixed_size + 12 + rec.id.size() + rec.collection.size()
              + rec.change_vector.size() + rec.json.size());
  out.push_back(static_cast<char>(record_plain_version));
  out.push_back(rec.tombstone ? '\1' : '\0');
  append_u32(out, rec.flags);
  document_keys::append_little_endian(out, static_cast<uint64_t>(rec.etag));
  document_keys::append_little_endian(out,
                                      static_cast<uint64_t>(rec.last_modified));
  append_string(out, rec.id);
  append_string(out, rec.collection);
  append_string(out, rec.change_vector);
  if (compress_body && rec.json.size() >= min_compressed_body) {
    const auto header_size = out.size();
    out.resize(header_size + snappy::MaxCompressedLength(rec.json.size()));
    size_t compressed = 0;
    snappy::RawCompress(rec.json.data(), rec.json.size(),
                        out.data() + header_size, &compressed);
    if (compressed <= rec.json.size() - rec.json.size() / 8) {
      out.resize(header_size + compressed);
      out[0] = static_cast<char>(record_compressed_version);
      return;
    }
    out.resize(header_size);
  }
  out.append(rec.json);
}

std::optional<size_t> decode_record_header(std::string_view value,
                                           document_record& rec) {
  if (value.size() < record_fixed_size)
    return std::nullopt;
  auto version = static_cast<uint8_t>(value[0]);
  if (version != record_plain_version && version != record_compressed_version)
    return std::nullopt;
  auto kind = static_cast<uint8_t>(value[1]);
  if (kind > 1)
    return std::nullopt;
  rec.tombstone = kind == 1;
  rec.flags = read_u32(value.data() + 2);
  rec.etag = static_cast<int64_t>(
    document_keys::read_little_endian(value.data() + 6));
  rec.last_modified = static_cast<int64_t>(
    document_keys::read_little_endian(value.data() + 14));
  size_t pos = record_fixed_size;
  if (!read_string(value, pos, rec.id)
      || !read_string(value, pos, rec.collection)
      || !read_string(value, pos, rec.change_vector))
    return std::nullopt;
  rec.json.clear();
  return pos;
}

namespace {

// Sets `rec.json` to the compressed body `body`; false when it is damaged.
bool uncompress_body(std::string_view body, document_record& rec) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &length))
    return false;
  // A snappy element of at most 3 bytes yields at most 64, so a longer
  // claim is damage; checked before allocating what a damaged length says.
  if (length > body.size() / 3 * 64 + 64)
    return false;
  rec.json.resize(length);
  return snappy::RawUncompress(body.data(), body.size(), rec.json.data());
}

bool compressed(std::string_view value) {
  return static_cast<uint8_t>(value[0]) == record_compressed_version;
}

} // namespace

bool decode_record(std::string&& value, document_record& rec) {
  auto body = decode_record_header(value, rec);
  if (!body)
    return false;
  if (compressed(value))
    return uncompress_body(std::string_view{value}.substr(*body), rec);
  // Shifting the body to the front of its own buffer and moving that buffer
  // into the record costs no allocation, unlike copying the body out.
  value.erase(0, *body);
  rec.json = std::move(value);
  return true;
}

bool decode_record(std::string_view value, document_record& rec) {
  auto body = decode_record_header(value, rec);
  if (!body)
    return false;
  if (compressed(value))
    return uncompress_body(value.substr(*body), rec);
  rec.json.assign(value.substr(*body));
  return true;
}

} // namespace corvus
