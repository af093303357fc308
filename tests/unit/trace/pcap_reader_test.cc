// PcapReader / FrameDecoder: link types, VLANs, extension headers, malformed input, errors
// and the third-party reference captures.
#include "trace/pcap_reader.h"

#include <pcap/pcap.h>

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <ostream>
#include <utility>

#include "frame_builder.h"
#include "trace/frame_decoder.h"
#include "trace/trace_error.h"

namespace failover6::trace::test {
namespace {

const wire::Address CLIENT = addr("fe80::1");
const wire::Address SERVER = addr("2001:db8::547");
constexpr std::int64_t T0 = 1'700'000'000'123'456'789;

Bytes udp6(std::uint16_t sport, std::uint16_t dport, const std::string& payload) {
  return ipv6(CLIENT, SERVER, 17, udp(sport, dport, bytes_of(payload)));
}

/// One link type under test: how to wrap an IPv6 (or IPv4) packet into a frame.
struct LinkCase {
  const char* name;
  int dlt;       ///< Written with pcap_open_dead(dlt).
  int reported;  ///< What PcapReader::linktype() must say.
  Bytes (*wrap)(const Bytes& l3, bool v6);
};

std::ostream& operator<<(std::ostream& os, const LinkCase& c) { return os << c.name; }

std::vector<LinkCase> link_cases() {
  return {
      {"ethernet", DLT_EN10MB, 1,
       [](const Bytes& l3, bool v6) { return ethernet(l3, v6 ? 0x86DD : 0x0800); }},
      {"ethernet-vlan", DLT_EN10MB, 1,
       [](const Bytes& l3, bool v6) { return ethernet(l3, v6 ? 0x86DD : 0x0800, {0x8100}); }},
      {"sll", DLT_LINUX_SLL, 113,
       [](const Bytes& l3, bool v6) { return sll(l3, v6 ? 0x86DD : 0x0800); }},
      {"sll2", DLT_LINUX_SLL2, 276,
       [](const Bytes& l3, bool v6) { return sll2(l3, v6 ? 0x86DD : 0x0800); }},
      {"raw", DLT_RAW, 12, [](const Bytes& l3, bool) { return l3; }},
      {"ipv6", DLT_IPV6, 229, [](const Bytes& l3, bool) { return l3; }},
      {"null-linux-le", DLT_NULL, 0,
       [](const Bytes& l3, bool v6) { return null_header(l3, v6 ? 10 : 2, false); }},
      {"null-openbsd-le", DLT_NULL, 0,
       [](const Bytes& l3, bool v6) { return null_header(l3, v6 ? 24 : 2, false); }},
      {"null-freebsd-be", DLT_NULL, 0,
       [](const Bytes& l3, bool v6) { return null_header(l3, v6 ? 28 : 2, true); }},
      {"null-darwin-le", DLT_NULL, 0,
       [](const Bytes& l3, bool v6) { return null_header(l3, v6 ? 30 : 2, false); }},
      {"loop-openbsd-be", DLT_LOOP, 108,
       [](const Bytes& l3, bool v6) { return null_header(l3, v6 ? 24 : 2, true); }},
      {"loop-darwin-be", DLT_LOOP, 108,
       [](const Bytes& l3, bool v6) { return null_header(l3, v6 ? 30 : 2, true); }},
      {"loop-linux-le", DLT_LOOP, 108,
       [](const Bytes& l3, bool v6) { return null_header(l3, v6 ? 10 : 2, false); }},
  };
}

/// Feeds single frames to a FrameDecoder (no file), for the malformed-input table.
struct Decoder {
  explicit Decoder(int dlt, ReaderOptions o = {}) : d(dlt, o) {}
  /// Decodes @p frame, kept alive in `frame` because p.payload points into it.
  bool feed(Bytes f) {
    frame = std::move(f);
    return d.decode(frame, ++n, T0, p);
  }
  FrameDecoder d;
  Bytes frame;
  Packet p;
  std::uint64_t n = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(pcap_reader)

BOOST_DATA_TEST_CASE(each_link_type, boost::unit_test::data::make(link_cases()), c) {
  TempDir dir;
  const auto path = dir.file("link.pcap");
  write_pcap(
      path, c.dlt,
      {{c.wrap(udp6(546, 547, "solicit"), true), T0},
       {c.wrap(ipv4_udp(), false), T0 + 1},
       {c.wrap(udp6(5353, 5353, "mdns"), true), T0 + 2},
       {c.wrap(ipv6(SERVER, CLIENT, 6, tcp(40000, 647, 1000, 7, 0x18, bytes_of("fo"))), true),
        T0 + 3}});
  const auto r = read_all(path);
  BOOST_TEST(r.linktype == c.reported);
  BOOST_TEST_REQUIRE(r.packets.size() == 2U);
  const auto& u = r.packets[0];
  BOOST_TEST(u.packet.frame == 1U);
  BOOST_TEST(u.packet.time_ns == T0);
  BOOST_TEST((u.packet.proto == Packet::Proto::Udp));
  BOOST_TEST((u.packet.src == CLIENT));
  BOOST_TEST((u.packet.dst == SERVER));
  BOOST_TEST(u.packet.sport == 546);
  BOOST_TEST(u.packet.dport == 547);
  BOOST_TEST(u.packet.hop_limit == 64);
  BOOST_TEST((u.payload == bytes_of("solicit")));
  const auto& t = r.packets[1];
  BOOST_TEST(t.packet.frame == 4U);
  BOOST_TEST(t.packet.time_ns == T0 + 3);
  BOOST_TEST((t.packet.proto == Packet::Proto::Tcp));
  BOOST_TEST(t.packet.sport == 40000);
  BOOST_TEST(t.packet.dport == 647);
  BOOST_TEST(t.packet.tcp_seq == 1000U);
  BOOST_TEST(t.packet.tcp_ack == 7U);
  BOOST_TEST(t.packet.tcp_flags == 0x18);
  BOOST_TEST(t.packet.tcp_window == 8192);
  BOOST_TEST((t.payload == bytes_of("fo")));
  BOOST_TEST(r.stats.frames == 4U);
  BOOST_TEST(r.stats.ipv6 == 3U);
  BOOST_TEST(r.stats.non_ipv6 == 1U);
  BOOST_TEST(r.stats.unmatched == 1U);
  BOOST_TEST(r.stats.udp_matched == 1U);
  BOOST_TEST(r.stats.tcp_matched == 1U);
  BOOST_TEST(r.stats.malformed == 0U);
  BOOST_TEST(accounted(r.stats) == r.stats.frames + r.stats.reassembled);
}

BOOST_AUTO_TEST_CASE(raw_linktype_values_in_the_file) {
  // libpcap writes DLT_RAW as LINKTYPE_RAW (101) and reports DLT_RAW (12) on reading; a
  // file that says 12 itself (old writers) reads the same way.
  TempDir dir;
  const auto path = dir.file("raw.pcap");
  write_pcap(path, DLT_RAW, {{udp6(546, 547, "x"), T0}});
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  char lt[4];
  f.seekg(20);
  f.read(lt, 4);
  BOOST_TEST(static_cast<unsigned char>(lt[0]) == 101);
  const char twelve[4] = {12, 0, 0, 0};
  f.seekp(20);
  f.write(twelve, 4);
  f.close();
  const auto r = read_all(path);
  BOOST_TEST(r.linktype == DLT_RAW);
  BOOST_TEST(r.packets.size() == 1U);
}

BOOST_AUTO_TEST_CASE(microsecond_pcap_scaled_to_nanoseconds) {
  TempDir dir;
  const auto path = dir.file("us.pcap");
  write_pcap(path, DLT_RAW, {{udp6(546, 547, "x"), 1'600'000'000'654'321'000}}, false);
  const auto r = read_all(path);
  BOOST_TEST_REQUIRE(r.packets.size() == 1U);
  BOOST_TEST(r.packets[0].packet.time_ns == 1'600'000'000'654'321'000);
}

BOOST_AUTO_TEST_CASE(vlan_tags) {
  Decoder d(DLT_EN10MB);
  const Bytes v6 = udp6(546, 547, "v");
  BOOST_TEST(d.feed(ethernet(v6, 0x86DD, {0x8100})));
  BOOST_TEST(d.feed(ethernet(v6, 0x86DD, {0x88A8, 0x8100})));
  BOOST_TEST(d.feed(ethernet(v6, 0x86DD, {0x9100, 0x8100, 0x8100, 0x8100})));
  BOOST_TEST((Bytes(d.p.payload.begin(), d.p.payload.end()) == bytes_of("v")));
  BOOST_TEST(!d.feed(ethernet(v6, 0x86DD, {0x8100, 0x8100, 0x8100, 0x8100, 0x8100})));
  BOOST_TEST(!d.feed(ethernet(ipv4_udp(), 0x0800, {0x8100})));
  BOOST_TEST(!d.feed(ethernet(ipv4_udp(), 0x0806)));  // ARP-typed.
  BOOST_TEST(!d.feed(Bytes{0x33, 0x33, 0, 1, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0}));
  BOOST_TEST(d.d.stats().udp_matched == 3U);
  BOOST_TEST(d.d.stats().non_ipv6 == 3U);
  BOOST_TEST(d.d.stats().malformed == 1U);  // Tag cut short.
  BOOST_TEST(accounted(d.d.stats()) == d.d.stats().frames);
}

BOOST_AUTO_TEST_CASE(vlan_inside_cooked_capture) {
  Decoder d(DLT_LINUX_SLL);
  BOOST_TEST(d.feed(sll(cat(Bytes{0, 100, 0x86, 0xDD}, udp6(546, 547, "c")), 0x8100)));
}

BOOST_AUTO_TEST_CASE(extension_header_chain) {
  Decoder d(DLT_RAW);
  // hop-by-hop → destination options (16 octets) → routing → AH → destination options → UDP.
  const Bytes chain =
      cat(cat(cat(cat(cat(ext_header(60), ext_header(43, 1)), ext_header(51)), ah_header(60, 4)),
              ext_header(17)),
          udp(547, 547, bytes_of("relay")));
  BOOST_TEST_REQUIRE(d.feed(ipv6(CLIENT, SERVER, 0, chain)));
  BOOST_TEST((Bytes(d.p.payload.begin(), d.p.payload.end()) == bytes_of("relay")));
  // An atomic fragment (offset 0, M clear) needs no reassembly (RFC 6946).
  BOOST_TEST(
      d.feed(ipv6(CLIENT, SERVER, 44, cat(fragment_header(17, 0, false, 9), udp(546, 547, {})))));
  BOOST_TEST(d.d.stats().fragments == 0U);
  BOOST_TEST(d.d.stats().udp_matched == 2U);
}

BOOST_AUTO_TEST_CASE(extension_headers_that_stop_the_walk) {
  Decoder d(DLT_RAW);
  const Bytes body = udp(546, 547, bytes_of("x"));
  BOOST_TEST(!d.feed(ipv6(CLIENT, SERVER, 50, body)));                       // ESP.
  BOOST_TEST(!d.feed(ipv6(CLIENT, SERVER, 59, {})));                         // No next header.
  BOOST_TEST(!d.feed(ipv6(CLIENT, SERVER, 0, cat(ext_header(253), body))));  // Experimental.
  BOOST_TEST(!d.feed(ipv6(CLIENT, SERVER, 58, Bytes(8, 0))));                // ICMPv6.
  BOOST_TEST(d.d.stats().unmatched == 4U);
  BOOST_TEST(d.d.stats().malformed == 0U);
}

BOOST_AUTO_TEST_CASE(malformed_frames_are_counted_not_fatal) {
  Decoder d(DLT_EN10MB);
  const Bytes good = udp6(546, 547, "payload");
  struct Row {
    const char* what;
    Bytes frame;
  };
  Bytes wrong_version = good;
  wrong_version[0] = 0x45;
  const std::vector<Row> rows = {
      {"short ethernet header", Bytes(10, 0)},
      {"truncated IPv6 header", ethernet(Bytes(good.begin(), good.begin() + 30))},
      {"payload length beyond capture", ethernet(Bytes(good.begin(), good.end() - 3))},
      {"IPv4 header under 0x86DD", ethernet(wrong_version)},
      {"UDP length below 8", ethernet(ipv6(CLIENT, SERVER, 17, udp(546, 547, {}, 4)))},
      {"UDP length beyond payload",
       ethernet(ipv6(CLIENT, SERVER, 17, udp(546, 547, bytes_of("ab"), 100)))},
      {"truncated UDP header", ethernet(ipv6(CLIENT, SERVER, 17, Bytes{2, 34, 2}))},
      {"TCP data offset below 5",
       ethernet(ipv6(CLIENT, SERVER, 6, tcp(1, 647, 0, 0, 0x10, {}, 0, 4)))},
      {"TCP options beyond payload",
       ethernet(ipv6(CLIENT, SERVER, 6, tcp(1, 647, 0, 0, 0x10, {}, 0, 15)))},
      {"extension header beyond payload",
       ethernet(ipv6(CLIENT, SERVER, 0, Bytes{17, 3, 0, 0, 0, 0, 0, 0}))},
      {"AH cut short", ethernet(ipv6(CLIENT, SERVER, 51, Bytes{17, 4, 0, 0}))},
      {"17 extension headers", [] {
         Bytes chain;
         for (int i = 0; i < 17; ++i) chain = cat(chain, ext_header(60));
         return ethernet(ipv6(CLIENT, SERVER, 60, cat(chain, udp(546, 547, {}))));
       }()},
  };
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.what) {
      const auto before = d.d.stats().malformed;
      BOOST_TEST(!d.feed(row.frame));
      BOOST_TEST(d.d.stats().malformed == before + 1);
    }
  }
  // Ethernet padding after the IPv6 payload is not part of the datagram.
  BOOST_TEST_REQUIRE(d.feed(cat(ethernet(good), Bytes(20, 0xEE))));
  BOOST_TEST((Bytes(d.p.payload.begin(), d.p.payload.end()) == bytes_of("payload")));
  // Bytes after the UDP length are ignored too.
  BOOST_TEST_REQUIRE(
      d.feed(ethernet(ipv6(CLIENT, SERVER, 17, udp(546, 547, bytes_of("abcdef"), 10)))));
  BOOST_TEST((Bytes(d.p.payload.begin(), d.p.payload.end()) == bytes_of("ab")));
  BOOST_TEST(accounted(d.d.stats()) == d.d.stats().frames);
}

BOOST_AUTO_TEST_CASE(snaplen_truncated_frame_in_file_is_malformed) {
  TempDir dir;
  const auto path = dir.file("snap.pcap");
  const Bytes full = ethernet(udp6(546, 547, std::string(200, 'x')));
  write_pcap(path, DLT_EN10MB,
             {{Bytes(full.begin(), full.begin() + 96), T0, static_cast<std::uint32_t>(full.size())},
              {full, T0 + 1}});
  const auto r = read_all(path);
  BOOST_TEST(r.packets.size() == 1U);
  BOOST_TEST(r.stats.malformed == 1U);
  BOOST_TEST(r.packets.at(0).packet.frame == 2U);
}

BOOST_AUTO_TEST_CASE(empty_link_frames) {
  for (int dlt : {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL, DLT_LOOP}) {
    BOOST_TEST_CONTEXT("dlt " << dlt) {
      Decoder d(dlt);
      BOOST_TEST(!d.feed({}));
      BOOST_TEST(!d.feed({0x60}));
      BOOST_TEST(d.d.stats().malformed == 2U);
    }
  }
}

BOOST_AUTO_TEST_CASE(port_selection) {
  ReaderOptions o;
  o.udp_ports = {5547};
  o.tcp_ports = {};
  Decoder d(DLT_RAW, o);
  BOOST_TEST(!d.feed(udp6(546, 547, "a")));
  BOOST_TEST(d.feed(udp6(5547, 40000, "b")));
  BOOST_TEST(d.feed(udp6(40000, 5547, "c")));
  BOOST_TEST(!d.feed(ipv6(CLIENT, SERVER, 6, tcp(1, 647, 0, 0, 0x10, {}))));
  ReaderOptions all;
  all.all_udp = true;
  all.all_tcp = true;
  Decoder e(DLT_RAW, all);
  BOOST_TEST(e.feed(udp6(1, 2, "a")));
  BOOST_TEST(e.feed(ipv6(CLIENT, SERVER, 6, tcp(1, 2, 0, 0, 0x10, {}))));
}

BOOST_AUTO_TEST_CASE(errors_name_the_file) {
  // Exact texts: scripts and reports show them to people as they are.
  const auto message = [](const std::filesystem::path& p) -> std::string {
    try {
      PcapReader r(p.string());
    } catch (const TraceError& e) {
      return e.what();
    }
    return "no exception";
  };
  TempDir dir;
  const auto missing = dir.file("missing.pcap");
  BOOST_TEST(message(missing) ==
             "cannot open capture '" + missing.string() + "': No such file or directory");
  const auto text = dir.file("text.pcap");
  std::ofstream(text) << "this is not a capture file at all";
  BOOST_TEST(message(text) == "cannot open capture '" + text.string() + "': unknown file format");
  const auto wifi = dir.file("wifi.pcap");
  write_pcap(wifi, DLT_IEEE802_11, {});
  BOOST_TEST(message(wifi) == "cannot read capture '" + wifi.string() +
                                  "': unsupported link type 105 (IEEE802_11); supported: EN10MB, "
                                  "LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP");
}

BOOST_AUTO_TEST_CASE(truncated_last_record_ends_the_file) {
  TempDir dir;
  const auto path = dir.file("cut.pcap");
  write_pcap(path, DLT_RAW, {{udp6(546, 547, "one"), T0}, {udp6(546, 547, "two"), T0 + 1}});
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 5);
  ReadResult r;
  BOOST_REQUIRE_NO_THROW(r = read_all(path));
  BOOST_TEST(r.packets.size() == 1U);
  BOOST_TEST(r.stats.truncated_file);
  BOOST_TEST(r.stats.frames == 1U);
  // A cut inside a record header, not just its data.
  std::filesystem::resize_file(path, 24 + 16 + 51 + 7);  // File header, record 1, 7 octets.
  r = read_all(path);
  BOOST_TEST(r.packets.size() == 1U);
  BOOST_TEST(r.stats.truncated_file);
}

