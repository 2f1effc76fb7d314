#include "runtime/documents/timestamp.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace corvus {

std::string format_timestamp(int64_t ticks) {
  int64_t seconds = ticks / ticks_per_second;
  int64_t fraction = ticks % ticks_per_second;
  if (fraction < 0) {
    fraction += ticks_per_second;
    --seconds;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%07lldZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<long long>(fraction));
  return buf;
}

std::optional<int64_t> parse_timestamp(std::string_view text) {
  auto digits = [&](size_t pos, size_t n) -> std::optional<int> {
    if (pos + n > text.size())
      return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i])))
        return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  auto expect = [&](size_t pos, char c) {
    return pos < text.size() && text[pos] == c;
  };
  auto year = digits(0, 4);
  auto month = digits(5, 2);
  auto day = digits(8, 2);
  auto hour = digits(11, 2);
  auto minute = digits(14, 2);
  auto second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second
      || !expect(4, '-') || !expect(7, '-') || !expect(10, 'T')
      || !expect(13, ':') || !expect(16, ':') || *month < 1 || *month > 12
      || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60)
    return std::nullopt;
  size_t pos = 19;
  int64_t fraction = 0;
  if (expect(pos, '.')) {
    ++pos;
    size_t n = 0;
    while (pos < text.size()
           && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (n < 7) {
        fraction = fraction * 10 + (text[pos] - '0');
        ++n;
      }
      ++pos;
    }
    if (n == 0)
      return std::nullopt;
    for (; n < 7; ++n)
      fraction *= 10;
  }
  if (expect(pos, 'Z'))
    ++pos;
  if (pos != text.size())
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  auto seconds = static_cast<int64_t>(timegm(&tm));
  return seconds * ticks_per_second + fraction;
}

} // namespace corvus
