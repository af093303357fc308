#include "trace/frame_decoder.h"

#include <pcap/pcap.h>

#include <cstring>
#include <string>

#include "trace/byte_cursor.h"
#include "trace/trace_error.h"

namespace failover6::trace {

namespace {

constexpr std::uint16_t ETHERTYPE_IPV6 = 0x86DD;
constexpr int MAX_VLAN_TAGS = 4;
constexpr int MAX_EXTENSION_HEADERS = 16;

// IPv6 next-header values (IANA "Assigned Internet Protocol Numbers").
constexpr std::uint8_t NH_HOPOPT = 0;
constexpr std::uint8_t NH_TCP = 6;
constexpr std::uint8_t NH_UDP = 17;
constexpr std::uint8_t NH_ROUTING = 43;
constexpr std::uint8_t NH_FRAGMENT = 44;
constexpr std::uint8_t NH_AH = 51;
constexpr std::uint8_t NH_DSTOPTS = 60;

bool is_vlan_tpid(std::uint16_t type) { return type == 0x8100 || type == 0x88A8 || type == 0x9100; }

// AF_INET6 differs between the systems that write DLT_NULL/DLT_LOOP captures, and the field
// is in the writer's byte order for DLT_NULL, so any of these in either order means IPv6.
bool is_af_inet6(std::uint32_t af) { return af == 10 || af == 24 || af == 28 || af == 30; }

std::uint32_t byteswap32(std::uint32_t v) {
  return ((v & 0xFFU) << 24) | ((v & 0xFF00U) << 8) | ((v >> 8) & 0xFF00U) | (v >> 24);
}

}  // namespace

bool FrameDecoder::supports(int dlt) {
  switch (dlt) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_NULL:
    case DLT_LOOP:
      return true;
    default:
      return false;
  }
}

FrameDecoder::FrameDecoder(int dlt, const ReaderOptions& options)
    : dlt_(dlt),
      all_udp_(options.all_udp),
      all_tcp_(options.all_tcp),
      fragments_(options.max_fragment_sets, options.fragment_timeout_ns) {
  if (!supports(dlt)) {
    const char* name = pcap_datalink_val_to_name(dlt);
    throw TraceError("unsupported link type " + std::to_string(dlt) + " (" +
                     (name != nullptr ? name : "unknown") +
                     "); supported: EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP");
  }
  for (auto p : options.udp_ports) udp_ports_.set(p);
  for (auto p : options.tcp_ports) tcp_ports_.set(p);
}

FrameDecoder::Link FrameDecoder::strip_link(std::span<const std::uint8_t> frame,
                                            std::span<const std::uint8_t>& l3) const {
  ByteCursor c(frame);
  std::uint16_t type = 0;
  switch (dlt_) {
    case DLT_EN10MB:
      if (!c.skip(12) || !c.read_u16(type)) return Link::Malformed;
      break;
    case DLT_LINUX_SLL:
      if (!c.skip(14) || !c.read_u16(type)) return Link::Malformed;
      break;
    case DLT_LINUX_SLL2:
      if (!c.read_u16(type) || !c.skip(18)) return Link::Malformed;
      break;
    case DLT_NULL:
    case DLT_LOOP: {
      std::uint32_t af = 0;
      if (!c.read_u32(af)) return Link::Malformed;
      if (!is_af_inet6(af) && !is_af_inet6(byteswap32(af))) return Link::Other;
      l3 = c.rest();
      return Link::Ipv6;
    }
    default: {  // DLT_RAW, DLT_IPV4, DLT_IPV6: the version nibble decides.
      std::uint8_t first = 0;
      if (!c.peek_u8(0, first)) return Link::Malformed;
      if ((first >> 4) != 6) return Link::Other;
      l3 = c.rest();
      return Link::Ipv6;
    }
  }
  // Ethernet and the cooked headers share the ethertype logic, VLAN tags included (a cooked
  // capture keeps the tag when the kernel did not strip it).
  for (int tags = 0; is_vlan_tpid(type); ++tags) {
    if (tags == MAX_VLAN_TAGS) return Link::Other;
    if (!c.skip(2) || !c.read_u16(type)) return Link::Malformed;
  }
  if (type != ETHERTYPE_IPV6) return Link::Other;
  l3 = c.rest();
  return Link::Ipv6;
}

bool FrameDecoder::decode(std::span<const std::uint8_t> frame, std::uint64_t frame_no,
                          std::int64_t time_ns, Packet& out) {
  ++stats_.frames;
  std::span<const std::uint8_t> l3;
  switch (strip_link(frame, l3)) {
    case Link::Other:
      ++stats_.non_ipv6;
      return false;
    case Link::Malformed:
      ++stats_.malformed;
      return false;
    case Link::Ipv6:
      break;
  }
  ++stats_.ipv6;
  return decode_ipv6(l3, frame_no, time_ns, out);
}

