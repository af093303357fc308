// failover6::fault::UdpProxy: client traffic toward one server, with loss (RFC 7031 §4.7).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fault/partner_proxy.h"

namespace failover6::fault {

/// Counters of a UdpProxy, a snapshot.
struct UdpProxyStats {
  std::string mode;                  ///< "pass" or "blackhole".
  std::uint64_t sources = 0;         ///< Downstream sources seen (one upstream socket each).
  std::uint64_t open_sources = 0;    ///< Sources mapped now (at most UdpProxy::MAX_SOURCES).
  std::uint64_t expired = 0;         ///< Mappings closed for idleness or to make room.
  std::uint64_t to_target = 0;       ///< Datagrams forwarded to the target.
  std::uint64_t from_target = 0;     ///< Datagrams forwarded back to a source.
  std::uint64_t dropped = 0;         ///< Datagrams toward the target dropped by blackhole.
  std::uint64_t bytes_to_target = 0;    ///< Payload octets forwarded to the target.
  std::uint64_t bytes_from_target = 0;  ///< Payload octets forwarded back.
  std::uint64_t send_errors = 0;     ///< Datagrams a send failed for (e.g. ICMP unreachable).
};

/// A UDP forwarder placed in front of one server's DHCPv6 port, so that the clients' traffic
/// toward that server alone can be lost while the partner link stays up (RFC 7031 §4.7).
///
/// Relays send RELAY-FORW to port(); for each downstream source address:port the proxy opens
/// one upstream socket connected to the target, so the server's replies (sent back to that
/// socket) are returned to the very source that sent the request. blackhole() drops
/// datagrams toward the server only; replies to requests already forwarded still pass.
///
/// Mappings are bounded: one idle for idle_timeout seconds (no datagram either way) is
/// closed, and when MAX_SOURCES are open the least recently used one is closed to make room
/// for a new source. A closed mapping's source simply gets a new one with its next datagram
/// (a late reply to the old upstream socket is lost, like on a NAT whose entry expired).
///
/// Own io thread; every public member is thread-safe and synchronous. Errors: the
/// constructor throws std::invalid_argument for a bad endpoint and std::runtime_error when it
/// cannot bind; mode changes after close() throw std::logic_error.
class UdpProxy {
 public:
  /// Most downstream sources mapped at once (each holds a socket).
  static constexpr std::size_t MAX_SOURCES = 512;
  /// Default idle time, seconds, after which a source's mapping is closed.
  static constexpr double DEFAULT_IDLE_TIMEOUT = 120;

  /// @brief Binds @p listen and starts forwarding to @p target.
  /// @param target "[ADDR]:PORT" of the server.
  /// @param listen "[ADDR]:PORT" to receive on; port 0 picks a free one.
  /// @param name   name for error texts.
  /// @param idle_timeout seconds without a datagram after which a source's mapping (and its
  ///        upstream socket) is closed; @throws std::invalid_argument unless in (0, 86400].
  explicit UdpProxy(const std::string& target, const std::string& listen = "[::1]:0",
                    const std::string& name = "client-proxy",
                    double idle_timeout = DEFAULT_IDLE_TIMEOUT);
  /// Closes; errors swallowed.
  ~UdpProxy();
  UdpProxy(const UdpProxy&) = delete;
  UdpProxy& operator=(const UdpProxy&) = delete;

  /// @brief The port actually bound.
  std::uint16_t port() const;
  /// @brief "[ADDR]:PORT" actually bound.
  std::string listen_address() const;
  /// @brief "pass" or "blackhole".
  std::string mode() const;
  /// @brief Forwards datagrams toward the target again.
  void pass_through();
  /// @brief Drops datagrams toward the target from now on (replies still pass).
  void blackhole();
  /// @brief A snapshot of the counters (also after close()).
  UdpProxyStats stats() const;
  /// @brief Mode changes so far, oldest first (also after close()).
  std::vector<ProxyEvent> events() const;
  /// @brief Closes every socket and stops the io thread. Idempotent.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace failover6::fault
