// failover6::io::BatchProcessor: the pipelined group-commit loop of failover6d (DESIGN.md
// "Stable storage": a REPLY that grants or extends a lease is sent only after that lease is
// durable).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/logger.h"
#include "io/packet_io.h"
#include "lease/lease_store.h"
#include "server/server.h"

namespace failover6::io {

/// Counters of the I/O loop, reported next to server::Stats by the control API and metrics.
struct BatchStats {
  std::uint64_t batches = 0;           ///< run_once() calls that received at least one datagram
  std::uint64_t datagrams = 0;         ///< datagrams received and handed to the server core
  std::uint64_t largest_batch = 0;     ///< most datagrams in one batch
  std::uint64_t commits = 0;           ///< successful store commits
  std::uint64_t commit_failures = 0;   ///< commits that failed
  std::uint64_t replies_sent = 0;      ///< replies handed to the socket
  std::uint64_t replies_withheld = 0;  ///< replies not sent because their commit failed
  std::uint64_t send_failures = 0;     ///< replies the socket refused
  std::uint64_t handler_errors = 0;    ///< datagrams whose processing threw (a bug)
  /// Replies sent as soon as they were made, needing no commit (ADVERTISE, unchanged state).
  std::uint64_t replies_immediate = 0;
  /// Batches that changed the store; batches_changed / commits = batches per commit (above 1
  /// when the loop went on processing while a commit was being written).
  std::uint64_t batches_changed = 0;
  /// Sum and maximum of the commit latency, in microseconds: from the start of a commit to its
  /// completion being seen by the loop (write + fdatasync + hand-over). Mean = total / (commits
  /// + commit_failures).
  std::uint64_t commit_us_total = 0;
  std::uint64_t commit_us_max = 0;   ///< see commit_us_total
  std::uint64_t largest_commit = 0;  ///< most replies released by one commit
  std::uint64_t durable_callbacks = 0;  ///< when_durable() callbacks run
};

/// How BatchProcessor makes the store's changes durable: synchronously in the loop
/// (SyncCommitter, any LeaseStore) or on another thread (JournalCommitter), or as a test
/// scripts it.
///
/// BatchProcessor has at most one commit started and not yet completed at a time.
class Committer {
 public:
  /// Completion: std::nullopt on success, else the error text.
  using Done = std::function<void(std::optional<std::string> error)>;

  virtual ~Committer() = default;

  /// @return true when the store may hold changes that no started commit covers (or whose
  /// commit failed). A committer that cannot tell returns true.
  virtual bool dirty() const = 0;

  /// @brief Starts a commit of every store change made so far. @p done runs on the loop thread
  /// once it ended: later (posted), or before start() returns for a synchronous committer.
  virtual void start(Done done) = 0;

  /// @brief Synchronously makes every store change made so far durable, waiting first for the
  /// commit in flight, if any. @throws std::exception on failure.
  virtual void commit_now() = 0;
};

/// A Committer that calls LeaseStore::commit() in start() itself (MemoryStore, tests).
class SyncCommitter final : public Committer {
 public:
  /// @param store must outlive this object
  explicit SyncCommitter(lease::LeaseStore& store) : store_(store) {}
  bool dirty() const override { return true; }
  void start(Done done) override;
  void commit_now() override { store_.commit(); }

 private:
  lease::LeaseStore& store_;
};

/// Receives and processes datagrams in batches, and sends each reply as soon as it may go.
///
/// One batch (run_once): read up to `max_batch` datagrams that are already waiting (never
/// blocking) and pass each to the handler (Server::handle) with the same `now`. A reply whose
/// result needs no commit (ADVERTISE, a reply that changed nothing) is sent at once. A reply
/// that needs one waits for the first commit started after it was made; that commit is
/// started at the end of the batch when no commit is in flight, else as soon as the one in
/// flight completes. So while one commit is being written (JournalCommitter: on its own
/// thread), the loop goes on receiving, and the next commit covers everything processed
/// meanwhile (pipelined group commit).
///
/// When a commit fails, the replies waiting for it are not sent (the lease they promise may
/// not be durable) and the error is logged as F6D_COMMIT_FAILED; the store keeps the changes
/// and the next commit retries them, typically when the client retransmits. A failed commit is
/// not retried at once (that could spin on a full disk): the next commit starts right away
/// only if changes were made while the failed one ran, else with the next batch that changes
/// the store, when_durable() or flush().
///
/// Not thread-safe; the io_context thread owns it, the server and the store.
class BatchProcessor {
 public:
  /// What processes one datagram at time `now`: Server::handle in the daemon, a script in tests.
  using Handler = std::function<server::Result(const server::Datagram&, std::int64_t now)>;

