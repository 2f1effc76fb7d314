// corvus-http-load: drives a Corvus (or RavenDB) node over HTTP the way the
// npm client does, for scripts/bench/single-node, and drives Corvus and
// etcd alike with key-value writes for scripts/bench/raft. Each connection
// is a keep-alive HTTP/1.1 connection with one request in flight. Everything
// runs on one io thread because the servers under test share the machine's
// two cores with this tool; per request it only splices a key into a
// prebuilt body.
//
// Modes:
//   put-single   POST /databases/{db}/bulk_docs? with one PUT command
//   put-batch    the same with --batch-size PUT commands
//   load         GET /databases/{db}/docs?&id={id}, ids {prefix}0..N-1
//   cmpxchg-put  PUT /databases/{db}/cmpxchg?key={k}&index=0
//                &raft-request-id={r}, body {"Object":"<text>"}: creates a
//                compare-exchange value (a Raft commit); 200 with
//                "Successful":true
//   etcd-put     POST {etcd-prefix}/kv/put, body {"key":b64,"value":b64}
//                through etcd's JSON gateway; 200 with a "header"
//   replication-lag  (scripts/bench/replication) one document at a time
//                written to the first of --urls; after each 201 the other
//                nodes are polled with GET docs?&id= until they answer 200;
//                reports the write latency and the lag per node and until
//                all nodes have it (see lag_probe)
// The key-value modes write a new key per request, {prefix}{run}-{c}-{n}
// (run: unique per process, c: connection, n: its counter), with a value of
// --doc-size bytes of text (bench_document.hpp make_text), the same bytes
// for both systems (etcd gets them base64-encoded, as its gateway wants).
// Output: one line `mode=.. connections=.. ops=.. ops_per_s=.. docs_per_s=..
// p50_us=.. ... errors=0`. Any failed request makes the exit status 1.
//
// --failover (key-value modes): one client writes back to back to the first
// of --urls; --kill-after seconds in, the tool sends SIGKILL to --kill-pid
// (the leader) itself, so that the moment is exact, and keeps writing: a
// failed request (error, non-200, or no answer within --request-timeout)
// moves the client to the next of --urls, round robin, at once. It reports
// failover_ms, from the kill to the answer of the first write sent after
// the kill that succeeds, and gap_ms, from the last success before the kill
// to that one, and kill_unix_us, the wall-clock time of the kill, to be
// matched with the servers' logs. Failures are counted by whether the
// request was sent before or after the kill; the first ones go to stderr
// with their time relative to the kill. Exit status 1 when no write
// succeeds within --failover-limit seconds of the kill.
//
// --ops N ends the measured run once N requests succeeded (the requests
// then in flight still complete, uncounted); --duration stays its limit.
//
// --populate N writes ids {prefix}0..N-1 in batches of --batch-size before
// the run; with --populate-only the tool stops after that, having printed
// its `phase=populate` line.

#include "runtime/text/base64.hpp"
#include "scripts/bench/tools/bench_options.hpp"
#include "scripts/bench/tools/bench_document.hpp"
#include "scripts/bench/tools/bench_stats.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/program_options.hpp>
#include <rapidjson/document.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using boost::system::error_code;
using namespace corvus::bench;
using corvus::base64_encode;

enum class run_mode {
  put_single,
  put_batch,
  load,
  cmpxchg_put,
  etcd_put,
  replication_lag
};

const char* to_string(run_mode m) {
  switch (m) {
    case run_mode::put_single:
      return "put-single";
    case run_mode::put_batch:
      return "put-batch";
    case run_mode::cmpxchg_put:
      return "cmpxchg-put";
    case run_mode::etcd_put:
      return "etcd-put";
    case run_mode::replication_lag:
      return "replication-lag";
    default:
      return "load";
  }
}

/// True for the modes writing one key-value pair per request.
bool is_key_value(run_mode m) {
  return m == run_mode::cmpxchg_put || m == run_mode::etcd_put;
}

/// The HTTP status a successful request of `m` answers.
unsigned expected_status(run_mode m) {
  return m == run_mode::put_single || m == run_mode::put_batch ? 201 : 200;
}

struct load_options {
  std::string url;
  std::string host;
  std::string port;
  std::string database;
  run_mode mode = run_mode::put_single;
  unsigned connections = 1;
  unsigned batch_size = 100;
  double duration_s = 10;
  double warmup_s = 2;
  uint64_t max_ops = 0; // --ops: end after this many counted (0: none)
  size_t doc_size = 1024;
  std::string id_prefix;
  uint64_t key_space = 0;
  uint64_t populate = 0;
  unsigned verify_every = 100;
  std::vector<int> server_pids;
  double request_timeout_s = 30;
  std::string etcd_prefix = "/v3";
  // --failover
  bool failover = false;
  std::vector<std::string> urls;
  int kill_pid = 0;
  double kill_after_s = 1;
  double failover_limit_s = 30;
  // replication-lag
  uint64_t writes = 2000;
  uint64_t warmup_writes = 20;
  uint64_t poll_interval_us = 0;
  // --populate-only
  bool populate_only = false;
};

/// Host and port of an http://host:port URL.
struct url_parts {
  std::string host;
  std::string port;
};

std::optional<url_parts> parse_url(std::string url) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0)
    return std::nullopt;
  auto rest = url.substr(scheme.size());
  while (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  if (rest.find('/') != std::string::npos)
    return std::nullopt;
  url_parts result;
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    result.host = rest;
    result.port = "80";
  } else {
    result.host = rest.substr(0, colon);
    result.port = rest.substr(colon + 1);
  }
  if (result.host.empty() || result.port.empty())
    return std::nullopt;
  return result;
}

/// JavaScript's encodeURIComponent, which the client applies to ids.
std::string encode_uri_component(const std::string& text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string result;
  result.reserve(text.size() + 8);
  for (unsigned char c : text) {
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                || (c >= '0' && c <= '9')
                || std::string_view{"-_.!~*'()"}.find(static_cast<char>(c))
                     != std::string_view::npos;
    if (keep) {
      result += static_cast<char>(c);
    } else {
      result += '%';
      result += hex[c >> 4];
      result += hex[c & 15];
    }
  }
  return result;
}


/// Builds the requests of the key-value modes: a new key per request and a
/// value cycled from a prebuilt pool, so that per request only the key and
/// target are spliced in.
class kv_requests {
public:
  kv_requests(const load_options& opts, run_mode mode) : mode_{mode} {
    database_ = opts.database;
    etcd_prefix_ = opts.etcd_prefix;
    key_prefix_ = opts.id_prefix;
    // Unique per process, so that runs against the same cluster never
    // create a key (or reuse a raft-request-id) twice.
    splitmix64 rng{static_cast<uint64_t>(
      std::chrono::system_clock::now().time_since_epoch().count())
                   ^ (static_cast<uint64_t>(getpid()) << 32)};
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; ++i)
      run_tag_ += hex[rng.below(16)];
    for (size_t i = 0; i < document_pool_size; ++i) {
      auto text = make_text(opts.doc_size, i);
      if (mode == run_mode::cmpxchg_put)
        bodies_.push_back(R"({"Object":")" + text + R"("})");
      else
        bodies_.push_back(base64_encode(text));
    }
  }

  /// Sets the method, target and body of `req` for the write numbered `n`
  /// of connection `client`, with value `value_index` (any number).
  void build(http::request<http::string_body>& req, unsigned client,
             uint64_t n, uint64_t value_index) const {
    auto suffix = run_tag_ + "-" + std::to_string(client) + "-"
                  + std::to_string(n);
    const auto& value = bodies_[value_index % bodies_.size()];
    if (mode_ == run_mode::cmpxchg_put) {
      req.method(http::verb::put);
      req.target("/databases/" + database_ + "/cmpxchg?key="
                 + encode_uri_component(key_prefix_ + suffix)
                 + "&index=0&raft-request-id=" + suffix);
      req.body() = value;
    } else {
      req.method(http::verb::post);
      req.target(etcd_prefix_ + "/kv/put");
      auto& body = req.body();
      body.clear();
      body += R"({"key":")";
      body += base64_encode(key_prefix_ + suffix);
      body += R"(","value":")";
      body += value;
      body += R"("})";
    }
    req.prepare_payload();
  }