bool FrameDecoder::decode_ipv6(std::span<const std::uint8_t> packet, std::uint64_t frame_no,
                               std::int64_t time_ns, Packet& out) {
  ByteCursor c(packet);
  std::uint32_t vtcfl = 0;
  std::uint16_t payload_len = 0;
  std::uint8_t nh = 0;
  std::uint8_t hop_limit = 0;
  std::span<const std::uint8_t> src;
  std::span<const std::uint8_t> dst;
  std::span<const std::uint8_t> payload;
  if (!c.read_u32(vtcfl) || (vtcfl >> 28) != 6 || !c.read_u16(payload_len) || !c.read_u8(nh) ||
      !c.read_u8(hop_limit) || !c.read_bytes(16, src) || !c.read_bytes(16, dst) ||
      !c.read_bytes(payload_len, payload)) {
    ++stats_.malformed;
    return false;
  }
  std::memcpy(out.src.bytes.data(), src.data(), 16);
  std::memcpy(out.dst.bytes.data(), dst.data(), 16);
  out.hop_limit = hop_limit;
  out.frame = frame_no;
  out.time_ns = time_ns;

  ByteCursor pc(payload);
  bool reassembled = false;
  for (int i = 0; i < MAX_EXTENSION_HEADERS; ++i) {
    std::uint8_t next = 0;
    std::uint8_t len = 0;
    switch (nh) {
      case NH_HOPOPT:
      case NH_ROUTING:
      case NH_DSTOPTS:
      case NH_AH: {
        // AH counts its length in 4-octet units minus 2 (RFC 4302 §2.2); the others in
        // 8-octet units not counting the first 8 (RFC 8200 §4.3-4.6).
        const bool ah = nh == NH_AH;
        if (!pc.read_u8(next) || !pc.read_u8(len) ||
            !pc.skip(ah ? (std::size_t{len} + 2) * 4 - 2 : (std::size_t{len} + 1) * 8 - 2)) {
          ++stats_.malformed;
          return false;
        }
        nh = next;
        continue;
      }
      case NH_FRAGMENT: {
        std::uint16_t off_flags = 0;
        std::uint32_t id = 0;
        if (reassembled || !pc.read_u8(next) || !pc.skip(1) || !pc.read_u16(off_flags) ||
            !pc.read_u32(id)) {
          ++stats_.malformed;
          return false;
        }
        const std::uint32_t offset = std::uint32_t{off_flags} & 0xFFF8U;
        const bool more = (off_flags & 1U) != 0;
        if (offset == 0 && !more) {  // Atomic fragment (RFC 6946): no reassembly needed.
          nh = next;
          continue;
        }
        const auto r = fragments_.add(out.src, out.dst, id, offset, more, next, pc.rest(), time_ns);
        stats_.fragments_incomplete = fragments_.incomplete();
        stats_.fragments_overlapping = fragments_.overlapping();
        if (r == FragmentReassembler::Result::Malformed) {
          ++stats_.malformed;
          return false;
        }
        ++stats_.fragments;
        if (r != FragmentReassembler::Result::Complete) return false;
        ++stats_.reassembled;
        pc = ByteCursor(fragments_.datagram());
        nh = fragments_.next_header();
        reassembled = true;
        continue;
      }
      default:
        return decode_upper(nh, pc.rest(), reassembled, out);
    }
  }
  ++stats_.malformed;  // A chain this long is an attack or garbage, not DHCPv6 traffic.
  return false;
}

bool FrameDecoder::decode_upper(std::uint8_t next_header, std::span<const std::uint8_t> bytes,
                                bool reassembled, Packet& out) {
  ByteCursor c(bytes);
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  if (next_header == NH_UDP) {
    std::uint16_t length = 0;
    if (!c.read_u16(sport) || !c.read_u16(dport) || !c.read_u16(length) || !c.skip(2) ||
        length < 8 || length - 8U > c.remaining()) {
      ++stats_.malformed;
      return false;
    }
    if (!all_udp_ && !udp_ports_[sport] && !udp_ports_[dport]) {
      ++stats_.unmatched;
      return false;
    }
    out.proto = Packet::Proto::Udp;
    out.payload = c.rest().first(length - 8U);
    out.tcp_seq = 0;
    out.tcp_ack = 0;
    out.tcp_window = 0;
    out.tcp_flags = 0;
    ++stats_.udp_matched;
  } else if (next_header == NH_TCP) {
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint16_t off_flags = 0;
    std::uint16_t window = 0;
    if (!c.read_u16(sport) || !c.read_u16(dport) || !c.read_u32(seq) || !c.read_u32(ack) ||
        !c.read_u16(off_flags) || !c.read_u16(window) || !c.skip(4)) {
      ++stats_.malformed;
      return false;
    }
    const std::size_t data_offset = static_cast<std::size_t>(off_flags >> 12) * 4;
    if (data_offset < 20 || !c.skip(data_offset - 20)) {
      ++stats_.malformed;
      return false;
    }
    if (!all_tcp_ && !tcp_ports_[sport] && !tcp_ports_[dport]) {
      ++stats_.unmatched;
      return false;
    }
    out.proto = Packet::Proto::Tcp;
    out.payload = c.rest();
    out.tcp_seq = seq;
    out.tcp_ack = ack;
    out.tcp_window = window;
    out.tcp_flags = static_cast<std::uint8_t>(off_flags & 0xFFU);
    ++stats_.tcp_matched;
  } else {
    ++stats_.unmatched;
    return false;
  }
  out.sport = sport;
  out.dport = dport;
  out.reassembled = reassembled;
  return true;
}

void FrameDecoder::finish() {
  fragments_.finish();
  stats_.fragments_incomplete = fragments_.incomplete();
  stats_.fragments_overlapping = fragments_.overlapping();
}

}  // namespace failover6::trace
