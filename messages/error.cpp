#include "messages/error.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include <vector>

namespace corvus {

namespace {

constexpr caf::atom_value corvus_category = caf::atom("corvus");

std::string render(uint8_t code, caf::atom_value, const caf::message& ctx) {
  std::string out{"corvus."};
  out += code < ec_names.size() ? ec_names[code] : "unknown";
  if (ctx.match_element<std::string>(0)) {
    out += ": ";
    out += ctx.get_as<std::string>(0);
  }
  return out;
}

} // namespace

caf::error to_error(const failure& f) {
  std::vector<std::string> fields;
  fields.reserve(f.fields.size() * 2);
  for (auto& [key, value] : f.fields) {
    fields.push_back(key);
    fields.push_back(value);
  }
  return caf::make_error(f.code, f.message, std::move(fields));
}

failure to_failure(const caf::error& err) {
  if (err.category() == corvus_category) {
    failure f;
    f.code = static_cast<ec>(err.code());
    auto& ctx = err.context();
    if (ctx.match_element<std::string>(0))
      f.message = ctx.get_as<std::string>(0);
    if (ctx.match_element<std::vector<std::string>>(1)) {
      auto& flat = ctx.get_as<std::vector<std::string>>(1);
      for (size_t i = 0; i + 1 < flat.size(); i += 2)
        f.fields.emplace_back(flat[i], flat[i + 1]);
    }
    return f;
  }
  if (err == caf::sec::request_timeout)
    return make_failure(ec::timeout, "the operation did not finish in time");
  if (err == caf::sec::request_receiver_down)
    return make_failure(ec::database_loading,
                        "the database instance is restarting; retry shortly");
  return make_failure(ec::internal_error,
                      "unexpected actor error: " + caf::to_string(err));
}

void register_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(corvus_category, render);
}

std::string describe(const caf::error& err) {
  if (err.category() == corvus_category)
    return render(err.code(), err.category(), err.context());
  return caf::to_string(err);
}

} // namespace corvus
