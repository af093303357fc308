// failover6::trace::TcpReassembler: TCP segments back into ordered byte streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <unordered_map>
#include <vector>

#include "trace/packet.h"
#include "trace/tcp_flow_key.h"
#include "trace/tcp_stream_sink.h"

namespace failover6::trace {

/// Sans-IO reassembly of captured TCP segments into one ordered byte stream per direction,
/// delivered to a TcpStreamSink. It is fed Packets (from PcapReader or anything else) and
/// keeps time only through their timestamps.
///
/// Behaviour, per flow (one direction, keyed by TcpFlowKey):
/// - The flow begins at its first segment. A SYN sets the stream start to ISN + 1; without
///   one (a capture that joined mid-stream) the stream starts at the first segment's
///   sequence number. A segment that precedes that point is then treated as old data.
/// - Bytes already delivered are never delivered again: retransmissions are dropped, and a
///   segment that overlaps delivered data is trimmed (the first copy wins).
/// - A segment beyond the next expected byte is buffered (copied) until the hole before it
///   fills. Buffered segments may overlap one another; the earliest offset wins.
/// - A hole is abandoned, reported by on_gap(), and the stream resumes at the next buffered
///   byte when the flow's buffer exceeds Limits::max_buffered_bytes, when the hole has been
///   open for more than Limits::hole_timeout_ns of capture time, on RST and at finish().
/// - FIN ends the flow once every byte before it is delivered; RST ends it at once. A
///   finished flow is remembered (so late retransmissions and the FIN's retransmission do not
///   start a new flow) until it has been idle for Limits::idle_timeout_ns; a SYN with a new
///   ISN starts a new flow on the same key at any time.
/// - A SYN retransmission is ignored; a SYN with another ISN on an open flow ends the old
///   flow (EndReason::Restarted) and begins a new one.
/// - A RST for an unknown flow is ignored. Non-TCP packets are ignored.
/// - Open flows idle longer than Limits::idle_timeout_ns end with EndReason::Idle; when
///   Limits::max_flows would be exceeded, the flow idle longest ends with EndReason::Evicted.
///
/// The in-order path copies nothing and allocates nothing: the sink sees the packet's own
/// payload. Memory is bounded by max_flows × max_buffered_bytes.
class TcpReassembler {
 public:
  /// Resource bounds and timeouts, all in capture time.
  struct Limits {
    /// Most bytes buffered out of order per flow before the oldest hole is abandoned.
    std::size_t max_buffered_bytes = 1 << 20;
    /// Most flows (including remembered finished ones) tracked at once.
    std::size_t max_flows = 4096;
    /// A hole older than this is abandoned at the next segment of its flow or expire().
    std::int64_t hole_timeout_ns = 60'000'000'000;
    /// Flows without segments for this long are ended (open) or forgotten (finished).
    std::int64_t idle_timeout_ns = 600'000'000'000;
  };

  /// Counters, for reports and tests.
  struct Stats {
    std::uint64_t segments = 0;       ///< TCP packets fed.
    std::uint64_t flows = 0;          ///< Flows begun.
    std::uint64_t bytes = 0;          ///< Payload bytes delivered via on_data.
    std::uint64_t retransmitted = 0;  ///< Segments entirely made of delivered bytes.
    std::uint64_t trimmed = 0;        ///< Segments partly made of delivered bytes.
    std::uint64_t out_of_order = 0;   ///< Segments buffered behind a hole.
    std::uint64_t gaps = 0;           ///< Holes abandoned (on_gap calls).
    std::uint64_t gap_bytes = 0;      ///< Bytes in abandoned holes.
    std::uint64_t ignored = 0;        ///< Segments for finished flows, stray RSTs, repeated SYNs.
  };

  /// @brief A reassembler with the default Limits, reporting to @p sink (which must outlive
  ///        it).
  explicit TcpReassembler(TcpStreamSink& sink);

  /// @brief A reassembler with explicit @p limits, reporting to @p sink.
  TcpReassembler(TcpStreamSink& sink, const Limits& limits);

  /// @brief Processes one packet; calls the sink zero or more times before returning.
  ///        Packets that are not TCP are ignored.
  void feed(const Packet& packet);

  /// @brief Abandons holes older than the hole timeout and ends or forgets flows idle longer
  ///        than the idle timeout, as of capture time @p now_ns. feed() does this by itself
  ///        from time to time; call it when the capture goes quiet.
  void expire(std::int64_t now_ns);

  /// @brief End of capture: every open flow delivers what it buffered (holes as gaps) and
  ///        ends with EndReason::Finished (or Fin when its FIN is then reached), flow by
  ///        flow in unspecified order. All flows are forgotten.
  void finish(std::int64_t now_ns);

  /// @brief Flows currently tracked (open or remembered finished).
  std::size_t flows() const { return flows_.size(); }

  /// @brief The counters so far.
  const Stats& stats() const { return stats_; }

 private:
  /// One direction's state.
  struct Flow {
    bool open = true;              ///< False once ended (kept as a tombstone).
    bool from_syn = false;         ///< Began with a SYN.
    std::uint32_t isn = 0;         ///< The SYN's sequence number (when from_syn).
    std::uint32_t next_seq = 0;    ///< Sequence number of the next byte to deliver.
    std::uint64_t delivered = 0;   ///< Stream offset of the next byte to deliver.
    bool fin_seen = false;         ///< A FIN arrived.
    std::uint64_t fin_offset = 0;  ///< Stream offset the FIN occupies.
    std::int64_t last_ns = 0;      ///< Capture time of the last segment.
    std::int64_t hole_ns = 0;      ///< When the current leading hole was first seen.
    std::size_t buffered = 0;      ///< Bytes in pending.
    std::map<std::uint64_t, std::vector<std::uint8_t>> pending;  ///< Out-of-order data.
  };
  using FlowMap = std::unordered_map<TcpFlowKey, Flow, TcpFlowKeyHash>;

  Flow& begin_flow(const TcpFlowKey& key, const Packet& p);
  void on_segment(const TcpFlowKey& key, Flow& f, std::uint32_t seq,
                  std::span<const std::uint8_t> data, std::int64_t time_ns);
  void deliver(const TcpFlowKey& key, Flow& f, std::span<const std::uint8_t> data,
               std::int64_t time_ns);
  void drain(const TcpFlowKey& key, Flow& f, std::int64_t time_ns);
  void skip_hole(const TcpFlowKey& key, Flow& f, std::int64_t time_ns);
  void flush(const TcpFlowKey& key, Flow& f, std::int64_t time_ns);
  void end(const TcpFlowKey& key, Flow& f, TcpStreamSink::EndReason why, std::int64_t time_ns);
  std::int64_t offset_of(const Flow& f, std::uint32_t seq) const;

  TcpStreamSink& sink_;              ///< Receiver of the streams.
  Limits limits_;                    ///< Bounds.
  FlowMap flows_;                    ///< Open and finished flows.
  std::int64_t last_expire_ns_ = 0;  ///< Capture time expire() last ran from feed().
  Stats stats_;                      ///< Counters.
};

}  // namespace failover6::trace
