// failover6::trace::ReaderStats: what PcapReader / FrameDecoder saw and skipped.
#pragma once

#include <cstdint>

namespace failover6::trace {

/// Counters kept while decoding a capture. They make "nothing was silently lost" checkable:
/// every frame is counted, and so is every reason for not yielding it.
///
/// Each frame is counted in exactly one of non_ipv6, malformed, fragments, unmatched,
/// udp_matched and tcp_matched; each reassembled datagram is then counted once more, as a
/// whole, in one of malformed, unmatched, udp_matched and tcp_matched. Hence
/// non_ipv6 + malformed + fragments + unmatched + udp_matched + tcp_matched
///   == frames + reassembled.
struct ReaderStats {
  /// Records read from the file (frames).
  std::uint64_t frames = 0;
  /// Frames whose link layer announced IPv6 (ethertype 0x86DD, an AF_INET6 value, or a raw
  /// packet with version 6), whether or not the IPv6 packet then parsed.
  std::uint64_t ipv6 = 0;
  /// Frames carrying something else: IPv4, ARP, LLC, other ethertypes or address families.
  std::uint64_t non_ipv6 = 0;
  /// Frames (or reassembled datagrams) dropped because a header was truncated by the capture
  /// or inconsistent: short link header, IPv6 payload length beyond the captured bytes, bad
  /// extension-header or UDP length, TCP data offset out of range, bad fragment geometry,
  /// too many extension headers, or a fragment header inside a reassembled datagram.
  std::uint64_t malformed = 0;
  /// IPv6 packets with a (non-atomic) fragment header that were handed to reassembly
  /// (fragments with bad geometry count as malformed instead).
  std::uint64_t fragments = 0;
  /// Datagrams rebuilt from fragments.
  std::uint64_t reassembled = 0;
  /// Fragment sets dropped incomplete: timed out, evicted by a newer set, or still pending at
  /// the end of the capture.
  std::uint64_t fragments_incomplete = 0;
  /// Fragment sets dropped because two fragments overlapped without being exact duplicates
  /// (RFC 5722), or exceeded the per-set fragment limit.
  std::uint64_t fragments_overlapping = 0;
  /// IPv6 packets that parsed but were not selected: other ports, other transport protocols,
  /// ESP, no next header, or an unknown extension header.
  std::uint64_t unmatched = 0;
  /// UDP datagrams yielded.
  std::uint64_t udp_matched = 0;
  /// TCP segments yielded.
  std::uint64_t tcp_matched = 0;
  /// True when the file ended inside a record (a capture cut short by a crash or kill); the
  /// partial record is not counted in frames.
  bool truncated_file = false;
};

}  // namespace failover6::trace
