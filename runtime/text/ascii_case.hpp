#pragma once

// Comparing protocol words (header names, query keys, command types,
// true/false) without regard to ASCII case, as HTTP and RavenDB's host
// read them.

#include <string_view>
#include <strings.h>

namespace corvus {

/// @returns whether `x` and `y` are equal but for ASCII case.
inline bool equals_ignoring_case(std::string_view x, std::string_view y) {
  return x.size() == y.size()
         && strncasecmp(x.data(), y.data(), x.size()) == 0;
}

} // namespace corvus
