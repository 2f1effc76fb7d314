#pragma once

// A snapshot on its way from a leader to a follower, in pieces at given
// offsets (Raft §7's InstallSnapshot chunks). One message per snapshot
// held the leader's network thread while it serialized the whole of it:
// half a gigabyte sent to a joining node kept heartbeats from going out
// past the election timeout, and the cluster changed leaders twice. Pieces
// are small, and at most a window of them is unacknowledged, so other
// traffic goes out between them. Pure: the Raft member sends and receives
// what these say.

#include "runtime/raft/message.hpp"
#include "runtime/text/shared_text.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corvus::raft {

/// Sends one install_snapshot message.
class snapshot_sender {
public:
  /// A piece to send: the bytes of the snapshot's data at `offset`, which
  ///  keep the data's owner alive (a mapped file) until they are sent.
  struct piece {
    uint64_t offset = 0;
    shared_text bytes;
  };

  /// @param id tells this transfer from the sender's others.
  /// @param msg an install_snapshot message, data and all.
  /// @param piece_bytes bytes per piece (at least 1).
  /// @param window_pieces pieces sent ahead of the acknowledgements (at
  ///        least 1).
  snapshot_sender(uint64_t id, message msg, size_t piece_bytes,
                  size_t window_pieces);

  uint64_t id() const {
    return id_;
  }

  /// The message without its snapshot's data: what the first piece
  /// carries besides its bytes.
  message header() const;

  /// @returns the pieces that may go now, in order, each once; the first
  ///          call returns at least one (an empty snapshot is one empty
  ///          piece).
  std::vector<piece> take_pieces();

  /// Records that the receiver holds the first `received` bytes.
  /// @returns false, changing nothing, when it cannot (fewer than already
  ///          acknowledged, or more than sent).
  bool acknowledge(uint64_t received);

  /// @returns whether the receiver holds the whole snapshot.
  bool delivered() const {
    return started_ && acked_ == total();
  }

  /// @returns whether `msg` asks for this transfer again: the same
  ///          snapshot to the same node in the same term.
  bool repeats(const message& msg) const;

  uint64_t total() const {
    return msg_.snap.data.size();
  }

  /// @returns the index the snapshot covers.
  index_t index() const {
    return msg_.snap.index;
  }

  uint64_t acknowledged() const {
    return acked_;
  }

private:
  uint64_t id_;
  message msg_;
  uint64_t piece_bytes_;
  uint64_t window_bytes_;
  uint64_t next_ = 0;
  uint64_t acked_ = 0;
  bool started_ = false;
};

/// A leader's snapshots on their way to its followers, one per follower,
/// and which to keep. The core asks for a snapshot again once a follower
/// has not answered for an election timeout, which a large snapshot
/// outlasts, and on every answer of a follower that is decoding one it
/// received: a request for the snapshot already on its way there starts
/// nothing. A transfer that stopped moving (a lost piece, a follower gone)
/// is dropped after the stall timeout, so that the core's next request
/// starts over; a delivered one is kept until the follower's log shows it
/// installed, or as long as a stalled one.
class snapshot_transfers {
public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  /// A transfer dropped for want of progress.
  struct stalled {
    node_tag to;
    index_t index = 0;
    bool delivered = false;
    uint64_t acknowledged = 0;
    uint64_t total = 0;
  };

  /// @param piece_bytes, window_pieces as for snapshot_sender.
  /// @param stall_timeout how long a transfer may go without an
  ///        acknowledgement (a delivered one: without being installed).
  snapshot_transfers(size_t piece_bytes, size_t window_pieces,
                     duration stall_timeout);

  /// Starts sending install_snapshot message `msg` at `now`, replacing any
  /// other transfer to its node.
  /// @returns the new transfer, or nullptr when the same snapshot is
  ///          already on its way there (nothing changes).
  snapshot_sender* start(message msg, time_point now);

  /// @returns the transfer to `to`, or nullptr.
  snapshot_sender* find(const node_tag& to);
  const snapshot_sender* find(const node_tag& to) const;

  /// Records that `from` holds the first `received` bytes of transfer
  /// `id` at `now`.
  /// @returns the transfer when that moved it, or nullptr when the
  ///          acknowledgement is of another transfer or stale.
  snapshot_sender* acknowledge(const node_tag& from, uint64_t id,
                               uint64_t received, time_point now);

  /// Drops the transfer to `to` (its connection went, or it cannot be
  /// reached), if any.
  void drop(const node_tag& to);

  /// Drops every transfer (no longer leader).
  void drop_all();

  /// Drops the delivered transfers whose follower's log reached the
  /// snapshot's index (`match_of`), those to nodes the leader no longer
  /// follows (`match_of` gives none: removed, and told so), and those that
  /// stalled by `now`.
  /// @returns the stalled ones.
  std::vector<stalled>
  expire(time_point now,
         const std::function<std::optional<index_t>(const node_tag&)>&
           match_of);

private:
  struct transfer {
    snapshot_sender sender;
    time_point moved;
  };

  size_t piece_bytes_;
  size_t window_pieces_;
  duration stall_timeout_;
  uint64_t next_id_ = 1;
  std::map<node_tag, transfer> transfers_;
};

/// Follows one snapshot arriving in pieces, which must come in order (they
/// travel over one connection), and says which to keep: the receiving
/// member writes the bytes of each piece taken to a file as it arrives, so
/// a snapshot of a gigabyte is never held whole in memory. A first piece
/// (offset 0) starts a new snapshot and drops any unfinished one.
class snapshot_receiver {
public:
  /// Takes the piece of transfer `id` from `from` at `offset` of `total`
  /// bytes, `size` bytes long; `header` counts in a first piece only.
  /// @returns whether the piece belongs and its bytes are the next ones;
  ///          false when it was dropped (another transfer, a gap, past
  ///          `total`). A first piece that does not fit drops the snapshot
  ///          it started.
  bool take(const node_tag& from, uint64_t id, uint64_t offset,
            uint64_t total, uint64_t size, const message& header);

  /// @returns the bytes taken, in order: what to acknowledge.
  uint64_t received() const {
    return received_;
  }

  /// @returns the size of the snapshot being taken.
  uint64_t total() const {
    return total_;
  }

  /// @returns the node sending the snapshot being taken.
  const node_tag& sender() const {
    return from_;
  }

  /// @returns whether a whole snapshot was taken, ready for finish().
  bool complete() const {
    return receiving_ && received_ == total_;
  }

  /// @returns the header of the snapshot being taken (its index and term
  ///          name its file).
  const message& header() const {
    return header_;
  }

  /// @returns the install_snapshot message, with `data` (the bytes taken)
  ///          as its snapshot's data, and forgets the snapshot.
  /// @pre complete()
  message finish(shared_text data);

  /// @returns whether part of a snapshot is held.
  bool receiving() const {
    return receiving_;
  }

  /// Drops what is held.
  void reset();

private:
  bool receiving_ = false;
  node_tag from_;
  uint64_t id_ = 0;
  uint64_t total_ = 0;
  uint64_t received_ = 0;
  message header_;
};

} // namespace corvus::raft