private:
  run_mode mode_;
  std::string database_;
  std::string etcd_prefix_;
  std::string key_prefix_;
  std::string run_tag_;
  // cmpxchg-put: whole bodies; etcd-put: base64 values.
  std::vector<std::string> bodies_;
};

/// Sets the headers of every request of `mode` to `host`:`port`. The
/// RavenDB modes send what the npm client sends on a database request;
/// the client with useHttpDecompression=false asks for identity encoding,
/// which keeps the server from spending CPU on gzip here. etcd gets only
/// what a plain JSON client sends.
void set_headers(http::request<http::string_body>& req, run_mode mode,
                 const std::string& host, const std::string& port,
                 const std::string& topology_etag) {
  req.version(11);
  req.set(http::field::host, host + ":" + port);
  if (mode != run_mode::etcd_put) {
    req.set("Raven-Client-Version", "7.2.2");
    req.set("Topology-Etag", topology_etag);
    req.set("Client-Configuration-Etag", "0");
    req.set(http::field::accept_encoding, "identity");
  }
  if (mode != run_mode::load)
    req.set(http::field::content_type, "application/json");
}

/// The check applied to every successful response of a key-value mode: a
/// substring search, cheap next to the request. Full parses are sampled.
/// @returns an empty string when fine, else what is wrong.
std::string quick_check(run_mode mode, const std::string& body) {
  if (mode == run_mode::cmpxchg_put) {
    if (body.find(R"("Successful":true)") == std::string::npos)
      return "no \"Successful\":true in the answer";
  } else if (mode == run_mode::etcd_put) {
    if (body.empty() || body.front() != '{'
        || body.find(R"("header")") == std::string::npos)
      return "no header in the answer";
  }
  return {};
}

/// Where a run stands. Only requests completing in `measure` are counted,
/// so that connection set-up and the server's warm-up stay out of figures.
enum class phase { warmup, measure, stopping };

/// State shared by all connections of one run (one thread: no locks).
struct run_state {
  const load_options* opts = nullptr;
  run_mode mode = run_mode::put_single;
  unsigned batch_size = 1;
  std::vector<std::string> documents;
  std::string topology_etag = "\"0\"";
  tcp::resolver::results_type endpoints;
  phase current = phase::warmup;
  clock_type::time_point measure_start;
  clock_type::time_point measure_end;
  // This process's CPU seconds at both ends of the measured window: the
  // client shares the cores with the server, so its share is reported.
  double cpu_at_start = 0;
  double cpu_at_end = 0;
  // The same for the servers when their pids are known (--server-pid).
  double server_cpu_at_start = 0;
  double server_cpu_at_end = 0;
  // Populate runs write ids {prefix}0..populate_total-1 and then stop.
  bool populating = false;
  // Key-value modes: the request builder.
  std::shared_ptr<const kv_requests> kv;
  uint64_t populate_next = 0;
  uint64_t populate_total = 0;
  // Counted in `measure` (or throughout a populate run).
  uint64_t ops = 0;
  std::vector<uint32_t> latencies_us;
  // Counted always: any of these fails the run.
  uint64_t errors = 0;
  std::vector<std::string> error_samples;
  uint64_t reconnects = 0;
  uint64_t verified = 0;
  unsigned open_connections = 0;

  void record_error(std::string what) {
    ++errors;
    if (error_samples.size() < 5)
      error_samples.push_back(std::move(what));
  }
};

/// Checks the body of a successful response in full. Done on a sample of
/// responses only: parsing every body would take CPU from the server, which
/// shares the two cores with this tool.
/// @returns an empty string when the body is as the client expects, else
///          what is wrong.
std::string verify_body(run_mode mode, const std::string& body,
                        const std::vector<std::string>& ids) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject())
    return "body is not a JSON object";
  if (mode == run_mode::cmpxchg_put) {
    auto ok = doc.FindMember("Successful");
    auto index = doc.FindMember("Index");
    if (ok == doc.MemberEnd() || !ok->value.IsBool() || !ok->value.GetBool())
      return "Successful is not true";
    if (index == doc.MemberEnd() || !index->value.IsInt64()
        || index->value.GetInt64() <= 0)
      return "no positive Index";
    return {};
  }
  if (mode == run_mode::etcd_put) {
    // The gateway renders 64-bit numbers as strings.
    auto header = doc.FindMember("header");
    if (header == doc.MemberEnd() || !header->value.IsObject())
      return "no header object";
    auto revision = header->value.FindMember("revision");
    if (revision == header->value.MemberEnd() || !revision->value.IsString())
      return "header has no revision";
    return {};
  }
  auto results = doc.FindMember("Results");
  if (results == doc.MemberEnd() || !results->value.IsArray())
    return "body has no Results array";
  const auto& arr = results->value;
  if (arr.Size() != ids.size())
    return "Results has " + std::to_string(arr.Size()) + " entries, expected "
           + std::to_string(ids.size());
  for (rapidjson::SizeType i = 0; i < arr.Size(); ++i) {
    const auto& entry = arr[i];
    if (!entry.IsObject())
      return "Results[" + std::to_string(i) + "] is not an object";
    const rapidjson::Value* meta = &entry;
    if (mode == run_mode::load) {
      auto m = entry.FindMember("@metadata");
      if (m == entry.MemberEnd() || !m->value.IsObject())
        return "loaded document has no @metadata";
      meta = &m->value;
      if (!entry.HasMember("Customer"))
        return "loaded document lacks its fields";
    }
    auto id = meta->FindMember("@id");
    auto cv = meta->FindMember("@change-vector");
    if (id == meta->MemberEnd() || !id->value.IsString())
      return "result has no @id";
    if (cv == meta->MemberEnd() || !cv->value.IsString())
      return "result has no @change-vector";
    // Ids are case-insensitive; the server may echo its stored casing.
    std::string got{id->value.GetString(), id->value.GetStringLength()};
    if (got.size() != ids[i].size()
        || !std::equal(got.begin(), got.end(), ids[i].begin(),
                       [](char a, char b) {
                         return std::tolower(static_cast<unsigned char>(a))
                                == std::tolower(static_cast<unsigned char>(b));
                       }))
      return "@id is " + got + ", expected " + ids[i];
  }
  return {};
}

/// @returns the CPU seconds (user + system) this process has used.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

