#include "storage/record_codec.hpp"

#include "storage/keys.hpp"
#include "test/fixtures/full_record.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>

using namespace corvus;

using test::full_record;

TEST_CASE("record encoding round trips every field") {
  auto rec = full_record();
  std::string buf;
  encode_record(buf, rec, false);
  CHECK(static_cast<uint8_t>(buf[0]) == record_plain_version);
  document_record out;
  REQUIRE(decode_record(std::string{buf}, out));
  CHECK(out == rec);
}

TEST_CASE("record encoding keeps unicode ids and binary-looking strings") {
  auto rec = full_record();
  rec.id = "Пользователи/1-Ä/\xF0\x9F\x98\x80";
  rec.collection = std::string{"col\0lection", 11};
  rec.json = std::string{"{\"x\":\"\0\"}", 9};
  std::string buf;
  encode_record(buf, rec, false);
  document_record out;
  REQUIRE(decode_record(std::move(buf), out));
  CHECK(out == rec);
}

TEST_CASE("record encoding of a tombstone with empty strings") {
  document_record rec;
  rec.id = "x";
  rec.etag = 1;
  rec.tombstone = true;
  std::string buf;
  encode_record(buf, rec, false);
  CHECK(buf.size() == record_fixed_size + 12 + 1);
  document_record out;
  REQUIRE(decode_record(std::move(buf), out));
  CHECK(out == rec);
}

namespace {

// A body of `n` bytes that snappy shrinks well: JSON repeating itself.
std::string compressible_body(size_t n) {
  std::string body = "{\"Notes\":\"";
  while (body.size() + 2 < n)
    body += "copper beacon ";
  body.resize(n - 2);
  return body + "\"}";
}

// A body of `n` bytes that snappy cannot shrink: a pseudo-random string.
std::string incompressible_body(size_t n) {
  std::string body;
  uint64_t x = 88172645463325252ULL;
  while (body.size() < n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    body.push_back(static_cast<char>('!' + x % 90));
  }
  return body;
}

// @returns a record with a body that compresses well, encoded into `buf`
// with compression asked for.
document_record encode_compressible(std::string& buf) {
  auto rec = full_record();
  rec.json = compressible_body(2000);
  encode_record(buf, rec, true);
  return rec;
}

} // namespace

TEST_CASE("a body that compresses well is stored compressed") {
  std::string buf;
  auto rec = encode_compressible(buf);
  CHECK(static_cast<uint8_t>(buf[0]) == record_compressed_version);
  CHECK(buf.size() < 1000);
  document_record from_view;
  REQUIRE(decode_record(std::string_view{buf}, from_view));
  CHECK(from_view == rec);
  document_record from_owned;
  REQUIRE(decode_record(std::move(buf), from_owned));
  CHECK(from_owned == rec);
}

TEST_CASE("bodies that compression would not shrink are stored as they are") {
  auto rec = full_record();
  std::string buf;
  SUBCASE("incompressible") { rec.json = incompressible_body(4000); }
  SUBCASE("shorter than the threshold") { rec.json = compressible_body(40); }
  SUBCASE("empty (a tombstone)") {
    rec.json.clear();
    rec.tombstone = true;
  }
  encode_record(buf, rec, true);
  CHECK(static_cast<uint8_t>(buf[0]) == record_plain_version);
  document_record out;
  REQUIRE(decode_record(std::string_view{buf}, out));
  CHECK(out == rec);
}

TEST_CASE("the header decodes without the body, plain or compressed") {
  std::string buf;
  document_record rec;
  // What follows the header: the body itself when it is stored plain.
  std::optional<std::string> stored_body;
  SUBCASE("plain") {
    rec = full_record();
    encode_record(buf, rec, false);
    stored_body = rec.json;
  }
  SUBCASE("compressed") { rec = encode_compressible(buf); }
  document_record out;
  out.json = "stale";
  auto body = decode_record_header(buf, out);
  REQUIRE(body);
  if (stored_body)
    CHECK(buf.substr(*body) == *stored_body);
  CHECK(out.json.empty());
  rec.json.clear();
  CHECK(out == rec);
}

TEST_CASE("a damaged compressed body is an error, never a guess") {
  std::string buf;
  encode_compressible(buf);
  document_record out;
  auto body = decode_record_header(buf, out);
  REQUIRE(body);
  SUBCASE("cut short") { buf.resize(buf.size() - 10); }
  SUBCASE("length prefix claims more") {
    // snappy's varint length, first byte: lengths of 2000 take two bytes.
    buf[*body + 1] = static_cast<char>(0x7f);
  }
  SUBCASE("body gone") { buf.resize(*body); }
  CHECK(!decode_record(std::string_view{buf}, out));
  CHECK(!decode_record(std::string{buf}, out));
}

TEST_CASE("records of unknown versions or cut short are rejected") {
  std::string buf;
  encode_record(buf, full_record(), false);
  document_record out;
  SUBCASE("unknown version") {
    buf[0] = static_cast<char>(record_compressed_version + 1);
    CHECK(!decode_record_header(buf, out));
  }
  SUBCASE("unknown kind") {
    buf[1] = 7;
    CHECK(!decode_record_header(buf, out));
  }
  SUBCASE("every cut inside the header") {
    auto header = decode_record_header(buf, out);
    REQUIRE(header);
    for (size_t n = 0; n < *header; ++n)
      CHECK(!decode_record_header(std::string_view{buf}.substr(0, n), out));
  }
}

TEST_CASE("etag keys sort in numeric order") {
  std::string a;
  std::string b;
  for (int64_t x : {1LL, 255LL, 256LL, 65535LL, 1LL << 40}) {
    document_keys::etag_key(a, x);
    document_keys::etag_key(b, x + 1);
    CHECK(a < b);
    CHECK(a.size() == 9);
    CHECK(static_cast<int64_t>(document_keys::read_big_endian(a.data() + 1))
          == x);
  }
}

TEST_CASE("collection ranges are disjoint even for names with NUL") {
  std::string folded;
  document_keys::fold_collection(folded, "UsErS");
  CHECK(folded == "users");
  std::string users;
  std::string user;
  std::string with_nul;
  document_keys::collection_range(users, "users");
  document_keys::collection_range(user, "user");
  document_keys::collection_range(with_nul, std::string_view{"user\0s", 6});
  std::string key;
  document_keys::collection_key(key, "users", 42);
  CHECK(key.compare(0, users.size(), users) == 0);
  CHECK(key.compare(0, user.size(), user) != 0);
  document_keys::collection_key(key, std::string_view{"user\0s", 6}, 42);
  CHECK(key.compare(0, with_nul.size(), with_nul) == 0);
  CHECK(key.compare(0, user.size(), user) != 0);
}
