#include "storage/real_files.hpp"

#include "storage/log_tail.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

namespace corvus {

namespace {

leveldb::Status io_error(const std::string& name, int error) {
  return leveldb::Status::IOError(name, std::strerror(error));
}

/// A recovered log's readable part, in memory (a log is at most a memtable's
/// worth of writes, read once at open).
class readable_log : public leveldb::SequentialFile {
public:
  explicit readable_log(std::string data) : data_(std::move(data)) {
    // nop
  }

  leveldb::Status Read(size_t n, leveldb::Slice* result,
                       char* scratch) override {
    n = std::min(n, data_.size() - at_);
    std::memcpy(scratch, data_.data() + at_, n);
    at_ += n;
    *result = leveldb::Slice(scratch, n);
    return leveldb::Status::OK();
  }

  leveldb::Status Skip(uint64_t n) override {
    at_ += std::min<uint64_t>(n, data_.size() - at_);
    return leveldb::Status::OK();
  }

private:
  std::string data_;
  size_t at_ = 0;
};

/// A file written through a buffer with pwrite, so that the ways Corvus
/// writes its files can decide where bytes go and when they reach the disk.
class buffered_file : public leveldb::WritableFile {
public:
  /// Appends gather up to this much before a write.
  static constexpr size_t buffer_limit = 64 << 10;

  buffered_file(int fd, std::string name) : fd_(fd), name_(std::move(name)) {
    buffer_.reserve(buffer_limit);
  }

  /// Closes a file its owner did not close (as LevelDB's own files do).
  /// Here `closing()` is the base's: a class whose own `closing()` matters
  /// closes the file in its destructor.
  ~buffered_file() override {
    if (fd_ >= 0)
      Close();
  }

  leveldb::Status Append(const leveldb::Slice& data) override {
    // Bytes that would fill the buffer on their own (a snapshot's pieces
    // and slices, a megabyte each) go to the file as they are, after what
    // the buffer holds: copying them into it first cost the receiver of a
    // snapshot a tenth of its time.
    if (data.size() < buffer_limit) {
      buffer_.append(data.data(), data.size());
      return buffer_.size() >= buffer_limit ? write_buffer()
                                            : leveldb::Status::OK();
    }
    if (auto status = write_buffer(); !status.ok())
      return status;
    return write(data.data(), data.size());
  }

  leveldb::Status Flush() override {
    return write_buffer();
  }

  leveldb::Status Sync() override {
    if (auto status = write_buffer(); !status.ok())
      return status;
    if (::fdatasync(fd_) != 0)
      return io_error(name_, errno);
    synced(written_);
    return leveldb::Status::OK();
  }

  leveldb::Status Close() override {
    auto status = write_buffer();
    if (status.ok())
      status = closing();
    if (::close(fd_) != 0 && status.ok())
      status = io_error(name_, errno);
    fd_ = -1;
    return status;
  }

protected:
  /// Called before `size` bytes are written at offset `written_`.
  virtual leveldb::Status writing(size_t) {
    return leveldb::Status::OK();
  }
  /// Called after a write, `written_` counting its bytes.
  virtual void wrote() {
    // nop
  }
  /// Called once bytes up to `end` are on disk.
  virtual void synced(uint64_t) {
    // nop
  }
  /// Called with every byte written, before the file is closed.
  virtual leveldb::Status closing() {
    return leveldb::Status::OK();
  }

  /// Writes all `size` bytes at `offset`, going on after short writes.
  leveldb::Status write_at(const char* data, size_t size, uint64_t offset) {
    for (size_t done = 0; done < size;) {
      auto n = ::pwrite(fd_, data + done, size - done,
                        static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return io_error(name_, errno);
      done += static_cast<size_t>(n);
    }
    return leveldb::Status::OK();
  }

  int fd_;
  std::string name_;
  /// Bytes written to the file (past any zeros filled ahead of them).
  uint64_t written_ = 0;

private:
  leveldb::Status write_buffer() {
    if (buffer_.empty())
      return leveldb::Status::OK();
    auto status = write(buffer_.data(), buffer_.size());
    if (status.ok())
      buffer_.clear();
    return status;
  }

  /// Writes `size` bytes at the end of what was written, with the hooks.
  leveldb::Status write(const char* data, size_t size) {
    if (auto status = writing(size); !status.ok())
      return status;
    if (auto status = write_at(data, size, written_); !status.ok())
      return status;
    written_ += size;
    wrote();
    return leveldb::Status::OK();
  }

  std::string buffer_;
};

/// A log written into zero-filled space, kept at least one chunk ahead of
/// the records so that filling never delays a commit's sync for long: the
/// zeros of a chunk go to disk in the background (sync_file_range) and the
/// next sync only commits the new size.
///
/// Filling writes every byte twice, which pays only while syncs are small:
/// it saves one journal commit per sync. Measured here (2,000 synced
/// writes each), appending against filling-then-overwriting took 1006 /
/// 490 ms at 64 KiB per sync, 429 / 360 ms at 256 KiB and 225 / 292 ms at
/// 1 MiB. So the log fills ahead only while its recent syncs average less
/// than `fill_below`, and appends otherwise (bulk loads, catch-up, stores
/// that do not sync).
class preallocated_log : public buffered_file {
public:
  static constexpr uint64_t chunk = 1 << 20;
  static constexpr uint64_t fill_below = 256 << 10;

  using buffered_file::buffered_file;