/// @returns the CPU seconds (user + system) process `pid` has used, from
///          /proc, or 0 when it cannot be read.
double process_cpu_seconds(int pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string stat{std::istreambuf_iterator<char>{in}, {}};
  // The command name may hold spaces; the fields after it do not.
  auto close = stat.rfind(')');
  if (close == std::string::npos)
    return 0;
  std::istringstream fields{stat.substr(close + 2)};
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // After the name: state is field 3, utime 14, stime 15 (proc(5)).
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14)
      utime = std::stoull(field);
    else if (i == 15)
      stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime)
         / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// Notes the CPU time of this process and of the servers (summed) at one
/// end of the measured window.
void sample_cpu(const run_state& run, double& client, double& server) {
  client = cpu_seconds();
  server = 0;
  for (int pid : run.opts->server_pids)
    server += process_cpu_seconds(pid);
}

/// Ends the measured window: requests completing from now on are not
/// counted, and connections stop after their request in flight.
void end_measuring(run_state& run) {
  run.current = phase::stopping;
  run.measure_end = clock_type::now();
  sample_cpu(run, run.cpu_at_end, run.server_cpu_at_end);
}

/// One keep-alive connection with at most one request in flight.
class connection {
public:
  connection(net::io_context& io, run_state& run, unsigned index)
    : io_{io}, run_{run}, index_{index}, socket_{io}, rng_{index + 1} {
    const auto& opts = *run.opts;
    set_headers(req_, run.mode, opts.host, opts.port, run.topology_etag);
    if (run.mode == run_mode::load) {
      req_.method(http::verb::get);
      docs_prefix_ = "/databases/" + opts.database + "/docs?&id=";
    } else if (!is_key_value(run.mode)) {
      req_.method(http::verb::post);
      req_.target("/databases/" + opts.database + "/bulk_docs?");
    }
  }

  void start() {
    ++run_.open_connections;
    connect();
  }

  /// Fails the request in flight if it has been pending too long.
  void check_timeout(clock_type::time_point now) {
    if (in_flight_ && now - sent_at_ > timeout()) {
      timed_out_ = true;
      error_code ignored;
      socket_.close(ignored);
    }
  }

  /// Aborts the request in flight (counted as timed out) or closes an idle
  /// connection's socket.
  void abort() {
    if (in_flight_)
      timed_out_ = true;
    error_code ignored;
    socket_.close(ignored);
  }

private:
  clock_type::duration timeout() const {
    return std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(run_.opts->request_timeout_s));
  }

  void connect() {
    net::async_connect(socket_, run_.endpoints,
                       [this](error_code ec, const tcp::endpoint&) {
                         if (ec) {
                           fail("connect: " + ec.message());
                           return;
                         }
                         socket_.set_option(tcp::no_delay{true}, ec);
                         issue();
                       });
  }

  // Builds the next request; false when this connection has nothing left.
  bool prepare() {
    if (run_.current == phase::stopping)
      return false;
    const auto& opts = *run_.opts;
    ids_.clear();
    if (is_key_value(run_.mode)) {
      run_.kv->build(req_, index_, counter_++, doc_cursor_++);
      return true;
    }
    if (run_.mode == run_mode::load) {
      auto key = rng_.below(opts.key_space);
      ids_.push_back(opts.id_prefix + std::to_string(key));
      req_.target(docs_prefix_ + encode_uri_component(ids_.back()));
      return true;
    }
    for (unsigned i = 0; i < run_.batch_size; ++i) {
      if (run_.populating) {
        if (run_.populate_next == run_.populate_total)
          break;
        ids_.push_back(opts.id_prefix + std::to_string(run_.populate_next++));
      } else {
        // Unique per write: prefix, connection, per-connection counter.
        ids_.push_back(opts.id_prefix + std::to_string(index_) + "-"
                       + std::to_string(counter_++));
      }
    }
    if (ids_.empty())
      return false;
    // Key order as the client serialises a PUT command.
    auto& body = req_.body();
    body.clear();
    body += R"({"Commands":[)";
    for (size_t i = 0; i < ids_.size(); ++i) {
      if (i > 0)
        body += ',';
      body += R"({"Id":")";
      body += ids_[i];
      body += R"(","ChangeVector":null,"Document":)";
      body += run_.documents[doc_cursor_++ % run_.documents.size()];
      body += R"(,"Type":"PUT"})";
    }
    body += "]}";
    req_.prepare_payload();
    return true;
  }

  void issue() {
    if (!prepare()) {
      finish();
      return;
    }
    in_flight_ = true;
    sent_at_ = clock_type::now();
    http::async_write(socket_, req_, [this](error_code ec, size_t) {
      if (ec) {
        fail("write: " + ec.message());
        return;
      }
      res_.emplace();
      res_->body_limit(64u << 20);
      http::async_read(socket_, buffer_, *res_,
                       [this](error_code ec, size_t) { on_response(ec); });
    });
  }

  void on_response(error_code ec) {
    in_flight_ = false;
    if (ec) {
      fail(timed_out_ ? std::string{"request timed out"}
                      : "read: " + ec.message());
      return;
    }
    const auto now = clock_type::now();
    auto& msg = res_->get();
    const unsigned expected = expected_status(run_.mode);
    const auto& body = msg.body();
    const std::string what = ids_.empty() ? std::string{req_.target()}
                                          : ids_.front();
    std::string quick;
    if (msg.result_int() != expected) {
      run_.record_error(std::string{to_string(run_.mode)} + " " + what
                        + ": HTTP " + std::to_string(msg.result_int()) + " "
                        + body.substr(0, 300));
    } else if (body.empty() || body.front() != '{') {
      run_.record_error("HTTP " + std::to_string(msg.result_int())
                        + " without a JSON body");
    } else if (quick = quick_check(run_.mode, body); !quick.empty()) {
      run_.record_error(what + ": " + quick + ": " + body.substr(0, 300));
    } else {
      bool verify = responses_ < 3
                    || (run_.opts->verify_every > 0
                        && responses_ % run_.opts->verify_every == 0);
      std::string problem;
      if (verify) {
        problem = verify_body(run_.mode, body, ids_);
        ++run_.verified;
      }
      if (!problem.empty()) {
        run_.record_error(what + ": " + problem + ": " + body.substr(0, 300));
      } else if (run_.populating || run_.current == phase::measure) {
        run_.ops += 1;
        run_.latencies_us.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - sent_at_)
            .count()));
        if (run_.ops == run_.opts->max_ops && !run_.populating)
          end_measuring(run_);
      }
    }
    ++responses_;
    if (!msg.keep_alive()) {
      // Not an error, but it costs a connect per request; reported.
      ++run_.reconnects;
      reconnect();
      return;
    }
    issue();
  }

  void fail(std::string what) {
    in_flight_ = false;
    // Requests cut off by the end of the run are not failures.
    if (run_.current == phase::stopping && !timed_out_) {
      finish();
      return;
    }
    timed_out_ = false;
    run_.record_error("connection " + std::to_string(index_) + ": " + what);
    // A populate run has no end time to stop retries; its errors are fatal
    // anyway, so give up on this connection.
    if (run_.populating) {
      finish();
      return;
    }
    // Retry after a pause so that a dead server does not make us spin.
    retry_timer_.emplace(io_, std::chrono::milliseconds(100));
    retry_timer_->async_wait([this](error_code) { reconnect(); });
  }

  void reconnect() {
    error_code ignored;
    socket_.close(ignored);
    buffer_.clear();
    if (run_.current == phase::stopping) {
      finish();
      return;
    }
    socket_ = tcp::socket{io_};
    connect();
  }

  void finish() {
    if (finished_)
      return;
    finished_ = true;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    --run_.open_connections;
  }

  net::io_context& io_;
  run_state& run_;
  unsigned index_;
  tcp::socket socket_;
  splitmix64 rng_;
  boost::beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  std::optional<http::response_parser<http::string_body>> res_;
  std::optional<net::steady_timer> retry_timer_;
  std::string docs_prefix_;
  std::vector<std::string> ids_;
  uint64_t counter_ = 0;
  uint64_t doc_cursor_ = 0;
  uint64_t responses_ = 0;
  clock_type::time_point sent_at_;
  bool in_flight_ = false;
  bool timed_out_ = false;
  bool finished_ = false;
};

