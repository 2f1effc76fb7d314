#pragma once

// The value pure cores return when an operation fails: a code, a sentence
// for humans and, for errors RavenDB clients inspect, named fields that go
// into the error body verbatim (e.g. Id / ExpectedChangeVector).

#include "messages/ec.hpp"

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace corvus {

struct failure {
  ec code = ec::none;
  std::string message;
  /// Extra string fields of RavenDB's error body, in order.
  std::vector<std::pair<std::string, std::string>> fields;

  friend bool operator==(const failure& x, const failure& y) {
    return x.code == y.code && x.message == y.message && x.fields == y.fields;
  }
};

/// @returns a failure with code `code` and message `message`.
inline failure make_failure(ec code, std::string message) {
  return failure{code, std::move(message), {}};
}

/// Either a value or the failure that prevented it. Cores return outcomes as
/// values and never throw across their API.
template <class T>
class outcome {
public:
  outcome(T value) : state_(std::move(value)) {
    // nop
  }

  outcome(failure err) : state_(std::move(err)) {
    // nop
  }

  explicit operator bool() const {
    return state_.index() == 0;
  }

  T& operator*() {
    return std::get<0>(state_);
  }

  const T& operator*() const {
    return std::get<0>(state_);
  }

  T* operator->() {
    return &std::get<0>(state_);
  }

  const T* operator->() const {
    return &std::get<0>(state_);
  }

  /// @pre `!*this`
  const failure& error() const {
    return std::get<1>(state_);
  }

  /// @pre `!*this`
  failure& error() {
    return std::get<1>(state_);
  }

private:
  std::variant<T, failure> state_;
};

/// An outcome without a value.
struct done {};

} // namespace corvus
