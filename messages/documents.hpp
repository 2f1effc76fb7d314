#pragma once

// Wire form of the document messages: inspect overloads for the transaction
// types of runtime/documents (data only; the types live with their core).

#include "runtime/documents/transaction.hpp"

#include <caf/meta/type_name.hpp>

namespace corvus {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cv_expectation& x) {
  return f(caf::meta::type_name("corvus::cv_expectation"), x.kind,
           x.change_vector);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, incoming_document& x) {
  return f(caf::meta::type_name("corvus::incoming_document"), x.collection,
           x.body, x.metadata);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_command& x) {
  return f(caf::meta::type_name("corvus::write_command"), x.kind, x.id,
           x.expected, x.document);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_transaction& x) {
  return f(caf::meta::type_name("corvus::write_transaction"), x.commands);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, command_result& x) {
  return f(caf::meta::type_name("corvus::command_result"), x.kind, x.id,
           x.collection, x.change_vector, x.last_modified, x.flags,
           x.deleted);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transaction_result& x) {
  return f(caf::meta::type_name("corvus::transaction_result"), x.results);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hilo_request& x) {
  return f(caf::meta::type_name("corvus::hilo_request"), x.tag, x.last_size,
           x.last_range_at, x.separator, x.last_max);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hilo_range& x) {
  return f(caf::meta::type_name("corvus::hilo_range"), x.prefix, x.low,
           x.high, x.last_size, x.server_tag, x.last_range_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hilo_return& x) {
  return f(caf::meta::type_name("corvus::hilo_return"), x.tag, x.end,
           x.last);
}

} // namespace corvus
