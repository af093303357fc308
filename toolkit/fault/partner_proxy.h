// failover6::fault::PartnerProxy: a TCP proxy on the partner link that injects faults.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace failover6::fault {

/// What the proxy does with the bytes of the partner link.
enum class ProxyMode : std::uint8_t {
  Pass,       ///< Bytes flow both ways.
  Blackhole,  ///< Every byte (and FIN) is read and dropped both ways; sockets stay open.
  Refuse,     ///< New connections are reset at once; open ones were reset on entry.
  Delay,      ///< Every byte is delivered a fixed time after it arrived, order kept.
  OneWay,     ///< Bytes in one direction are dropped, the other direction flows.
};

/// @return "pass", "blackhole", "refuse", "delay" or "one-way".
std::string_view to_string(ProxyMode mode);

/// A direction of the proxied link, relative to the target (the listening partner).
enum class LinkDirection : std::uint8_t {
  ToTarget,    ///< From the connecting side to the target.
  FromTarget,  ///< From the target back to the connecting side.
};

/// @return "to-target" or "from-target".
std::string_view to_string(LinkDirection direction);

/// @brief Parses "to-target" / "from-target".
/// @return nullopt for anything else.
std::optional<LinkDirection> parse_direction(std::string_view text);

/// Counters of a proxy, a snapshot.
struct ProxyStats {
  std::string mode;                   ///< to_string(ProxyMode) of the current mode.
  double delay_seconds = 0;           ///< The delay while mode is "delay", else 0.
  std::string drop;                   ///< The dropped direction while mode is "one-way".
  std::uint64_t connections = 0;      ///< Connections accepted.
  std::uint64_t open_connections = 0;  ///< Connections open now.
  std::uint64_t refused = 0;          ///< Connections reset at accept (refuse mode).
  std::uint64_t resets = 0;           ///< Open connections reset by the proxy.
  std::uint64_t connect_failures = 0;  ///< Upstream connects that failed (then reset).
  std::uint64_t bytes_to_target = 0;  ///< Bytes delivered to the target.
  std::uint64_t bytes_from_target = 0;  ///< Bytes delivered to the connecting side.
  std::uint64_t dropped_to_target = 0;  ///< Bytes toward the target dropped by a fault.
  std::uint64_t dropped_from_target = 0;  ///< Bytes from the target dropped by a fault.
  std::uint64_t held_bytes = 0;       ///< Bytes read and not yet delivered (delay queue).
  std::uint64_t pcap_packets = 0;     ///< Segments written to the pcap.
  std::string pcap_error;             ///< Why the pcap stopped being written; empty if fine.
};

/// A mode change or one-shot fault, for the lab's timeline.
struct ProxyEvent {
  double time = 0;   ///< Unix time, seconds.
  std::string what;  ///< "pass", "blackhole", "reset", "refuse", "delay", "one-way".
};