  ~preallocated_log() override {
    if (fd_ >= 0)
      Close();
  }

private:
  leveldb::Status writing(size_t size) override {
    // Without syncs (storage.sync off) filling brings nothing.
    if (sync_bytes_ < fill_below && written_ - synced_ < fill_below)
      return fill_ahead(written_ + size);
    return leveldb::Status::OK();
  }

  void synced(uint64_t end) override {
    // A moving average, weighing the latest sync a quarter.
    sync_bytes_ = (3 * sync_bytes_ + (end - synced_)) / 4;
    synced_ = end;
  }

  leveldb::Status closing() override {
    // The zeros past the records go: a closed log reads like any other.
    if (::ftruncate(fd_, static_cast<off_t>(written_)) != 0)
      return io_error(name_, errno);
    return leveldb::Status::OK();
  }

  /// Fills zeros until the file reaches a chunk past `end`.
  leveldb::Status fill_ahead(uint64_t end) {
    static const std::array<char, 64 << 10> zeros{};
    filled_ = std::max(filled_, written_);
    while (filled_ < end + chunk) {
      auto start = filled_;
      for (uint64_t at = start; at < start + chunk; at += zeros.size())
        if (auto status = write_at(zeros.data(), zeros.size(), at);
            !status.ok())
          return status;
      filled_ += chunk;
      // Start writing the zeros out now; a later fdatasync waits for them.
      ::sync_file_range(fd_, static_cast<off_t>(start),
                        static_cast<off_t>(chunk), SYNC_FILE_RANGE_WRITE);
    }
    return leveldb::Status::OK();
  }

  /// Bytes of the file filled (zeros or records).
  uint64_t filled_ = 0;
  /// Bytes of records synced.
  uint64_t synced_ = 0;
  /// Bytes per sync, recently.
  uint64_t sync_bytes_ = 0;
};

/// A file written in bulk (a table a flush or compaction makes, a Raft
/// snapshot) that sends its bytes to disk a chunk at a time as they are
/// written, with at most two chunks on their way, instead of leaving them
/// all to the sync at its end. A sync of many megabytes keeps the disk busy
/// for tens of milliseconds, and every commit's log sync waits behind it
/// (a gigabyte of snapshot flushed at once stalled Raft members past the
/// election timeout); chunks of a megabyte let the log's writes in between.
/// The writer goes at the disk's pace, which suits the background threads
/// that write these files.
class paced_file : public buffered_file {
public:
  static constexpr uint64_t chunk = 1 << 20;

  using buffered_file::buffered_file;

private:
  void wrote() override {
    while (started_ + chunk <= written_) {
      if (started_ >= 2 * chunk)
        ::sync_file_range(fd_, static_cast<off_t>(started_ - 2 * chunk),
                          static_cast<off_t>(chunk),
                          SYNC_FILE_RANGE_WAIT_BEFORE);
      ::sync_file_range(fd_, static_cast<off_t>(started_),
                        static_cast<off_t>(chunk), SYNC_FILE_RANGE_WRITE);
      started_ += chunk;
    }
  }

  /// Bytes handed to the disk's writeback so far, in whole chunks.
  uint64_t started_ = 0;
};

class real_files : public log_tail_env {
public:
  real_files() : log_tail_env(leveldb::Env::Default()) {
    // nop
  }

  /// LevelDB runs the flushes and compactions of every store on one thread
  /// it starts on first need, which would keep the name of the thread that
  /// needed it first (a database's committer, say).
  void Schedule(void (*function)(void*), void* arg) override {
    struct job {
      void (*function)(void*);
      void* arg;
    };
    target()->Schedule(
      [](void* scheduled) {
        std::unique_ptr<job> run{static_cast<job*>(scheduled)};
        thread_local bool named = false;
        if (!named) {
          pthread_setname_np(pthread_self(), "leveldb-bg");
          named = true;
        }
        run->function(run->arg);
      },
      new job{function, arg});
  }

  leveldb::Status NewWritableFile(const std::string& name,
                                  leveldb::WritableFile** result) override {
    // A manifest's sync also syncs its directory, which LevelDB's own file
    // does; manifests are small.
    if (is_leveldb_manifest(name))
      return target()->NewWritableFile(name, result);
    *result = nullptr;
    auto fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                     0644);
    if (fd < 0)
      return io_error(name, errno);
    if (is_leveldb_log(name))
      *result = new preallocated_log(fd, name);
    else
      *result = new paced_file(fd, name);
    return leveldb::Status::OK();
  }
};

} // namespace

bool is_leveldb_log(const std::string& name) {
  constexpr std::string_view suffix = ".log";
  return name.size() > suffix.size()
         && name.compare(name.size() - suffix.size(), suffix.size(), suffix)
              == 0;
}

bool is_leveldb_manifest(const std::string& name) {
  constexpr std::string_view prefix = "MANIFEST-";
  auto slash = name.find_last_of('/');
  auto base = slash == std::string::npos ? 0 : slash + 1;
  return name.compare(base, prefix.size(), prefix) == 0;
}

log_tail_env::log_tail_env(leveldb::Env* target)
  : leveldb::EnvWrapper(target) {
  // nop
}

leveldb::Status log_tail_env::NewSequentialFile(
  const std::string& name, leveldb::SequentialFile** result) {
  if (!is_leveldb_log(name))
    return target()->NewSequentialFile(name, result);
  *result = nullptr;
  std::string data;
  if (auto status = leveldb::ReadFileToString(target(), name, &data);
      !status.ok())
    return status;
  data.resize(readable_log_length(data));
  *result = new readable_log(std::move(data));
  return leveldb::Status::OK();
}

leveldb::Env* real_files_env() {
  static real_files env;
  return &env;
}

} // namespace corvus
