#include "trace/pcap_writer.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "trace/trace_error.h"

namespace failover6::trace {

namespace {

constexpr std::size_t IPV6_HEADER = 40;
constexpr std::size_t UDP_HEADER = 8;
constexpr std::size_t TCP_HEADER = 20;
constexpr std::size_t FRAGMENT_HEADER = 8;
constexpr std::size_t ETHERNET_HEADER = 14;
constexpr std::uint8_t HOP_LIMIT = 64;
constexpr std::uint8_t NH_TCP = 6;
constexpr std::uint8_t NH_UDP = 17;
constexpr std::uint8_t NH_FRAGMENT = 44;
// Large enough for any IPv6 packet without jumbograms, plus the link header.
constexpr int SNAPLEN = 262144;

void put16(std::uint8_t* p, std::size_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xFFFFU);
}

// RFC 1071 one's-complement sum of @p bytes, added to @p sum (not yet folded).
std::uint64_t ones_sum(std::span<const std::uint8_t> bytes, std::uint64_t sum) {
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += (std::uint32_t{bytes[i]} << 8) | bytes[i + 1];
  if (i < bytes.size()) sum += std::uint32_t{bytes[i]} << 8;
  return sum;
}

// RFC 8200 §8.1: the upper-layer checksum covers a pseudo-header of both addresses, the
// upper-layer length and the next header value, then the upper-layer header and data.
std::uint16_t transport_checksum(const wire::Address& src, const wire::Address& dst,
                                 std::uint8_t next_header, std::span<const std::uint8_t> segment) {
  std::uint64_t sum = ones_sum(src.bytes, 0);
  sum = ones_sum(dst.bytes, sum);
  sum += segment.size();
  sum += next_header;
  sum = ones_sum(segment, sum);
  while ((sum >> 16) != 0) sum = (sum & 0xFFFFU) + (sum >> 16);
  const auto c = static_cast<std::uint16_t>(~sum & 0xFFFFU);
  // A computed zero goes on the wire as all ones: zero means "no checksum", which IPv6 UDP
  // forbids (RFC 8200 §8.1).
  return c == 0 ? 0xFFFF : c;
}

void mac_for(const wire::Address& a, std::uint8_t* mac) {
  const bool multicast = a.bytes[0] == 0xFF;
  mac[0] = multicast ? 0x33 : 0x02;
  mac[1] = multicast ? 0x33 : 0x00;
  std::memcpy(mac + 2, a.bytes.data() + 12, 4);
}

}  // namespace

struct PcapWriter::Handle {
  pcap_t* pcap = nullptr;
  pcap_dumper_t* dumper = nullptr;

  ~Handle() {
    if (dumper != nullptr) pcap_dump_close(dumper);
    if (pcap != nullptr) pcap_close(pcap);
  }
};