/// A TCP proxy for the RFC 8156 partner link with switchable faults. The connecting partner
/// connects to port() instead of the target's failover port; for every accepted connection
/// the proxy opens one to the target and copies bytes both ways.
///
/// It runs its own Boost.Asio io thread; every public member is thread-safe and synchronous:
/// when a mode change returns, the io thread already applies it to every byte read after.
///
/// Faults:
/// - blackhole(): every byte read, both ways, is dropped (and counted); EOFs are swallowed
///   too; sockets stay open; connections accepted meanwhile get no upstream connection and
///   are silent. To the partners it looks like a partition.
/// - one_way(d): as blackhole for direction @p d only.
/// - delay(s): every byte is delivered @p s seconds after it was read, in order, both ways.
///   (At most MAX_HELD bytes per direction are held; reading then pauses, so the sender sees
///   TCP backpressure rather than the proxy growing without bound.)
/// - reset(): every open connection is reset (RST to both sides) once; the mode becomes pass.
/// - refuse(): like reset(), and new connections are reset as soon as they are accepted,
///   like a host whose listener is gone, until another mode is set.
/// - pass_through(): bytes flow again. Bytes held by delay are delivered at once (in order).
///
/// Holes: TCP delivers every byte in order or the connection dies, so whenever a mode change
/// (any of the above, not only pass_through()) resumes delivery in a direction in which a
/// connection lost bytes (or its FIN) to a fault, that connection is reset (RST both ways)
/// as part of the change: neither side could parse what follows a hole; the partners
/// reconnect, as after a real outage. E.g. blackhole() then delay(), or one_way(ToTarget)
/// then one_way(FromTarget). A direction that is still dropped keeps its connection open;
/// a connection that lost nothing is never reset by a mode change. A connection accepted
/// during a blackhole (silent, no upstream) is reset by any change to a mode other than
/// blackhole.
///
/// A reset on one side (or a failed write) resets the other; an EOF is passed on as a
/// shutdown of the other side's sending half once the queued bytes are delivered.
///
/// pcap: when given, the stream AS DELIVERED is written as IPv6/TCP segments: SYN, SYN-ACK,
/// ACK when the upstream connection is established, one PSH|ACK segment per delivered chunk
/// with continuous sequence numbers per direction, FIN|ACK when a side's sending half is
/// closed, RST|ACK both ways when the proxy resets a connection. Addresses are the connecting
/// side's address and port and the TARGET's address and port, so the checker (`failover6
/// check --failover-port <target port>`) reads it like a capture of the real link. Dropped
/// bytes are not in it. Timestamps are the wall clock at delivery.
///
/// Errors: the constructor throws std::invalid_argument for a bad endpoint and
/// std::runtime_error when it cannot listen or create the pcap. Mode changes after close()
/// throw std::logic_error. An upstream connect failure resets the accepted connection.
class PartnerProxy {
 public:
  /// Most bytes held per connection and direction before reading that side pauses.
  static constexpr std::size_t MAX_HELD = 4 << 20;

  /// @brief Listens on @p listen and starts the io thread.
  /// @param target "[ADDR]:PORT" of the listening partner.
  /// @param listen "[ADDR]:PORT" to listen on; port 0 picks a free one (see port()).
  /// @param pcap   file for the capture of the delivered stream; empty for none.
  /// @param name   name for error texts and thread names.
  explicit PartnerProxy(const std::string& target, const std::string& listen = "[::1]:0",
                        const std::string& pcap = "", const std::string& name = "partner-link");
  /// Closes (see close()); errors are swallowed.
  ~PartnerProxy();
  PartnerProxy(const PartnerProxy&) = delete;
  PartnerProxy& operator=(const PartnerProxy&) = delete;

  /// @brief The port actually listened on.
  std::uint16_t port() const;
  /// @brief "[ADDR]:PORT" actually listened on.
  std::string listen_address() const;
  /// @brief The name given at construction.
  const std::string& name() const;
  /// @brief The current mode.
  ProxyMode mode() const;

  /// @brief Heals every fault; resets connections with a hole (see the class comment).
  void pass_through();
  /// @brief Drops every byte both ways from now on.
  void blackhole();
  /// @brief Resets every open connection once; the mode becomes pass.
  /// @return the number of connections reset.
  std::size_t reset();
  /// @brief Resets every open connection and every new one until another mode is set.
  void refuse();
  /// @brief Delivers every byte @p seconds late, in order, both ways; resets connections
  ///        with a hole (see the class comment).
  /// @throws std::invalid_argument unless 0 <= seconds <= 3600.
  void delay(double seconds);
  /// @brief Drops bytes in direction @p drop only; resets connections with a hole in the
  ///        other direction (see the class comment).
  void one_way(LinkDirection drop);

  /// @brief Pushes the packets written so far to the pcap file, so that a reader sees
  ///        the capture up to now while the proxy runs. No-op without a pcap or once closed.
  /// @throws std::runtime_error when the pcap cannot be written.
  void flush();

  /// @brief A snapshot of the counters (also after close()).
  ProxyStats stats() const;
  /// @brief Every mode change so far, oldest first (also after close()).
  std::vector<ProxyEvent> events() const;

  /// @brief Stops listening, closes every connection (gracefully: FIN both ways), stops the
  ///        io thread and closes the pcap. Idempotent.
  /// @throws std::runtime_error when the pcap could not be written completely.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace failover6::fault
