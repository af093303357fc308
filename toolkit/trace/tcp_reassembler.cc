#include "trace/tcp_reassembler.h"

#include <iterator>

namespace failover6::trace {

using EndReason = TcpStreamSink::EndReason;

TcpReassembler::TcpReassembler(TcpStreamSink& sink) : TcpReassembler(sink, Limits{}) {}

TcpReassembler::TcpReassembler(TcpStreamSink& sink, const Limits& limits)
    : sink_(sink), limits_(limits) {}

std::int64_t TcpReassembler::offset_of(const Flow& f, std::uint32_t seq) const {
  // Sequence numbers wrap at 2^32; the signed 32-bit distance from the next expected byte
  // is the only meaningful comparison (RFC 9293 §3.4), and it places the segment in the
  // 64-bit stream, which never wraps.
  const auto delta = static_cast<std::int32_t>(seq - f.next_seq);
  return static_cast<std::int64_t>(f.delivered) + delta;
}

TcpReassembler::Flow& TcpReassembler::begin_flow(const TcpFlowKey& key, const Packet& p) {
  if (flows_.size() >= limits_.max_flows && flows_.find(key) == flows_.end()) {
    auto victim = flows_.begin();
    for (auto it = flows_.begin(); it != flows_.end(); ++it)
      if (it->second.last_ns < victim->second.last_ns) victim = it;
    if (victim->second.open) {
      flush(victim->first, victim->second, p.time_ns);
      end(victim->first, victim->second, EndReason::Evicted, p.time_ns);
    }
    flows_.erase(victim);
  }
  Flow& f = flows_[key];
  f = Flow{};
  f.from_syn = (p.tcp_flags & TCP_SYN) != 0;
  f.isn = p.tcp_seq;
  f.next_seq = f.from_syn ? p.tcp_seq + 1 : p.tcp_seq;
  f.last_ns = p.time_ns;
  ++stats_.flows;
  sink_.on_begin(key, f.from_syn, p.time_ns);
  return f;
}

void TcpReassembler::feed(const Packet& p) {
  if (p.proto != Packet::Proto::Tcp) return;
  ++stats_.segments;
  if (p.time_ns - last_expire_ns_ > limits_.hole_timeout_ns / 4) {
    last_expire_ns_ = p.time_ns;
    expire(p.time_ns);
  }
  const TcpFlowKey key = TcpFlowKey::of(p);
  const bool syn = (p.tcp_flags & TCP_SYN) != 0;
  auto it = flows_.find(key);
  Flow* f = nullptr;
  if (it == flows_.end()) {
    if ((p.tcp_flags & TCP_RST) != 0) {
      ++stats_.ignored;
      return;
    }
    f = &begin_flow(key, p);
  } else if (syn && !(it->second.from_syn && it->second.isn == p.tcp_seq)) {
    if (it->second.open) {
      flush(it->first, it->second, p.time_ns);
      end(it->first, it->second, EndReason::Restarted, p.time_ns);
    }
    f = &begin_flow(key, p);
  } else if (!it->second.open || syn) {
    // A finished flow's stragglers, or a retransmitted SYN: nothing new in either.
    it->second.last_ns = p.time_ns;
    ++stats_.ignored;
    return;
  } else {
    f = &it->second;
    f->last_ns = p.time_ns;
  }

  // SYN occupies one sequence number before the data (data on a SYN is TCP Fast Open).
  const std::uint32_t data_seq = syn ? p.tcp_seq + 1 : p.tcp_seq;
  if (!p.payload.empty()) on_segment(key, *f, data_seq, p.payload, p.time_ns);

  if (!f->pending.empty() && p.time_ns - f->hole_ns > limits_.hole_timeout_ns) {
    skip_hole(key, *f, p.time_ns);
  }
  if ((p.tcp_flags & TCP_FIN) != 0 && !f->fin_seen) {
    const std::int64_t fin = offset_of(*f, data_seq + static_cast<std::uint32_t>(p.payload.size()));
    f->fin_seen = true;
    f->fin_offset = fin < 0 ? 0 : static_cast<std::uint64_t>(fin);
  }
  if ((p.tcp_flags & TCP_RST) != 0) {
    flush(key, *f, p.time_ns);
    end(key, *f, EndReason::Rst, p.time_ns);
    return;
  }
  if (f->fin_seen && f->delivered >= f->fin_offset) end(key, *f, EndReason::Fin, p.time_ns);
}

void TcpReassembler::on_segment(const TcpFlowKey& key, Flow& f, std::uint32_t seq,
                                std::span<const std::uint8_t> data, std::int64_t time_ns) {
  const std::int64_t begin = offset_of(f, seq);
  const std::int64_t end_off = begin + static_cast<std::int64_t>(data.size());
  const auto delivered = static_cast<std::int64_t>(f.delivered);
  if (end_off <= delivered) {
    ++stats_.retransmitted;
    return;
  }
  if (begin < delivered) {
    ++stats_.trimmed;
    data = data.subspan(static_cast<std::size_t>(delivered - begin));
  }
  if (begin <= delivered) {
    deliver(key, f, data, time_ns);
    drain(key, f, time_ns);
    return;
  }
  ++stats_.out_of_order;
  if (f.pending.empty()) f.hole_ns = time_ns;
  const auto off = static_cast<std::uint64_t>(begin);
  auto& slot = f.pending[off];
  // Two buffered copies starting at the same byte: keep the longer, it covers the other.
  if (slot.size() < data.size()) {
    f.buffered += data.size() - slot.size();
    slot.assign(data.begin(), data.end());
  }
  while (f.buffered > limits_.max_buffered_bytes) skip_hole(key, f, time_ns);
}

void TcpReassembler::deliver(const TcpFlowKey& key, Flow& f, std::span<const std::uint8_t> data,
                             std::int64_t time_ns) {
  if (data.empty()) return;
  sink_.on_data(key, f.delivered, data, time_ns);
  f.delivered += data.size();
  f.next_seq += static_cast<std::uint32_t>(data.size());
  stats_.bytes += data.size();
}

void TcpReassembler::drain(const TcpFlowKey& key, Flow& f, std::int64_t time_ns) {
  while (!f.pending.empty()) {
    auto it = f.pending.begin();
    if (it->first > f.delivered) break;
    const std::uint64_t end_off = it->first + it->second.size();
    if (end_off > f.delivered) {
      const auto skip = static_cast<std::size_t>(f.delivered - it->first);
      deliver(key, f, std::span<const std::uint8_t>(it->second).subspan(skip), time_ns);
    }
    f.buffered -= it->second.size();
    f.pending.erase(it);
  }
  // Whatever is still buffered sits behind a new hole, which starts its clock now.
  if (!f.pending.empty()) f.hole_ns = time_ns;
}

void TcpReassembler::skip_hole(const TcpFlowKey& key, Flow& f, std::int64_t time_ns) {
  if (f.pending.empty()) return;
  const std::uint64_t next = f.pending.begin()->first;
  if (next > f.delivered) {
    const std::uint64_t length = next - f.delivered;
    sink_.on_gap(key, f.delivered, length, time_ns);
    ++stats_.gaps;
    stats_.gap_bytes += length;
    f.delivered = next;
    f.next_seq += static_cast<std::uint32_t>(length);
  }
  drain(key, f, time_ns);
}

void TcpReassembler::flush(const TcpFlowKey& key, Flow& f, std::int64_t time_ns) {
  while (!f.pending.empty()) skip_hole(key, f, time_ns);
}

void TcpReassembler::end(const TcpFlowKey& key, Flow& f, EndReason why, std::int64_t time_ns) {
  f.open = false;
  f.pending.clear();
  f.buffered = 0;
  sink_.on_end(key, why, time_ns);
}

void TcpReassembler::expire(std::int64_t now_ns) {
  for (auto it = flows_.begin(); it != flows_.end();) {
    Flow& f = it->second;
    if (now_ns - f.last_ns > limits_.idle_timeout_ns) {
      if (f.open) {
        flush(it->first, f, now_ns);
        end(it->first, f, EndReason::Idle, now_ns);
      }
      it = flows_.erase(it);
      continue;
    }
    if (f.open && !f.pending.empty() && now_ns - f.hole_ns > limits_.hole_timeout_ns) {
      skip_hole(it->first, f, now_ns);
      if (f.fin_seen && f.delivered >= f.fin_offset) end(it->first, f, EndReason::Fin, now_ns);
    }
    ++it;
  }
}

void TcpReassembler::finish(std::int64_t now_ns) {
  for (auto& [key, f] : flows_) {
    if (!f.open) continue;
    flush(key, f, now_ns);
    const bool fin = f.fin_seen && f.delivered >= f.fin_offset;
    end(key, f, fin ? EndReason::Fin : EndReason::Finished, now_ns);
  }
  flows_.clear();
}

}  // namespace failover6::trace
