// failover6::lease::JournalStore: the leases in memory, made durable by an append-only journal
// with group commit and compaction (DESIGN.md "Stable storage").
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>

#include "lease/lease_store.h"
#include "wire/buffer.h"

namespace failover6::lease {

/// The journal cannot be used: unreadable, not a journal, corrupt before its end, or a write or
/// fsync failed. The message names the file, the offset where relevant, and what to do.
class JournalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What opening a journal found.
struct RecoveryReport {
  std::uint64_t records = 0;          ///< records replayed
  std::uint64_t bytes = 0;            ///< journal size after recovery
  bool created = false;               ///< the file did not exist and was created
  bool torn_tail = false;             ///< an incomplete last record was cut off
  std::uint64_t truncated_bytes = 0;  ///< octets cut off
  std::string warning;                ///< human-readable account of the truncation, if any
};

/// A LeaseStore whose changes reach disk at commit().
///
/// File layout: the 8-octet magic "F6JRNL01", then records `length(4) crc32c(4) body`, the body
/// being a record type (lease put, lease remove, meta put) and its fields, all big-endian.
///
/// Group commit: put(), remove() and put_meta() change memory at once and append a record to a
/// pending buffer; commit() writes the buffer in one write() and fdatasync()s it. A caller that
/// granted leases to many clients commits once and then answers them all: a REPLY is sent only
/// after the commit that covers its lease returned.
///
/// Pipelined commit: the owning thread may instead take_pending() the records and have another
/// thread write_batch() them while it goes on changing the store (io::JournalCommitter does).
/// Batches are written in the order they were taken; commit() and compact() first wait until
/// every taken batch was written, so the records reach the file in the order of the changes.
/// A write that fails keeps its records and the next write_batch() or commit() writes them
/// first, at the same offset (overwriting whatever part of them reached the file).
///
/// Threads: everything except write_batch(), file_bytes() and commits() belongs to one owning
/// thread; write_batch() may run on one other thread at a time.
///
/// Recovery: records are replayed in order. An incomplete last record (a crash mid-write) is
/// cut off with a warning in recovery(); a damaged record that is not the last one means the
/// journal cannot be trusted, and the constructor throws JournalError rather than start with
/// leases silently missing.
class JournalStore : public LeaseStore {
 public:
  /// @brief Opens (or creates, with its directory) the journal at @p path and replays it.
  /// @throws JournalError as described above.
  explicit JournalStore(std::string path);
  ~JournalStore() override;
  JournalStore(const JournalStore&) = delete;
  JournalStore& operator=(const JournalStore&) = delete;

  void put(const Lease& l) override;
  bool remove(const LeaseKey& k) override;
  const Lease* find(const LeaseKey& k) const override { return mem_.find(k); }
  std::vector<const Lease*> find_client(const ClientIa& c) const override {
    return mem_.find_client(c);
  }
  std::vector<const Lease*> find_duid(const wire::Duid& d) const override {
    return mem_.find_duid(d);
  }
  void for_each(const std::function<void(const Lease&)>& f) const override { mem_.for_each(f); }
  std::size_t size() const override { return mem_.size(); }
  void put_meta(const std::string& key, const std::string& value) override;
  std::optional<std::string> get_meta(const std::string& key) const override {
    return mem_.get_meta(key);
  }

  /// @brief Writes and fdatasyncs every pending record, after waiting for the batches taken
  /// by take_pending() to be written. @throws JournalError on I/O failure; the records stay
  /// pending, so a later commit() retries them.
  void commit() override;

  /// @brief Owning thread: moves every pending record into @p out (cleared first; the two
  /// buffers are swapped, so @p out's capacity is reused) for write_batch(). Every call must
  /// be followed by exactly one write_batch() of @p out, in the order of the calls.
  void take_pending(wire::Bytes& out);

  /// @brief Any one thread at a time: writes the records of a failed earlier write, if any,
  /// then @p records, at the end of the journal, and fdatasyncs. On success everything
  /// appended before the matching take_pending() is durable.
  /// @throws JournalError on I/O failure; the records are kept and written first by the next
  /// write_batch() or commit().
  void write_batch(const wire::Bytes& records);

  /// @brief Rewrites the journal as one record per live lease and meta value (write to a
  /// temporary file, fsync, rename over the journal, fsync the directory). Commits first.
  /// @throws JournalError on I/O failure (the old journal stays in place).
  void compact();

  const RecoveryReport& recovery() const { return recovery_; }
  /// @return octets appended but not yet taken by commit() or take_pending(), plus those
  /// whose write failed (retried by the next write).
  std::size_t pending_bytes() const;
  /// @return the journal's size on disk (any thread).
  std::uint64_t file_bytes() const { return file_bytes_.load(); }
  /// @return successful commits (fdatasync calls) so far (any thread).
  std::uint64_t commits() const { return commits_.load(); }
  const std::string& path() const { return path_; }

 private:
  void replay();
  void append_record(std::uint8_t type, const wire::Bytes& body);
  /// Writes unwritten_ + records at file_bytes_ and fdatasyncs; io_mutex_ held.
  void write_locked(const wire::Bytes& records);

  std::string path_;
  int fd_ = -1;  ///< written under io_mutex_; replaced by compact() under it
  MemoryStore mem_;
  wire::Bytes pending_;  ///< owning thread
  RecoveryReport recovery_;

  mutable std::mutex io_mutex_;  ///< guards fd_ writes, unwritten_, written_
  std::condition_variable written_cv_;  ///< signalled when written_ grows
  wire::Bytes unwritten_;       ///< records of a failed write, written first next time
  std::atomic<std::size_t> unwritten_bytes_{0};  ///< unwritten_.size(), read without the lock
  std::uint64_t taken_ = 0;     ///< take_pending() calls (owning thread)
  std::uint64_t written_ = 0;   ///< write_batch() calls finished, successful or not
  std::atomic<std::uint64_t> file_bytes_{0};
  std::atomic<std::uint64_t> commits_{0};
};

/// @brief Serializes one lease into a record body (exposed for tests and tools).
void encode_lease(const Lease& l, wire::Bytes& out);
/// @brief Parses a lease record body. @return false when malformed.
bool decode_lease(wire::ByteView body, Lease& out);

}  // namespace failover6::lease
