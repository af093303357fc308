#include "frame_builder.h"

#include <pcap/pcap.h>
#include <stdlib.h>

#include <stdexcept>

#include "trace/pcap_reader.h"

namespace failover6::trace::test {

namespace {

void put16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

void put32(Bytes& b, std::uint32_t v) {
  put16(b, v >> 16);
  put16(b, v & 0xFFFFU);
}

}  // namespace

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes cat(const Bytes& a, const Bytes& b) {
  Bytes r = a;
  r.insert(r.end(), b.begin(), b.end());
  return r;
}

wire::Address addr(const std::string& text) { return wire::Address::from_string(text); }

Bytes udp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload, int length_override) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, length_override >= 0 ? static_cast<std::uint32_t>(length_override)
                                : static_cast<std::uint32_t>(8 + payload.size()));
  put16(b, 0);
  return cat(b, payload);
}

Bytes tcp(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint32_t ack,
          std::uint8_t flags, const Bytes& payload, int option_words, int data_offset_override) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, seq);
  put32(b, ack);
  const int doff = data_offset_override >= 0 ? data_offset_override : 5 + option_words;
  b.push_back(static_cast<std::uint8_t>(doff << 4));
  b.push_back(flags);
  put16(b, 8192);
  put16(b, 0);
  put16(b, 0);
  for (int i = 0; i < option_words * 4; ++i) b.push_back(1);  // NOP options.
  return cat(b, payload);
}

Bytes ipv6(const wire::Address& src, const wire::Address& dst, std::uint8_t next_header,
           const Bytes& payload, int length_override) {
  Bytes b;
  put32(b, 0x60000000U);
  put16(b, length_override >= 0 ? static_cast<std::uint32_t>(length_override)
                                : static_cast<std::uint32_t>(payload.size()));
  b.push_back(next_header);
  b.push_back(64);
  b.insert(b.end(), src.bytes.begin(), src.bytes.end());
  b.insert(b.end(), dst.bytes.begin(), dst.bytes.end());
  return cat(b, payload);
}

Bytes ext_header(std::uint8_t next_header, std::uint8_t len_units) {
  // Sized up front: growing a 2-element vector trips a GCC 12 -Warray-bounds false positive.
  Bytes b((std::size_t{len_units} + 1) * 8, 0);
  b[0] = next_header;
  b[1] = len_units;
  if (b.size() >= 4) {  // A PadN option filling the rest, as a real stack would send.
    b[2] = 1;
    b[3] = static_cast<std::uint8_t>(b.size() - 4);
  }
  return b;
}

Bytes ah_header(std::uint8_t next_header, std::uint8_t len_field) {
  Bytes b((std::size_t{len_field} + 2) * 4, 0xAA);
  b[0] = next_header;
  b[1] = len_field;
  return b;
}

Bytes fragment_header(std::uint8_t next_header, std::uint32_t offset, bool more, std::uint32_t id) {
  Bytes b{next_header, 0};
  put16(b, (offset & 0xFFF8U) | (more ? 1U : 0U));
  put32(b, id);
  return b;
}

Bytes ipv4_udp() {
  return {0x45, 0, 0,   28, 0, 0, 0,    0,    64,   17,   0, 0, 192, 0,
          2,    1, 192, 0,  2, 2, 0x02, 0x22, 0x02, 0x23, 0, 8, 0,   0};
}

Bytes ethernet(const Bytes& payload, std::uint16_t ethertype,
               const std::vector<std::uint16_t>& vlan_tpids) {
  Bytes b{0x33, 0x33, 0, 1, 0, 2, 0x02, 0, 0, 0, 0, 1};
  for (auto tpid : vlan_tpids) {
    put16(b, tpid);
    put16(b, 100);
  }
  put16(b, ethertype);
  return cat(b, payload);
}

Bytes sll(const Bytes& payload, std::uint16_t protocol) {
  Bytes b;
  put16(b, 0);  // Packet type: to us.
  put16(b, 1);  // ARPHRD_ETHER.
  put16(b, 6);  // Address length.
  for (int i = 0; i < 8; ++i) b.push_back(i < 6 ? 0x02 : 0);
  put16(b, protocol);
  return cat(b, payload);
}

Bytes sll2(const Bytes& payload, std::uint16_t protocol) {
  Bytes b;
  put16(b, protocol);
  put16(b, 0);     // Reserved.
  put32(b, 3);     // Interface index.
  put16(b, 1);     // ARPHRD_ETHER.
  b.push_back(0);  // Packet type.
  b.push_back(6);  // Address length.
  for (int i = 0; i < 8; ++i) b.push_back(i < 6 ? 0x02 : 0);
  return cat(b, payload);
}

Bytes null_header(const Bytes& payload, std::uint32_t af, bool big_endian) {
  Bytes b;
  if (big_endian) {
    put32(b, af);
  } else {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(af >> (8 * i)));
  }
  return cat(b, payload);
}

void write_pcap(const std::filesystem::path& path, int dlt, const std::vector<Record>& records,
                bool nanosecond) {
  pcap_t* p = pcap_open_dead_with_tstamp_precision(
      dlt, 262144, nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
  if (p == nullptr) throw std::runtime_error("pcap_open_dead failed");
  pcap_dumper_t* d = pcap_dump_open(p, path.c_str());
  if (d == nullptr) {
    std::string err = pcap_geterr(p);
    pcap_close(p);
    throw std::runtime_error("pcap_dump_open: " + err);
  }
  const std::int64_t unit = nanosecond ? 1 : 1000;
  for (const auto& r : records) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(r.time_ns / 1'000'000'000);
    h.ts.tv_usec = static_cast<suseconds_t>((r.time_ns % 1'000'000'000) / unit);
    h.caplen = static_cast<bpf_u_int32>(r.frame.size());
    h.len = r.wire_len != 0 ? r.wire_len : h.caplen;
    pcap_dump(reinterpret_cast<u_char*>(d), &h, r.frame.data());
  }
  pcap_dump_close(d);
  pcap_close(p);
}

ReadResult read_all(const std::filesystem::path& path, const ReaderOptions& options) {
  ReadResult r;
  PcapReader reader(path.string(), options);
  r.linktype = reader.linktype();
  Packet p;
  while (reader.next(p)) r.packets.push_back({p, Bytes(p.payload.begin(), p.payload.end())});
  r.stats = reader.stats();
  return r;
}

std::uint64_t accounted(const ReaderStats& s) {
  return s.non_ipv6 + s.malformed + s.fragments + s.unmatched + s.udp_matched + s.tcp_matched;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "failover6-trace-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace failover6::trace::test
