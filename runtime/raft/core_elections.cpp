// raft::core, elections: trial (pre-vote) and real rounds of votes, and
// the election timer (core.hpp).

#include "runtime/raft/core.hpp"

#include "runtime/raft/assert.hpp"

namespace corvus::raft {

void core::request_votes(message_type type, term_t term, bool forced) {
  for (auto& [tag, url] : log_.config().members) {
    if (tag == cfg_.id)
      continue;
    message msg;
    msg.type = type;
    msg.to = tag;
    msg.term = term;
    msg.index = log_.last_index();
    msg.log_term = log_.last_term();
    msg.force = forced;
    send_with_term(std::move(msg));
  }
}

void core::reject_vote(const message& msg, bool not_in_topology) {
  message reply;
  reply.type = msg.type == message_type::pre_vote
                 ? message_type::pre_vote_response
                 : message_type::vote_response;
  reply.to = msg.from;
  reply.reject = true;
  reply.not_in_topology = not_in_topology;
  send(std::move(reply));
}

void core::handle_vote_request(const message& msg) {
  auto pre = msg.type == message_type::pre_vote;
  auto can_vote = voted_for_ == msg.from
                  || (voted_for_.empty() && leader_.empty())
                  || (pre && msg.term > term_);
  if (!can_vote || !log_up_to_date(msg.index, msg.log_term)
      || (role_ == role::leader && !msg.force) || rival_loses_tie(msg)) {
    reject_vote(msg, false);
    return;
  }
  message reply;
  reply.type = pre ? message_type::pre_vote_response
                   : message_type::vote_response;
  reply.to = msg.from;
  // A trial grant answers with the term asked about, which the candidate
  // does not hold yet.
  reply.term = msg.term;
  if (!pre) {
    voted_for_ = msg.from;
    election_elapsed_ = 0;
  }
  send_with_term(std::move(reply));
}

bool core::rival_loses_tie(const message& msg) const {
  // Two members whose timers ran out in the same tick (they heard the
  // leader's last heartbeat together) would each grant the other's trial,
  // both stand for the next term, vote for themselves and split it: a
  // candidate round lost, 400-600 ms at T = 300 ms. In the first tick of
  // its own trial, a member with the same log grants only a rival with a
  // smaller tag. Later in its trial it grants as usual, so one that cannot
  // win does not keep refusing others. Trials decide no votes, so this
  // bears on liveness only.
  return msg.type == message_type::pre_vote
         && role_ == role::pre_candidate && election_elapsed_ == 0
         && msg.term == term_ + 1 && msg.log_term == log_.last_term()
         && msg.index == log_.last_index() && cfg_.id < msg.from;
}

bool core::log_up_to_date(index_t last_index, term_t last_term) const {
  return last_term > log_.last_term()
         || (last_term == log_.last_term() && last_index >= log_.last_index());
}

void core::handle_vote_response(const message& msg) {
  if (!is_member(msg.from))
    return;
  votes_.emplace(msg.from, !msg.reject);
  auto quorum = log_.config().quorum();
  if (grants() >= quorum) {
    if (role_ == role::pre_candidate)
      become_candidate(false);
    else
      become_leader();
  } else if (rejections() >= quorum) {
    become_follower(term_, {});
  }
}

size_t core::grants() const {
  size_t n = 0;
  for (auto& [tag, granted] : votes_)
    if (granted && is_member(tag))
      ++n;
  return n;
}

size_t core::rejections() const {
  size_t n = 0;
  for (auto& [tag, granted] : votes_)
    if (!granted && is_member(tag))
      ++n;
  return n;
}

void core::reset_election_timer(bool candidate_round) {
  // Follower: [⅔T, T); candidate round: [⅔·2T, 2T) (§1.2).
  auto high = candidate_round ? 2 * cfg_.election_ticks : cfg_.election_ticks;
  auto low = 2 * high / 3;
  randomized_timeout_ = low + static_cast<int>(rng_() % (high - low));
}

void core::heard_from_leader(const node_tag& from) {
  // Two leaders in one term would break Election Safety (§5.2).
  RAFT_ASSERT(role_ != role::leader);
  if (role_ != role::follower)
    become_follower(term_, from);
  leader_ = from;
  removed_ = false;
  election_elapsed_ = 0;
  leader_silent_ticks_ = 0;
}

} // namespace corvus::raft