/// Drives all connections until the run ends; returns the elapsed seconds
/// of the counted part.
double drive(run_state& run, net::io_context& io) {
  const auto& opts = *run.opts;
  std::vector<std::unique_ptr<connection>> conns;
  for (unsigned i = 0; i < opts.connections; ++i)
    conns.push_back(std::make_unique<connection>(io, run, i));
  auto to_duration = [](double s) {
    return std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(s));
  };
  const auto start = clock_type::now();
  net::steady_timer phase_timer{io};
  net::steady_timer watchdog{io};
  std::function<void()> watch = [&] {
    watchdog.expires_after(std::chrono::milliseconds(250));
    watchdog.async_wait([&](error_code ec) {
      if (ec)
        return;
      if (run.open_connections == 0) {
        phase_timer.cancel();
        return;
      }
      auto now = clock_type::now();
      for (auto& c : conns)
        c->check_timeout(now);
      // A run that should have ended but still has requests out after a
      // grace period: abort them (they count as timed out above).
      if (run.current == phase::stopping
          && now - run.measure_end > to_duration(opts.request_timeout_s))
        for (auto& c : conns)
          c->abort();
      watch();
    });
  };
  if (run.populating) {
    run.current = phase::measure;
    run.measure_start = start;
    sample_cpu(run, run.cpu_at_start, run.server_cpu_at_start);
  } else {
    run.current = phase::warmup;
    phase_timer.expires_at(start + to_duration(opts.warmup_s));
    phase_timer.async_wait([&](error_code ec) {
      if (ec)
        return;
      run.current = phase::measure;
      run.measure_start = clock_type::now();
      sample_cpu(run, run.cpu_at_start, run.server_cpu_at_start);
      phase_timer.expires_at(run.measure_start + to_duration(opts.duration_s));
      phase_timer.async_wait([&](error_code ec) {
        if (ec || run.current == phase::stopping) // --ops reached first
          return;
        end_measuring(run);
      });
    });
  }
  for (auto& c : conns)
    c->start();
  watch();
  io.run();
  io.restart();
  if (run.populating) {
    run.measure_end = clock_type::now();
    sample_cpu(run, run.cpu_at_end, run.server_cpu_at_end);
    run.current = phase::stopping;
  }
  if (run.measure_end < run.measure_start) // ended before measuring began
    return 0;
  return std::chrono::duration<double>(run.measure_end - run.measure_start)
    .count();
}

void print_errors(const run_state& run) {
  if (run.errors == 0)
    return;
  std::cerr << "corvus-http-load: FAILED: " << run.errors
            << " failed requests; first ones:\n";
  for (const auto& e : run.error_samples)
    std::cerr << "  " << e << '\n';
}

/// One client writing back to back while the leader is killed under it
/// (--failover). It talks to one node at a time over a keep-alive
/// connection; any failure moves it to the next node at once.
class failover_client {
public:
  struct target {
    std::string url;
    url_parts parts;
    tcp::resolver::results_type endpoints;
  };

  failover_client(net::io_context& io, const load_options& opts,
                  std::vector<target> targets, const kv_requests& kv)
    : io_{io},
      opts_{opts},
      targets_{std::move(targets)},
      kv_{kv},
      kill_timer_{io},
      pause_timer_{io} {
    // nop
  }

  void start() {
    started_at_ = clock_type::now();
    kill_timer_.expires_at(kill_due());
    kill_timer_.async_wait([this](error_code ec) {
      if (!ec)
        kill_leader();
    });
    attempt();
  }