BOOST_AUTO_TEST_CASE(next_after_end_keeps_returning_false) {
  TempDir dir;
  const auto path = dir.file("one.pcap");
  write_pcap(path, DLT_RAW, {{udp6(546, 547, "one"), T0}});
  PcapReader r(path.string());
  Packet p;
  BOOST_TEST(r.next(p));
  BOOST_TEST(!r.next(p));
  BOOST_TEST(!r.next(p));
  BOOST_TEST(r.stats().frames == 1U);
}

/// The third-party captures (see ../shared/captures/dhcpv6/SOURCES.md); expected counts are
/// what `tshark -r FILE -Y dhcpv6 | wc -l` prints.
struct SharedCapture {
  const char* file;
  std::size_t dhcpv6;
};

std::ostream& operator<<(std::ostream& os, const SharedCapture& c) { return os << c.file; }

const std::vector<SharedCapture> SHARED = {
    {"packetgen__dhcpv6.pcapng", 6},
    {"router7__fiber7-2019-12-02.pcap", 2},
    {"router7__fiber7.pcap", 2},
    {"tcpdump__dhcpv6-AFTR-Name-RFC6334.pcap", 4},
    {"tcpdump__dhcpv6-ia-na.pcap", 4},
    {"tcpdump__dhcpv6-ia-pd.pcap", 4},
    {"tcpdump__dhcpv6-ia-ta.pcap", 4},
    {"tcpdump__dhcpv6-mud.pcap", 5},
    {"tcpdump__dhcpv6-rfc6355-duid-uuid.pcap", 2},
    {"tcpdump__dhcpv6-vendor-specific-information.pcap", 1},
};

