// PcapWriter: round trips through PcapReader, checksums checked independently and by tshark.
#include "trace/pcap_writer.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <sstream>

#include "frame_builder.h"
#include "trace/pcap_reader.h"
#include "trace/trace_error.h"

namespace failover6::trace::test {
namespace {

const wire::Address CLIENT = addr("fe80::2:1");
const wire::Address ALL_SERVERS = addr("ff02::1:2");
const wire::Address PRIMARY = addr("2001:db8::1");
const wire::Address SECONDARY = addr("2001:db8::2");
constexpr std::int64_t T0 = 1'700'000'000'000'000'001;

Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 13 + 1);
  return b;
}

/// A valid DHCPv6 Solicit (RFC 8415 §16.2): xid, Client Identifier (DUID-LL), Elapsed Time,
/// then an unknown option of @p filler octets to reach any size.
Bytes solicit(std::size_t filler = 0) {
  Bytes m{1, 0x12, 0x34, 0x56};
  const Bytes client_id{0, 1, 0, 10, 0, 3, 0, 1, 2, 0, 0, 0, 0, 1};
  const Bytes elapsed{0, 8, 0, 2, 0, 0};
  m = cat(cat(m, client_id), elapsed);
  if (filler > 0) {
    m = cat(m, Bytes{0xFD, 0xE8, static_cast<std::uint8_t>(filler >> 8),
                     static_cast<std::uint8_t>(filler)});
    m = cat(m, Bytes(filler, 0x5A));
  }
  return m;
}

/// One's-complement sum over the RFC 8200 §8.1 pseudo-header and @p segment, checksum
/// field included: 0xFFFF when the checksum is right. Written independently of PcapWriter.
std::uint32_t verify_sum(const std::uint8_t* ip, std::size_t segment_len) {
  std::uint64_t sum = 0;
  auto add = [&](const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) sum += (i % 2 == 0) ? std::uint32_t{p[i]} << 8 : p[i];
  };
  add(ip + 8, 32);
  sum += segment_len + ip[6];
  add(ip + 40, segment_len);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint32_t>(sum);
}

/// Runs @p command through the shell and returns its exit status and standard output
/// (standard error is dropped: tshark prints a banner there when run as root).
std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) return {-1, out};
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pcap_writer)

BOOST_AUTO_TEST_CASE(udp_round_trip_both_link_layers) {
  const std::vector<std::size_t> sizes = {0, 1, 7, 100, 1452, 65527};
  for (auto link : {PcapWriter::LinkLayer::RawIpv6, PcapWriter::LinkLayer::Ethernet}) {
    BOOST_TEST_CONTEXT("link " << static_cast<int>(link)) {
      TempDir dir;
      const auto path = dir.file("udp.pcap");
      PcapWriter w(path.string(), link);
      for (std::size_t i = 0; i < sizes.size(); ++i)
        w.write_udp(T0 + static_cast<std::int64_t>(i) * 999'999'999, CLIENT, 546, ALL_SERVERS, 547,
                    pattern(sizes[i]));
      BOOST_TEST(w.packets() == sizes.size());
      w.close();
      const auto r = read_all(path);
      BOOST_TEST(r.linktype == w.linktype());
      BOOST_TEST(r.linktype == (link == PcapWriter::LinkLayer::Ethernet ? DLT_EN10MB : DLT_RAW));
      BOOST_TEST_REQUIRE(r.packets.size() == sizes.size());
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        const auto& p = r.packets[i];
        BOOST_TEST(p.packet.time_ns == T0 + static_cast<std::int64_t>(i) * 999'999'999);
        BOOST_TEST((p.packet.src == CLIENT));
        BOOST_TEST((p.packet.dst == ALL_SERVERS));
        BOOST_TEST(p.packet.sport == 546);
        BOOST_TEST(p.packet.dport == 547);
        BOOST_TEST((p.payload == pattern(sizes[i])));
      }
      BOOST_TEST(r.stats.malformed == 0U);
    }
  }
}

