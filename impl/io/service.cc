#include "io/service.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>

#include "io/control_commands.h"
#include "io/journal_committer.h"
#include "io/metrics.h"
#include "io/server_identity.h"

namespace failover6::io {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

/// Longest single wait for an expiry deadline: deadlines are wall-clock times and the timer
/// is a steady one, so a long wait is cut up to follow clock steps.
constexpr std::int64_t MAX_EXPIRE_WAIT = 60;

}  // namespace

Service::Service(const config::Config& config, Logger& log, ServiceOptions options)
    : config_(config), log_(log), options_(std::move(options)) {}

Service::~Service() {
  // Sockets and servers hold handlers on io_; drop them before io_ goes.
  metrics_.reset();
  control_.reset();
  udp_.reset();
}

std::int64_t Service::wall_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Service::start() {
  started_ = wall_now();
  pid_ = static_cast<std::int64_t>(::getpid());
  open_store();
  choose_duid(started_);
  if (!config_.failover6.relationships.empty())
    failover_ = std::make_unique<FailoverRuntime>(io_, config_, *store_, log_, &wall_now);
  server_ = std::make_unique<server::Server>(config_, duid_, *store_,
                                             failover_ ? failover_->policy() : nullptr);
  open_sockets();
  batch_ = std::make_unique<BatchProcessor>(
      [this](const server::Datagram& d, std::int64_t now) { return server_->handle(d, now); },
      *store_, *udp_, log_, options_.max_batch,
      journal_ ? std::make_unique<JournalCommitter>(io_, *journal_) : nullptr);
  if (failover_) {
    failover_->attach(*server_, [this](std::function<void()> fn) {
      batch_->when_durable(std::move(fn));
    });
    set_relationships([this] { return failover_->status(wall_now()); });
  }

  if (!config_.dhcp6.control_socket.name.empty()) {
    control_ = std::make_unique<ControlServer>(
        io_, config_.dhcp6.control_socket.name, log_,
        [this](const nlohmann::json& request) { return control(request); },
        [this] {
          log_.log(Msg::F6D_SHUTDOWN_COMMAND);
          asio::post(io_, [this] { shutdown(); });
        });
    try {
      control_->start();
    } catch (const std::exception& e) {
      log_.log(Msg::F6D_STARTUP_FAILED, e.what());
      throw StartupError(e.what());
    }
  }
  if (config_.failover6.metrics) {
    metrics_ = std::make_unique<MetricsServer>(io_, *config_.failover6.metrics, log_, [this] {
      return render_metrics(view(wall_now()));
    });
    try {
      metrics_->start();
    } catch (const std::exception& e) {
      log_.log(Msg::F6D_STARTUP_FAILED, e.what());
      throw StartupError(e.what());
    }
  }

  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  wait_signal();

  // Expire what ended while the server was down, then follow the deadlines.
  on_expire();
  arm_compact();
  udp_->arm([this] { on_readable(); });
  if (failover_) failover_->start();
  log_.log(Msg::F6D_STARTED, "0.1.0", pid_, options_.config_path);
}

void Service::open_store() {
  const auto& db = config_.dhcp6.lease_database;
  const std::string& dir = config_.dhcp6.data_directory;
  if (!dir.empty()) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      log_.log(Msg::F6D_DATA_DIRECTORY_ERROR, dir, ec.message());
      throw StartupError("cannot create data-directory " + dir + ": " + ec.message());
    }
  }
  if (!db.persist) {
    log_.log(Msg::F6D_MEMORY_STORE);
    store_ = std::make_unique<lease::MemoryStore>();
    return;
  }
  std::string path = db.name;
  if (path.empty()) path = (fs::path(dir.empty() ? "." : dir) / "leases6.journal").string();
  try {
    auto j = std::make_unique<lease::JournalStore>(path);
    const lease::RecoveryReport& r = j->recovery();
    if (r.created) log_.log(Msg::F6D_JOURNAL_CREATED, path);
    else log_.log(Msg::F6D_JOURNAL_OPENED, path, r.records, j->size(), r.bytes);
    if (r.torn_tail) log_.log(Msg::F6D_JOURNAL_TORN_TAIL, path, r.warning);
    journal_ = j.get();
    store_ = std::move(j);
  } catch (const lease::JournalError& e) {
    log_.log(Msg::F6D_JOURNAL_ERROR, e.what());
    throw StartupError(std::string("lease journal cannot be used: ") + e.what());
  }
}

