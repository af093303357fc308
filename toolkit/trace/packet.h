// failover6::trace::Packet: one UDP datagram or TCP segment taken from a capture.
#pragma once

#include <cstdint>
#include <span>

#include "wire/address.h"

namespace failover6::trace {

/// TCP header flag bits (RFC 9293 §3.1), as found in Packet::tcp_flags.
inline constexpr std::uint8_t TCP_FIN = 0x01;
inline constexpr std::uint8_t TCP_SYN = 0x02;
inline constexpr std::uint8_t TCP_RST = 0x04;
inline constexpr std::uint8_t TCP_PSH = 0x08;
inline constexpr std::uint8_t TCP_ACK = 0x10;
inline constexpr std::uint8_t TCP_URG = 0x20;

/// A UDP datagram or TCP segment carried over IPv6, as PcapReader / FrameDecoder yield it.
///
/// The payload is a view, not a copy: it points into libpcap's packet buffer or into the
/// reader's reassembly buffer, and is valid only until the next call to PcapReader::next()
/// (or FrameDecoder::decode()). Copy it if you need it longer.
///
/// Checksums are not verified: captures taken on the sending host routinely carry wrong
/// checksums because of checksum offload, and rejecting them would hide real traffic.
struct Packet {
  /// Transport protocol of the payload.
  enum class Proto : std::uint8_t { Udp, Tcp };

  /// 1-based record number in the capture (what tshark calls frame.number). For a
  /// reassembled datagram: the frame of the fragment that completed it.
  std::uint64_t frame = 0;
  /// Capture timestamp, nanoseconds since the Unix epoch (of the completing fragment for a
  /// reassembled datagram).
  std::int64_t time_ns = 0;
  wire::Address src;        ///< IPv6 source address.
  wire::Address dst;        ///< IPv6 destination (from the IPv6 header, not a routing header).
  std::uint16_t sport = 0;  ///< UDP/TCP source port.
  std::uint16_t dport = 0;  ///< UDP/TCP destination port.
  Proto proto = Proto::Udp;
  std::uint8_t hop_limit = 0;    ///< IPv6 hop limit.
  bool reassembled = false;      ///< True when built from several IPv6 fragments.
  std::uint32_t tcp_seq = 0;     ///< TCP sequence number (0 for UDP).
  std::uint32_t tcp_ack = 0;     ///< TCP acknowledgment number (0 for UDP).
  std::uint16_t tcp_window = 0;  ///< TCP window field, unscaled (0 for UDP).
  std::uint8_t tcp_flags = 0;    ///< TCP flag bits TCP_FIN ... TCP_URG (0 for UDP).
  /// UDP payload (as bounded by the UDP length field) or TCP payload (after options).
  std::span<const std::uint8_t> payload;
};

}  // namespace failover6::trace
