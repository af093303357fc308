// failover6::trace::FrameDecoder: link layer + IPv6 + UDP/TCP decoding of captured frames.
#pragma once

#include <bitset>
#include <cstdint>
#include <span>

#include "trace/fragment_reassembler.h"
#include "trace/packet.h"
#include "trace/reader_options.h"
#include "trace/reader_stats.h"

namespace failover6::trace {

/// Sans-IO decoder of captured frames into the UDP datagrams and TCP segments selected by
/// ReaderOptions. PcapReader feeds it from a file; a live capture can feed it the same way,
/// and tests feed it byte arrays directly.
///
/// Link types (libpcap DLT_ values, as pcap_datalink() reports them):
/// - DLT_EN10MB (1): Ethernet II, with any number (up to 4) of 802.1Q / 802.1ad VLAN tags
///   (TPID 0x8100, 0x88A8, 0x9100);
/// - DLT_LINUX_SLL (113) and DLT_LINUX_SLL2 (276): Linux "any"-device cooked headers;
/// - DLT_RAW (12; the file's LINKTYPE_RAW 101 maps to it), DLT_IPV6 (229), DLT_IPV4 (228):
///   bare IP, told apart by the version nibble;
/// - DLT_NULL (0) and DLT_LOOP (108): BSD loopback, a 4-octet address family in either byte
///   order; 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD) and 30 (Darwin) mean AF_INET6.
///
/// IPv6 processing walks hop-by-hop, routing, destination-options, fragment and AH headers
/// (at most 16), each bounds-checked; ESP, "no next header" and unknown values end the walk
/// and the packet counts as unmatched. Fragments go through a FragmentReassembler. A frame
/// may carry bytes after the IPv6 payload (Ethernet padding); they are ignored. Bytes after
/// the UDP length likewise. An IPv6 payload or UDP datagram cut by the capture's snap length
/// is malformed: a partial DHCPv6 message is of no use to the checks. So are jumbograms
/// (RFC 2675, payload length 0), which no DHCPv6 or failover traffic uses. Checksums are not
/// verified (see Packet).
///
/// Malformed input is never fatal: the frame is counted (see ReaderStats) and skipped.
class FrameDecoder {
 public:
  /// @brief A decoder for frames of link type @p dlt.
  /// @throws TraceError when @p dlt is not one of the supported link types.
  explicit FrameDecoder(int dlt, const ReaderOptions& options = {});

  /// @brief Decodes one frame.
  /// @param frame    the captured bytes (caplen octets).
  /// @param frame_no 1-based record number, copied into Packet::frame.
  /// @param time_ns  capture time, copied into Packet::time_ns.
  /// @param out      filled when the frame yields a packet.
  /// @return true when @p out holds a selected UDP datagram or TCP segment; its payload
  ///         points into @p frame or into the decoder's reassembly buffer and is valid until
  ///         the next decode() or finish().
  bool decode(std::span<const std::uint8_t> frame, std::uint64_t frame_no, std::int64_t time_ns,
              Packet& out);

  /// @brief Ends the capture: pending fragment sets are counted as incomplete.
  void finish();

  /// @brief The counters so far.
  const ReaderStats& stats() const { return stats_; }

  /// @brief Records that the capture ended inside a record (sets ReaderStats::truncated_file).
  void note_truncated_file() { stats_.truncated_file = true; }

  /// @brief The link type this decoder was built for.
  int dlt() const { return dlt_; }

  /// @brief True when @p dlt is a link type this decoder understands.
  static bool supports(int dlt);

 private:
  /// What the link layer says the frame carries.
  enum class Link : std::uint8_t { Ipv6, Other, Malformed };

  Link strip_link(std::span<const std::uint8_t> frame, std::span<const std::uint8_t>& l3) const;
  bool decode_ipv6(std::span<const std::uint8_t> packet, std::uint64_t frame_no,
                   std::int64_t time_ns, Packet& out);
  bool decode_upper(std::uint8_t next_header, std::span<const std::uint8_t> bytes, bool reassembled,
                    Packet& out);

  int dlt_;                        ///< Link type of every frame.
  bool all_udp_;                   ///< ReaderOptions::all_udp.
  bool all_tcp_;                   ///< ReaderOptions::all_tcp.
  std::bitset<65536> udp_ports_;   ///< Selected UDP ports.
  std::bitset<65536> tcp_ports_;   ///< Selected TCP ports.
  FragmentReassembler fragments_;  ///< Pending fragment sets.
  ReaderStats stats_;              ///< Counters.
};

}  // namespace failover6::trace
