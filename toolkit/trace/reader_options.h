// failover6::trace::ReaderOptions: which packets PcapReader and FrameDecoder hand out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace failover6::trace {

/// Selection and resource limits for PcapReader / FrameDecoder.
///
/// A UDP datagram is yielded when its source or destination port is in udp_ports (or
/// all_udp is set); a TCP segment likewise with tcp_ports / all_tcp. Everything else is
/// counted in ReaderStats::unmatched and skipped. The defaults select DHCPv6 (RFC 8415 §7.2:
/// clients on 546, servers and relays on 547) and the RFC 8156 failover connection (TCP 647).
struct ReaderOptions {
  /// UDP ports of interest, matched against either port.
  std::vector<std::uint16_t> udp_ports{546, 547};
  /// TCP ports of interest, matched against either port.
  std::vector<std::uint16_t> tcp_ports{647};
  /// Yield every UDP datagram, whatever its ports.
  bool all_udp = false;
  /// Yield every TCP segment, whatever its ports.
  bool all_tcp = false;
  /// A fragment set not completed within this much capture time after its first fragment is
  /// dropped (RFC 8200 §4.5 suggests 60 s).
  std::int64_t fragment_timeout_ns = 60'000'000'000;
  /// At most this many fragment sets are pending at once; a new set beyond it evicts the
  /// set that started first.
  std::size_t max_fragment_sets = 256;
};

}  // namespace failover6::trace
