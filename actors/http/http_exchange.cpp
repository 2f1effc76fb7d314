#include "actors/http/http_exchange.hpp"

#include <strings.h>

namespace corvus {

std::string_view http_exchange::header(std::string_view name) const {
  for (auto& [key, value] : headers)
    if (key.size() == name.size()
        && strncasecmp(key.data(), name.data(), name.size()) == 0)
      return value;
  return {};
}

} // namespace corvus
