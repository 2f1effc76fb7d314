#pragma once

// Lists in messages and logs: "A, B, C".

#include <string>
#include <string_view>
#include <vector>

namespace corvus {

/// @returns `items` with `separator` between each two.
inline std::string join(const std::vector<std::string>& items,
                        std::string_view separator = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out.append(separator);
    out.append(items[i]);
  }
  return out;
}

} // namespace corvus