BOOST_DATA_TEST_CASE(third_party_captures, boost::unit_test::data::make(SHARED), c) {
  const auto path = std::filesystem::path(FAILOVER6_SHARED_DIR) / "captures/dhcpv6" / c.file;
  const auto r = read_all(path);
  BOOST_TEST(r.linktype == DLT_EN10MB);
  BOOST_TEST(r.packets.size() == c.dhcpv6);
  BOOST_TEST(r.stats.malformed == 0U);
  BOOST_TEST(!r.stats.truncated_file);
  for (const auto& p : r.packets) {
    BOOST_TEST((p.packet.sport == 546 || p.packet.sport == 547 || p.packet.dport == 546 ||
                p.packet.dport == 547));
    BOOST_TEST(!p.payload.empty());
  }
}

BOOST_AUTO_TEST_CASE(pcapng_fields) {
  // packetgen's SARR + Release/Reply; values as tshark prints them.
  const auto path =
      std::filesystem::path(FAILOVER6_SHARED_DIR) / "captures/dhcpv6/packetgen__dhcpv6.pcapng";
  const auto r = read_all(path);
  BOOST_TEST_REQUIRE(r.packets.size() == 6U);
  const std::uint8_t types[] = {1, 2, 3, 7, 8, 7};  // Solicit ... Release, Reply.
  const std::size_t udp_lengths[] = {60, 93, 107, 93, 107, 71};
  for (std::size_t i = 0; i < 6; ++i) {
    BOOST_TEST_CONTEXT("packet " << i + 1) {
      BOOST_TEST(r.packets[i].packet.frame == i + 1);
      BOOST_TEST(r.packets[i].payload.at(0) == types[i]);
      BOOST_TEST(r.packets[i].payload.size() + 8 == udp_lengths[i]);
    }
  }
  BOOST_TEST((r.packets[0].packet.src == addr("fe80::a00:27ff:fefe:8f95")));
  BOOST_TEST((r.packets[0].packet.dst == addr("ff02::1:2")));
  BOOST_TEST(r.packets[0].packet.time_ns == 1'420'235'564'775'688'000);
  BOOST_TEST(r.packets[5].packet.time_ns == 1'420'235'569'893'300'000);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace failover6::trace::test