  /// Prints the report line; @returns the exit status.
  int report() const {
    auto ms = [](clock_type::duration d) {
      return fixed1(std::chrono::duration<double, std::milli>(d).count());
    };
    std::cout << "mode=" << to_string(opts_.mode) << "-failover"
              << " kill_after_s=" << fixed1(opts_.kill_after_s)
              << " request_timeout_ms="
              << fixed1(opts_.request_timeout_s * 1000)
              << " writes_before_kill=" << writes_before_kill_
              << " failures_before_kill=" << failures_before_kill_;
    if (!killed_) {
      std::cout << " failover_ms=- error=kill-not-sent" << std::endl;
      return 1;
    }
    // Wall-clock time of the kill, to be matched with the servers' logs.
    std::cout << " kill_unix_us="
              << std::chrono::duration_cast<std::chrono::microseconds>(
                   killed_at_wall_.time_since_epoch())
                   .count()
              << " failures_after_kill=" << failures_after_kill_;
    if (!recovered_) {
      std::cout << " failover_ms=- gap_ms=- error=no-write-within-"
                << fixed1(opts_.failover_limit_s) << "s" << std::endl;
      print_failures();
      return 1;
    }
    std::cout << " failover_ms=" << ms(recovered_at_ - killed_at_)
              << " gap_ms=" << ms(recovered_at_ - last_success_before_kill_)
              << " recovered_via=" << targets_[current_].url << std::endl;
    print_failures();
    return 0;
  }

private:
  static clock_type::duration seconds(double s) {
    return std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(s));
  }

  clock_type::time_point kill_due() const {
    return started_at_ + seconds(opts_.kill_after_s);
  }

  void kill_leader() {
    killed_at_ = clock_type::now();
    killed_at_wall_ = std::chrono::system_clock::now();
    if (::kill(opts_.kill_pid, SIGKILL) != 0) {
      std::cerr << "corvus-http-load: kill " << opts_.kill_pid
                << " failed: " << std::strerror(errno) << '\n';
      stop();
      return;
    }
    killed_ = true;
    kill_timer_.expires_at(killed_at_ + seconds(opts_.failover_limit_s));
    kill_timer_.async_wait([this](error_code ec) {
      if (!ec)
        stop(); // gave up: report() says so
    });
  }

  void stop() {
    stopped_ = true;
    kill_timer_.cancel();
    pause_timer_.cancel();
    if (stream_) {
      error_code ignored;
      stream_->socket().close(ignored);
    }
  }

  void attempt() {
    if (stopped_)
      return;
    auto& t = targets_[current_];
    set_headers(req_, opts_.mode, t.parts.host, t.parts.port, "\"0\"");
    kv_.build(req_, 0, counter_, counter_);
    ++counter_;
    sent_at_ = clock_type::now();
    if (!stream_) {
      stream_.emplace(io_);
      stream_->expires_after(seconds(opts_.request_timeout_s));
      stream_->async_connect(t.endpoints,
                             [this](error_code ec, const tcp::endpoint&) {
                               if (ec)
                                 return failed("connect: " + ec.message());
                               stream_->socket().set_option(
                                 tcp::no_delay{true}, ec);
                               send();
                             });
      return;
    }
    stream_->expires_after(seconds(opts_.request_timeout_s));
    send();
  }

  void send() {
    http::async_write(*stream_, req_, [this](error_code ec, size_t) {
      if (ec)
        return failed("write: " + ec.message());
      res_.emplace();
      res_->body_limit(64u << 20);
      http::async_read(*stream_, buffer_, *res_,
                       [this](error_code ec, size_t) { on_response(ec); });
    });
  }

  void on_response(error_code ec) {
    if (ec)
      return failed("read: " + ec.message());
    auto& msg = res_->get();
    if (msg.result_int() != expected_status(opts_.mode))
      return failed("HTTP " + std::to_string(msg.result_int()) + " "
                    + msg.body().substr(0, 200));
    if (auto problem = quick_check(opts_.mode, msg.body()); !problem.empty())
      return failed(problem + ": " + msg.body().substr(0, 200));
    auto now = clock_type::now();
    if (!killed_) {
      ++writes_before_kill_;
      last_success_before_kill_ = now;
    } else if (sent_at_ >= killed_at_) {
      recovered_ = true;
      recovered_at_ = now;
      stop();
      return;
    }
    if (!msg.keep_alive())
      drop_connection();
    attempt();
  }

  void failed(std::string what) {
    if (stopped_)
      return;
    if (killed_ && sent_at_ >= killed_at_)
      ++failures_after_kill_;
    else
      ++failures_before_kill_;
    if (failure_samples_.size() < 12) {
      // When, relative to the kill (negative: before it), and how long
      // the request took.
      auto now = clock_type::now();
      auto ms = [](clock_type::duration d) {
        return fixed1(std::chrono::duration<double, std::milli>(d).count());
      };
      failure_samples_.push_back(
        "t=" + ms(now - (killed_ ? killed_at_ : kill_due())) + "ms took=" + ms(now - sent_at_) + "ms " + targets_[current_].url
        + ": " + what);
    }
    drop_connection();
    current_ = (current_ + 1) % targets_.size();
    // A refused connection fails within microseconds: pause a little
    // then, so that a cluster without a leader is not flooded. Any other
    // failure took its time already.
    if (clock_type::now() - sent_at_ < std::chrono::milliseconds(1)) {
      pause_timer_.expires_after(std::chrono::milliseconds(1));
      pause_timer_.async_wait([this](error_code ec) {
        if (!ec)
          attempt();
      });
      return;
    }
    attempt();
  }

  void drop_connection() {
    if (stream_) {
      error_code ignored;
      stream_->socket().close(ignored);
      stream_.reset();
    }
    buffer_.clear();
  }

  /// The first failures, on stderr: where the time after the kill went.
  void print_failures() const {
    for (const auto& f : failure_samples_)
      std::cerr << "  failure " << f << '\n';
  }

  net::io_context& io_;
  const load_options& opts_;
  std::vector<target> targets_;
  const kv_requests& kv_;
  net::steady_timer kill_timer_;
  net::steady_timer pause_timer_;
  std::optional<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  std::optional<http::response_parser<http::string_body>> res_;
  size_t current_ = 0;
  uint64_t counter_ = 0;
  clock_type::time_point started_at_;
  clock_type::time_point sent_at_;
  clock_type::time_point killed_at_;
  std::chrono::system_clock::time_point killed_at_wall_;
  clock_type::time_point last_success_before_kill_;
  clock_type::time_point recovered_at_;
  bool killed_ = false;
  bool recovered_ = false;
  bool stopped_ = false;
  uint64_t writes_before_kill_ = 0;
  uint64_t failures_before_kill_ = 0;
  uint64_t failures_after_kill_ = 0;
  std::vector<std::string> failure_samples_;
};

/// Runs --failover; @returns the exit status.
int run_failover(const load_options& opts) {
  net::io_context io{1};
  tcp::resolver resolver{io};
  std::vector<failover_client::target> targets;
  for (const auto& url : opts.urls) {
    failover_client::target t;
    t.url = url;
    auto parts = parse_url(url);
    if (!parts) {
      std::cerr << "corvus-http-load: bad URL in --urls: " << url << '\n';
      return 2;
    }
    t.parts = *parts;
    error_code ec;
    t.endpoints = resolver.resolve(t.parts.host, t.parts.port, ec);
    if (ec) {
      std::cerr << "corvus-http-load: cannot resolve " << t.parts.host
                << ": " << ec.message() << '\n';
      return 1;
    }
    targets.push_back(std::move(t));
  }
  kv_requests kv{opts, opts.mode};
  failover_client client{io, opts, std::move(targets), kv};
  client.start();
  io.run();
  return client.report();
}

/// Asks for the database topology as the client's first request does; its
/// Etag goes into every later request's Topology-Etag header.
/// @returns an error text, or empty on success.
std::string fetch_topology(const load_options& opts, run_state& run,
                           net::io_context& io) {
  tcp::socket socket{io};
  error_code ec;
  net::connect(socket, run.endpoints, ec);
  if (ec)
    return "cannot connect to " + opts.url + ": " + ec.message();
  http::request<http::empty_body> req{
    http::verb::get,
    "/topology?name=" + opts.database + "&first-topology-update", 11};
  req.set(http::field::host, opts.host + ":" + opts.port);
  req.set("Raven-Client-Version", "7.2.2");
  req.set("Topology-Etag", "\"0\"");
  req.set("Client-Configuration-Etag", "0");
  req.set(http::field::accept_encoding, "identity");
  http::write(socket, req, ec);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec)
    http::read(socket, buffer, res, ec);
  if (ec)
    return "GET /topology: " + ec.message();
  if (res.result_int() != 200)
    return "GET /topology?name=" + opts.database + " answered "
           + std::to_string(res.result_int()) + " " + res.body().substr(0, 300);
  rapidjson::Document doc;
  doc.Parse(res.body().data(), res.body().size());
  if (doc.HasParseError() || !doc.IsObject())
    return "GET /topology: body is not a JSON object";
  auto etag = doc.FindMember("Etag");
  if (etag != doc.MemberEnd() && etag->value.IsInt64())
    run.topology_etag = "\"" + std::to_string(etag->value.GetInt64()) + "\"";
  socket.shutdown(tcp::socket::shutdown_both, ec);
  return {};
}

/// Resolves the node of `opts` into `run.endpoints` and, with
/// `topology`, fetches the topology (which also checks that the database
/// exists). @returns an error text, or empty on success.
std::string reach_node(const load_options& opts, run_state& run,
                       net::io_context& io, bool topology) {
  tcp::resolver resolver{io};
  error_code ec;
  run.endpoints = resolver.resolve(opts.host, opts.port, ec);
  if (ec)
    return "cannot resolve " + opts.host + ": " + ec.message();
  return topology ? fetch_topology(opts, run, io) : std::string{};
}


