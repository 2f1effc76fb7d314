#include "runtime/documents/batch_request.hpp"

#include "runtime/documents/change_vector.hpp"
#include "runtime/documents/document_id.hpp"
#include "runtime/json/json.hpp"

#include <rapidjson/document.h>

#include <array>
#include <strings.h>

namespace corvus {

namespace {

// Command types of RavenDB's batch protocol that Corvus does not execute
// yet: refused with a clear message rather than as unknown input.
constexpr std::array<std::string_view, 15> known_unsupported_types = {
  "PATCH",          "BatchPATCH",       "AttachmentPUT",
  "AttachmentDELETE", "AttachmentMOVE", "AttachmentCOPY",
  "Counters",       "TimeSeries",       "TimeSeriesWithIncrements",
  "TimeSeriesCopy", "ForceRevisionCreation", "CompareExchangePUT",
  "CompareExchangeDELETE", "BatchTrackChanges", "JsonPatch",
};

bool equals_ignoring_case(std::string_view x, std::string_view y) {
  return x.size() == y.size() && strncasecmp(x.data(), y.data(), x.size()) == 0;
}

failure command_error(size_t index, const std::string& what) {
  return make_failure(ec::bad_request, "Commands[" + std::to_string(index)
                                         + "]: " + what);
}

outcome<write_command> parse_command(const rapidjson::Value& cmd,
                                     size_t index) {
  if (!cmd.IsObject())
    return command_error(index, "a command must be a JSON object");
  auto type = string_member(cmd, "Type");
  if (type == nullptr)
    return command_error(index, "'Type' must be a string");
  write_command result;
  auto type_text = view_of(*type);
  if (equals_ignoring_case(type_text, "PUT")) {
    result.kind = command_kind::put;
  } else if (equals_ignoring_case(type_text, "DELETE")) {
    result.kind = command_kind::del;
  } else {
    for (auto known : known_unsupported_types)
      if (equals_ignoring_case(type_text, known))
        return make_failure(ec::not_supported,
                            "Commands[" + std::to_string(index)
                              + "]: command type '" + std::string{type_text}
                              + "' is not supported by Corvus yet");
    return command_error(index, "unknown command type '"
                                  + std::string{type_text} + "'");
  }
  auto id = cmd.FindMember("Id");
  if (id != cmd.MemberEnd() && !id->value.IsNull()) {
    if (!id->value.IsString())
      return command_error(index, "'Id' must be a string or null");
    result.id = std::string{view_of(id->value)};
    // Ids ending in '/' get a server suffix; '|' asks for a cluster-wide
    // identity, which needs the cluster layer.
    if (!result.id.empty() && result.id.back() == '|')
      return make_failure(ec::not_supported,
                          "Commands[" + std::to_string(index) + "]: id '"
                            + result.id
                            + "' asks for a cluster-wide identity, which "
                              "Corvus does not support yet");
    if (auto valid = validate_document_id(result.id); !valid)
      return command_error(index, valid.error().message);
  } else if (result.kind == command_kind::del) {
    return command_error(index, "a DELETE needs an 'Id'");
  }
  auto cv = cmd.FindMember("ChangeVector");
  bool has_cv = cv != cmd.MemberEnd() && !cv->value.IsNull();
  if (has_cv && !cv->value.IsString())
    return command_error(index, "'ChangeVector' must be a string or null");
  auto expected = parse_expectation(has_cv,
                                    has_cv ? view_of(cv->value) : "");
  if (!expected)
    return command_error(index, expected.error().message);
  result.expected = std::move(*expected);
  if (result.kind == command_kind::put) {
    auto doc = cmd.FindMember("Document");
    if (doc == cmd.MemberEnd() || !doc->value.IsObject())
      return command_error(index, "a PUT needs a 'Document' object");
    auto prepared = prepare_document(doc->value);
    if (!prepared)
      return command_error(index, prepared.error().message);
    result.document = std::move(*prepared);
  }
  return result;
}

} // namespace

outcome<cv_expectation> parse_expectation(bool has_value,
                                          std::string_view change_vector) {
  if (!has_value)
    return cv_expectation{};
  if (change_vector.empty())
    return cv_expectation{cv_expectation::mode::must_be_new, {}};
  auto canonical = canonical_change_vector(change_vector);
  if (!canonical)
    return canonical.error();
  return cv_expectation{cv_expectation::mode::must_match,
                        std::move(*canonical)};
}

outcome<write_transaction> parse_batch_request(std::string_view body) {
  rapidjson::Document doc;
  if (auto parsed = parse_json(body, doc, "the request body"); !parsed)
    return parsed.error();
  if (!doc.IsObject())
    return make_failure(ec::bad_request,
                        "the request body must be a JSON object");
  if (auto mode = string_member(doc, "TransactionMode");
      mode != nullptr && equals_ignoring_case(view_of(*mode), "ClusterWide"))
    return make_failure(ec::not_supported,
                        "cluster-wide transactions are not supported by "
                        "Corvus yet");
  auto commands = doc.FindMember("Commands");
  if (commands == doc.MemberEnd() || !commands->value.IsArray())
    return make_failure(ec::bad_request,
                        "the request body needs a 'Commands' array");
  write_transaction result;
  result.commands.reserve(commands->value.Size());
  size_t index = 0;
  for (auto& cmd : commands->value.GetArray()) {
    auto parsed = parse_command(cmd, index++);
    if (!parsed)
      return parsed.error();
    result.commands.push_back(std::move(*parsed));
  }
  return result;
}

} // namespace corvus
