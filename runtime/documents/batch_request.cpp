#include "runtime/documents/batch_request.hpp"

#include "runtime/documents/change_vector.hpp"
#include "runtime/documents/document_id.hpp"
#include "runtime/json/json.hpp"
#include "runtime/text/ascii_case.hpp"

#include <array>
#include <optional>

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

failure command_error(size_t index, const std::string& what) {
  return make_failure(ec::bad_request, "Commands[" + std::to_string(index)
                                         + "]: " + what);
}

// One member of a command as it arrived, before the rules are applied.
struct raw_field {
  enum class kind { absent, null, string, other };
  kind seen = kind::absent;
  std::string text;
};

// What a command object said.
struct raw_command {
  raw_field type;
  raw_field id;
  raw_field change_vector;
  enum class document_state { absent, object, invalid };
  /// Absent (or null), an object split into `document`, or something else.
  document_state document_seen = document_state::absent;
  incoming_document document;
};

// The rules of a command (ravendb-http §4.3, §4.5), applied once it is
// complete.
outcome<write_command> check_command(raw_command& raw, size_t index) {
  if (raw.type.seen != raw_field::kind::string)
    return command_error(index, "'Type' must be a string");
  write_command result;
  auto& type = raw.type.text;
  if (equals_ignoring_case(type, "PUT")) {
    result.kind = command_kind::put;
  } else if (equals_ignoring_case(type, "DELETE")) {
    result.kind = command_kind::del;
  } else {
    for (auto known : known_unsupported_types)
      if (equals_ignoring_case(type, known))
        return make_failure(ec::not_supported,
                            "Commands[" + std::to_string(index)
                              + "]: command type '" + type
                              + "' is not supported by Corvus yet");
    return command_error(index, "unknown command type '" + type + "'");
  }
  switch (raw.id.seen) {
    case raw_field::kind::other:
      return command_error(index, "'Id' must be a string or null");
    case raw_field::kind::string:
      result.id = std::move(raw.id.text);
      // Ids ending in '/' get a server suffix; one ending in '|' asks for
      // more than Corvus does.
      if (auto refused = refuse_identity_request(result.id); !refused)
        return make_failure(ec::not_supported,
                            "Commands[" + std::to_string(index)
                              + "]: " + refused.error().message);
      if (auto valid = validate_document_id(result.id); !valid)
        return command_error(index, valid.error().message);
      break;
    default:
      if (result.kind == command_kind::del)
        return command_error(index, "a DELETE needs an 'Id'");
  }
  if (raw.change_vector.seen == raw_field::kind::other)
    return command_error(index, "'ChangeVector' must be a string or null");
  auto expected = parse_expectation(
    raw.change_vector.seen == raw_field::kind::string,
    raw.change_vector.text);
  if (!expected)
    return command_error(index, expected.error().message);
  result.expected = std::move(*expected);
  if (result.kind == command_kind::put) {
    if (raw.document_seen != raw_command::document_state::object)
      return command_error(index, "a PUT needs a 'Document' object");
    result.document = std::move(raw.document);
  }
  return result;
}

// SAX handler for a whole bulk_docs body: walks the envelope itself and
// hands each `Document` to a document_splitter, so the body is read once.
class batch_parser {
public:
  bool Null() {
    if (document_)
      return forward(document_->Null());
    return scalar(raw_field::kind::null, {});
  }

  bool Bool(bool b) {
    if (document_)
      return forward(document_->Bool(b));
    return scalar(raw_field::kind::other, b ? "true" : "false");
  }

  bool Int(int i) {
    if (document_)
      return forward(document_->Int(i));
    return scalar(raw_field::kind::other, {});
  }

  bool Uint(unsigned u) {
    if (document_)
      return forward(document_->Uint(u));
    return scalar(raw_field::kind::other, {});
  }

  bool Int64(int64_t i) {
    if (document_)
      return forward(document_->Int64(i));
    return scalar(raw_field::kind::other, {});
  }

  bool Uint64(uint64_t u) {
    if (document_)
      return forward(document_->Uint64(u));
    return scalar(raw_field::kind::other, {});
  }

  bool Double(double d) {
    if (document_)
      return forward(document_->Double(d));
    return scalar(raw_field::kind::other, {});
  }

  bool RawNumber(const char* str, rapidjson::SizeType length, bool copy) {
    if (document_)
      return forward(document_->RawNumber(str, length, copy));
    return scalar(raw_field::kind::other, {});
  }

  bool String(const char* str, rapidjson::SizeType length, bool copy) {
    if (document_)
      return forward(document_->String(str, length, copy));
    return scalar(raw_field::kind::string, {str, length});
  }

  bool StartObject() {
    if (document_)
      return forward(document_->StartObject());
    if (skip_.open())
      return true;
    switch (at_) {
      case place::before_body:
        at_ = place::body;
        return true;
      case place::commands:
        at_ = place::command;
        current_ = raw_command{};
        return true;
      case place::command:
        if (capture_ == capture::document) {
          capture_ = capture::none;
          current_.document_seen = raw_command::document_state::object;
          document_.emplace();
          return forward(document_->StartObject());
        }
        return other_container();
      default:
        return other_container();
    }
  }