/// --mode replication-lag: one writer on the first of --urls writes one
/// document at a time (a bulk_docs call with one PUT, answered once
/// durable); as soon as its 201 arrives, every other node of --urls is
/// polled with GET docs?&id= on its own keep-alive connection, back to back
/// (or every --poll-interval-us), until it answers 200. The lag of a node
/// is the time from the 201 to that 200; the next write goes once every
/// node answered 200. The resolution is one GET round trip (a 404's time
/// is reported as poll_*).
class lag_probe {
public:
  lag_probe(net::io_context& io, const load_options& opts)
    : io_{io}, opts_{opts} {
    splitmix64 rng{static_cast<uint64_t>(
      std::chrono::system_clock::now().time_since_epoch().count())
                   ^ (static_cast<uint64_t>(getpid()) << 32)};
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; ++i)
      run_tag_ += hex[rng.below(16)];
    documents_ = make_documents(opts.doc_size, document_pool_size);
  }

  /// Resolves and connects every node; @returns an error text or empty.
  std::string connect(const std::string& topology_etag) {
    tcp::resolver resolver{io_};
    for (size_t i = 0; i < opts_.urls.size(); ++i) {
      auto n = std::make_unique<node>(io_);
      n->url = opts_.urls[i];
      auto parts = parse_url(n->url);
      if (!parts)
        return "bad URL in --urls: " + n->url;
      error_code ec;
      n->endpoints = resolver.resolve(parts->host, parts->port, ec);
      if (ec)
        return "cannot resolve " + parts->host + ": " + ec.message();
      n->stream.connect(n->endpoints, ec);
      if (ec)
        return "cannot connect to " + n->url + ": " + ec.message();
      n->stream.socket().set_option(tcp::no_delay{true}, ec);
      bool writer = i == 0;
      set_headers(n->req, writer ? run_mode::put_single : run_mode::load,
                  parts->host, parts->port, topology_etag);
      if (writer) {
        n->req.method(http::verb::post);
        n->req.target("/databases/" + opts_.database + "/bulk_docs?");
      } else {
        n->req.method(http::verb::get);
      }
      nodes_.push_back(std::move(n));
    }
    return {};
  }

  void start() {
    write_lat_.reserve(opts_.writes);
    lag_all_.reserve(opts_.writes);
    for (auto& n : nodes_)
      n->lag_us.reserve(opts_.writes);
    write();
  }

  /// Prints the report line and the errors; @returns the exit status.
  int report() {
    double seconds
      = std::chrono::duration<double>(measure_end_ - measure_start_).count();
    if (counted_ == 0)
      seconds = 0;
    auto cpu = [&](double from, double to) {
      return fixed1(seconds > 0 ? 100 * (to - from) / seconds : 0);
    };
    auto fields = [](const std::string& prefix, const latency_summary& s) {
      return prefix + "p50_us=" + std::to_string(s.p50_us) + " " + prefix
             + "p90_us=" + std::to_string(s.p90_us) + " " + prefix
             + "p99_us=" + std::to_string(s.p99_us) + " " + prefix
             + "max_us=" + std::to_string(s.max_us);
    };
    std::cout << "mode=replication-lag writes=" << counted_
              << " warmup_writes=" << std::min(written_, opts_.warmup_writes)
              << " doc_size=" << opts_.doc_size
              << " readers=" << nodes_.size() - 1
              << " duration_s=" << fixed1(seconds) << " writes_per_s="
              << fixed1(seconds > 0 ? counted_ / seconds : 0) << ' '
              << fields("write_", summarize(write_lat_)) << ' '
              << fields("lag_", summarize(lag_all_)) << ' '
              << fields("poll_", summarize(poll_us_)) << " polls_per_write="
              << fixed1(counted_ > 0
                          ? static_cast<double>(polls_) / counted_
                          : 0);
    for (size_t i = 1; i < nodes_.size(); ++i) {
      auto& n = *nodes_[i];
      auto prefix = "r" + std::to_string(i) + "_";
      std::cout << ' ' << fields(prefix + "lag_", summarize(n.lag_us)) << ' '
                << prefix << "first_poll=" << n.first_poll_hits;
    }
    std::cout << " errors=" << errors_.size() << " reconnects=" << reconnects_
              << " client_cpu_pct=" << cpu(cpu_at_start_, cpu_at_end_);
    if (!opts_.server_pids.empty())
      std::cout << " server_cpu_pct="
                << cpu(server_cpu_at_start_, server_cpu_at_end_);
    std::cout << std::endl;
    if (!errors_.empty()) {
      std::cerr << "corvus-http-load: FAILED:\n";
      for (auto& e : errors_)
        std::cerr << "  " << e << '\n';
      return 1;
    }
    return counted_ > 0 ? 0 : 1;
  }

