#pragma once

// Shared by the config tests: a field-by-field comparison of node_config
// (which has no operator==) and a scratch folder for config files.

#include "config/node_config.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace corvus::test {

/// Checks that every field of `x` equals the same field of `y`.
inline void check_same(const node_config& x, const node_config& y) {
  CHECK_EQ(x.server_url, y.server_url);
  CHECK_EQ(x.public_server_url, y.public_server_url);
  CHECK_EQ(x.tcp_url, y.tcp_url);
  CHECK_EQ(x.data_dir, y.data_dir);
  CHECK_EQ(x.logs.path, y.logs.path);
  CHECK_EQ(x.logs.level, y.logs.level);
  CHECK_EQ(x.http.io_threads, y.http.io_threads);
  CHECK_EQ(x.http.max_body_size, y.http.max_body_size);
  CHECK_EQ(x.http.keep_alive_timeout.count(),
           y.http.keep_alive_timeout.count());
  CHECK_EQ(x.http.request_timeout.count(), y.http.request_timeout.count());
  CHECK_EQ(x.storage.sync, y.storage.sync);
  CHECK_EQ(x.storage.compression, y.storage.compression);
  CHECK_EQ(x.storage.id_filter, y.storage.id_filter);
  CHECK_EQ(x.storage.block_cache_size, y.storage.block_cache_size);
  CHECK_EQ(x.storage.write_buffer_size, y.storage.write_buffer_size);
  CHECK_EQ(x.storage.max_group_commit_bytes,
           y.storage.max_group_commit_bytes);
  CHECK_EQ(x.database.restart_backoff_initial.count(),
           y.database.restart_backoff_initial.count());
  CHECK_EQ(x.database.restart_backoff_max.count(),
           y.database.restart_backoff_max.count());
  auto& xr = x.replication;
  auto& yr = y.replication;
  CHECK_EQ(xr.heartbeat.count(), yr.heartbeat.count());
  CHECK_EQ(xr.reply_timeout.count(), yr.reply_timeout.count());
  CHECK_EQ(xr.retry_initial.count(), yr.retry_initial.count());
  CHECK_EQ(xr.retry_factor, yr.retry_factor);
  CHECK_EQ(xr.retry_max.count(), yr.retry_max.count());
  CHECK_EQ(xr.window, yr.window);
  CHECK_EQ(xr.notify_delay.count(), yr.notify_delay.count());
  CHECK_EQ(xr.max_items, yr.max_items);
  CHECK_EQ(xr.max_bytes, yr.max_bytes);
  CHECK_EQ(x.introspection.snapshot_timeout.count(),
           y.introspection.snapshot_timeout.count());
  auto& xc = x.cluster;
  auto& yc = y.cluster;
  CHECK_EQ(xc.election_timeout.count(), yc.election_timeout.count());
  CHECK_EQ(xc.tick_interval.count(), yc.tick_interval.count());
  CHECK_EQ(xc.operation_timeout.count(), yc.operation_timeout.count());
  CHECK_EQ(xc.connect_timeout.count(), yc.connect_timeout.count());
  CHECK_EQ(xc.max_append_size, yc.max_append_size);
  CHECK_EQ(xc.max_inflight_appends, yc.max_inflight_appends);
  CHECK_EQ(xc.max_inflight_append_size, yc.max_inflight_append_size);
  CHECK_EQ(xc.snapshot_piece_size, yc.snapshot_piece_size);
  CHECK_EQ(xc.snapshot_pieces_ahead, yc.snapshot_pieces_ahead);
  CHECK_EQ(xc.snapshot_every, yc.snapshot_every);
  CHECK_EQ(xc.snapshot_keep, yc.snapshot_keep);
  CHECK_EQ(x.scheduler.threads, y.scheduler.threads);
}

/// A fresh folder under the system's temporary directory, removed with
/// everything in it when the object goes away.
class temp_dir {
public:
  temp_dir() {
    auto pattern = (std::filesystem::temp_directory_path()
                    / "corvus-config-test-XXXXXX")
                     .string();
    // mkdtemp picks a name nobody else holds, so parallel runs never clash.
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  /// Writes `text` to the file `name` in this folder.
  /// @returns the file's path.
  std::string write(const std::string& name, const std::string& text) const {
    auto file = path_ / name;
    std::ofstream{file} << text;
    return file.string();
  }

  const std::filesystem::path& path() const {
    return path_;
  }

private:
  std::filesystem::path path_;
};

} // namespace corvus::test
