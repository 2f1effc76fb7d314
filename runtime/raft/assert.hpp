#pragma once

// An always-on assertion for the Raft core. A broken invariant means a bug
// or corrupted input; the core throws, so that an actor dies with the
// reason (its supervisor restarts it from storage) and a simulation can
// print the seed that reproduces it.

#include <stdexcept>
#include <string>

namespace corvus::raft {

/// Thrown when an invariant of the core does not hold.
class assertion_failure : public std::logic_error {
public:
  using std::logic_error::logic_error;
};

[[noreturn]] inline void assertion_failed(const char* expr, const char* file,
                                          int line) {
  throw assertion_failure(std::string{file} + ":" + std::to_string(line)
                          + ": assertion failed: " + expr);
}

} // namespace corvus::raft

#define RAFT_ASSERT(expr)                                                      \
  ((expr) ? static_cast<void>(0)                                               \
          : ::corvus::raft::assertion_failed(#expr, __FILE__, __LINE__))
