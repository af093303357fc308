// failover6::io::FailoverRuntime: the failover relationships of one failover6d process, each
// a sans-IO failover::Endpoint joined to a PartnerLink (TCP/TLS), with its timer. The Service
// creates it before the server core (it is the core's Policy), attaches the core and the batch
// processor, and calls after_batch() whenever client traffic or expiry changed leases.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "failover/endpoint.h"
#include "failover/router.h"
#include "io/logger.h"
#include "io/partner_link.h"
#include "io/partner_listener.h"
#include "lease/lease_store.h"
#include "server/server.h"

namespace failover6::io {

class BatchProcessor;

/// Every relationship of the process (m-to-1: several, each with its own partner, pools and
/// state), on the io_context thread.
class FailoverRuntime {
 public:
  /// Runs a callback once the store changes made so far are durable (BatchProcessor::
  /// when_durable in the daemon).
  using WhenDurable = std::function<void(std::function<void()>)>;
  /// The wall clock in Unix seconds.
  using Clock = std::function<std::int64_t()>;

  /// @brief Builds one Endpoint per configured relationship (each reads its stored state) and
  /// the links; nothing is opened yet.
  FailoverRuntime(boost::asio::io_context& io, const config::Config& config,
                  lease::LeaseStore& store, Logger& log, Clock clock);
  ~FailoverRuntime();
  FailoverRuntime(const FailoverRuntime&) = delete;
  FailoverRuntime& operator=(const FailoverRuntime&) = delete;

  /// @return the server core's policy (routes each subnet to its relationship).
  server::Policy* policy() { return router_.get(); }

  /// @brief Joins the server core (to schedule leases the endpoints store) and the commit
  /// pipeline (BNDREPLY and STATE go out only after their data is durable).
  void attach(server::Server& server, WhenDurable when_durable);

  /// @brief Opens the partner listeners (secondary role) and starts connecting (primary).
  void start();

  /// @brief Sends DISCONNECT (ServerShuttingDown) on every connected relationship and closes
  /// the links.
  void stop();

  /// @brief Client messages or expiry changed leases: send the lazy updates that flow control
  /// allows (after the REPLYs, which the batch already sent or queued).
  void after_batch(std::int64_t now);

  /// @return the "relationships" array of the control API's status.
  nlohmann::json status(std::int64_t now) const;

  /// @brief `failover6 ctl partner-down [NAME]`: @p name empty means every relationship.
  /// @return an error text, or nullopt when done.
  std::optional<std::string> partner_down(const std::string& name, std::int64_t now);

  /// @return the endpoints (tests, metrics).
  std::vector<const failover::Endpoint*> endpoints() const;

 private:
  struct Relationship {
    std::unique_ptr<failover::Endpoint> endpoint;
    std::unique_ptr<PartnerLink> link;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::optional<std::int64_t> armed_for;
    /// Counts connections: what an endpoint queued for one connection is never sent on the
    /// next (it may wait for a commit across a reconnection).
    std::uint64_t epoch = 0;
  };

  void on_up(Relationship& r);
  void on_frame(Relationship& r, wire::ByteView bytes);
  void on_down(Relationship& r, const std::string& reason);
  void settle(Relationship& r);
  void arm(Relationship& r);
  void on_notice(const std::string& relationship, const failover::Notice& n);

  boost::asio::io_context& io_;
  const config::Config& config_;
  lease::LeaseStore& store_;
  Logger& log_;
  Clock clock_;
  server::Server* server_ = nullptr;
  WhenDurable when_durable_;
  std::vector<std::unique_ptr<Relationship>> rels_;
  std::unique_ptr<failover::PolicyRouter> router_;
  std::map<std::string, std::unique_ptr<PartnerListener>> listeners_;  ///< by endpoint text
  bool stopped_ = false;
};

}  // namespace failover6::io
