#include "runtime/raft/types.hpp"

namespace corvus::raft {

const char* to_string(entry_kind kind) {
  switch (kind) {
    case entry_kind::command:
      return "command";
    case entry_kind::noop:
      return "noop";
    case entry_kind::topology:
      return "topology";
  }
  return "?";
}

} // namespace corvus::raft
