#pragma once

// An immutable string that its copies share: copying one costs a reference
// count, not the text. Large values kept in the cluster state (compare-
// exchange values) use it, so that a copy of the whole state is cheap and
// can be serialized on another thread (a Raft snapshot) while the original
// goes on changing. The text never changes once made, so reading it from
// several threads is safe.

#include <memory>
#include <string>
#include <string_view>

namespace corvus {

class shared_text {
public:
  shared_text() = default;

  shared_text(std::string text)
    : text_(text.empty() ? nullptr
                         : std::make_shared<const std::string>(
                           std::move(text))) {
    // nop
  }

  shared_text(const char* text) : shared_text(std::string{text}) {
    // nop
  }

  const std::string& str() const {
    static const std::string none;
    return text_ ? *text_ : none;
  }

  operator const std::string&() const {
    return str();
  }

  operator std::string_view() const {
    return str();
  }

  size_t size() const {
    return str().size();
  }

  bool empty() const {
    return str().empty();
  }

  friend bool operator==(const shared_text& x, const shared_text& y) {
    return x.text_ == y.text_ || x.str() == y.str();
  }

  friend bool operator!=(const shared_text& x, const shared_text& y) {
    return !(x == y);
  }

  friend bool operator==(const shared_text& x, std::string_view y) {
    return x.str() == y;
  }

  friend bool operator==(std::string_view x, const shared_text& y) {
    return y == x;
  }

  friend bool operator==(const shared_text& x, const char* y) {
    return x.str() == y;
  }

private:
  std::shared_ptr<const std::string> text_;
};

} // namespace corvus
