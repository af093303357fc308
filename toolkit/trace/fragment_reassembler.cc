#include "trace/fragment_reassembler.h"

#include <algorithm>
#include <cstring>

namespace failover6::trace {

namespace {
// The largest fragmentable part whose reassembled packet still fits a 16-bit payload length.
constexpr std::uint32_t MAX_DATAGRAM = 65535;
}  // namespace

FragmentReassembler::FragmentReassembler(std::size_t max_sets, std::int64_t timeout_ns)
    : slots_(std::max<std::size_t>(max_sets, 1)), timeout_ns_(timeout_ns) {}

std::size_t FragmentReassembler::pending() const {
  return static_cast<std::size_t>(
      std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.in_use; }));
}

FragmentReassembler::Slot* FragmentReassembler::find(const wire::Address& src,
                                                     const wire::Address& dst, std::uint32_t id) {
  // A linear scan: the pending set count is small and bounded, and fragments are rare
  // in DHCPv6 traces, so a hash map would cost more than it saves.
  for (auto& s : slots_)
    if (s.in_use && s.id == id && s.src == src && s.dst == dst) return &s;
  return nullptr;
}

void FragmentReassembler::release(Slot& s) {
  // Keep the vectors' capacity: that is what makes the steady state allocation-free.
  s.in_use = false;
  s.ranges.clear();
  s.buf.clear();
}

void FragmentReassembler::expire(std::int64_t time_ns) {
  for (auto& s : slots_) {
    if (!s.in_use || time_ns - s.first_ns <= timeout_ns_) continue;
    // A poisoned set was already counted as overlapping when it was dropped.
    if (!s.poisoned) ++incomplete_;
    release(s);
  }
}

FragmentReassembler::Slot& FragmentReassembler::allocate(std::int64_t time_ns) {
  Slot* victim = nullptr;
  for (auto& s : slots_) {
    if (!s.in_use) {
      victim = &s;
      break;
    }
    if (victim == nullptr || s.first_ns < victim->first_ns) victim = &s;
  }
  if (victim->in_use) {
    if (!victim->poisoned) ++incomplete_;
    release(*victim);
  }
  victim->in_use = true;
  victim->poisoned = false;
  victim->first_ns = time_ns;
  victim->total = 0;
  victim->have_last = false;
  victim->have_first = false;
  victim->next_header = 0;
  victim->received = 0;
  return *victim;
}

FragmentReassembler::Result FragmentReassembler::add(
    const wire::Address& src, const wire::Address& dst, std::uint32_t id, std::uint32_t offset,
    bool more, std::uint8_t next_header, std::span<const std::uint8_t> data, std::int64_t time_ns) {
  const auto len = static_cast<std::uint32_t>(data.size());
  const std::uint32_t end = offset + len;
  // RFC 8200 §4.5: every fragment but the last carries a multiple of 8 octets; an empty
  // fragment carries nothing to place and only serves to confuse reassembly.
  if ((more && (len % 8) != 0) || len == 0 || end > MAX_DATAGRAM) return Result::Malformed;

  expire(time_ns);
  Slot* found = find(src, dst, id);
  if (found == nullptr) {
    found = &allocate(time_ns);
    found->src = src;
    found->dst = dst;
    found->id = id;
  }
  Slot& s = *found;
  if (s.poisoned) return Result::Held;

  auto drop = [&]() {
    // RFC 5722: overlapping fragments make the whole datagram suspect. Keep the slot,
    // poisoned, so its remaining fragments do not start a fresh set that can never finish.
    ++overlapping_;
    s.poisoned = true;
    s.ranges.clear();
    s.buf.clear();
    return Result::Overlap;
  };

  for (const auto& [b, e] : s.ranges) {
    if (b == offset && e == end) return Result::Held;  // Exact duplicate: first copy wins.
    if (offset < e && b < end) return drop();
  }
  if (!more) {
    if (s.have_last && s.total != end) return drop();
    // Data already stored beyond the end this fragment announces.
    if (!s.have_last && !s.ranges.empty() &&
        std::any_of(s.ranges.begin(), s.ranges.end(), [&](auto& r) { return r.second > end; }))
      return drop();
    s.have_last = true;
    s.total = end;
  } else if (s.have_last && end > s.total) {
    return drop();
  }
  if (s.ranges.size() >= MAX_FRAGMENTS_PER_SET) return drop();

  if (s.buf.size() < end) s.buf.resize(end);
  std::memcpy(s.buf.data() + offset, data.data(), len);
  s.ranges.emplace_back(offset, end);
  s.received += len;
  if (offset == 0) {
    s.have_first = true;
    s.next_header = next_header;
  }
  // Ranges never overlap, so the set is complete exactly when the stored octets add up to
  // the total announced by the last fragment.
  if (!s.have_last || s.received != s.total) return Result::Held;

  s.buf.resize(s.total);
  done_.swap(s.buf);
  done_next_header_ = s.next_header;
  release(s);
  return Result::Complete;
}

void FragmentReassembler::finish() {
  for (auto& s : slots_) {
    if (!s.in_use) continue;
    if (!s.poisoned) ++incomplete_;
    release(s);
  }
}

}  // namespace failover6::trace
