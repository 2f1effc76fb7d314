#include "runtime/http/compare_exchange_requests.hpp"

#include "runtime/cluster/compare_exchange.hpp"
#include "runtime/json/json.hpp"

namespace corvus {

namespace {

failure missing(const char* name) {
  return make_failure(ec::bad_request, std::string{"the query parameter '"}
                                         + name + "' is required");
}

outcome<std::string> required_key(const query_string& query) {
  auto key = query.get("key");
  if (!key)
    return missing("key");
  if (key->empty())
    return make_failure(ec::bad_request, "The key argument must have value");
  return std::string{*key};
}

outcome<int64_t> required_index(const query_string& query) {
  if (!query.get("index"))
    return missing("index");
  auto index = query.get_int("index", 0);
  if (!index)
    return index.error();
  if (*index < 0)
    return make_failure(ec::bad_request,
                        "Index must be a non-negative number");
  return *index;
}

// A Writer whose RawNumber writes the number's text as it came: RapidJSON's
// own RawNumber writes it as a string.
class verbatim_writer : public json_writer {
public:
  using json_writer::json_writer;

  bool RawNumber(const char* str, rapidjson::SizeType length, bool) {
    return RawValue(str, length, rapidjson::kNumberType);
  }
};

// Copies a JSON text through a Writer: compact output, numbers spelled as
// they came, nesting bounded by parse_sax.
outcome<std::string> compact_object(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  string_sink sink{out};
  verbatim_writer writer{sink};
  if (auto parsed = parse_sax(body, writer, "the compare exchange value");
      !parsed)
    return parsed.error();
  if (out.empty() || out.front() != '{')
    return make_failure(ec::bad_request,
                        "the compare exchange value must be a JSON object");
  return out;
}

} // namespace

outcome<compare_exchange_query>
parse_compare_exchange_get(const query_string& query) {
  compare_exchange_query result;
  for (auto key : query.all("key"))
    result.keys.emplace_back(key);
  if (!result.keys.empty())
    return result;
  result.starts_with = std::string{query.get("startsWith").value_or("")};
  auto start = query.get_int("start", 0);
  if (!start)
    return start.error();
  if (*start < 0)
    return make_failure(ec::bad_request, "start must not be negative");
  result.start = static_cast<size_t>(*start);
  auto page_size = query.get_int("pageSize", 0);
  if (!page_size)
    return page_size.error();
  if (*page_size > 0)
    result.page_size = static_cast<size_t>(*page_size);
  return result;
}

outcome<put_compare_exchange_command>
parse_compare_exchange_put(const query_string& query, std::string_view body,
                           std::string_view database) {
  auto key = required_key(query);
  if (!key)
    return key.error();
  if (auto valid = validate_compare_exchange_key(*key); !valid)
    return valid.error();
  auto index = required_index(query);
  if (!index)
    return index.error();
  auto value = compact_object(body);
  if (!value)
    return value.error();
  put_compare_exchange_command cmd;
  cmd.request_id = std::string{query.get("raft-request-id").value_or("")};
  cmd.database = std::string{database};
  cmd.key = std::move(*key);
  cmd.value = std::move(*value);
  cmd.index = *index;
  return cmd;
}

outcome<remove_compare_exchange_command>
parse_compare_exchange_delete(const query_string& query,
                              std::string_view database) {
  auto key = required_key(query);
  if (!key)
    return key.error();
  auto index = required_index(query);
  if (!index)
    return index.error();
  remove_compare_exchange_command cmd;
  cmd.request_id = std::string{query.get("raft-request-id").value_or("")};
  cmd.database = std::string{database};
  cmd.key = std::move(*key);
  cmd.index = *index;
  return cmd;
}

} // namespace corvus