void Service::choose_duid(std::int64_t now) {
  DuidInputs in;
  in.stored = store_->get_meta(SERVER_DUID_META);
  in.persistent = journal_ != nullptr;
  in.now = now;
  in.hardware = first_hardware_address();
  in.random_identifier = random_octets(8);
  DuidChoice c = choose_server_duid(config_.dhcp6.server_id, in);
  duid_ = c.duid;
  if (c.store) {
    store_->put_meta(SERVER_DUID_META, duid_.to_string());
    try {
      store_->commit();
    } catch (const std::exception& e) {
      log_.log(Msg::F6D_JOURNAL_ERROR, e.what());
      throw StartupError(std::string("cannot store the server DUID: ") + e.what());
    }
  }
  if (c.source == DuidSource::Generated)
    log_.log(Msg::F6D_SERVER_DUID_GENERATED, duid_.to_string(), duid_.describe(),
             c.store ? "stored in the lease store" : "not stored: it changes at every start");
  else
    log_.log(Msg::F6D_SERVER_DUID, duid_.to_string(), duid_.describe(), to_string(c.source));
}

void Service::open_sockets() {
  udp_ = std::make_unique<UdpIo>(io_, log_);
  std::string which;
  try {
    for (const auto& e : config_.failover6.listen) {
      which = e.to_string();
      udp_->open_listen(e);
    }
    for (const auto& spec : UdpIo::expand_interfaces(config_.dhcp6.interfaces)) {
      which = spec;
      udp_->open_interface(spec);
    }
  } catch (const std::exception& e) {
    log_.log(Msg::F6D_SOCKET_ERROR, which, e.what());
    throw StartupError(std::string("cannot open DHCPv6 socket: ") + e.what());
  }
}

ServiceView Service::view(std::int64_t now) const {
  static const server::Stats NO_STATS;
  static const BatchStats NO_BATCH_STATS;
  ServiceView v{config_,
                *store_,
                server_ ? server_->stats() : NO_STATS,
                batch_ ? batch_->stats() : NO_BATCH_STATS,
                duid_,
                pid_,
                started_,
                now,
                std::nullopt,
                relationships_ ? relationships_() : nlohmann::json::array()};
  if (journal_) v.journal = JournalInfo{journal_->path(), journal_->file_bytes(), journal_->commits()};
  return v;
}

ControlOutcome Service::control(const nlohmann::json& request) {
  // partner-down changes the failover state, which handle_control (a pure function of the
  // view) cannot: it is answered here.
  if (request.is_object() && request.value("command", std::string()) == "partner-down") {
    if (!failover_)
      return {control_response(CONTROL_ERROR, "partner-down: this server has no relationships"),
              false};
    std::string name;
    if (auto a = request.find("arguments"); a != request.end() && a->is_object())
      name = a->value("name", a->value("relationship", std::string()));
    auto err = failover_->partner_down(name, wall_now());
    if (err) return {control_response(CONTROL_ERROR, "partner-down: " + *err), false};
    return {control_response(CONTROL_SUCCESS, "partner-down done",
                             nlohmann::json{{"relationships", failover_->status(wall_now())}}),
            false};
  }
  return handle_control(request, view(wall_now()));
}

void Service::on_readable() {
  if (batch_posted_ || stopping_) return;
  batch_posted_ = true;
  asio::post(io_, [this] { run_batch(); });
}

