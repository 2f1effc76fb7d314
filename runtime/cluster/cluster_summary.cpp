#include "runtime/cluster/cluster_summary.hpp"

#include "runtime/documents/document_id.hpp"

namespace corvus {

const database_record*
cluster_summary::find_database(std::string_view name) const {
  auto i = databases.find(fold_case(name));
  return i == databases.end() ? nullptr : &i->second;
}

} // namespace corvus
