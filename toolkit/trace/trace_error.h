// failover6::trace::TraceError: a capture file could not be opened, read or written.
#pragma once

#include <stdexcept>
#include <string>

namespace failover6::trace {

/// Thrown by PcapReader and PcapWriter when a capture file cannot be used: it does not exist,
/// is not a pcap/pcapng file, has an unsupported link type, is corrupt in a way libpcap
/// refuses, or cannot be written. The message names the file and gives the reason (usually
/// libpcap's own words), e.g. "cannot open capture 'x.pcap': No such file or directory".
///
/// Malformed packets inside a readable file are not errors: they are counted in ReaderStats
/// and skipped.
class TraceError : public std::runtime_error {
 public:
  /// @brief An error with the complete, human-readable @p message.
  explicit TraceError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace failover6::trace
