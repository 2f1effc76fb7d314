#pragma once

// One HTTP request and its reply channel, free of Beast types so that route
// handlers compile fast and stay readable. The HTTP server creates it on an
// I/O thread; the reply may be sent from any thread, exactly once.

#include "runtime/failure.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corvus {

/// A response to send.
struct http_reply {
  unsigned status = 200;
  std::string body;
  /// Empty for responses without a body.
  std::string content_type = "application/json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
};

/// @returns a JSON answer.
inline http_reply json_reply(unsigned status, std::string body) {
  http_reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

/// @returns an answer without a body, optionally with headers.
inline http_reply
empty_reply(unsigned status,
            std::vector<std::pair<std::string, std::string>> headers = {}) {
  http_reply r;
  r.status = status;
  r.content_type.clear();
  r.headers = std::move(headers);
  return r;
}

/// Makes a response body a piece at a time: each call returns the next
/// piece, nothing once the body is complete, or the failure that keeps it
/// from being completed.
using http_pieces = std::function<outcome<std::optional<std::string>>()>;

/// How much of a body made in pieces is made and sent at a time.
inline constexpr size_t http_piece_bytes = 1 << 20;

class http_exchange {
public:
  virtual ~http_exchange() = default;

  /// "GET", "PUT", ... as received.
  std::string method;
  /// The request target: path and query, as received.
  std::string target;
  /// Header fields as received (names as sent; compare case-insensitively).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// @returns the value of header `name` (case-insensitive), or "".
  std::string_view header(std::string_view name) const;

  /// Sends `reply`; later calls are ignored. Thread-safe.
  virtual void respond(http_reply reply) = 0;

  /// Sends `head`'s status and headers, then a body made a piece at a time
  /// (chunked): `next` runs on this exchange's I/O thread and each piece
  /// is written before the next is asked for, so that other connections
  /// of the thread get their turns in between; nothing (nullopt) ends the
  /// body. A failing piece closes the connection without ending the body,
  /// so that the client sees the answer cut short, not complete. Like
  /// `respond`, only the first answer counts. Thread-safe.
  virtual void respond_in_pieces(http_reply head, http_pieces next) = 0;

  /// Runs `fn` on this exchange's I/O thread (for rendering replies off the
  /// actor threads).
  virtual void post(std::function<void()> fn) = 0;
};

} // namespace corvus
