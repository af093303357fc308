// failover6::io::Service: one failover6d process: the lease store, the server core, the
// sockets, the timers, the control API, the metrics and the signals, on one io_context thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "io/batch_processor.h"
#include "io/control_server.h"
#include "io/failover_runtime.h"
#include "io/logger.h"
#include "io/metrics_server.h"
#include "io/service_view.h"
#include "io/udp_io.h"
#include "lease/journal_store.h"
#include "lease/lease_store.h"
#include "server/server.h"

namespace failover6::io {

/// Startup failed; the reason was logged already (F6D_JOURNAL_ERROR, F6D_SOCKET_ERROR, ...)
/// and what() repeats it for stderr. The process exits with status 1.
class StartupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Options that are not configuration.
struct ServiceOptions {
  std::string config_path;  ///< for the F6D_STARTED line
  std::size_t max_batch = BatchProcessor::DEFAULT_MAX_BATCH;
};

/// failover6d's event loop.
///
/// Everything runs on the thread that calls run(): it alone owns the server core and the
/// store, so nothing needs a lock (STYLE.md: one owning thread). The loop:
/// - datagrams: when a socket becomes readable, one BatchProcessor batch runs (receive up to
///   max_batch, handle, commit once, send); batches are posted one at a time, so control
///   commands, timers and signals are served between them;
/// - Server::expire() at Server::next_deadline(), then a commit;
/// - JournalStore::compact() every lease-database lfc-interval seconds (0: never);
/// - SIGTERM and SIGINT, and the control command "shutdown": stop reading, commit, exit 0.
///   SIGHUP is logged (F6D_SIGHUP_IGNORED) and otherwise ignored: there is no reload.
/// `now` is the wall clock in Unix seconds, read once per batch or timer.
class Service {
 public:
  /// @param config validated configuration; must outlive the Service
  /// @param log must outlive the Service
  Service(const config::Config& config, Logger& log, ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  /// @brief Creates the data directory, opens the lease store (JournalStore, or MemoryStore
  /// when persist is false) and logs its RecoveryReport, chooses the server DUID (storing a
  /// generated one), builds the server core, opens the sockets, the control socket and the
  /// metrics endpoint, and installs the signal handlers.
  /// @throws StartupError after logging the reason.
  void start();

  /// @brief Serves until shutdown. @return the exit status: 0, or 1 when the final commit
  /// failed.
  int run();

  /// @brief Stops serving: closes the sockets, commits the store, stops the loop. Idempotent;
  /// call on the loop's thread (signal and control handlers do).
  void shutdown();

  /// @brief Supplies the "relationships" array of status (the failover endpoint, later).
  void set_relationships(std::function<nlohmann::json()> provider) {
    relationships_ = std::move(provider);
  }

  /// @return a view of the live state at @p now, as the control API and metrics see it.
  ServiceView view(std::int64_t now) const;

  /// @return the failover relationships, or nullptr for a standalone server.
  const FailoverRuntime* failover() const { return failover_.get(); }

  /// @return the UDP sockets (after start()).
  const UdpIo& sockets() const { return *udp_; }
  boost::asio::io_context& context() { return io_; }

  /// @return the wall clock in Unix seconds.
  static std::int64_t wall_now();

 private:
  void open_store();
  void choose_duid(std::int64_t now);
  void open_sockets();
  ControlOutcome control(const nlohmann::json& request);
  void on_readable();
  void run_batch();
  void arm_expire(std::int64_t now);
  void on_expire();
  void arm_compact();
  void on_compact();
  void wait_signal();

  const config::Config& config_;
  Logger& log_;
  ServiceOptions options_;
  std::int64_t started_ = 0;
  std::int64_t pid_ = 0;

  boost::asio::io_context io_{1};
  std::unique_ptr<lease::LeaseStore> store_;
  lease::JournalStore* journal_ = nullptr;  ///< store_ when it is a journal
  wire::Duid duid_;
  std::unique_ptr<FailoverRuntime> failover_;  ///< the relationships; before server_ (its policy)
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<UdpIo> udp_;
  std::unique_ptr<BatchProcessor> batch_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<MetricsServer> metrics_;
  boost::asio::steady_timer expire_timer_{io_};
  std::optional<std::int64_t> expire_at_;  ///< the deadline expire_timer_ is armed for
  boost::asio::steady_timer compact_timer_{io_};
  boost::asio::signal_set signals_{io_};
  std::function<nlohmann::json()> relationships_;
  bool batch_posted_ = false;
  bool stopping_ = false;
  int exit_code_ = 0;
};

}  // namespace failover6::io