BOOST_AUTO_TEST_CASE(tcp_round_trip) {
  TempDir dir;
  const auto path = dir.file("tcp.pcap");
  PcapWriter w(path.string());
  w.write_tcp(T0, PRIMARY, 647, SECONDARY, 50000, 0xFFFFFFF0U, 77, TCP_PSH | TCP_ACK, pattern(333),
              1234);
  w.write_tcp(T0 + 5, SECONDARY, 50000, PRIMARY, 647, 77, 0xFFFFFFF0U + 333, TCP_ACK, {});
  w.close();
  const auto r = read_all(path);
  BOOST_TEST_REQUIRE(r.packets.size() == 2U);
  const auto& a = r.packets[0].packet;
  BOOST_TEST((a.proto == Packet::Proto::Tcp));
  BOOST_TEST(a.tcp_seq == 0xFFFFFFF0U);
  BOOST_TEST(a.tcp_ack == 77U);
  BOOST_TEST(a.tcp_flags == (TCP_PSH | TCP_ACK));
  BOOST_TEST(a.tcp_window == 1234);
  BOOST_TEST((r.packets[0].payload == pattern(333)));
  BOOST_TEST(r.packets[1].packet.tcp_ack == 0xFFFFFFF0U + 333);
  BOOST_TEST(r.packets[1].packet.tcp_window == 65535);
  BOOST_TEST(r.packets[1].payload.empty());
}

BOOST_AUTO_TEST_CASE(fragments_round_trip) {
  for (auto order : {PcapWriter::FragmentOrder::InOrder, PcapWriter::FragmentOrder::Reversed}) {
    TempDir dir;
    const auto path = dir.file("frag.pcap");
    PcapWriter w(path.string(), PcapWriter::LinkLayer::Ethernet);
    BOOST_TEST(w.write_udp_fragments(T0, PRIMARY, 547, SECONDARY, 547, pattern(3000), 1232, 42,
                                     order) == 3U);
    BOOST_TEST(w.write_udp_fragments(T0 + 1, PRIMARY, 547, SECONDARY, 547, pattern(10), 64, 43,
                                     order) == 1U);  // An atomic fragment.
    w.close();
    const auto r = read_all(path);
    BOOST_TEST_REQUIRE(r.packets.size() == 2U);
    BOOST_TEST((r.packets[0].payload == pattern(3000)));
    BOOST_TEST(r.packets[0].packet.reassembled);
    BOOST_TEST((r.packets[1].payload == pattern(10)));
    BOOST_TEST(r.stats.fragments == 3U);
    BOOST_TEST(r.stats.reassembled == 1U);
  }
}

BOOST_AUTO_TEST_CASE(checksums_verify_independently) {
  TempDir dir;
  const auto path = dir.file("sum.pcap");
  {
    PcapWriter w(path.string());
    for (std::size_t n : {0, 1, 2, 3, 511, 1000}) {
      w.write_udp(T0, CLIENT, 546, ALL_SERVERS, 547, pattern(n));
      w.write_tcp(T0, PRIMARY, 647, SECONDARY, 1024, 1, 2, TCP_ACK, pattern(n));
    }
  }  // The destructor closes.
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  BOOST_TEST_REQUIRE(p != nullptr, err);
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  int count = 0;
  while (pcap_next_ex(p, &h, &d) == 1) {
    BOOST_TEST_REQUIRE(h->caplen >= 48U);
    const std::size_t seg = (std::size_t{d[4]} << 8) | d[5];
    BOOST_TEST(seg + 40 == h->caplen);
    BOOST_TEST(verify_sum(d, seg) == 0xFFFFU, "packet " << count);
    ++count;
  }
  pcap_close(p);
  BOOST_TEST(count == 12);
}

