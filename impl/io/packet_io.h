// failover6::io::PacketIo: the narrow edge between the group-commit loop and the DHCPv6
// sockets (STYLE.md rule 5), so tests can script received datagrams and record sent ones.
#pragma once

#include <cstddef>

#include "server/server.h"
#include "wire/buffer.h"

namespace failover6::io {

/// One received datagram with the octets it points into.
struct ReceivedDatagram {
  /// Addresses, ports, receiving interface; `datagram.payload` views `buffer`.
  server::Datagram datagram;
  /// The octets. Reused from one receive to the next, so its capacity stays allocated.
  wire::Bytes buffer;
  /// Which socket it arrived on (an index chosen by the PacketIo); its reply leaves by the
  /// same socket, so the reply's source address and port are the ones the client used.
  std::size_t socket = 0;
};

/// Non-blocking datagram I/O.
///
/// Implementations: UdpIo (the real sockets, udp_io.h) and the scripted fake of
/// tests/unit/io. Neither call ever blocks.
class PacketIo {
 public:
  virtual ~PacketIo() = default;

  /// @brief Receives one datagram that is already waiting, if any.
  /// @param out overwritten on success; `out.datagram.payload` then views `out.buffer`.
  /// @return false when no datagram is waiting on any socket.
  virtual bool try_receive(ReceivedDatagram& out) = 0;

  /// @brief Hands @p datagram to socket @p socket for sending.
  /// @return false when it could not be sent (the reason is logged and counted by the
  /// implementation); UDP gives no further guarantee either way.
  virtual bool send(const server::Outbound& datagram, std::size_t socket) = 0;
};

}  // namespace failover6::io