void Service::run_batch() {
  batch_posted_ = false;
  if (stopping_) return;
  const std::int64_t now = wall_now();
  batch_->run_once(now);
  if (failover_) failover_->after_batch(now);  // the lazy BNDUPDs follow the REPLYs
  arm_expire(now);
  // Wait on the sockets found empty, and come back at once for those that may hold more:
  // posting (rather than looping) lets timers and control commands in between batches.
  udp_->arm([this] { on_readable(); });
  if (udp_->any_ready()) on_readable();
}

void Service::arm_expire(std::int64_t now) {
  std::optional<std::int64_t> deadline = server_->next_deadline();
  if (deadline == expire_at_) return;
  expire_at_ = deadline;
  if (!deadline) {
    expire_timer_.cancel();
    return;
  }
  std::int64_t wait = std::clamp<std::int64_t>(*deadline - now, 0, MAX_EXPIRE_WAIT);
  expire_timer_.expires_after(std::chrono::seconds(wait));
  expire_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_expire();
  });
}

void Service::on_expire() {
  if (stopping_) return;
  const std::int64_t now = wall_now();
  expire_at_.reset();
  std::optional<std::int64_t> due = server_->next_deadline();
  if (due && *due <= now) {
    std::size_t changed = server_->expire(now);
    if (failover_) failover_->after_batch(now);
    if (changed > 0) {
      try {
        store_->commit();
        log_.log(Msg::F6D_LEASES_EXPIRED, changed);
      } catch (const std::exception& e) {
        log_.log(Msg::F6D_COMMIT_FAILED, 0, e.what());
      }
    }
  }
  std::optional<std::int64_t> next = server_->next_deadline();
  if (next && *next <= now) {
    // The core says work is due but did none this second: look again in a second rather
    // than spin.
    expire_at_ = next;
    expire_timer_.expires_after(std::chrono::seconds(1));
    expire_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) on_expire();
    });
    return;
  }
  arm_expire(now);
}

void Service::arm_compact() {
  const std::uint32_t interval = config_.dhcp6.lease_database.lfc_interval;
  if (journal_ == nullptr || interval == 0) return;
  compact_timer_.expires_after(std::chrono::seconds(interval));
  compact_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_compact();
  });
}

void Service::on_compact() {
  if (stopping_) return;
  const std::uint64_t before = journal_->file_bytes();
  try {
    journal_->compact();
    log_.log(Msg::F6D_COMPACTED, before, journal_->file_bytes(), journal_->size());
  } catch (const std::exception& e) {
    log_.log(Msg::F6D_COMPACT_FAILED, e.what());
  }
  arm_compact();
}

void Service::wait_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      log_.log(Msg::F6D_SIGHUP_IGNORED);
      wait_signal();
      return;
    }
    log_.log(Msg::F6D_SIGNAL_SHUTDOWN, sig == SIGTERM ? "SIGTERM" : "SIGINT");
    shutdown();
  });
}

void Service::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  if (failover_) failover_->stop();  // DISCONNECT (ServerShuttingDown) to each partner
  // Commit, and answer the clients whose replies waited for it, while the sockets are open.
  if (batch_) batch_->flush();
  if (udp_) udp_->close();
  if (control_) control_->stop();
  if (metrics_) metrics_->stop();
  expire_timer_.cancel();
  compact_timer_.cancel();
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  if (store_) {
    try {
      store_->commit();
    } catch (const std::exception& e) {
      log_.log(Msg::F6D_FINAL_COMMIT_FAILED, e.what());
      exit_code_ = 1;
    }
  }
  const BatchStats no_stats;
  const BatchStats& b = batch_ ? batch_->stats() : no_stats;
  log_.log(Msg::F6D_SHUTDOWN, store_ ? store_->size() : 0, b.datagrams, b.replies_sent);
  io_.stop();
}

int Service::run() {
  io_.run();
  return exit_code_;
}

}  // namespace failover6::io
