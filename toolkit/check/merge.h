// failover6::check::MergedReader: several captures read as one, in time order, with the
// copies of a datagram captured at more than one point removed.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <deque>
#include <vector>

#include "check/types.h"
#include "trace/packet.h"
#include "trace/pcap_reader.h"

namespace failover6::check {

/// Reads one or more pcap/pcapng files (trace::PcapReader each) and yields their packets
/// merged by capture time (a k-way merge of the files' heads: memory is one packet per
/// file). Ties go to the file listed first.
///
/// Duplicates: a UDP datagram with the same addresses, ports and payload as one taken from
/// another file less than `dedup_window_ns` earlier is the same datagram seen at another
/// capture point; it is skipped and counted. TCP copies are left to the TCP reassembler,
/// which drops retransmitted bytes anyway. Within one file nothing is dropped.
class MergedReader {
 public:
  /// @brief Opens every file of @p paths.
  /// @throws trace::TraceError naming the first file that cannot be opened.
  MergedReader(const std::vector<std::string>& paths, const trace::ReaderOptions& options,
               std::int64_t dedup_window_ns = 500'000'000);

  /// @brief The next packet in time order; @p out.payload is valid until the next call.
  /// @param ref set to the packet's file index and frame number.
  /// @return false at the end of every file.
  bool next(trace::Packet& out, FrameRef& ref);

  /// @return datagrams skipped as copies of one from another file.
  std::uint64_t duplicates() const { return duplicates_; }
  /// @return the per-file reader statistics (final after next() returned false).
  std::vector<trace::ReaderStats> stats() const;

 private:
  struct Head {
    std::unique_ptr<trace::PcapReader> reader;
    trace::Packet packet;
    bool valid = false;
  };
  struct Seen {
    std::int64_t time_ns;
    std::uint32_t file;
  };
  bool duplicate(const trace::Packet& p, std::uint32_t file);

  std::vector<Head> heads_;
  std::int64_t window_ns_;
  std::uint64_t duplicates_ = 0;
  std::unordered_multimap<std::uint64_t, Seen> recent_;  ///< datagram hash -> when, where
  std::deque<std::pair<std::int64_t, std::uint64_t>> order_;  ///< (time, hash), oldest first
  bool pending_advance_ = false;
  std::size_t last_ = 0;
};

}  // namespace failover6::check
