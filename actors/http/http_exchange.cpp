#include "actors/http/http_exchange.hpp"

#include "runtime/text/ascii_case.hpp"

namespace corvus {

std::string_view http_exchange::header(std::string_view name) const {
  for (auto& [key, value] : headers)
    if (equals_ignoring_case(key, name))
      return value;
  return {};
}

} // namespace corvus
