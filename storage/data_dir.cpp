#include "storage/data_dir.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace corvus {

namespace {

namespace fs = std::filesystem;

constexpr const char* marker_name = "corvus-format.json";
constexpr const char* marker_temp_name = "corvus-format.json.tmp";
constexpr const char* marker_product = "corvus";

failure refuse(std::string message) {
  return make_failure(ec::unsupported_format, std::move(message));
}

failure io_error(const std::string& what, const std::error_code& err) {
  return make_failure(ec::storage_failure, what + ": " + err.message());
}

std::error_code last_errno() {
  return {errno, std::generic_category()};
}

// Makes the entries of directory `dir` (creations, renames) durable.
std::error_code sync_dir(const fs::path& dir) {
  auto fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return last_errno();
  std::error_code err;
  if (::fsync(fd) != 0)
    err = last_errno();
  ::close(fd);
  return err;
}

// Writes `content` to `file` and syncs it.
std::error_code write_synced(const fs::path& file, const std::string& content) {
  auto fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                   0644);
  if (fd < 0)
    return last_errno();
  std::error_code err;
  size_t written = 0;
  while (written < content.size()) {
    auto n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      err = last_errno();
      break;
    }
    written += static_cast<size_t>(n);
  }
  if (!err && ::fsync(fd) != 0)
    err = last_errno();
  ::close(fd);
  return err;
}

std::string marker_json() {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  writer.StartObject();
  writer.Key("Product");
  writer.String(marker_product);
  writer.Key("FormatVersion");
  writer.Int(data_dir_format_version);
  writer.EndObject();
  return std::string{buf.GetString(), buf.GetSize()};
}

// Reads the marker at `file`; fails unless it names our product and a
// format version this build understands.
outcome<done> check_marker(const std::string& path, const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  std::string text{std::istreambuf_iterator<char>{in},
                   std::istreambuf_iterator<char>{}};
  if (!in.good() && !in.eof())
    return refuse("cannot read " + file.string());
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject())
    return refuse(file.string() + " is not a valid Corvus format marker");
  auto product = doc.FindMember("Product");
  auto version = doc.FindMember("FormatVersion");
  if (product == doc.MemberEnd() || !product->value.IsString()
      || std::strcmp(product->value.GetString(), marker_product) != 0
      || version == doc.MemberEnd() || !version->value.IsInt())
    return refuse(file.string() + " is not a valid Corvus format marker");
  if (version->value.GetInt() != data_dir_format_version)
    return refuse(path + " has data-dir format version "
                  + std::to_string(version->value.GetInt())
                  + "; this build understands version "
                  + std::to_string(data_dir_format_version));
  return done{};
}

bool plain_folder_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".."
         && name.find_first_of(std::string_view{"/\\\0", 3})
              == std::string_view::npos;
}

std::string random_suffix() {
  std::random_device rd;
  auto x = (static_cast<uint64_t>(rd()) << 32) | rd();
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (auto& c : out) {
    c = digits[x & 0xf];
    x >>= 4;
  }
  return out;
}

} // namespace

outcome<done> check_data_dir(const std::string& path) {
  if (path.empty())
    return refuse("the data directory path is empty");
  std::error_code err;
  auto st = fs::status(path, err);
  if (st.type() == fs::file_type::not_found)
    return done{};
  if (err)
    return refuse("cannot inspect " + path + ": " + err.message());
  if (st.type() != fs::file_type::directory)
    return refuse(path + " is not a directory");
  bool has_marker = false;
  bool has_other = false;
  fs::directory_iterator iter{path, err};
  for (; !err && iter != fs::directory_iterator{}; iter.increment(err)) {
    auto name = iter->path().filename().string();
    if (name == marker_name)
      has_marker = true;
    else if (name != marker_temp_name)
      has_other = true;
  }
  if (err)
    return refuse("cannot read " + path + ": " + err.message());
  if (has_marker)
    return check_marker(path, fs::path{path} / marker_name);
  if (has_other)
    return refuse(path + " is not a Corvus data directory (no "
                  + marker_name + "); refusing to use it");
  return done{};
}

outcome<done> prepare_data_dir(const std::string& path) {
  if (auto checked = check_data_dir(path); !checked)
    return checked;
  fs::path root{path};
  std::error_code err;
  auto created = fs::create_directories(root, err);
  if (err)
    return io_error("cannot create " + path, err);
  if (created && root.has_parent_path()) {
    // The new directory's own entry must survive a crash too.
    if (auto serr = sync_dir(fs::absolute(root).parent_path()))
      return io_error("cannot sync the parent of " + path, serr);
  }
  auto marker = root / marker_name;
  if (!fs::exists(marker, err)) {
    auto temp = root / marker_temp_name;
    if (auto werr = write_synced(temp, marker_json()))
      return io_error("cannot write " + temp.string(), werr);
    fs::rename(temp, marker, err);
    if (err)
      return io_error("cannot create " + marker.string(), err);
  }
  for (auto sub : {"system", "raft", "databases", "trash"}) {
    fs::create_directories(root / sub, err);
    if (err)
      return io_error("cannot create " + (root / sub).string(), err);
  }
  // Leftovers of removals a crash interrupted.
  for (fs::directory_iterator iter{root / "trash", err};
       !err && iter != fs::directory_iterator{}; iter.increment(err)) {
    std::error_code rerr;
    fs::remove_all(iter->path(), rerr);
    if (rerr)
      return io_error("cannot remove " + iter->path().string(), rerr);
  }
  if (err)
    return io_error("cannot empty " + (root / "trash").string(), err);
  if (auto serr = sync_dir(root))
    return io_error("cannot sync " + path, serr);
  return done{};
}

std::string system_store_dir(const std::string& data_dir) {
  return (fs::path{data_dir} / "system").string();
}

std::string raft_store_dir(const std::string& data_dir) {
  return (fs::path{data_dir} / "raft").string();
}

std::string database_store_dir(const std::string& data_dir,
                               std::string_view folded_name) {
  return (fs::path{data_dir} / "databases" / fs::path{folded_name}).string();
}

outcome<done> remove_database_store(const std::string& data_dir,
                                    std::string_view folded_name) {
  if (!plain_folder_name(folded_name))
    return make_failure(ec::bad_request,
                        "'" + std::string{folded_name}
                          + "' is not a valid database folder name");
  fs::path store{database_store_dir(data_dir, folded_name)};
  std::error_code err;
  if (!fs::exists(store, err))
    return err ? io_error("cannot inspect " + store.string(), err)
               : outcome<done>{done{}};
  auto trash_dir = fs::path{data_dir} / "trash";
  fs::create_directories(trash_dir, err);
  if (err)
    return io_error("cannot create " + trash_dir.string(), err);
  auto trash = trash_dir / (std::string{folded_name} + "." + random_suffix());
  fs::rename(store, trash, err);
  if (err)
    return io_error("cannot move " + store.string() + " to the trash", err);
  if (auto serr = sync_dir(store.parent_path()))
    return io_error("cannot sync " + store.parent_path().string(), serr);
  fs::remove_all(trash, err);
  if (err)
    return io_error("cannot remove " + trash.string(), err);
  return done{};
}

} // namespace corvus
