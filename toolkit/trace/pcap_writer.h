// failover6::trace::PcapWriter: writes IPv6 UDP/TCP packets to a pcap file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "wire/address.h"

namespace failover6::trace {

/// Writes a classic pcap file (nanosecond-resolution magic 0xA1B23C4D) of IPv6 packets that
/// it builds itself from addresses, ports and payload, with correct UDP and TCP checksums,
/// so that tshark, tcpdump, scapy and PcapReader read it without complaint.
///
/// Timestamps are the caller's (the lab's clock, simulated or not), never the wall clock.
/// Writing goes through libpcap's pcap_dump, buffered by stdio; nothing is allocated per
/// packet once the internal frame buffer has grown to the largest packet.
///
/// Errors: the constructor, flush() and close() throw TraceError naming the file. The
/// write_* functions throw TraceError for arguments that cannot be encoded (payload too
/// large, time out of range, bad fragment size) or a writer already closed; a write error of
/// the file itself is reported by the next flush() or close(). The destructor closes the file
/// and swallows errors: call close() to see them.
///
/// Not copyable; movable. Not thread-safe.
class PcapWriter {
 public:
  /// The link-layer framing of every packet in the file.
  enum class LinkLayer : std::uint8_t {
    /// Bare IPv6 packets, LINKTYPE_RAW (101). The default: every tool reads it.
    RawIpv6,
    /// Ethernet II (LINKTYPE_ETHERNET 1), ethertype 0x86DD. Destination MAC 33:33:xx:xx:xx:xx
    /// for multicast (RFC 2464 §7), otherwise 02:00 + the address's last four octets (a
    /// locally administered address); source MAC likewise from the source address.
    Ethernet,
  };

  /// Order in which write_udp_fragments() writes the fragments.
  enum class FragmentOrder : std::uint8_t { InOrder, Reversed };

  /// @brief Creates (or truncates) @p path and writes the pcap file header.
  /// @param path the file to write.
  /// @param link framing of the packets.
  /// @throws TraceError naming the file and libpcap's reason when it cannot be created.
  explicit PcapWriter(const std::string& path, LinkLayer link = LinkLayer::RawIpv6);
  ~PcapWriter();
  PcapWriter(PcapWriter&&) noexcept;
  PcapWriter& operator=(PcapWriter&&) noexcept;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  /// @brief Writes one IPv6/UDP datagram (hop limit 64) with a correct checksum.
  /// @param time_ns capture time, nanoseconds since the epoch, in [0, 2^32 s).
  /// @param payload the UDP payload, at most 65527 octets.
  /// @throws TraceError when the payload or time cannot be encoded, or after close().
  void write_udp(std::int64_t time_ns, const wire::Address& src, std::uint16_t sport,
                 const wire::Address& dst, std::uint16_t dport,
                 std::span<const std::uint8_t> payload);

  /// @brief Writes one IPv6/TCP segment (20-octet header, no options) with a correct
  ///        checksum.
  /// @param flags   TCP flag bits (TCP_SYN, TCP_ACK, ... from trace/packet.h).
  /// @param window  the window field.
  /// @param payload the segment data, at most 65515 octets.
  /// @throws TraceError as write_udp().
  void write_tcp(std::int64_t time_ns, const wire::Address& src, std::uint16_t sport,
                 const wire::Address& dst, std::uint16_t dport, std::uint32_t seq,
                 std::uint32_t ack, std::uint8_t flags, std::span<const std::uint8_t> payload,
                 std::uint16_t window = 65535);

  /// @brief Writes one UDP datagram as IPv6 fragments (RFC 8200 §4.5), all stamped
  ///        @p time_ns, to exercise reassembly in readers.
  /// @param fragment_size octets of the fragmentable part (UDP header + payload) per
  ///        fragment: a non-zero multiple of 8; the last fragment takes the rest.
  /// @param id     the fragment identification.
  /// @param order  write order of the fragments.
  /// @return the number of fragments written (1 when the datagram fits in one; it is then
  ///         still written with a fragment header, as an atomic fragment).
  /// @throws TraceError as write_udp(), or when @p fragment_size is not a multiple of 8.
  std::size_t write_udp_fragments(std::int64_t time_ns, const wire::Address& src,
                                  std::uint16_t sport, const wire::Address& dst,
                                  std::uint16_t dport, std::span<const std::uint8_t> payload,
                                  std::size_t fragment_size, std::uint32_t id,
                                  FragmentOrder order = FragmentOrder::InOrder);

  /// @brief Writes a complete IPv6 packet built by the caller, adding the link-layer header.
  ///        Nothing is checked or fixed up; tests use it for deliberately odd packets.
  /// @throws TraceError when the time cannot be encoded or after close().
  void write_ipv6(std::int64_t time_ns, std::span<const std::uint8_t> ipv6_packet);

  /// @brief Pushes buffered packets to the file.
  /// @throws TraceError naming the file when writing failed (now or earlier).
  void flush();

  /// @brief Flushes and closes the file; later writes throw. Closing twice is harmless.
  /// @throws TraceError naming the file when writing or closing failed.
  void close();

  /// @brief Packets written so far (each fragment counts as one).
  std::uint64_t packets() const { return packets_; }

  /// @brief The libpcap DLT_ value of the file (1 Ethernet, 12 raw IP).
  int linktype() const;

 private:
  /// The pcap_t (a "dead" handle that only carries link type and precision) and the dumper.
  struct Handle;

  void begin_frame(std::size_t ipv6_size);
  void put_ipv6_header(const wire::Address& src, const wire::Address& dst, std::uint8_t next_header,
                       std::size_t payload_len);
  void emit(std::int64_t time_ns);

  std::string path_;                   ///< For error messages.
  LinkLayer link_;                     ///< Framing.
  std::unique_ptr<Handle> handle_;     ///< Null once closed.
  std::vector<std::uint8_t> frame_;    ///< The frame being built; reused.
  std::vector<std::uint8_t> scratch_;  ///< Whole datagram before fragmentation; reused.
  std::uint64_t packets_ = 0;          ///< Packets written.
};

}  // namespace failover6::trace
