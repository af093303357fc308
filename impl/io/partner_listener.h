// failover6::io::PartnerListener: the secondary's failover listening socket (RFC 8156 §6.1),
// shared by every secondary-role relationship whose this_server endpoint it is (one server,
// several relationships: m-to-1), handing each accepted connection to the right PartnerLink.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "config/config.h"
#include "io/logger.h"
#include "io/partner_connection.h"
#include "io/partner_link.h"

namespace failover6::io {

/// PartnerListener's limits.
struct PartnerListenerOptions {
  std::chrono::milliseconds setup_timeout{10000};  ///< accept to CONNECT, STARTTLS and TLS included
  std::size_t max_pending = 16;                    ///< connections in set-up at once
};

/// Accepts partner connections on one endpoint and gives each to its relationship.
///
/// For each accepted connection from address A (RFC 8156 §6.1, §6.2):
/// 1. The candidates are the added links whose peer address is A. None: the connection is
///    closed at once and logged (F6D_PARTNER_REFUSED); the port is ignored, as the primary
///    connects from an ephemeral port.
/// 2. Set-up runs with the first candidate's mode and TLS context: secure (STARTTLS, REPLY,
///    TLS handshake as server, the partner's certificate checked against tls.peer_name) or
///    insecure. Relationships that share a listener and a peer address must therefore have
///    equal TLS settings (a configuration check).
/// 3. The partner's first message after set-up must be CONNECT (31). It picks the
///    relationship: the candidate named by its OPTION_F_RELATIONSHIP_NAME; without that
///    option, the only candidate (several candidates: refused, the choice would be a guess).
///    Anything else (another message, an unknown name, no message within the set-up time) is
///    refused and logged.
/// 4. The chosen link adopts the connection (PartnerLink::adopt): on_up, then on_frame with
///    the CONNECT.
/// At most Options::max_pending connections may be in set-up at once; more are refused.
///
/// Links are referenced, not owned: remove() a link, or destroy the listener, before the link.
/// Not thread-safe: one io_context thread.
class PartnerListener {
 public:
  using Duration = std::chrono::milliseconds;

  /// Limits.
  using Options = PartnerListenerOptions;

  /// @brief A listener for @p endpoint (port 0 = any free port, for tests); idle until start().
  PartnerListener(boost::asio::io_context& io, config::Endpoint endpoint, Logger& log,
                  Options options = {});
  ~PartnerListener();
  PartnerListener(const PartnerListener&) = delete;
  PartnerListener& operator=(const PartnerListener&) = delete;

  /// @brief Serves @p link from now on.
  /// @throws std::invalid_argument when @p link is not a secondary, or its this_server
  /// endpoint is not this listener's (the address must match; the port too unless the
  /// listener was made with port 0).
  void add(PartnerLink& link);
  /// @brief Stops serving @p link (its current connection stays with it).
  void remove(PartnerLink& link);

  /// @brief Binds (SO_REUSEADDR) and listens, then accepts until stop().
  /// @throws std::runtime_error naming the endpoint and the reason (address not local, port in
  /// use, no permission for port 647).
  void start();
  /// @brief Stops accepting and drops the connections still in set-up.
  void stop();

  /// @return the bound port (after start()), else the configured one.
  std::uint16_t port() const { return port_; }
  /// @return connections accepted and still in set-up.
  std::size_t pending() const { return pending_.size(); }
  /// @return connections accepted in total.
  std::uint64_t accepted() const { return accepted_; }
  /// @return connections refused in total (unknown address, set-up failure, bad first message).
  std::uint64_t refused() const { return refused_; }

 private:
  void accept();
  void on_accept(boost::asio::ip::tcp::socket socket);
  std::vector<PartnerLink*> candidates(const boost::asio::ip::address& a) const;
  void dispatch(PartnerConnection* conn, wire::ByteView first);
  void refuse(PartnerConnection* conn, const std::string& reason);

  boost::asio::io_context& io_;
  config::Endpoint endpoint_;
  std::string name_;
  Logger& log_;
  Options opt_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<PartnerLink*> links_;
  std::map<PartnerConnection*, std::shared_ptr<PartnerConnection>> pending_;
  std::uint64_t accepted_ = 0;
  std::uint64_t refused_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace failover6::io
