// leveldb-anchor: what LevelDB alone achieves on this disk with durable
// writes of the benchmark documents, as the anchor for Corvus's write
// figures (scripts/bench/single-node). One thread writes, each write is
// synced (WriteOptions::sync), first single documents, then batches.
//
// Output, one line per test:
//   anchor=leveldb-single ops_per_s=.. docs_per_s=.. p50_us=.. ...
//   anchor=leveldb-batch100 batches_per_s=.. docs_per_s=.. p50_us=.. ...

#include "scripts/bench/tools/bench_options.hpp"
#include "scripts/bench/tools/bench_document.hpp"
#include "scripts/bench/tools/bench_stats.hpp"
#include "storage/leveldb_options.hpp"

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using namespace corvus::bench;

struct anchor_options {
  std::string dir;
  double duration_s = 10;
  size_t doc_size = 1024;
  size_t batch_size = 100;
  std::string mode = "both";
  /// Writers whose ids the batch test interleaves (the HTTP load's
  /// connections).
  size_t streams = 16;
};

struct test_result {
  uint64_t writes = 0;
  uint64_t docs = 0;
  double seconds = 0;
  latency_summary latency;
};

// Opens a fresh database, runs synced writes of `batch_size` documents for
// the configured time, closes and destroys it. Returns false on any error.
bool run_test(const anchor_options& opts, const std::string& name,
              size_t batch_size, size_t streams, test_result& result) {
  const auto path = opts.dir + "/" + name;
  // Exactly the options Corvus opens its stores with (defaults, as the
  // node uses them), so that the anchor differs from Corvus only by what
  // Corvus adds on top.
  corvus::store_options store;
  store.create_if_missing = true;
  // Raw LevelDB writes its logs itself; Corvus's zero-filled logs
  // (storage/real_files.hpp) are part of what Corvus adds, and so is the
  // compression of each body (with the default `documents` setting LevelDB
  // compresses nothing, here as under Corvus).
  store.env = leveldb::Env::Default();
  auto settings = corvus::make_leveldb_settings(store);
  settings->options.error_if_exists = true;
  leveldb::DB* raw_db = nullptr;
  auto status = leveldb::DB::Open(settings->options, path, &raw_db);
  if (!status.ok()) {
    std::cerr << "leveldb-anchor: cannot open " << path << ": "
              << status.ToString() << '\n';
    return false;
  }
  std::unique_ptr<leveldb::DB> db{raw_db};
  auto documents = make_documents(opts.doc_size, document_pool_size);
  leveldb::WriteOptions write_opts;
  write_opts.sync = true;
  std::vector<uint32_t> latencies;
  latencies.reserve(1 << 20);
  // Ids shaped like the HTTP load's ({prefix}{connection}-{counter}), each
  // batch from the next of `streams` writers in turn, so that LevelDB sees
  // the same key pattern (and compaction work) as under Corvus.
  std::vector<uint64_t> counters(streams, 0);
  uint64_t next_doc = 0;
  size_t stream = 0;
  leveldb::WriteBatch batch;
  std::string key;
  const auto start = clock_type::now();
  const auto deadline
    = start + std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double>(opts.duration_s));
  auto now = start;
  while (now < deadline) {
    batch.Clear();
    for (size_t i = 0; i < batch_size; ++i) {
      key = "bench/" + std::to_string(stream) + "-"
            + std::to_string(counters[stream]++);
      batch.Put(key, documents[next_doc++ % documents.size()]);
    }
    stream = (stream + 1) % streams;
    const auto before = clock_type::now();
    status = db->Write(write_opts, &batch);
    now = clock_type::now();
    if (!status.ok()) {
      std::cerr << "leveldb-anchor: write failed: " << status.ToString()
                << '\n';
      return false;
    }
    latencies.push_back(static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now - before)
        .count()));
    ++result.writes;
  }
  result.seconds = std::chrono::duration<double>(now - start).count();
  result.docs = result.writes * batch_size;
  result.latency = summarize(latencies);
  db.reset();
  status = leveldb::DestroyDB(path, settings->options);
  if (!status.ok()) {
    std::cerr << "leveldb-anchor: cannot remove " << path << ": "
              << status.ToString() << '\n';
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  anchor_options opts;
  po::options_description desc{
    "leveldb-anchor: synced LevelDB writes of benchmark documents"};
  // clang-format off
  desc.add_options()
    ("help,h", "show this help")
    ("dir", po::value(&opts.dir)->required(),
     "directory to create the test databases in (on the disk under test)")
    ("duration", po::value(&opts.duration_s)->default_value(10),
     "seconds per test")
    ("doc-size", po::value(&opts.doc_size)->default_value(1024),
     "bytes per document")
    ("batch-size", po::value(&opts.batch_size)->default_value(100),
     "documents per batch in the batch test")
    ("mode", po::value(&opts.mode)->default_value("both"),
     "single, batch or both")
    ("streams", po::value(&opts.streams)->default_value(16),
     "writers whose ids the batch test interleaves (the HTTP load's "
     "connections)");
  // clang-format on
  po::variables_map vm;
  if (auto exit_status
      = corvus::bench::parse_command_line(argc, argv, desc, "leveldb-anchor", vm))
    return *exit_status;
  if (opts.mode != "single" && opts.mode != "batch" && opts.mode != "both") {
    std::cerr << "leveldb-anchor: --mode must be single, batch or both\n";
    return 2;
  }
  if (opts.batch_size == 0 || opts.duration_s <= 0) {
    std::cerr << "leveldb-anchor: --batch-size and --duration must be > 0\n";
    return 2;
  }
  if (opts.mode != "batch") {
    test_result r;
    if (!run_test(opts, "leveldb-single", 1, 1, r))
      return 1;
    std::cout << "anchor=leveldb-single doc_size=" << opts.doc_size
              << " duration_s=" << fixed1(r.seconds) << " ops=" << r.writes
              << " ops_per_s=" << fixed1(r.writes / r.seconds)
              << " docs_per_s=" << fixed1(r.docs / r.seconds) << ' '
              << latency_fields(r.latency) << std::endl;
  }
  if (opts.mode != "single") {
    test_result r;
    auto name = "leveldb-batch" + std::to_string(opts.batch_size);
    if (!run_test(opts, name, opts.batch_size, opts.streams, r))
      return 1;
    std::cout << "anchor=" << name << " doc_size=" << opts.doc_size
              << " duration_s=" << fixed1(r.seconds) << " batches=" << r.writes
              << " batches_per_s=" << fixed1(r.writes / r.seconds)
              << " docs_per_s=" << fixed1(r.docs / r.seconds) << ' '
              << latency_fields(r.latency) << std::endl;
  }
  return 0;
}