PcapWriter::PcapWriter(const std::string& path, LinkLayer link)
    : path_(path), link_(link), handle_(std::make_unique<Handle>()) {
  const int dlt = link == LinkLayer::Ethernet ? DLT_EN10MB : DLT_RAW;
  // A "dead" handle carries the link type and the precision; asking for nanoseconds is what
  // makes pcap_dump_open write the nanosecond magic.
  handle_->pcap = pcap_open_dead_with_tstamp_precision(dlt, SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
  if (handle_->pcap == nullptr)
    throw TraceError("cannot create capture '" + path + "': pcap_open_dead failed");
  handle_->dumper = pcap_dump_open(handle_->pcap, path.c_str());
  if (handle_->dumper == nullptr)
    throw TraceError("cannot create capture '" + path + "': " + pcap_geterr(handle_->pcap));
}

PcapWriter::~PcapWriter() = default;  // Handle closes; errors are lost (documented).
PcapWriter::PcapWriter(PcapWriter&&) noexcept = default;
PcapWriter& PcapWriter::operator=(PcapWriter&&) noexcept = default;

int PcapWriter::linktype() const { return link_ == LinkLayer::Ethernet ? DLT_EN10MB : DLT_RAW; }

void PcapWriter::begin_frame(std::size_t ipv6_size) {
  if (!handle_) throw TraceError("capture '" + path_ + "' is already closed");
  frame_.resize((link_ == LinkLayer::Ethernet ? ETHERNET_HEADER : 0) + ipv6_size);
}

void PcapWriter::put_ipv6_header(const wire::Address& src, const wire::Address& dst,
                                 std::uint8_t next_header, std::size_t payload_len) {
  std::uint8_t* p = frame_.data();
  if (link_ == LinkLayer::Ethernet) {
    mac_for(dst, p);
    mac_for(src, p + 6);
    put16(p + 12, 0x86DD);
    p += ETHERNET_HEADER;
  }
  put32(p, 0x60000000U);  // Version 6, traffic class 0, flow label 0.
  put16(p + 4, payload_len);
  p[6] = next_header;
  p[7] = HOP_LIMIT;
  std::memcpy(p + 8, src.bytes.data(), 16);
  std::memcpy(p + 24, dst.bytes.data(), 16);
}

void PcapWriter::emit(std::int64_t time_ns) {
  if (time_ns < 0 || time_ns / 1'000'000'000 > 0xFFFFFFFFLL)
    throw TraceError("capture '" + path_ + "': timestamp " + std::to_string(time_ns) +
                     " ns is outside the pcap range");
  pcap_pkthdr hdr{};
  hdr.ts.tv_sec = static_cast<time_t>(time_ns / 1'000'000'000);
  // With a nanosecond dumper the fraction field holds nanoseconds; libpcap copies it as is.
  hdr.ts.tv_usec = static_cast<suseconds_t>(time_ns % 1'000'000'000);
  hdr.caplen = static_cast<bpf_u_int32>(frame_.size());
  hdr.len = hdr.caplen;
  pcap_dump(reinterpret_cast<u_char*>(handle_->dumper), &hdr, frame_.data());
  ++packets_;
}

void PcapWriter::write_udp(std::int64_t time_ns, const wire::Address& src, std::uint16_t sport,
                           const wire::Address& dst, std::uint16_t dport,
                           std::span<const std::uint8_t> payload) {
  const std::size_t udp_len = UDP_HEADER + payload.size();
  if (udp_len > 0xFFFF)
    throw TraceError("capture '" + path_ + "': UDP payload of " + std::to_string(payload.size()) +
                     " octets is too large");
  begin_frame(IPV6_HEADER + udp_len);
  put_ipv6_header(src, dst, NH_UDP, udp_len);
  std::uint8_t* u = frame_.data() + frame_.size() - udp_len;
  put16(u, sport);
  put16(u + 2, dport);
  put16(u + 4, udp_len);
  put16(u + 6, 0);
  if (!payload.empty()) std::memcpy(u + UDP_HEADER, payload.data(), payload.size());
  put16(u + 6, transport_checksum(src, dst, NH_UDP, {u, udp_len}));
  emit(time_ns);
}

void PcapWriter::write_tcp(std::int64_t time_ns, const wire::Address& src, std::uint16_t sport,
                           const wire::Address& dst, std::uint16_t dport, std::uint32_t seq,
                           std::uint32_t ack, std::uint8_t flags,
                           std::span<const std::uint8_t> payload, std::uint16_t window) {
  const std::size_t tcp_len = TCP_HEADER + payload.size();
  if (tcp_len > 0xFFFF)
    throw TraceError("capture '" + path_ + "': TCP payload of " + std::to_string(payload.size()) +
                     " octets is too large");
  begin_frame(IPV6_HEADER + tcp_len);
  put_ipv6_header(src, dst, NH_TCP, tcp_len);
  std::uint8_t* t = frame_.data() + frame_.size() - tcp_len;
  put16(t, sport);
  put16(t + 2, dport);
  put32(t + 4, seq);
  put32(t + 8, ack);
  t[12] = 5 << 4;  // Data offset: 5 words, no options.
  t[13] = flags;
  put16(t + 14, window);
  put16(t + 16, 0);
  put16(t + 18, 0);  // Urgent pointer.
  if (!payload.empty()) std::memcpy(t + TCP_HEADER, payload.data(), payload.size());
  put16(t + 16, transport_checksum(src, dst, NH_TCP, {t, tcp_len}));
  emit(time_ns);
}

std::size_t PcapWriter::write_udp_fragments(std::int64_t time_ns, const wire::Address& src,
                                            std::uint16_t sport, const wire::Address& dst,
                                            std::uint16_t dport,
                                            std::span<const std::uint8_t> payload,
                                            std::size_t fragment_size, std::uint32_t id,
                                            FragmentOrder order) {
  const std::size_t udp_len = UDP_HEADER + payload.size();
  if (udp_len > 0xFFFF)
    throw TraceError("capture '" + path_ + "': UDP payload of " + std::to_string(payload.size()) +
                     " octets is too large");
  if (fragment_size == 0 || fragment_size % 8 != 0 || fragment_size > 0xFFF8)
    throw TraceError("capture '" + path_ + "': fragment size " + std::to_string(fragment_size) +
                     " is not a positive multiple of 8 below 65536");
  // The checksum covers the whole datagram, so build it once, then cut it up.
  scratch_.resize(udp_len);
  std::uint8_t* u = scratch_.data();
  put16(u, sport);
  put16(u + 2, dport);
  put16(u + 4, udp_len);
  put16(u + 6, 0);
  if (!payload.empty()) std::memcpy(u + UDP_HEADER, payload.data(), payload.size());
  put16(u + 6, transport_checksum(src, dst, NH_UDP, scratch_));

  const std::size_t count = (udp_len + fragment_size - 1) / fragment_size;
  for (std::size_t n = 0; n < count; ++n) {
    const std::size_t i = order == FragmentOrder::InOrder ? n : count - 1 - n;
    const std::size_t offset = i * fragment_size;
    const std::size_t len = std::min(fragment_size, udp_len - offset);
    const bool more = i + 1 < count;
    begin_frame(IPV6_HEADER + FRAGMENT_HEADER + len);
    put_ipv6_header(src, dst, NH_FRAGMENT, FRAGMENT_HEADER + len);
    std::uint8_t* f = frame_.data() + frame_.size() - FRAGMENT_HEADER - len;
    f[0] = NH_UDP;
    f[1] = 0;
    put16(f + 2, offset | (more ? 1U : 0U));  // Offset in 8-octet units sits above 3 bits.
    put32(f + 4, id);
    std::memcpy(f + FRAGMENT_HEADER, scratch_.data() + offset, len);
    emit(time_ns);
  }
  return count;
}

void PcapWriter::write_ipv6(std::int64_t time_ns, std::span<const std::uint8_t> ipv6_packet) {
  begin_frame(ipv6_packet.size());
  std::uint8_t* p = frame_.data();
  if (link_ == LinkLayer::Ethernet) {
    // Take the MACs from the packet's addresses when it is long enough to have them.
    wire::Address src;
    wire::Address dst;
    if (ipv6_packet.size() >= IPV6_HEADER) {
      std::memcpy(src.bytes.data(), ipv6_packet.data() + 8, 16);
      std::memcpy(dst.bytes.data(), ipv6_packet.data() + 24, 16);
    }
    mac_for(dst, p);
    mac_for(src, p + 6);
    put16(p + 12, 0x86DD);
    p += ETHERNET_HEADER;
  }
  if (!ipv6_packet.empty()) std::memcpy(p, ipv6_packet.data(), ipv6_packet.size());
  emit(time_ns);
}

void PcapWriter::flush() {
  if (!handle_) return;
  if (pcap_dump_flush(handle_->dumper) != 0 || std::ferror(pcap_dump_file(handle_->dumper)))
    throw TraceError("cannot write capture '" + path_ + "'");
}

void PcapWriter::close() {
  if (!handle_) return;
  auto h = std::move(handle_);
  std::FILE* f = pcap_dump_file(h->dumper);
  const bool failed = std::fflush(f) != 0 || std::ferror(f) != 0;
  pcap_dump_close(h->dumper);
  h->dumper = nullptr;
  if (failed) throw TraceError("cannot write capture '" + path_ + "'");
}

}  // namespace failover6::trace
