#pragma once

// `{"Results":[...]}`, the shape of every listing the clients read,
// rendered a piece at a time: a listing may be a whole store (gigabytes),
// which then never sits in memory as one text, nor as items.

#include "runtime/failure.hpp"
#include "runtime/json/json.hpp"

#include <functional>
#include <optional>
#include <string>

namespace corvus {

class results_in_pieces {
public:
  /// Writes the next item and returns true, or returns false when there is
  /// none left; a failure ends the listing.
  using item_writer = std::function<outcome<bool>(json_writer&)>;

  explicit results_in_pieces(item_writer write_next);

  results_in_pieces(const results_in_pieces&) = delete;
  results_in_pieces& operator=(const results_in_pieces&) = delete;

  /// @returns the next piece of the text: whole items until it holds at
  ///          least `bytes` (the last piece may hold less), nothing once
  ///          all of it was returned, or the failure of an item (after
  ///          which the text stays unfinished).
  outcome<std::optional<std::string>> next(size_t bytes);

  /// @returns the whole text in one piece.
  outcome<std::string> whole();

private:
  item_writer write_next_;
  bool started_ = false;
  bool done_ = false;
  std::string out_;
  string_sink sink_{out_};
  json_writer writer_{sink_};
};

} // namespace corvus
