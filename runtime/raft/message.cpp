#include "runtime/raft/message.hpp"

namespace corvus::raft {

const char* to_string(message_type type) {
  switch (type) {
    case message_type::pre_vote:
      return "pre_vote";
    case message_type::pre_vote_response:
      return "pre_vote_response";
    case message_type::vote:
      return "vote";
    case message_type::vote_response:
      return "vote_response";
    case message_type::append:
      return "append";
    case message_type::append_response:
      return "append_response";
    case message_type::heartbeat:
      return "heartbeat";
    case message_type::heartbeat_response:
      return "heartbeat_response";
    case message_type::install_snapshot:
      return "install_snapshot";
    case message_type::timeout_now:
      return "timeout_now";
    case message_type::read_index:
      return "read_index";
    case message_type::read_index_response:
      return "read_index_response";
  }
  return "?";
}

} // namespace corvus::raft
