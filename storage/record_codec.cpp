#include "storage/record_codec.hpp"

#include "storage/keys.hpp"

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

void encode_record(std::string& out, const document_record& rec) {
  out.clear();
  out.reserve(record_fixed_size + 12 + rec.id.size() + rec.collection.size()
              + rec.change_vector.size() + rec.json.size());
  out.push_back(static_cast<char>(record_encoding_version));
  out.push_back(rec.tombstone ? '\1' : '\0');
  append_u32(out, rec.flags);
  document_keys::append_little_endian(out, static_cast<uint64_t>(rec.etag));
  document_keys::append_little_endian(out,
                                      static_cast<uint64_t>(rec.last_modified));
  append_string(out, rec.id);
  append_string(out, rec.collection);
  append_string(out, rec.change_vector);
  out.append(rec.json);
}

std::optional<size_t> decode_record_header(std::string_view value,
                                           document_record& rec) {
  if (value.size() < record_fixed_size
      || static_cast<uint8_t>(value[0]) != record_encoding_version)
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

bool decode_record(std::string&& value, document_record& rec) {
  auto body = decode_record_header(value, rec);
  if (!body)
    return false;
  // Shifting the body to the front of its own buffer and moving that buffer
  // into the record costs no allocation, unlike copying the body out.
  value.erase(0, *body);
  rec.json = std::move(value);
  return true;
}

} // namespace corvus
