#pragma once

// Registers corvus::ec with CAF and converts between the failures cores
// return and the caf::error values actors exchange. A caf::error of category
// "corvus" carries its failure's message and fields as context.

#include "messages/ec.hpp"
#include "runtime/failure.hpp"

#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include <string>

CAF_ERROR_CODE_ENUM(corvus::ec, "corvus")

namespace corvus {

/// @returns `f` as a CAF error of category "corvus".
caf::error to_error(const failure& f);

/// @returns `err` as a failure. CAF's own errors map to the closest code:
///          a request timeout to ec::timeout, a receiver that went away to
///          ec::database_loading (the instance is restarting).
failure to_failure(const caf::error& err);

/// Registers the "corvus" category so that CAF renders our errors.
void register_error_category(caf::actor_system_config& cfg);

/// @returns a one-line description of `err` for logs.
std::string describe(const caf::error& err);

} // namespace corvus
