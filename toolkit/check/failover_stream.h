// failover6::check::FailoverStreams: the failover TCP connections of a capture, reassembled
// (trace::TcpReassembler), split into frames and decoded, with resynchronisation after a
// capture that joined mid-stream or lost bytes.
#pragma once

#include <functional>
#include <unordered_map>
#include <vector>

#include "check/events.h"
#include "trace/tcp_reassembler.h"
#include "trace/tcp_stream_sink.h"

namespace failover6::check {

/// Turns the TCP segments of failover connections into FailoverEvents, in capture order.
///
/// Framing (RFC 8156 §5.1): a 2-octet length, then the message. A direction that starts with
/// a SYN is framed from its first octet. One that joined mid-stream, or lost bytes to a
/// capture gap, is resynchronised: the decoder looks for the first offset where a length, a
/// failover message type (23..35, or 7) and a message that decodes line up, and where the
/// next frame's header (when already buffered) is plausible too; the octets before it are
/// reported as a Resync event. A frame that does not decode on a synchronised stream is a
/// Malformed event (the framing itself still holds, so decoding goes on after it).
class FailoverStreams : public trace::TcpStreamSink {
 public:
  /// Receives the events.
  using Handler = std::function<void(const FailoverEvent&)>;

  /// @brief Decoder for connections on @p ports (either side), reporting to @p handler.
  FailoverStreams(std::vector<std::uint16_t> ports, Handler handler);

  /// @brief Feeds one TCP packet (of any port; others are ignored by the caller's selection).
  void feed(const trace::Packet& p, FrameRef ref);
  /// @brief End of capture: flushes every stream.
  void finish(std::int64_t now_ns);

  /// @return reassembly counters.
  const trace::TcpReassembler::Stats& tcp_stats() const { return tcp_.stats(); }

  void on_begin(const trace::TcpFlowKey& flow, bool from_syn, std::int64_t time_ns) override;
  void on_data(const trace::TcpFlowKey& flow, std::uint64_t offset,
               std::span<const std::uint8_t> bytes, std::int64_t time_ns) override;
  void on_gap(const trace::TcpFlowKey& flow, std::uint64_t offset, std::uint64_t length,
              std::int64_t time_ns) override;
  void on_end(const trace::TcpFlowKey& flow, EndReason reason, std::int64_t time_ns) override;

 private:
  struct Stream {
    ConnId conn = 0;
    bool synced = true;
    bool tls = false;  ///< STARTTLS went this way: the rest is TLS records, not decoded
    std::vector<std::uint8_t> buf;
    std::size_t pos = 0;
  };
  FailoverEvent base(const trace::TcpFlowKey& flow, const Stream& s, FailoverEvent::Kind k,
                     std::int64_t time_ns) const;
  void drain(const trace::TcpFlowKey& flow, Stream& s, std::int64_t time_ns);
  bool resync(const trace::TcpFlowKey& flow, Stream& s, std::int64_t time_ns);
  /// Whether @p m, sent on @p flow, is followed by TLS on that direction.
  bool starts_tls(const trace::TcpFlowKey& flow, const wire::FailoverMessage& m) const;
  Stream& stream(const trace::TcpFlowKey& flow);
  bool is_port(std::uint16_t p) const;

  std::vector<std::uint16_t> ports_;
  Handler handler_;
  trace::TcpReassembler tcp_;
  std::unordered_map<trace::TcpFlowKey, Stream, trace::TcpFlowKeyHash> streams_;
  /// Connection ids by the direction whose destination is the failover port.
  std::unordered_map<trace::TcpFlowKey, ConnId, trace::TcpFlowKeyHash> conns_;
  ConnId next_conn_ = 1;
  FrameRef ref_;  ///< of the segment being fed
};

}  // namespace failover6::check
