#pragma once

// An immutable string that its copies share: copying one costs a reference
// count, not the text. Large values kept in the cluster state (compare-
// exchange values) use it, so that a copy of the whole state is cheap and
// can be serialized on another thread (a Raft snapshot) while the original
// goes on changing. The text never changes once made, so reading it from
// several threads is safe.
//
// The text is a string of its own, or bytes some other owner keeps alive:
// a Raft snapshot's data is its file mapped into memory
// (storage/mapped_text.hpp), which the kernel can drop and read again
// rather than a copy the process holds.

#include <memory>
#include <string>
#include <string_view>

namespace corvus {

class shared_text {
public:
  shared_text() = default;

  shared_text(std::string text) {
    if (text.empty())
      return;
    auto owned = std::make_shared<const std::string>(std::move(text));
    text_ = *owned;
    owner_ = std::move(owned);
  }

  shared_text(const char* text) : shared_text(std::string{text}) {
    // nop
  }

  /// Text that `owner` keeps valid and unchanged while it lives.
  shared_text(std::shared_ptr<const void> owner, std::string_view text)
    : owner_(text.empty() ? nullptr : std::move(owner)), text_(text) {
    // nop
  }

  std::string_view view() const {
    return text_;
  }

  /// @returns `within`, a part of this text, as text of its own that
  ///          shares this one's owner (a value decoded out of a snapshot
  ///          keeps the snapshot's bytes instead of a copy).
  /// @pre `within` lies inside view()
  shared_text part(std::string_view within) const {
    return shared_text{owner_, within};
  }

  operator std::string_view() const {
    return text_;
  }

  size_t size() const {
    return text_.size();
  }

  bool empty() const {
    return text_.empty();
  }

  friend bool operator==(const shared_text& x, const shared_text& y) {
    // Copies share their bytes: no need to compare a gigabyte with itself.
    return (x.text_.data() == y.text_.data()
            && x.text_.size() == y.text_.size())
           || x.text_ == y.text_;
  }

  friend bool operator!=(const shared_text& x, const shared_text& y) {
    return !(x == y);
  }

  friend bool operator==(const shared_text& x, std::string_view y) {
    return x.text_ == y;
  }

  friend bool operator==(std::string_view x, const shared_text& y) {
    return y == x;
  }

  friend bool operator==(const shared_text& x, const char* y) {
    return x.text_ == y;
  }

private:
  std::shared_ptr<const void> owner_;
  std::string_view text_;
};

} // namespace corvus
