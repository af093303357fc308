#include "check/merge.h"

namespace failover6::check {

MergedReader::MergedReader(const std::vector<std::string>& paths,
                           const trace::ReaderOptions& options, std::int64_t dedup_window_ns)
    : window_ns_(dedup_window_ns) {
  heads_.reserve(paths.size());
  for (const auto& p : paths) {
    Head h;
    h.reader = std::make_unique<trace::PcapReader>(p, options);
    heads_.push_back(std::move(h));
  }
  for (auto& h : heads_) h.valid = h.reader->next(h.packet);
}

std::vector<trace::ReaderStats> MergedReader::stats() const {
  std::vector<trace::ReaderStats> out;
  for (const auto& h : heads_) out.push_back(h.reader->stats());
  return out;
}

bool MergedReader::duplicate(const trace::Packet& p, std::uint32_t file) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](const std::uint8_t* d, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) h = (h ^ d[i]) * 0x100000001b3ULL;
  };
  mix(p.src.bytes.data(), 16);
  mix(p.dst.bytes.data(), 16);
  const std::uint8_t ports[4] = {static_cast<std::uint8_t>(p.sport >> 8),
                                 static_cast<std::uint8_t>(p.sport),
                                 static_cast<std::uint8_t>(p.dport >> 8),
                                 static_cast<std::uint8_t>(p.dport)};
  mix(ports, 4);
  mix(p.payload.data(), p.payload.size());
  while (!order_.empty() && p.time_ns - order_.front().first > window_ns_) {
    auto range = recent_.equal_range(order_.front().second);
    for (auto it = range.first; it != range.second; ++it)
      if (it->second.time_ns == order_.front().first) {
        recent_.erase(it);
        break;
      }
    order_.pop_front();
  }
  auto range = recent_.equal_range(h);
  for (auto it = range.first; it != range.second; ++it)
    if (it->second.file != file) {
      ++duplicates_;
      return true;
    }
  recent_.emplace(h, Seen{p.time_ns, file});
  order_.emplace_back(p.time_ns, h);
  return false;
}

bool MergedReader::next(trace::Packet& out, FrameRef& ref) {
  for (;;) {
    if (pending_advance_) {
      Head& h = heads_[last_];
      h.valid = h.reader->next(h.packet);
      pending_advance_ = false;
    }
    std::size_t best = heads_.size();
    for (std::size_t i = 0; i < heads_.size(); ++i)
      if (heads_[i].valid && (best == heads_.size() ||
                              heads_[i].packet.time_ns < heads_[best].packet.time_ns))
        best = i;
    if (best == heads_.size()) return false;
    last_ = best;
    pending_advance_ = true;
    const trace::Packet& p = heads_[best].packet;
    if (heads_.size() > 1 && p.proto == trace::Packet::Proto::Udp &&
        duplicate(p, static_cast<std::uint32_t>(best)))
      continue;
    out = p;
    ref = {static_cast<std::uint32_t>(best), p.frame};
    return true;
  }
}

}  // namespace failover6::check
