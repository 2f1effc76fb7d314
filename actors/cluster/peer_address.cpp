#include "actors/cluster/peer_address.hpp"

#include "actors/http/http_client.hpp"
#include "runtime/json/json.hpp"

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>

namespace corvus {

namespace {

constexpr std::string_view user_agent = "corvus-node/" CORVUS_VERSION;

} // namespace

outcome<url_parts> peer_tcp_address(const std::string& peer_url,
                                    std::chrono::milliseconds timeout) {
  auto http = parse_url(peer_url, "http", "the peer's URL");
  if (!http)
    return http.error();
  auto answer = send_request(*http, {"GET", "/info/tcp", ""}, timeout,
                             user_agent);
  if (!answer)
    return answer.error();
  if (answer->status != 200)
    return make_failure(ec::internal_error,
                        peer_url + "/info/tcp answered HTTP "
                          + std::to_string(answer->status));
  rapidjson::Document doc;
  if (auto parsed = parse_json(answer->body, doc, "the /info/tcp answer");
      !parsed)
    return parsed.error();
  auto* url = doc.IsObject() ? string_member(doc, "Url") : nullptr;
  if (url == nullptr)
    return make_failure(ec::internal_error,
                        peer_url + "/info/tcp names no Url");
  return parse_url(view_of(*url), "tcp", "the peer's TCP URL");
}

outcome<reached_peer> reach_peer(caf::actor_system& sys,
                                 const std::string& peer_url,
                                 std::chrono::milliseconds timeout,
                                 std::string& tcp_url) {
  auto address = peer_tcp_address(peer_url, timeout);
  if (!address)
    return address.error();
  tcp_url = format_url(*address);
  auto handle = sys.middleman().remote_actor<raft_peer_actor>(address->host,
                                                              address->port);
  if (!handle)
    return make_failure(ec::internal_error, "cannot connect to " + tcp_url
                                              + ": "
                                              + sys.render(handle.error()));
  return reached_peer{std::move(*handle), tcp_url};
}

} // namespace corvus
