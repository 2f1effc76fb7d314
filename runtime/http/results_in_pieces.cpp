#include "runtime/http/results_in_pieces.hpp"

#include <limits>

namespace corvus {

results_in_pieces::results_in_pieces(item_writer write_next)
  : write_next_(std::move(write_next)) {
  // nop
}

outcome<std::optional<std::string>> results_in_pieces::next(size_t bytes) {
  if (done_)
    return std::optional<std::string>{};
  auto& w = writer_;
  if (!started_) {
    started_ = true;
    w.StartObject();
    w.Key("Results");
    w.StartArray();
  }
  while (out_.size() < bytes) {
    auto more = write_next_(w);
    if (!more) {
      done_ = true;
      return more.error();
    }
    if (!*more) {
      w.EndArray();
      w.EndObject();
      done_ = true;
      break;
    }
  }
  // The writer keeps its place in the document; only the text moves on.
  std::string piece;
  piece.swap(out_);
  return std::optional<std::string>{std::move(piece)};
}

outcome<std::string> results_in_pieces::whole() {
  auto text = next(std::numeric_limits<size_t>::max());
  if (!text)
    return text.error();
  return std::move(*text).value_or(std::string{});
}

} // namespace corvus