  bool Key(const char* str, rapidjson::SizeType length, bool copy) {
    if (document_)
      return forward(document_->Key(str, length, copy));
    if (skip_.key())
      return true;
    std::string_view key{str, length};
    if (at_ == place::body && key == "Commands")
      capture_ = capture::commands;
    else if (at_ == place::body && key == "TransactionMode")
      capture_ = capture::transaction_mode;
    else if (at_ == place::command && key == "Type")
      capture_ = capture::type;
    else if (at_ == place::command && key == "Id")
      capture_ = capture::id;
    else if (at_ == place::command && key == "ChangeVector")
      capture_ = capture::change_vector;
    else if (at_ == place::command && key == "Document")
      capture_ = capture::document;
    else if (at_ == place::command && key == "IdPrefixed")
      capture_ = capture::id_prefixed;
    else if (at_ == place::command && key == "ForceRevisionCreationStrategy")
      capture_ = capture::force_revision;
    else
      skip_.begin();
    return true;
  }

  bool EndObject(rapidjson::SizeType members) {
    if (document_) {
      if (!forward(document_->EndObject(members)))
        return false;
      if (document_->done())
        return finish_document();
      return true;
    }
    if (skip_.close())
      return true;
    if (at_ == place::command) {
      auto cmd = check_command(current_, result_.commands.size());
      if (!cmd)
        return fail(std::move(cmd.error()));
      result_.commands.push_back(std::move(*cmd));
      at_ = place::commands;
      return true;
    }
    at_ = place::done;
    return true;
  }

  bool StartArray() {
    if (document_)
      return forward(document_->StartArray());
    if (skip_.open())
      return true;
    if (at_ == place::body && capture_ == capture::commands) {
      capture_ = capture::none;
      at_ = place::commands;
      seen_commands_ = true;
      return true;
    }
    return other_container();
  }

  bool EndArray(rapidjson::SizeType elements) {
    if (document_)
      return forward(document_->EndArray(elements));
    if (skip_.close())
      return true;
    at_ = place::body;
    return true;
  }

  outcome<write_transaction> finish() {
    if (error_)
      return std::move(*error_);
    if (!seen_commands_)
      return make_failure(ec::bad_request,
                          "the request body needs a 'Commands' array");
    return std::move(result_);
  }

private:
  enum class place { before_body, body, commands, command, done };
  enum class capture {
    none,
    commands,
    transaction_mode,
    type,
    id,
    change_vector,
    document,
    id_prefixed,
    force_revision
  };

  bool fail(failure f) {
    error_ = std::move(f);
    return false;
  }

  size_t index() const {
    return result_.commands.size();
  }

  // A scalar outside documents: a captured field, or misplaced.
  bool scalar(raw_field::kind kind, std::string_view text) {
    if (skip_.scalar())
      return true;
    auto what = capture_;
    capture_ = capture::none;
    switch (what) {
      case capture::type:
        current_.type = {kind, std::string{text}};
        return true;
      case capture::id:
        current_.id = {kind, std::string{text}};
        return true;
      case capture::change_vector:
        current_.change_vector = {kind, std::string{text}};
        return true;
      case capture::document:
        current_.document_seen = kind == raw_field::kind::null
                                   ? raw_command::document_state::absent
                                   : raw_command::document_state::invalid;
        return true;
      case capture::transaction_mode:
        if (equals_ignoring_case(text, "ClusterWide"))
          return fail(make_failure(ec::not_supported,
                                   "cluster-wide transactions are not "
                                   "supported by Corvus yet"));
        return true;
      // Fields that ask for more than the command says otherwise: ignored,
      // the batch would do less than asked and be answered as done.
      case capture::id_prefixed:
        if (text == "true")
          return fail(make_failure(ec::not_supported,
                                   "deleting every document whose id starts "
                                   "with a prefix (IdPrefixed) is not "
                                   "supported by Corvus yet; nothing was "
                                   "written"));
        return true;
      case capture::force_revision:
        if (!text.empty() && !equals_ignoring_case(text, "None"))
          return fail(make_failure(ec::not_supported,
                                   "revisions (ForceRevisionCreationStrategy "
                                   "'" + std::string{text} + "') are not "
                                   "supported by Corvus yet; nothing was "
                                   "written"));
        return true;
      default:
        return misplaced();
    }
  }

  // An object or array where the envelope allows none.
  bool other_container() {
    auto what = capture_;
    capture_ = capture::none;
    if (at_ == place::command) {
      if (what == capture::document)
        current_.document_seen = raw_command::document_state::invalid;
      else if (what == capture::type)
        current_.type.seen = raw_field::kind::other;
      else if (what == capture::id)
        current_.id.seen = raw_field::kind::other;
      else if (what == capture::change_vector)
        current_.change_vector.seen = raw_field::kind::other;
      skip_.begin();
      return skip_.open();
    }
    return misplaced();
  }

  bool misplaced() {
    switch (at_) {
      case place::before_body:
        return fail(make_failure(ec::bad_request,
                                 "the request body must be a JSON object"));
      case place::commands:
        return fail(command_error(index(), "a command must be a JSON object"));
      default:
        return fail(make_failure(ec::bad_request,
                                 "the request body needs a 'Commands' array"));
    }
  }

  bool forward(bool ok) {
    if (ok)
      return true;
    auto split = document_->finish();
    document_.reset();
    return fail(command_error(index(), split.error().message));
  }

  bool finish_document() {
    auto split = document_->finish();
    document_.reset();
    if (!split)
      return fail(command_error(index(), split.error().message));
    current_.document = std::move(*split);
    return true;
  }

  place at_ = place::before_body;
  capture capture_ = capture::none;
  value_skipper skip_;
  raw_command current_;
  std::optional<document_splitter> document_;
  write_transaction result_;
  bool seen_commands_ = false;
  std::optional<failure> error_;
};

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
  batch_parser parser;
  if (auto parsed = parse_sax(body, parser, "the request body"); !parsed)
    return parsed.error();
  return parser.finish();
}

} // namespace corvus
