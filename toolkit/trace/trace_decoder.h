// failover6::trace::TraceDecoder: every DHCPv6 and RFC 8156 message in a capture, decoded.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "trace/packet.h"
#include "trace/reader_options.h"
#include "trace/reader_stats.h"
#include "trace/tcp_reassembler.h"
#include "wire/failover_message.h"
#include "wire/message.h"

namespace failover6::trace {

/// Where and when a message was seen.
struct MessageMeta {
  std::uint64_t frame = 0;    ///< 1-based record number in the file (the last segment's, for TCP)
  std::int64_t time_ns = 0;   ///< capture time (for TCP: of the segment completing the message)
  wire::Address src;
  wire::Address dst;
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  Packet::Proto proto = Packet::Proto::Udp;
};

/// Receives the decoded messages. Malformed ones arrive as their DecodeError.
class MessageSink {
 public:
  virtual ~MessageSink() = default;
  /// @brief A UDP datagram on a DHCPv6 port: the message or why it did not decode.
  virtual void on_dhcp6(const MessageMeta& meta, const wire::Expected<wire::Message>& m) = 0;
  /// @brief One frame of a failover TCP stream: the message or why it did not decode.
  virtual void on_failover(const MessageMeta& meta,
                           const wire::Expected<wire::FailoverMessage>& m) = 0;
  /// @brief Bytes of a failover stream were lost (capture gap); framing of that direction is
  /// lost until the connection ends, so its later messages are not reported.
  virtual void on_stream_lost([[maybe_unused]] const MessageMeta& meta) {}
};

/// Counters of one TraceDecoder over every file it read.
struct TraceDecoderStats {
  ReaderStats reader;                  ///< summed over files
  std::uint64_t dhcp6 = 0;             ///< DHCPv6 messages decoded
  std::uint64_t dhcp6_malformed = 0;   ///< DHCPv6 datagrams that failed to decode
  std::uint64_t failover = 0;          ///< failover messages decoded
  std::uint64_t failover_malformed = 0;
  std::uint64_t streams_lost = 0;      ///< failover stream directions that lost framing
};

/// Reads pcap/pcapng files and hands every DHCPv6 datagram (UDP ports of ReaderOptions) and
/// every framed failover message (TCP ports of ReaderOptions, reassembled per direction) to a
/// MessageSink, in capture order.
class TraceDecoder {
 public:
  explicit TraceDecoder(ReaderOptions options = {}) : options_(std::move(options)) {}

  /// @brief Decodes all of @p path into @p sink.
  /// @throws TraceError when the file cannot be opened or is not a capture.
  void read_file(const std::string& path, MessageSink& sink);

  const TraceDecoderStats& stats() const { return stats_; }

 private:
  ReaderOptions options_;
  TraceDecoderStats stats_;
};

}  // namespace failover6::trace