private:
  struct node {
    explicit node(net::io_context& io) : stream{io}, pause{io} {
      // nop
    }
    std::string url;
    tcp::resolver::results_type endpoints;
    boost::beast::tcp_stream stream;
    net::steady_timer pause;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    std::optional<http::response_parser<http::string_body>> res;
    clock_type::time_point sent_at;
    bool done = false;
    unsigned polls = 0;
    std::vector<uint32_t> lag_us;
    uint64_t first_poll_hits = 0;
  };

  static uint32_t micros(clock_type::duration d) {
    return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  }

  clock_type::duration timeout() const {
    return std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(opts_.request_timeout_s));
  }

  bool counting() const { return written_ > opts_.warmup_writes; }

  void sample_cpu(double& client, double& server) const {
    client = cpu_seconds();
    server = 0;
    for (int pid : opts_.server_pids)
      server += process_cpu_seconds(pid);
  }

  void fail(std::string what) {
    if (stopped_)
      return;
    errors_.push_back(std::move(what));
    stopped_ = true;
    for (auto& n : nodes_) {
      error_code ignored;
      n->pause.cancel();
      n->stream.socket().close(ignored);
    }
  }

  /// Sends `n`'s request and reads the answer into `n.res`.
  template <class Then>
  void exchange(node& n, Then then) {
    n.sent_at = clock_type::now();
    n.stream.expires_after(timeout());
    http::async_write(n.stream, n.req, [this, &n, then](error_code ec,
                                                        size_t) {
      if (ec)
        return fail(n.url + ": write: " + ec.message());
      n.res.emplace();
      n.res->body_limit(64u << 20);
      http::async_read(n.stream, n.buffer, *n.res,
                       [this, &n, then](error_code ec, size_t) {
                         if (ec)
                           return fail(n.url + ": read: " + ec.message());
                         if (!n.res->get().keep_alive()) {
                           // Costs a connect; reported, not an error.
                           ++reconnects_;
                           error_code ignored;
                           n.stream.socket().close(ignored);
                           n.stream.connect(n.endpoints, ignored);
                           n.stream.socket().set_option(tcp::no_delay{true},
                                                        ignored);
                         }
                         then();
                       });
    });
  }

  void write() {
    if (stopped_)
      return;
    if (written_ == opts_.warmup_writes) {
      measure_start_ = clock_type::now();
      sample_cpu(cpu_at_start_, server_cpu_at_start_);
    }
    if (written_ == opts_.warmup_writes + opts_.writes) {
      measure_end_ = clock_type::now();
      sample_cpu(cpu_at_end_, server_cpu_at_end_);
      for (auto& n : nodes_) {
        error_code ignored;
        n->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        n->stream.socket().close(ignored);
      }
      return;
    }
    id_ = opts_.id_prefix + run_tag_ + "-" + std::to_string(written_);
    auto& w = *nodes_[0];
    auto& body = w.req.body();
    body.clear();
    body += R"({"Commands":[{"Id":")";
    body += id_;
    body += R"(","ChangeVector":null,"Document":)";
    body += documents_[written_ % documents_.size()];
    body += R"(,"Type":"PUT"}]})";
    w.req.prepare_payload();
    ++written_;
    exchange(w, [this] { on_written(); });
  }

  void on_written() {
    acked_at_ = clock_type::now();
    auto& w = *nodes_[0];
    auto& msg = w.res->get();
    if (msg.result_int() != 201)
      return fail(w.url + ": bulk_docs " + id_ + ": HTTP "
                  + std::to_string(msg.result_int()) + " "
                  + msg.body().substr(0, 300));
    if (auto problem = verify_body(run_mode::put_single, msg.body(), {id_});
        !problem.empty())
      return fail(w.url + ": bulk_docs " + id_ + ": " + problem);
    if (counting())
      write_lat_.push_back(micros(acked_at_ - w.sent_at));
    waiting_ = nodes_.size() - 1;
    auto target = "/databases/" + opts_.database
                  + "/docs?&id=" + encode_uri_component(id_);
    for (size_t i = 1; i < nodes_.size(); ++i) {
      auto& n = *nodes_[i];
      n.done = false;
      n.polls = 0;
      n.req.target(target);
      poll(n);
    }
  }

  void poll(node& n) {
    if (stopped_)
      return;
    exchange(n, [this, &n] { on_poll(n); });
  }

  void on_poll(node& n) {
    auto now = clock_type::now();
    auto& msg = n.res->get();
    if (msg.result_int() == 200) {
      if (auto problem = verify_body(run_mode::load, msg.body(), {id_});
          !problem.empty())
        return fail(n.url + ": GET " + id_ + ": " + problem);
      if (counting()) {
        n.lag_us.push_back(micros(now - acked_at_));
        if (n.polls == 0)
          ++n.first_poll_hits;
      }
      n.done = true;
      if (--waiting_ == 0) {
        if (counting()) {
          lag_all_.push_back(micros(now - acked_at_));
          ++counted_;
        }
        write();
      }
      return;
    }
    if (msg.result_int() != 404)
      return fail(n.url + ": GET " + id_ + ": HTTP "
                  + std::to_string(msg.result_int()) + " "
                  + msg.body().substr(0, 300));
    ++n.polls;
    if (counting()) {
      ++polls_;
      poll_us_.push_back(micros(now - n.sent_at));
    }
    if (now - acked_at_ > timeout())
      return fail(n.url + ": " + id_ + " not visible "
                  + fixed1(opts_.request_timeout_s)
                  + " s after its write was acknowledged");
    if (opts_.poll_interval_us == 0)
      return poll(n);
    n.pause.expires_after(std::chrono::microseconds(opts_.poll_interval_us));
    n.pause.async_wait([this, &n](error_code ec) {
      if (!ec)
        poll(n);
    });
  }

  net::io_context& io_;
  const load_options& opts_;
  std::string run_tag_;
  std::vector<std::string> documents_;
  std::vector<std::unique_ptr<node>> nodes_; // [0] is the writer
  std::string id_;
  uint64_t written_ = 0;
  size_t waiting_ = 0;
  clock_type::time_point acked_at_;
  clock_type::time_point measure_start_;
  clock_type::time_point measure_end_;
  double cpu_at_start_ = 0;
  double cpu_at_end_ = 0;
  double server_cpu_at_start_ = 0;
  double server_cpu_at_end_ = 0;
  uint64_t counted_ = 0;
  uint64_t polls_ = 0;
  uint64_t reconnects_ = 0;
  bool stopped_ = false;
  std::vector<uint32_t> write_lat_;
  std::vector<uint32_t> lag_all_;
  std::vector<uint32_t> poll_us_;
  std::vector<std::string> errors_;
};

