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
