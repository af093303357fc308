// failover6::trace::PcapReader: DHCPv6 and failover packets from a pcap or pcapng file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "trace/frame_decoder.h"
#include "trace/packet.h"
#include "trace/reader_options.h"
#include "trace/reader_stats.h"

namespace failover6::trace {

/// Reads a pcap or pcapng capture through libpcap and yields the UDP datagrams and TCP
/// segments selected by ReaderOptions, one at a time, in file order.
///
/// It is the bulk path of the toolkit: libpcap directly, with nanosecond timestamps and a
/// large stdio buffer, and no allocation per packet (libtins is several times slower, see
/// DESIGN.md). Link-layer, IPv6 and fragment handling are FrameDecoder's; see there for the
/// supported link types and the malformed-input policy. A pcapng file must use one link type
/// for all its interfaces (a libpcap limitation).
///
/// A file that ends inside a record (a capture cut short by a crash) is not an error: the
/// partial record is ignored, ReaderStats::truncated_file is set, and next() returns false.
///
/// Usage:
/// @code
///   PcapReader reader("a.pcap");
///   Packet p;
///   while (reader.next(p)) use(p.payload);   // p.payload is valid until the next next()
/// @endcode
///
/// Not copyable; movable. Not thread-safe: one reader per thread.
class PcapReader {
 public:
  /// @brief Opens @p path (pcap, pcap-ns or pcapng).
  /// @param path    the capture file.
  /// @param options which packets to yield, and reassembly limits.
  /// @throws TraceError naming the file and libpcap's reason when it cannot be opened or is
  ///         not a capture, or naming the link type when that is not supported.
  explicit PcapReader(const std::string& path, const ReaderOptions& options = {});
  ~PcapReader();
  PcapReader(PcapReader&&) noexcept;
  PcapReader& operator=(PcapReader&&) noexcept;
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  /// @brief Advances to the next selected packet.
  /// @param out filled on success; its payload is valid until the next call.
  /// @return true with @p out filled, or false at the end of the file (after which pending
  ///         fragment sets have been counted as incomplete and further calls return false).
  /// @throws TraceError naming the file when libpcap reports a read error other than a
  ///         truncated last record (e.g. a record longer than the snapshot limit).
  bool next(Packet& out);

  /// @brief Counters so far; final once next() has returned false.
  const ReaderStats& stats() const { return decoder_.stats(); }

  /// @brief The capture's link type as libpcap reports it (a DLT_ value, e.g. 1 Ethernet,
  ///        12 raw IP for a file's LINKTYPE_RAW 101, 113 SLL, 276 SLL2, 0 NULL, 108 LOOP).
  int linktype() const { return decoder_.dlt(); }

  /// @brief The path this reader was opened with.
  const std::string& path() const { return path_; }

 private:
  /// Closes the pcap handle (which closes the FILE) before its stdio buffer goes away.
  struct Handle;

  /// Opens @p path with an enlarged stdio buffer; throws TraceError.
  static std::unique_ptr<Handle> open(const std::string& path);

  std::string path_;                ///< For error messages.
  std::unique_ptr<Handle> handle_;  ///< libpcap handle and its stdio buffer.
  FrameDecoder decoder_;            ///< Link/IP/transport decoding and statistics.
  std::uint64_t frame_no_ = 0;      ///< Records read so far.
  bool done_ = false;               ///< End of file reached.
};

}  // namespace failover6::trace
