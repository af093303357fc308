// failover6::trace::TcpFlowKey: one direction of a TCP connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "trace/packet.h"
#include "wire/address.h"

namespace failover6::trace {

/// Identifies one direction of a TCP connection: the bytes sent from (src, sport) to
/// (dst, dport). The opposite direction is reversed(). A plain value type.
struct TcpFlowKey {
  wire::Address src;        ///< Sender's address.
  wire::Address dst;        ///< Receiver's address.
  std::uint16_t sport = 0;  ///< Sender's port.
  std::uint16_t dport = 0;  ///< Receiver's port.

  /// @brief The direction @p p travels in.
  static TcpFlowKey of(const Packet& p) { return {p.src, p.dst, p.sport, p.dport}; }

  /// @brief The opposite direction of the same connection.
  TcpFlowKey reversed() const { return {dst, src, dport, sport}; }

  friend bool operator==(const TcpFlowKey&, const TcpFlowKey&) = default;
};

/// Hash functor for unordered containers keyed by TcpFlowKey.
struct TcpFlowKeyHash {
  std::size_t operator()(const TcpFlowKey& k) const noexcept {
    const std::size_t a = wire::AddressHash{}(k.src);
    const std::size_t b = wire::AddressHash{}(k.dst);
    const std::size_t ports = (std::size_t{k.sport} << 16) | k.dport;
    return (a * 0x9E3779B97F4A7C15ULL) ^ (b + 0x7F4A7C15ULL + (a << 6)) ^ (ports * 0xC2B2AE35ULL);
  }
};

}  // namespace failover6::trace
