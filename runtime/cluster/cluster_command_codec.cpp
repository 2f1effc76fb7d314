#include "runtime/cluster/cluster_command_codec.hpp"

#include "runtime/cluster/cluster_command_json.hpp"
#include "runtime/text/byte_fields.hpp"

namespace corvus {

namespace {

constexpr char put_tag = 0x01;
constexpr char remove_tag = 0x02;

/// @param extra the bytes the caller appends after the index.
template <class Command>
std::string encode_target(char tag, const Command& c, size_t extra) {
  std::string out;
  out.reserve(1 + 3 * 4 + c.request_id.size() + c.database.size()
              + c.key.size() + 8 + extra);
  out.push_back(tag);
  append_sized(out, c.request_id);
  append_sized(out, c.database);
  append_sized(out, c.key);
  byte_order::append_little_endian(out, static_cast<uint64_t>(c.index));
  return out;
}

template <class Command>
bool decode_target(byte_reader& in, Command& c) {
  std::string_view id;
  std::string_view database;
  std::string_view key;
  uint64_t index = 0;
  if (!in.sized(id) || !in.sized(database) || !in.sized(key)
      || !in.fixed64(index))
    return false;
  c.request_id = std::string{id};
  c.database = std::string{database};
  c.key = std::string{key};
  c.index = static_cast<int64_t>(index);
  return true;
}

failure truncated(std::string_view type) {
  return make_failure(ec::bad_request,
                      std::string{type} + ": the entry ends inside a field");
}

/// `data` is the whole entry the reader reads: the value stays a part of
/// it instead of a copy.
outcome<cluster_command> decode_put(const shared_text& data, byte_reader in) {
  constexpr std::string_view type = "AddOrUpdateCompareExchangeCommand";
  put_compare_exchange_command c;
  std::string_view value;
  if (!decode_target(in, c) || !in.sized(value))
    return truncated(type);
  if (!in.at_end())
    return make_failure(ec::bad_request,
                        std::string{type} + ": bytes follow the value");
  c.value = data.part(value);
  return cluster_command{std::move(c)};
}

outcome<cluster_command> decode_remove(byte_reader in) {
  constexpr std::string_view type = "RemoveCompareExchangeCommand";
  remove_compare_exchange_command c;
  if (!decode_target(in, c))
    return truncated(type);
  if (!in.at_end())
    return make_failure(ec::bad_request,
                        std::string{type} + ": bytes follow the index");
  return cluster_command{std::move(c)};
}

} // namespace

std::string encode_command(const cluster_command& cmd) {
  if (auto* put = std::get_if<put_compare_exchange_command>(&cmd)) {
    auto value = put->value.view();
    auto out = encode_target(put_tag, *put, 4 + value.size());
    append_sized(out, value);
    return out;
  }
  if (auto* remove = std::get_if<remove_compare_exchange_command>(&cmd))
    return encode_target(remove_tag, *remove, 0);
  return command_to_json(cmd);
}

outcome<cluster_command> decode_command(const shared_text& entry) {
  auto data = entry.view();
  if (!data.empty() && data.front() == put_tag)
    return decode_put(entry, byte_reader{data.substr(1)});
  if (!data.empty() && data.front() == remove_tag)
    return decode_remove(byte_reader{data.substr(1)});
  return command_from_json(data);
}

} // namespace corvus