  /// Datagrams per batch by default: enough to amortise one fsync over a burst, few enough
  /// that control commands, timers and commit completions wait at most one batch.
  static constexpr std::size_t DEFAULT_MAX_BATCH = 256;

  /// @param handler processes a datagram; exceptions it throws are logged (F6D_HANDLER_ERROR)
  ///   and that datagram is dropped
  /// @param store the store the handler changes; must outlive this object
  /// @param io the sockets; must outlive this object
  /// @param log must outlive this object
  /// @param committer how commits are made; nullptr: SyncCommitter(store)
  BatchProcessor(Handler handler, lease::LeaseStore& store, PacketIo& io, Logger& log,
                 std::size_t max_batch = DEFAULT_MAX_BATCH,
                 std::unique_ptr<Committer> committer = nullptr);

  /// @brief Runs one batch at Unix time @p now, then starts a commit if one is due.
  /// @return the number of datagrams received; `max_batch()` means more may be waiting.
  std::size_t run_once(std::int64_t now);

  /// @brief Runs @p fn on the loop thread once every store change made before this call is
  /// durable.
  ///
  /// When nothing is pending (no change left uncommitted, no commit in flight, no earlier
  /// callback waiting) @p fn runs at once, synchronously, before when_durable() returns; so it
  /// does with SyncCommitter, which commits synchronously. Otherwise it runs after the commit
  /// that covers those changes completed (starting one if none is in flight), after the
  /// replies released by that commit were sent, and in the order of the calls. If that commit
  /// fails, @p fn stays queued for the next commit that succeeds. @p fn must not throw (if it
  /// does, the error is logged as F6D_HANDLER_ERROR).
  void when_durable(std::function<void()> fn);

  /// @brief Synchronously commits every change made so far (waiting for the commit in flight),
  /// then sends the replies and runs the callbacks that waited for it. For shutdown: call it
  /// before closing the sockets.
  /// @return false when the commit failed (logged as F6D_COMMIT_FAILED; waiting replies are
  /// withheld, callbacks stay queued).
  bool flush();

  /// @return true while a commit is in flight.
  bool committing() const { return in_flight_.has_value(); }
  /// @return replies and callbacks waiting for a commit.
  std::size_t waiting() const { return replies_.size() + callbacks_.size(); }

  std::size_t max_batch() const { return max_batch_; }
  const BatchStats& stats() const { return stats_; }

 private:
  /// A reply waiting for commit number `commit`.
  struct Waiting {
    server::Outbound reply;
    std::size_t socket = 0;
    std::uint64_t commit = 0;
  };
  /// A when_durable() callback waiting for commit number `commit`.
  struct Callback {
    std::function<void()> fn;
    std::uint64_t commit = 0;
  };

  void send(const server::Outbound& reply, std::size_t socket);
  /// Starts a commit when one is wanted and none is in flight.
  void maybe_start();
  /// Commit @p id ended (@p error: std::nullopt on success).
  void on_commit_done(std::uint64_t id, const std::optional<std::string>& error);
  /// Sends or withholds the replies, runs or requeues the callbacks, of commits up to @p id.
  void finish(std::uint64_t id, const std::optional<std::string>& error);
  void record_latency(std::chrono::steady_clock::time_point since);

  Handler handler_;
  PacketIo& io_;
  Logger& log_;
  std::size_t max_batch_;
  std::unique_ptr<Committer> committer_;
  ReceivedDatagram slot_;            ///< receive buffer, reused
  std::deque<Waiting> replies_;      ///< replies waiting for a commit, oldest first
  std::deque<Callback> callbacks_;   ///< when_durable() callbacks, oldest first
  std::uint64_t next_id_ = 1;        ///< number of the next commit to start
  std::optional<std::uint64_t> in_flight_;  ///< number of the commit in flight
  std::chrono::steady_clock::time_point in_flight_since_;
  bool want_commit_ = false;         ///< changes no started commit covers
  BatchStats stats_;
};

}  // namespace failover6::io
