#include "runtime/json/json_fields.hpp"

#include "runtime/json/json.hpp"

namespace corvus {

namespace {

failure bad_member(std::string_view what, const char* key,
                   const char* expected) {
  return make_failure(ec::bad_request, std::string{what} + ": '" + key
                                         + "' must be " + expected);
}

const rapidjson::Value* member(const rapidjson::Value& obj, const char* key) {
  auto i = obj.FindMember(key);
  return i == obj.MemberEnd() ? nullptr : &i->value;
}

} // namespace

outcome<std::string> required_string(const rapidjson::Value& obj,
                                     const char* key, std::string_view what) {
  auto* v = member(obj, key);
  if (v == nullptr || !v->IsString())
    return bad_member(what, key, "a string");
  return std::string{view_of(*v)};
}

outcome<std::string> optional_string(const rapidjson::Value& obj,
                                     const char* key, std::string_view what) {
  auto* v = member(obj, key);
  if (v == nullptr || v->IsNull())
    return std::string{};
  if (!v->IsString())
    return bad_member(what, key, "a string");
  return std::string{view_of(*v)};
}

outcome<int64_t> required_int64(const rapidjson::Value& obj, const char* key,
                                std::string_view what) {
  auto* v = member(obj, key);
  if (v == nullptr || !v->IsInt64())
    return bad_member(what, key, "an integer");
  return v->GetInt64();
}

outcome<uint64_t> optional_uint64(const rapidjson::Value& obj,
                                  const char* key, uint64_t fallback,
                                  std::string_view what) {
  auto* v = member(obj, key);
  if (v == nullptr || v->IsNull())
    return fallback;
  if (!v->IsUint64())
    return bad_member(what, key, "an unsigned integer");
  return v->GetUint64();
}

outcome<bool> optional_bool(const rapidjson::Value& obj, const char* key,
                            bool fallback, std::string_view what) {
  auto* v = member(obj, key);
  if (v == nullptr || v->IsNull())
    return fallback;
  if (!v->IsBool())
    return bad_member(what, key, "true or false");
  return v->GetBool();
}

outcome<std::vector<std::string>>
string_array(const rapidjson::Value& obj, const char* key,
             std::string_view what) {
  std::vector<std::string> items;
  auto* v = member(obj, key);
  if (v == nullptr || v->IsNull())
    return items;
  if (!v->IsArray())
    return bad_member(what, key, "an array of strings");
  items.reserve(v->Size());
  for (auto& item : v->GetArray()) {
    if (!item.IsString())
      return bad_member(what, key, "an array of strings");
    items.emplace_back(view_of(item));
  }
  return items;
}

outcome<const rapidjson::Value*> required_object(const rapidjson::Value& obj,
                                                 const char* key,
                                                 std::string_view what) {
  auto* v = member(obj, key);
  if (v == nullptr || !v->IsObject())
    return bad_member(what, key, "an object");
  return v;
}

} // namespace corvus
