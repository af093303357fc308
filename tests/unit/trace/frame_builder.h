// Test helpers for the trace unit tests: hand-built frames, pcap files written with libpcap
// directly (independently of PcapWriter), temporary directories and whole-file reads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "trace/packet.h"
#include "trace/reader_options.h"
#include "trace/reader_stats.h"
#include "wire/address.h"

namespace failover6::trace::test {

using Bytes = std::vector<std::uint8_t>;

/// Bytes of a string (payload literals).
Bytes bytes_of(const std::string& s);

/// Concatenation.
Bytes cat(const Bytes& a, const Bytes& b);

/// An address from text (throws on bad text).
wire::Address addr(const std::string& text);

/// UDP header + payload. The checksum is left zero: the reader does not check it.
/// @p length_override replaces the length field when non-negative.
Bytes udp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload, int length_override = -1);

/// TCP header (+ @p option_words 4-octet NOP words) + payload; @p data_offset_override
/// replaces the data-offset field when non-negative.
Bytes tcp(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint32_t ack,
          std::uint8_t flags, const Bytes& payload, int option_words = 0,
          int data_offset_override = -1);

/// IPv6 header with payload length = payload size (or @p length_override), then payload.
Bytes ipv6(const wire::Address& src, const wire::Address& dst, std::uint8_t next_header,
           const Bytes& payload, int length_override = -1);

/// A generic extension header (hop-by-hop, routing, destination options) of
/// (@p len_units + 1) × 8 octets: next header, length, then zero padding.
Bytes ext_header(std::uint8_t next_header, std::uint8_t len_units = 0);

/// An AH header of (@p len_field + 2) × 4 octets (RFC 4302).
Bytes ah_header(std::uint8_t next_header, std::uint8_t len_field = 4);

/// An IPv6 fragment header; @p offset in octets.
Bytes fragment_header(std::uint8_t next_header, std::uint32_t offset, bool more, std::uint32_t id);

/// A minimal IPv4/UDP packet (for "non-IPv6" frames).
Bytes ipv4_udp();

/// Ethernet II header with optional VLAN tags (each a TPID; TCI 100 is used), then payload.
Bytes ethernet(const Bytes& payload, std::uint16_t ethertype = 0x86DD,
               const std::vector<std::uint16_t>& vlan_tpids = {});

/// Linux cooked v1 (SLL) header, then payload.
Bytes sll(const Bytes& payload, std::uint16_t protocol = 0x86DD);

/// Linux cooked v2 (SLL2) header, then payload.
Bytes sll2(const Bytes& payload, std::uint16_t protocol = 0x86DD);

/// BSD loopback header: 4-octet address family @p af, big- or little-endian, then payload.
Bytes null_header(const Bytes& payload, std::uint32_t af, bool big_endian);

/// One record for write_pcap.
struct Record {
  Bytes frame;
  std::int64_t time_ns = 0;
  std::uint32_t wire_len = 0;  ///< 0: same as frame.size() (else caplen < len).
};

/// Writes @p records to @p path with pcap_open_dead + pcap_dump, link type @p dlt, in
/// nanosecond (default) or microsecond precision.
void write_pcap(const std::filesystem::path& path, int dlt, const std::vector<Record>& records,
                bool nanosecond = true);

/// A packet read back, with its payload copied.
struct Captured {
  Packet packet;
  Bytes payload;
};

/// Everything PcapReader yields from @p path, and its final statistics.
struct ReadResult {
  std::vector<Captured> packets;
  ReaderStats stats;
  int linktype = -1;
};

/// Reads the whole of @p path.
ReadResult read_all(const std::filesystem::path& path, const ReaderOptions& options = {});

/// The sum every decoded frame lands in exactly once (see ReaderStats).
std::uint64_t accounted(const ReaderStats& s);

/// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// The path of @p name inside the directory.
  std::filesystem::path file(const std::string& name) const { return dir_ / name; }

 private:
  std::filesystem::path dir_;
};

}  // namespace failover6::trace::test
