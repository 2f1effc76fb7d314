// Listings rendered a piece at a time: the pieces join into the text the
// whole listing makes, whatever the piece size, and a failing item leaves
// the text unfinished.

#include "runtime/http/results_in_pieces.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

using namespace corvus;

namespace {

/// Items {"N":i,"Text":"xxx…"} for i = 1..count, each about 70 bytes.
results_in_pieces::item_writer numbered_items(int count) {
  return [count, n = 0](json_writer& w) mutable -> outcome<bool> {
    if (n == count)
      return false;
    ++n;
    w.StartObject();
    w.Key("N");
    w.Int(n);
    w.Key("Text");
    write_string(w, std::string(50, 'x'));
    w.EndObject();
    return true;
  };
}

std::vector<std::string> pieces_of(results_in_pieces& results, size_t bytes) {
  std::vector<std::string> pieces;
  while (true) {
    auto piece = results.next(bytes);
    REQUIRE(piece);
    if (!*piece)
      return pieces;
    pieces.push_back(std::move(**piece));
  }
}

} // namespace

TEST_CASE("a listing comes in pieces of whole items that join into its JSON") {
  auto one = results_in_pieces{numbered_items(100)}.whole();
  REQUIRE(one);
  rapidjson::Document doc;
  REQUIRE_FALSE(doc.Parse(one->c_str()).HasParseError());
  REQUIRE(doc["Results"].Size() == 100);
  CHECK(doc["Results"][99]["N"].GetInt() == 100);
  results_in_pieces results{numbered_items(100)};
  auto pieces = pieces_of(results, 1000);
  std::string joined;
  for (auto& piece : pieces) {
    // Each piece but the last reaches the size asked for, and none is
    // larger than that plus one item.
    CHECK(piece.size() < 1000 + 80);
    joined += piece;
  }
  CHECK(pieces.size() > 5);
  CHECK(joined == *one);
  // Pieces smaller than the opening still join into the same text.
  results_in_pieces tiny{numbered_items(100)};
  std::string small;
  for (auto& piece : pieces_of(tiny, 1))
    small += piece;
  CHECK(small == *one);
  results_in_pieces none{numbered_items(0)};
  CHECK(*none.whole() == R"({"Results":[]})");
}

TEST_CASE("a failing item ends the listing with its failure") {
  int calls = 0;
  results_in_pieces results{[&](json_writer& w) -> outcome<bool> {
    if (++calls == 30)
      return make_failure(ec::storage_failure, "block checksum mismatch");
    w.Int(calls);
    return true;
  }};
  auto first = results.next(20);
  REQUIRE(first);
  REQUIRE(*first);
  CHECK((*first)->rfind(R"({"Results":[1,)", 0) == 0);
  outcome<std::optional<std::string>> piece = std::optional<std::string>{};
  do
    piece = results.next(20);
  while (piece && *piece);
  REQUIRE_FALSE(piece);
  CHECK(piece.error().message == "block checksum mismatch");
  CHECK(calls == 30);
}
