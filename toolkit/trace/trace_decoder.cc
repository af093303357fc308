#include "trace/trace_decoder.h"

#include "trace/pcap_reader.h"
#include "trace/tcp_stream_sink.h"

namespace failover6::trace {

namespace {

/// Splits each direction of each failover connection into frames and decodes them.
class FailoverStreams : public TcpStreamSink {
 public:
  FailoverStreams(MessageSink& sink, TraceDecoderStats& stats) : sink_(sink), stats_(stats) {}
  std::uint64_t frame = 0;  // record number of the segment being fed

  void on_data(const TcpFlowKey& flow, std::uint64_t, std::span<const std::uint8_t> bytes,
               std::int64_t time_ns) override {
    auto& st = streams_[flow];
    if (st.lost) return;
    st.splitter.feed(bytes);
    while (auto f = st.splitter.next()) {
      auto m = wire::decode_failover(*f);
      if (m) ++stats_.failover;
      else ++stats_.failover_malformed;
      sink_.on_failover(meta(flow, time_ns), m);
    }
  }
  void on_gap(const TcpFlowKey& flow, std::uint64_t, std::uint64_t,
              std::int64_t time_ns) override {
    auto& st = streams_[flow];
    if (st.lost) return;
    st.lost = true;
    ++stats_.streams_lost;
    sink_.on_stream_lost(meta(flow, time_ns));
  }
  void on_end(const TcpFlowKey& flow, EndReason, std::int64_t) override { streams_.erase(flow); }

 private:
  struct Stream {
    wire::FrameSplitter splitter;
    bool lost = false;
  };
  MessageMeta meta(const TcpFlowKey& flow, std::int64_t time_ns) const {
    return {frame, time_ns, flow.src, flow.dst, flow.sport, flow.dport, Packet::Proto::Tcp};
  }
  MessageSink& sink_;
  TraceDecoderStats& stats_;
  std::unordered_map<TcpFlowKey, Stream, TcpFlowKeyHash> streams_;
};

void add(ReaderStats& total, const ReaderStats& s) {
  total.frames += s.frames;
  total.ipv6 += s.ipv6;
  total.non_ipv6 += s.non_ipv6;
  total.malformed += s.malformed;
  total.fragments += s.fragments;
  total.reassembled += s.reassembled;
  total.fragments_incomplete += s.fragments_incomplete;
  total.fragments_overlapping += s.fragments_overlapping;
  total.unmatched += s.unmatched;
  total.udp_matched += s.udp_matched;
  total.tcp_matched += s.tcp_matched;
  total.truncated_file = total.truncated_file || s.truncated_file;
}

}  // namespace

void TraceDecoder::read_file(const std::string& path, MessageSink& sink) {
  PcapReader reader(path, options_);
  FailoverStreams streams(sink, stats_);
  TcpReassembler tcp(streams);
  Packet p;
  std::int64_t last_ns = 0;
  while (reader.next(p)) {
    last_ns = p.time_ns;
    if (p.proto == Packet::Proto::Tcp) {
      streams.frame = p.frame;
      tcp.feed(p);
      continue;
    }
    auto m = wire::decode_message(p.payload);
    if (m) ++stats_.dhcp6;
    else ++stats_.dhcp6_malformed;
    sink.on_dhcp6({p.frame, p.time_ns, p.src, p.dst, p.sport, p.dport, p.proto}, m);
  }
  tcp.finish(last_ns);
  add(stats_.reader, reader.stats());
}

}  // namespace failover6::trace
