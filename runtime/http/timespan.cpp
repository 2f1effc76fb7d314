#include "runtime/http/timespan.hpp"

#include <cctype>
#include <charconv>
#include <string>

namespace corvus {

outcome<std::chrono::milliseconds> parse_timespan(std::string_view text,
                                                  std::string_view what) {
  auto malformed = [&] {
    return make_failure(ec::bad_request,
                        std::string{what} + " must be a TimeSpan like "
                          "00:00:15 or a number of milliseconds, got '"
                          + std::string{text.substr(0, 100)} + "'");
  };
  auto number = [](std::string_view s, int64_t& out) {
    auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), out);
    return err == std::errc{} && end == s.data() + s.size() && !s.empty();
  };
  int64_t ms = 0;
  // Every field is checked for digits below; a sign would slip through
  // from_chars, and no timeout can be negative.
  if (!text.empty() && (text.front() == '-' || text.front() == '+'))
    return malformed();
  if (text.find(':') == std::string_view::npos) {
    if (!number(text, ms) || ms < 0)
      return malformed();
    return std::chrono::milliseconds{ms};
  }
  int64_t days = 0;
  auto first_colon = text.find(':');
  auto dot = text.substr(0, first_colon).find('.');
  if (dot != std::string_view::npos) {
    if (!number(text.substr(0, dot), days))
      return malformed();
    text.remove_prefix(dot + 1);
  }
  auto c1 = text.find(':');
  auto c2 = text.find(':', c1 + 1);
  if (c2 == std::string_view::npos)
    return malformed();
  int64_t h = 0, m = 0, s = 0;
  auto secs = text.substr(c2 + 1);
  auto frac_pos = secs.find('.');
  int64_t frac_ms = 0;
  if (frac_pos != std::string_view::npos) {
    auto frac = secs.substr(frac_pos + 1);
    if (frac.empty() || frac.size() > 7)
      return malformed();
    for (size_t i = 0; i < frac.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(frac[i])))
        return malformed();
      if (i < 3)
        frac_ms = frac_ms * 10 + (frac[i] - '0');
    }
    for (size_t i = frac.size(); i < 3; ++i)
      frac_ms *= 10;
    secs = secs.substr(0, frac_pos);
  }
  if (!number(text.substr(0, c1), h) || !number(text.substr(c1 + 1, c2 - c1 - 1), m)
      || !number(secs, s) || days < 0 || h < 0 || h > 23 || m < 0 || m > 59
      || s < 0 || s > 59)
    return malformed();
  ms = (((days * 24 + h) * 60 + m) * 60 + s) * 1000 + frac_ms;
  return std::chrono::milliseconds{ms};
}

} // namespace corvus
