// failover6::trace::TcpStreamSink: receives the byte streams TcpReassembler rebuilds.
#pragma once

#include <cstdint>
#include <span>

#include "trace/tcp_flow_key.h"

namespace failover6::trace {

/// Receiver of TcpReassembler's output, one call per event, in capture order. Implemented by
/// stream consumers (the RFC 8156 failover-stream decoder, tests).
///
/// Offsets are positions in the flow's byte stream: 0 is the first byte after the SYN, or,
/// for a capture that starts mid-connection, the first byte of the first segment seen. For
/// one flow, on_data and on_gap calls tile the stream without overlap, in increasing offset.
///
/// Callbacks must not call back into the TcpReassembler that invokes them.
class TcpStreamSink {
 public:
  /// Why a flow ended.
  enum class EndReason : std::uint8_t {
    Fin,        ///< All bytes up to the FIN were delivered (some possibly as gaps).
    Rst,        ///< A RST was seen; buffered bytes were delivered first, holes as gaps.
    Restarted,  ///< A SYN with a new initial sequence number reused the 4-tuple.
    Idle,       ///< No segment for longer than the idle timeout.
    Evicted,    ///< Dropped to make room for a new flow (flow limit).
    Finished,   ///< TcpReassembler::finish() at the end of the capture.
  };

  virtual ~TcpStreamSink() = default;

  /// @brief A new flow was seen.
  /// @param from_syn true when the flow starts with a SYN, so offset 0 is the true start of
  ///        the stream; false for a capture that joined mid-stream (a framing decoder must
  ///        then resynchronise).
  virtual void on_begin([[maybe_unused]] const TcpFlowKey& flow, [[maybe_unused]] bool from_syn,
                        [[maybe_unused]] std::int64_t time_ns) {}

  /// @brief Contiguous new bytes of @p flow starting at stream offset @p offset.
  /// @param bytes   valid only during the call.
  /// @param time_ns capture time of the segment that made these bytes contiguous (for data
  ///        that waited behind a hole, the segment that filled it).
  virtual void on_data(const TcpFlowKey& flow, std::uint64_t offset,
                       std::span<const std::uint8_t> bytes, std::int64_t time_ns) = 0;

  /// @brief Bytes [@p offset, @p offset + @p length) of @p flow will never be delivered:
  ///        the hole was abandoned (buffer limit, hole timeout, RST or end of capture). The
  ///        stream continues at @p offset + @p length.
  virtual void on_gap([[maybe_unused]] const TcpFlowKey& flow,
                      [[maybe_unused]] std::uint64_t offset, [[maybe_unused]] std::uint64_t length,
                      [[maybe_unused]] std::int64_t time_ns) {}

  /// @brief The flow ended; no further calls name it until a new flow with the same key
  ///        begins.
  virtual void on_end([[maybe_unused]] const TcpFlowKey& flow, [[maybe_unused]] EndReason reason,
                      [[maybe_unused]] std::int64_t time_ns) {}
};

}  // namespace failover6::trace
