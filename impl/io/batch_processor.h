// failover6::io::BatchProcessor: the group-commit loop of failover6d (DESIGN.md "Stable
// storage": a REPLY that grants or extends a lease is sent only after that lease is durable).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
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
  std::uint64_t commits = 0;           ///< successful store commits (one per batch at most)
  std::uint64_t commit_failures = 0;   ///< commits that threw
  std::uint64_t replies_sent = 0;      ///< replies handed to the socket
  std::uint64_t replies_withheld = 0;  ///< replies not sent because their commit failed
  std::uint64_t send_failures = 0;     ///< replies the socket refused
  std::uint64_t handler_errors = 0;    ///< datagrams whose processing threw (a bug)
};

/// Receives, processes, commits and answers datagrams one batch at a time.
///
/// One batch: read up to `max_batch` datagrams that are already waiting (never blocking),
/// pass each to the handler (Server::handle) with the same `now`, keep the replies; if any
/// result needs a commit, call store.commit() once; then send the replies. When the commit
/// throws, the replies whose result needed it are not sent (the lease they promise may not
/// be durable) and the error is logged as F6D_COMMIT_FAILED; the other replies (ADVERTISE,
/// replies that changed nothing) still go out. The store keeps the uncommitted changes, so
/// the next commit retries them, typically when the client retransmits.
///
/// Not thread-safe; the io_context thread owns it, the server and the store.
class BatchProcessor {
 public:
  /// What processes one datagram at time `now`: Server::handle in the daemon, a script in tests.
  using Handler = std::function<server::Result(const server::Datagram&, std::int64_t now)>;

  /// Datagrams per batch by default: enough to amortise one fsync over a burst, few enough
  /// that control commands and timers wait at most one batch.
  static constexpr std::size_t DEFAULT_MAX_BATCH = 256;

  /// @param handler processes a datagram; exceptions it throws are logged (F6D_HANDLER_ERROR)
  ///   and that datagram is dropped
  /// @param store committed once per batch that needs it; must outlive this object
  /// @param io the sockets; must outlive this object
  /// @param log must outlive this object
  BatchProcessor(Handler handler, lease::LeaseStore& store, PacketIo& io, Logger& log,
                 std::size_t max_batch = DEFAULT_MAX_BATCH);

  /// @brief Runs one batch at Unix time @p now.
  /// @return the number of datagrams received; `max_batch()` means more may be waiting.
  std::size_t run_once(std::int64_t now);

  std::size_t max_batch() const { return max_batch_; }
  const BatchStats& stats() const { return stats_; }

 private:
  /// A reply waiting for the batch's commit.
  struct Pending {
    server::Outbound reply;
    std::size_t socket = 0;
    bool needs_commit = false;
  };

  Handler handler_;
  lease::LeaseStore& store_;
  PacketIo& io_;
  Logger& log_;
  std::size_t max_batch_;
  ReceivedDatagram slot_;          ///< receive buffer, reused
  std::vector<Pending> pending_;   ///< this batch's replies, reused
  BatchStats stats_;
};

}  // namespace failover6::io
