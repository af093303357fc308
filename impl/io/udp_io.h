// failover6::io::UdpIo: the DHCPv6 UDP sockets of failover6d, as a PacketIo.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "config/config.h"
#include "io/logger.h"
#include "io/packet_io.h"

namespace failover6::io {

/// The listening sockets: one per Failover6.listen endpoint and one per served interface.
///
/// Every socket is non-blocking and has IPV6_RECVPKTINFO on, so each datagram carries the
/// address it was sent to (ff02::1:2 for a multicast from a direct client) and, for interface
/// sockets, the interface name. Readiness comes from the io_context (arm()); reading is
/// try_receive(), which goes round the ready sockets one datagram at a time so that a flood on
/// one socket does not starve the others. Not thread-safe: the io_context thread owns it.
class UdpIo final : public PacketIo {
 public:
  /// The DHCPv6 server port (RFC 8415 §7.2), used by interface sockets.
  static constexpr std::uint16_t SERVER_PORT = 547;
  /// Receive buffer asked for every socket (SO_RCVBUF, or SO_RCVBUFFORCE when privileged):
  /// room for about 20,000 relayed requests, so bursts that arrive while the loop is busy
  /// wait in the kernel rather than being dropped.
  static constexpr int RECEIVE_BUFFER = 4 << 20;

  /// @param io the context that reports readiness; must outlive this object
  /// @param log receives F6D_LISTENING, F6D_RECEIVE_ERROR, F6D_SEND_ERROR ...
  UdpIo(boost::asio::io_context& io, Logger& log);
  ~UdpIo() override;
  UdpIo(const UdpIo&) = delete;
  UdpIo& operator=(const UdpIo&) = delete;

  /// @brief Opens a socket bound to @p e (Failover6.listen). Datagrams on it have an empty
  /// interface name.
  /// @throws std::runtime_error naming the endpoint and the system error.
  void open_listen(const config::Endpoint& e);

  /// @brief Opens a socket for an interfaces-config entry: "eth0", or "eth0/2001:db8::1" (the
  /// address is the server's unicast address on that link; the socket, bound to [::]:547 on
  /// the interface, receives it as well as ff02::1:2, which it joins).
  /// @throws std::runtime_error naming the interface and the system error (no such
  /// interface, no privilege for port 547 or SO_BINDTODEVICE, ...).
  void open_interface(const std::string& spec);

  /// @brief Expands Kea's "*" in interfaces-config into every up, multicast-capable,
  /// non-loopback interface; other entries are kept as they are.
  static std::vector<std::string> expand_interfaces(const std::vector<std::string>& specs);

  bool try_receive(ReceivedDatagram& out) override;
  bool send(const server::Outbound& datagram, std::size_t socket) override;

  /// @brief Asks the io_context to call @p on_ready once some socket that try_receive() found
  /// empty becomes readable again. Sockets still marked ready are not waited on: call
  /// any_ready() first.
  void arm(std::function<void()> on_ready);
  /// @return true when some socket may still hold datagrams (try_receive() has not seen it
  /// empty since it last became readable).
  bool any_ready() const;
  /// @brief Closes every socket (pending waits complete with operation_aborted).
  void close();

  /// @return the number of sockets.
  std::size_t size() const { return sockets_.size(); }
  /// @return the local port of socket @p i (useful when a listen endpoint had port 0).
  std::uint16_t local_port(std::size_t i) const;
  /// @return the receive buffer of socket @p i as the kernel reports it (SO_RCVBUF; Linux
  /// reports twice the usable size it was given).
  int receive_buffer(std::size_t i) const;
  /// @return receive errors other than "no datagram waiting".
  std::uint64_t receive_errors() const { return receive_errors_; }

 private:
  struct Socket;
  void add_socket(std::unique_ptr<Socket> s);
  unsigned interface_index(const std::string& name);

  boost::asio::io_context& io_;
  Logger& log_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::size_t next_ = 0;  ///< round-robin position of try_receive()
  std::map<std::string, unsigned> if_index_cache_;
  std::array<std::uint8_t, 65536> recv_buffer_{};
  std::uint64_t receive_errors_ = 0;
};

}  // namespace failover6::io
