#include "runtime/http/url.hpp"

#include <charconv>

namespace corvus {

outcome<url_parts> parse_url(std::string_view text, std::string_view scheme,
                             std::string_view what) {
  auto invalid = [&](const std::string& why) {
    return make_failure(ec::bad_request,
                        std::string{what} + " '" + std::string{text}
                          + "' is not a valid " + std::string{scheme}
                          + "://host:port URL: " + why);
  };
  auto sep = text.find("://");
  if (sep == std::string_view::npos)
    return invalid("missing '" + std::string{scheme} + "://'");
  if (text.substr(0, sep) != scheme)
    return invalid("the scheme must be " + std::string{scheme});
  auto rest = text.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/')
    rest.remove_suffix(1);
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos)
    return invalid("missing ':port'");
  url_parts url;
  url.scheme = std::string{scheme};
  url.host = std::string{rest.substr(0, colon)};
  if (url.host.empty() || url.host.find_first_of("/?#@ ") != std::string::npos)
    return invalid("missing or invalid host");
  auto port_text = rest.substr(colon + 1);
  unsigned port = 0;
  auto [end, err] = std::from_chars(port_text.data(),
                                    port_text.data() + port_text.size(), port);
  if (err != std::errc{} || end != port_text.data() + port_text.size()
      || port_text.empty() || port > 65535)
    return invalid("the port must be a number from 0 to 65535");
  url.port = static_cast<uint16_t>(port);
  return url;
}

std::string format_url(const url_parts& url) {
  return url.scheme + "://" + url.host + ":" + std::to_string(url.port);
}

} // namespace corvus