/// Runs --mode replication-lag; @returns the exit status.
int run_replication_lag(const load_options& opts) {
  net::io_context io{1};
  // The writer's topology first, as the client asks for it; it also checks
  // that the database exists.
  load_options writer = opts;
  writer.url = opts.urls.front();
  auto parts = parse_url(writer.url);
  if (!parts) {
    std::cerr << "corvus-http-load: bad URL in --urls: " << writer.url
              << '\n';
    return 2;
  }
  writer.host = parts->host;
  writer.port = parts->port;
  run_state base;
  base.opts = &writer;
  if (auto err = reach_node(writer, base, io, true); !err.empty()) {
    std::cerr << "corvus-http-load: " << err << '\n';
    return 1;
  }
  lag_probe probe{io, opts};
  if (auto err = probe.connect(base.topology_etag); !err.empty()) {
    std::cerr << "corvus-http-load: " << err << '\n';
    return 1;
  }
  probe.start();
  io.run();
  return probe.report();
}

} // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  load_options opts;
  std::string mode_text;
  std::string server_pids_text;
  std::string urls_text;
  po::options_description desc{
    "corvus-http-load: HTTP load as the RavenDB npm client sends it"};
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("url", po::value(&opts.url)->default_value("http://127.0.0.1:8080"),
     "node URL, http://host:port")
    ("database", po::value(&opts.database)->default_value("bench"),
     "database name")
    ("mode", po::value(&mode_text)->default_value("put-single"),
     "put-single, put-batch, load, cmpxchg-put, etcd-put or"
     " replication-lag")
    ("connections", po::value(&opts.connections)->default_value(1),
     "concurrent keep-alive connections")
    ("batch-size", po::value(&opts.batch_size)->default_value(100),
     "documents per bulk_docs call in put-batch mode and when populating")
    ("duration", po::value(&opts.duration_s)->default_value(10),
     "measured seconds")
    ("warmup", po::value(&opts.warmup_s)->default_value(2),
     "seconds run before measuring")
    ("ops", po::value(&opts.max_ops)->default_value(0),
     "end the measured run once this many requests succeeded, even"
     " before --duration (0: no such end)")
    ("doc-size", po::value(&opts.doc_size)->default_value(1024),
     "bytes per document, or per value in the key-value modes")
    ("id-prefix", po::value(&opts.id_prefix)->default_value("bench/"),
     "document id prefix, or key prefix in the key-value modes")
    ("key-space", po::value(&opts.key_space)->default_value(0),
     "load mode: ids {prefix}0..N-1 (default: --populate)")
    ("populate", po::value(&opts.populate)->default_value(0),
     "first write ids {prefix}0..N-1 in batches, then run the mode")
    ("verify-every", po::value(&opts.verify_every)->default_value(100),
     "parse and check every Nth response body in full (0: only the first"
     " three per connection)")
    ("server-pid", po::value(&server_pids_text),
     "also report the CPU these processes used over the measured window"
     " (a pid or a comma-separated list: their sum)")
    ("request-timeout", po::value(&opts.request_timeout_s)->default_value(30),
     "seconds before a request counts as failed")
    ("etcd-prefix", po::value(&opts.etcd_prefix)->default_value("/v3"),
     "etcd-put: path prefix of etcd's JSON gateway")
    ("failover", po::bool_switch(&opts.failover),
     "key-value modes: one client, kill --kill-pid after --kill-after"
     " seconds and measure until the next successful write")
    ("urls", po::value(&urls_text),
     "--failover: comma-separated node URLs, the leader first;"
     " replication-lag: the writer first, then the nodes to poll")
    ("kill-pid", po::value(&opts.kill_pid)->default_value(0),
     "--failover: the process to SIGKILL (the leader)")
    ("kill-after", po::value(&opts.kill_after_s)->default_value(1),
     "--failover: seconds of writes before the kill")
    ("failover-limit", po::value(&opts.failover_limit_s)->default_value(30),
     "--failover: seconds after the kill before giving up")
    ("populate-only", po::bool_switch(&opts.populate_only),
     "stop after --populate")
    ("writes", po::value(&opts.writes)->default_value(2000),
     "replication-lag: measured writes")
    ("warmup-writes", po::value(&opts.warmup_writes)->default_value(20),
     "replication-lag: writes before measuring")
    ("poll-interval-us", po::value(&opts.poll_interval_us)->default_value(0),
     "replication-lag: pause between two GETs to one node (0: none)")
    ("print-document", "print the document for variant 0 and exit");
  // clang-format on
  po::variables_map vm;
  if (auto exit_status
      = corvus::bench::parse_command_line(argc, argv, desc, "corvus-http-load", vm))
    return *exit_status;
  if (vm.count("print-document")) {
    std::cout << make_document(opts.doc_size, 0) << '\n';
    return 0;
  }
  if (mode_text == "put-single")
    opts.mode = run_mode::put_single;
  else if (mode_text == "put-batch")
    opts.mode = run_mode::put_batch;
  else if (mode_text == "load")
    opts.mode = run_mode::load;
  else if (mode_text == "cmpxchg-put")
    opts.mode = run_mode::cmpxchg_put;
  else if (mode_text == "etcd-put")
    opts.mode = run_mode::etcd_put;
  else if (mode_text == "replication-lag")
    opts.mode = run_mode::replication_lag;
  else {
    std::cerr << "corvus-http-load: unknown --mode " << mode_text << '\n';
    return 2;
  }
  if (opts.key_space == 0)
    opts.key_space = opts.populate;
  if (opts.mode == run_mode::load && opts.key_space == 0) {
    std::cerr << "corvus-http-load: load mode needs --key-space or"
                 " --populate\n";
    return 2;
  }
  if (opts.connections == 0 || opts.batch_size == 0 || opts.duration_s <= 0
      || opts.warmup_s < 0) {
    std::cerr << "corvus-http-load: --connections, --batch-size and"
                 " --duration must be positive\n";
    return 2;
  }
  auto split = [](const std::string& text) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in{text};
    while (std::getline(in, part, ','))
      if (!part.empty())
        parts.push_back(part);
    return parts;
  };
  for (const auto& pid : split(server_pids_text)) {
    try {
      opts.server_pids.push_back(std::stoi(pid));
    } catch (const std::exception&) {
      std::cerr << "corvus-http-load: bad --server-pid " << pid << '\n';
      return 2;
    }
  }
  if (opts.failover) {
    opts.urls = split(urls_text);
    if (!is_key_value(opts.mode) || opts.urls.empty() || opts.kill_pid <= 0
        || opts.request_timeout_s <= 0) {
      std::cerr << "corvus-http-load: --failover needs a key-value --mode,"
                   " --urls, --kill-pid and a positive --request-timeout\n";
      return 2;
    }
    return run_failover(opts);
  }
  if (opts.mode == run_mode::replication_lag) {
    opts.urls = split(urls_text);
    if (opts.urls.size() < 2 || opts.writes == 0
        || opts.request_timeout_s <= 0) {
      std::cerr << "corvus-http-load: replication-lag needs --urls with the"
                   " writer first and at least one more node, and positive"
                   " --writes and --request-timeout\n";
      return 2;
    }
    return run_replication_lag(opts);
  }
  if (auto parts = parse_url(opts.url)) {
    opts.host = parts->host;
    opts.port = parts->port;
  } else {
    std::cerr << "corvus-http-load: --url must look like http://host:port\n";
    return 2;
  }
  if (opts.populate_only && opts.populate == 0) {
    std::cerr << "corvus-http-load: --populate-only needs --populate\n";
    return 2;
  }
  if (is_key_value(opts.mode) && opts.populate > 0) {
    std::cerr << "corvus-http-load: --populate is for the document modes\n";
    return 2;
  }

  net::io_context io{1};
  run_state base;
  base.opts = &opts;
  base.documents = make_documents(opts.doc_size, document_pool_size);
  // etcd has no topology; the compare-exchange route needs the database,
  // which the topology request checks first.
  if (auto err = reach_node(opts, base, io, opts.mode != run_mode::etcd_put);
      !err.empty()) {
    std::cerr << "corvus-http-load: " << err << '\n';
    return 1;
  }
  if (is_key_value(opts.mode))
    base.kv = std::make_shared<kv_requests>(opts, opts.mode);

  if (opts.populate > 0) {
    run_state run = base;
    run.mode = run_mode::put_batch;
    run.batch_size = opts.batch_size;
    run.populating = true;
    run.populate_total = opts.populate;
    run.latencies_us.reserve(opts.populate / opts.batch_size + 1);
    auto seconds = drive(run, io);
    std::cout << "phase=populate connections=" << opts.connections
              << " batch=" << opts.batch_size << " docs=" << opts.populate
              << " seconds=" << fixed1(seconds) << " docs_per_s="
              << fixed1(static_cast<double>(opts.populate) / seconds)
              << " errors=" << run.errors << std::endl;
    if (run.errors > 0) {
      print_errors(run);
      return 1;
    }
    if (opts.populate_only)
      return 0;
  }

  run_state run = base;
  run.mode = opts.mode;
  run.batch_size = opts.mode == run_mode::put_batch ? opts.batch_size : 1;
  run.latencies_us.reserve(1 << 21);
  auto seconds = drive(run, io);
  auto latency = summarize(run.latencies_us);
  double ops_per_s = seconds > 0 ? run.ops / seconds : 0;
  auto cpu_pct = [&](double from, double to) {
    return fixed1(seconds > 0 ? 100 * (to - from) / seconds : 0);
  };
  std::cout << "mode=" << to_string(opts.mode)
            << " connections=" << opts.connections
            << " batch=" << run.batch_size << " doc_size=" << opts.doc_size
            << " duration_s=" << fixed1(seconds) << " ops=" << run.ops
            << " ops_per_s=" << fixed1(ops_per_s)
            << " docs_per_s=" << fixed1(ops_per_s * run.batch_size) << ' '
            << latency_fields(latency) << " errors=" << run.errors
            << " reconnects=" << run.reconnects
            << " verified=" << run.verified << " client_cpu_pct="
            << cpu_pct(run.cpu_at_start, run.cpu_at_end);
  if (!opts.server_pids.empty())
    std::cout << " server_cpu_pct="
              << cpu_pct(run.server_cpu_at_start, run.server_cpu_at_end);
  std::cout << std::endl;
  if (run.errors > 0 || run.ops == 0) {
    if (run.ops == 0 && run.errors == 0)
      std::cerr << "corvus-http-load: FAILED: no request completed\n";
    print_errors(run);
    return 1;
  }
  return 0;
}