BOOST_AUTO_TEST_CASE(tshark_finds_no_errors) {
  if (run("command -v tshark").first != 0) {
    BOOST_TEST_MESSAGE("tshark not installed: skipping the tshark cross-check");
    return;
  }
  TempDir dir;
  const auto path = dir.file("cross.pcap");
  {
    PcapWriter w(path.string(), PcapWriter::LinkLayer::Ethernet);
    w.write_udp(T0, CLIENT, 546, ALL_SERVERS, 547, solicit());
    w.write_udp(T0 + 1000, CLIENT, 546, ALL_SERVERS, 547, solicit(1));  // Odd length.
    w.write_udp_fragments(T0 + 2000, CLIENT, 546, ALL_SERVERS, 547, solicit(3000), 1232, 7);
    // A complete TCP connection on the failover port, each side sending one framed message.
    // A 2-octet length, then a LEASEQUERY (RFC 5460 §5.2, type 14) with its xid and a Client
    // Identifier: the bulk-leasequery dissector tshark is told to use for port 647 accepts it
    // (it flags a message without options as malformed).
    const Bytes msg{0, 18, 14, 0, 0, 1, 0, 1, 0, 10, 0, 3, 0, 1, 2, 0, 0, 0, 0, 1};
    const auto n = static_cast<std::uint32_t>(msg.size());
    const std::uint32_t a = 1000;
    const std::uint32_t b = 9000;
    std::int64_t t = T0 + 10'000;
    w.write_tcp(t++, PRIMARY, 40000, SECONDARY, 647, a, 0, TCP_SYN, {});
    w.write_tcp(t++, SECONDARY, 647, PRIMARY, 40000, b, a + 1, TCP_SYN | TCP_ACK, {});
    w.write_tcp(t++, PRIMARY, 40000, SECONDARY, 647, a + 1, b + 1, TCP_ACK, {});
    w.write_tcp(t++, PRIMARY, 40000, SECONDARY, 647, a + 1, b + 1, TCP_PSH | TCP_ACK, msg);
    w.write_tcp(t++, SECONDARY, 647, PRIMARY, 40000, b + 1, a + 1 + n, TCP_PSH | TCP_ACK, msg);
    w.write_tcp(t++, PRIMARY, 40000, SECONDARY, 647, a + 1 + n, b + 1 + n, TCP_FIN | TCP_ACK, {});
    w.write_tcp(t++, SECONDARY, 647, PRIMARY, 40000, b + 1 + n, a + 2 + n, TCP_FIN | TCP_ACK, {});
    w.write_tcp(t++, PRIMARY, 40000, SECONDARY, 647, a + 2 + n, b + 2 + n, TCP_ACK, {});
    w.close();
  }
  const std::string base = "tshark -n -r " + path.string() +
                           " -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE"
                           " -d tcp.port==647,dhcpv6.bulk_leasequery";
  const auto [rc, expert] = run(base + " -z expert -q");
  BOOST_TEST_MESSAGE("tshark -z expert:\n" << expert);
  BOOST_TEST(rc == 0, expert);
  // tshark prints a severity section only when it has entries; checksum failures are Errors.
  BOOST_TEST(expert.find("Errors (") == std::string::npos, expert);
  BOOST_TEST(expert.find("Warns (") == std::string::npos, expert);
  BOOST_TEST(expert.find("hecksum") == std::string::npos, expert);
  BOOST_TEST(expert.find("alformed") == std::string::npos, expert);
  // And every UDP/TCP checksum is reported as verified good (status 1).
  const auto [rc2, fields] =
      run(base + " -T fields -e frame.number -e udp.checksum.status -e tcp.checksum.status");
  BOOST_TEST(rc2 == 0, fields);
  std::istringstream lines(fields);
  std::string line;
  int good = 0;
  while (std::getline(lines, line)) {
    std::istringstream cols(line);
    std::string frame;
    std::string status;
    cols >> frame;
    while (cols >> status) {
      BOOST_TEST(status == "1", "frame " << frame << ": checksum status " << status);
      ++good;
    }
  }
  BOOST_TEST(good == 2 + 1 + 8);  // Fragments: only the reassembled datagram has a status.
}

BOOST_AUTO_TEST_CASE(errors) {
  TempDir dir;
  const auto bad_dir = dir.file("no/such/dir/x.pcap");
  BOOST_CHECK_EXCEPTION(PcapWriter(bad_dir.string()), TraceError, [&](const TraceError& e) {
    return std::string(e.what()).find(bad_dir.string()) != std::string::npos;
  });
  PcapWriter w(dir.file("e.pcap").string());
  BOOST_CHECK_THROW(w.write_udp(-1, CLIENT, 1, ALL_SERVERS, 2, {}), TraceError);
  BOOST_CHECK_THROW(w.write_udp(T0, CLIENT, 1, ALL_SERVERS, 2, pattern(65528)), TraceError);
  BOOST_CHECK_THROW(w.write_udp_fragments(T0, CLIENT, 1, ALL_SERVERS, 2, pattern(100), 12, 1),
                    TraceError);
  BOOST_CHECK_THROW(w.write_udp_fragments(T0, CLIENT, 1, ALL_SERVERS, 2, pattern(100), 0, 1),
                    TraceError);
  BOOST_TEST(w.packets() == 0U);
  w.close();
  w.close();
  BOOST_CHECK_THROW(w.write_udp(T0, CLIENT, 1, ALL_SERVERS, 2, {}), TraceError);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace failover6::trace::test
