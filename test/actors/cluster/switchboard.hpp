#pragma once

// The simulated network of the whole-node simulation (cluster_fixture.hpp):
// a relay actor per ordered pair of nodes carries what one node's Raft
// member sends another, unless the switchboard the test controls cuts that
// direction or is told to lose that kind of message.

#include "messages/raft.hpp"
#include "messages/replication.hpp"

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace corvus::test::cluster_sim {

/// The simulated network: who may talk to whom, and the relays. The test
/// flips the cuts; relays consult them for every message.
struct switchboard {
  caf::actor_system* sys = nullptr;
  std::vector<std::string> urls;
  /// Each node's current Raft member; null while the node is down.
  std::vector<caf::actor> members;
  /// Ordered pairs (from, to) whose traffic is lost.
  std::set<std::pair<size_t, size_t>> cuts;
  std::map<std::pair<size_t, size_t>, caf::actor> relays;
  size_t forwarded = 0;
  size_t dropped = 0;
  /// Snapshot traffic seen: pieces and the largest one's bytes, and
  /// snapshots that travelled whole in an envelope.
  size_t snapshot_pieces = 0;
  size_t largest_snapshot_piece = 0;
  size_t whole_snapshots = 0;
  /// Snapshot acknowledgements are lost (a transfer stops moving).
  bool lose_snapshot_acks = false;
  /// A leader's word to a node that it is not in the cluster is lost.
  bool lose_removal_notices = false;
  /// The next this many answers to a follower's forwards (commands and
  /// topology changes) are lost.
  size_t lose_forward_answers = 0;
  /// The first piece of every snapshot arrives damaged (its first byte
  /// changed), and how many did.
  bool damage_snapshots = false;
  size_t damaged_snapshots = 0;

  void maybe_damage(caf::message& msg) {
    if (!damage_snapshots || !msg.match_elements<raft_snapshot_piece>()
        || msg.get_as<raft_snapshot_piece>(0).offset != 0)
      return;
    auto& piece = msg.get_mutable_as<raft_snapshot_piece>(0);
    std::string bytes{piece.bytes.view()};
    bytes[0] = '#';
    piece.bytes = shared_text{std::move(bytes)};
    ++damaged_snapshots;
  }

  void count(const caf::type_erased_tuple& content) {
    if (content.match_elements<raft_snapshot_piece>()) {
      ++snapshot_pieces;
      largest_snapshot_piece
        = std::max(largest_snapshot_piece,
                   content.get_as<raft_snapshot_piece>(0).bytes.size());
    } else if (content.match_elements<raft_envelope>()
               && content.get_as<raft_envelope>(0).msg.type
                    == raft::message_type::install_snapshot) {
      ++whole_snapshots;
    }
  }

  bool open(size_t from, size_t to) const {
    return cuts.count({from, to}) == 0;
  }

  std::optional<size_t> index_of(const std::string& url) const {
    for (size_t i = 0; i < urls.size(); ++i)
      if (urls[i] == url)
        return i;
    return std::nullopt;
  }
};

inline caf::actor relay_between(const std::shared_ptr<switchboard>& board,
                                size_t from, size_t to);

/// Passes the request the relay from `from` to `to` holds on to node
/// `to`'s member, and its answer back to the requester unless the
/// direction back is cut by then (the requester then times out, as when a
/// connection breaks after the request arrived).
inline caf::result<caf::message>
relay_request(caf::event_based_actor* relay,
              std::shared_ptr<switchboard> board, size_t from, size_t to,
              caf::message msg) {
  // A follower forwards a command or a topology change (`forward`, its
  // tag and what it carries; no other request of raft_peer_actor has
  // three parts).
  auto forward = msg.size() == 3 && msg.match_element<std::string>(1)
                 && (msg.match_element<std::string>(2)
                     || msg.match_element<topology_request>(2));
  auto answer = relay->make_response_promise();
  auto back = [relay, board, from, to, forward, answer]() mutable {
    auto lost = forward && board->lose_forward_answers > 0;
    if (lost)
      --board->lose_forward_answers;
    if (lost || !board->open(to, from)) {
      ++board->dropped;
      return;
    }
    ++board->forwarded;
    answer.deliver(relay->current_mailbox_element()->move_content_to_message());
  };
  auto sent = relay->request(board->members[to], caf::infinite,
                             std::move(msg));
  // One handler per kind of answer raft_peer_actor gives; an error (the
  // member stopped, or refused) goes back as it is.
  relay->add_multiplexed_response_handler(
    sent.id(),
    caf::behavior{
      [back](const std::string&) mutable { back(); },
      [back](const command_reply&) mutable { back(); },
      [back](int64_t) mutable { back(); },
      [back](const replication_welcome&) mutable { back(); },
      [back]() mutable { back(); },
      [back](caf::error& err) mutable {
        if (err == caf::sec::unexpected_response)
          FAIL_CHECK("the relay does not know an answer of raft_peer_actor: "
                     << caf::to_string(err));
        back();
      },
    });
  return caf::delegated<caf::message>{};
}

/// Carries traffic from node `from` to node `to`: to that node's current
/// member while the direction is open, nowhere otherwise.
inline caf::behavior relay(caf::event_based_actor* self,
                           std::shared_ptr<switchboard> board, size_t from,
                           size_t to) {
  self->set_default_handler(
    [self, board, from, to](caf::scheduled_actor* relay,
                            caf::message_view& x)
      -> caf::result<caf::message> {
      auto& target = board->members[to];
      auto& content = x.content();
      auto lost_ack = board->lose_snapshot_acks
                      && content.match_elements<raft_snapshot_ack>();
      auto lost_notice = board->lose_removal_notices
                         && content.match_elements<raft_envelope>()
                         && content.get_as<raft_envelope>(0)
                              .msg.not_in_topology;
      if (!board->open(from, to) || !target || lost_ack || lost_notice) {
        ++board->dropped;
        // Lost on the wire: no answer, a request times out.
        return caf::delegated<caf::message>{};
      }
      ++board->forwarded;
      board->count(content);
      auto msg = x.move_content_to_message();
      board->maybe_damage(msg);
      if (relay->current_message_id().is_request())
        return relay_request(self, board, from, to, std::move(msg));
      // A member answers whoever sent it a message when it has no link of
      // its own to that node (a joining or removed node): that answer
      // crosses the switchboard too, through the relay back.
      caf::send_as(relay_between(board, to, from), target, std::move(msg));
      return caf::delegated<caf::message>{};
    });
  return {
    [](caf::close_atom) {
      // nop: a relay needs one handler to stay alive
    },
  };
}

/// @returns the relay from `from` to `to`, made on first use (and again
///          after a crash killed it, as a new connection).
inline caf::actor relay_between(const std::shared_ptr<switchboard>& board,
                                size_t from, size_t to) {
  auto& r = board->relays[{from, to}];
  if (!r)
    r = board->sys->spawn(relay, board, from, to);
  return r;
}

} // namespace corvus::test::cluster_sim
