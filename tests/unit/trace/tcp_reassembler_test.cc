// TcpReassembler: in order, retransmission, overlap, reordering, mid-stream start, gaps,
// FIN/RST, wraparound, restarts, limits, and a PcapWriter → PcapReader → reassembler run.
#include "trace/tcp_reassembler.h"

#include <boost/test/unit_test.hpp>
#include <deque>
#include <map>
#include <sstream>

#include "frame_builder.h"
#include "trace/pcap_reader.h"
#include "trace/pcap_writer.h"

namespace failover6::trace::test {
namespace {

using Reason = TcpStreamSink::EndReason;

const wire::Address P = addr("2001:db8::1");
const wire::Address S = addr("2001:db8::2");
constexpr std::int64_t T0 = 1'000'000'000'000;
constexpr std::int64_t SECOND = 1'000'000'000;

/// Records every callback as text, and the delivered bytes per direction; checks that data
/// and gaps tile each flow's stream.
struct Recorder : TcpStreamSink {
  void on_begin(const TcpFlowKey& k, bool from_syn, std::int64_t t) override {
    log << "begin " << name(k) << (from_syn ? " syn" : " mid") << " @" << t - T0 << "\n";
    next[k.sport] = 0;
  }
  void on_data(const TcpFlowKey& k, std::uint64_t off, std::span<const std::uint8_t> b,
               std::int64_t t) override {
    log << "data " << name(k) << " " << off << "+" << b.size() << " @" << t - T0 << "\n";
    BOOST_TEST(off == next[k.sport]);
    next[k.sport] += b.size();
    Bytes& s = k.sport == 647 ? from_server : from_client;
    s.insert(s.end(), b.begin(), b.end());
  }
  void on_gap(const TcpFlowKey& k, std::uint64_t off, std::uint64_t len, std::int64_t t) override {
    log << "gap " << name(k) << " " << off << "+" << len << " @" << t - T0 << "\n";
    BOOST_TEST(off == next[k.sport]);
    next[k.sport] += len;
    (k.sport == 647 ? server_gaps : client_gaps) += len;
  }
  void on_end(const TcpFlowKey& k, Reason r, std::int64_t t) override {
    static const char* names[] = {"fin", "rst", "restarted", "idle", "evicted", "finished"};
    log << "end " << name(k) << " " << names[static_cast<int>(r)] << " @" << t - T0 << "\n";
  }
  static std::string name(const TcpFlowKey& k) { return k.sport == 647 ? "s>c" : "c>s"; }
  std::string text() const { return log.str(); }

  std::ostringstream log;
  std::map<std::uint16_t, std::uint64_t> next;  ///< Next expected offset, by source port.
  Bytes from_client;
  Bytes from_server;
  std::uint64_t client_gaps = 0;
  std::uint64_t server_gaps = 0;
};

/// Builds Packets (payload storage kept alive) and feeds them.
struct Fixture {
  explicit Fixture(TcpReassembler::Limits l = {}) : r(sink, l) {}
  /// Client → server (port 40000 → 647) segment.
  void c(std::uint32_t seq, const std::string& data, std::uint8_t flags = TCP_ACK,
         std::int64_t t = -1) {
    feed(P, 40000, S, 647, seq, data, flags, t);
  }
  /// Server → client segment.
  void s(std::uint32_t seq, const std::string& data, std::uint8_t flags = TCP_ACK,
         std::int64_t t = -1) {
    feed(S, 647, P, 40000, seq, data, flags, t);
  }
  void feed(const wire::Address& src, std::uint16_t sport, const wire::Address& dst,
            std::uint16_t dport, std::uint32_t seq, const std::string& data, std::uint8_t flags,
            std::int64_t t) {
    store.push_back(bytes_of(data));
    Packet p;
    p.proto = Packet::Proto::Tcp;
    p.src = src;
    p.dst = dst;
    p.sport = sport;
    p.dport = dport;
    p.tcp_seq = seq;
    p.tcp_flags = flags;
    p.time_ns = t >= 0 ? t : T0 + static_cast<std::int64_t>(store.size());
    p.payload = store.back();
    r.feed(p);
  }
  std::string client() const { return {sink.from_client.begin(), sink.from_client.end()}; }
  std::string server() const { return {sink.from_server.begin(), sink.from_server.end()}; }

  Recorder sink;
  TcpReassembler r;
  std::deque<Bytes> store;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tcp_reassembler)

BOOST_AUTO_TEST_CASE(handshake_data_and_fin) {
  Fixture f;
  f.c(100, "", TCP_SYN);
  f.s(500, "", TCP_SYN | TCP_ACK);
  f.c(101, "hello ");
  f.c(107, "world");
  f.s(501, "ok");
  f.c(112, "", TCP_FIN | TCP_ACK);
  f.s(503, "", TCP_FIN | TCP_ACK);
  BOOST_TEST(f.client() == "hello world");
  BOOST_TEST(f.server() == "ok");
  BOOST_TEST(f.sink.text() ==
             "begin c>s syn @1\nbegin s>c syn @2\ndata c>s 0+6 @3\ndata c>s 6+5 @4\n"
             "data s>c 0+2 @5\nend c>s fin @6\nend s>c fin @7\n");
  BOOST_TEST(f.r.stats().bytes == 13U);
  // The final ACK and a retransmitted FIN do not start new flows.
  f.c(113, "", TCP_ACK);
  f.s(503, "", TCP_FIN | TCP_ACK);
  BOOST_TEST(f.r.stats().flows == 2U);
  BOOST_TEST(f.r.stats().ignored == 2U);
}

BOOST_AUTO_TEST_CASE(retransmission_and_overlap_delivered_once) {
  Fixture f;
  f.c(1, "", TCP_SYN);
  f.c(2, "abcd");
  f.c(2, "abcd");      // Exact retransmission.
  f.c(4, "cdefgh");    // Overlaps "cd", adds "efgh".
  f.c(2, "XXXXXXXX");  // Old bytes with other content: the first copy wins.
  f.c(10, "ij");
  BOOST_TEST(f.client() == "abcdefghij");
  BOOST_TEST(f.r.stats().retransmitted == 2U);
  BOOST_TEST(f.r.stats().trimmed == 1U);
}

BOOST_AUTO_TEST_CASE(reordered_segments_wait_for_the_hole) {
  Fixture f;
  f.c(1, "", TCP_SYN, T0);
  f.c(8, "89", TCP_ACK, T0 + 10);
  f.c(5, "567", TCP_ACK, T0 + 20);
  f.c(6, "67", TCP_ACK, T0 + 30);  // Overlaps buffered data.
  BOOST_TEST(f.client().empty());
  f.c(2, "234", TCP_ACK, T0 + 40);
  BOOST_TEST(f.client() == "23456789");
  // All of it completed by the segment at T0 + 40.
  BOOST_TEST(f.sink.text() ==
             "begin c>s syn @0\ndata c>s 0+3 @40\ndata c>s 3+3 @40\ndata c>s 6+2 @40\n");
  BOOST_TEST(f.r.stats().out_of_order == 3U);
}

BOOST_AUTO_TEST_CASE(capture_starting_mid_stream) {
  Fixture f;
  f.s(70000, "tail of a message", TCP_PSH | TCP_ACK);
  f.s(70000 + 17, "next");
  f.s(69990, "0123456789");  // Before the first byte seen: treated as old.
  BOOST_TEST(f.server() == "tail of a messagenext");
  BOOST_TEST(f.sink.text().rfind("begin s>c mid", 0) == 0);
}

BOOST_AUTO_TEST_CASE(pure_ack_first_then_data) {
  Fixture f;
  f.c(5000, "");
  f.c(5000, "data");
  BOOST_TEST(f.client() == "data");
}

BOOST_AUTO_TEST_CASE(buffer_limit_abandons_the_hole) {
  TcpReassembler::Limits l;
  l.max_buffered_bytes = 8;
  Fixture f(l);
  f.c(1, "", TCP_SYN);
  f.c(2, "ab");
  f.c(8, "ghij");   // Hole [2, 6) = "cdef".
  f.c(12, "klmn");  // Still within the limit.
  BOOST_TEST(f.client() == "ab");
  f.c(16, "o");  // 9 buffered > 8: give up on the hole.
  BOOST_TEST(f.client() == "abghijklmno");
  BOOST_TEST(f.sink.text().find("gap c>s 2+4") != std::string::npos, f.sink.text());
  BOOST_TEST(f.r.stats().gaps == 1U);
  BOOST_TEST(f.r.stats().gap_bytes == 4U);
  f.c(6, "cdef");  // The lost segment, too late: old data now.
  f.c(17, "p");
  BOOST_TEST(f.client() == "abghijklmnop");
}

BOOST_AUTO_TEST_CASE(hole_timeout_abandons_the_hole) {
  TcpReassembler::Limits l;
  l.hole_timeout_ns = 2 * SECOND;
  Fixture f(l);
  f.c(1, "", TCP_SYN, T0);
  f.c(2, "a", TCP_ACK, T0);
  f.c(4, "c", TCP_ACK, T0 + SECOND);
  f.c(5, "d", TCP_ACK, T0 + 2 * SECOND);
  BOOST_TEST(f.client() == "a");
  f.r.expire(T0 + 4 * SECOND);
  BOOST_TEST(f.client() == "acd");
  BOOST_TEST(f.sink.client_gaps == 1U);
}

BOOST_AUTO_TEST_CASE(rst_ends_the_flow_with_what_was_buffered) {
  Fixture f;
  f.c(1, "", TCP_SYN);
  f.c(2, "ab");
  f.c(6, "fg");
  f.c(8, "", TCP_RST);
  BOOST_TEST(f.client() == "abfg");
  BOOST_TEST(f.sink.text().find("gap c>s 2+2") != std::string::npos, f.sink.text());
  BOOST_TEST(f.sink.text().find("end c>s rst") != std::string::npos, f.sink.text());
  f.c(8, "late");
  BOOST_TEST(f.client() == "abfg");
  // A RST for a flow never seen is ignored.
  f.s(1, "", TCP_RST);
  BOOST_TEST(f.r.stats().flows == 1U);
}

BOOST_AUTO_TEST_CASE(fin_before_the_last_data_waits_for_it) {
  Fixture f;
  f.c(1, "", TCP_SYN);
  f.c(5, "def", TCP_FIN | TCP_ACK);
  BOOST_TEST(f.sink.text().find("end") == std::string::npos);
  f.c(2, "abc");
  BOOST_TEST(f.client() == "abcdef");
  BOOST_TEST(f.sink.text().find("end c>s fin") != std::string::npos, f.sink.text());
}

BOOST_AUTO_TEST_CASE(sequence_wraparound) {
  Fixture f;
  f.c(0xFFFFFFFDU, "", TCP_SYN);
  f.c(0xFFFFFFFEU, "ab");
  f.c(2, "ef");  // Out of order across the wrap.
  f.c(0, "cd");
  BOOST_TEST(f.client() == "abcdef");
}

BOOST_AUTO_TEST_CASE(new_syn_restarts_retransmitted_syn_does_not) {
  Fixture f;
  f.c(100, "", TCP_SYN);
  f.c(101, "one");
  f.c(100, "", TCP_SYN);  // Retransmitted SYN: ignored.
  f.c(104, "two");
  f.c(7000, "", TCP_SYN);  // New connection on the same 4-tuple.
  f.c(7001, "three");
  BOOST_TEST(f.client() == "onetwothree");
  BOOST_TEST(f.sink.text().find("end c>s restarted") != std::string::npos, f.sink.text());
  BOOST_TEST(f.r.stats().flows == 2U);
  // A new SYN after a finished connection begins again too.
  f.c(7006, "", TCP_FIN | TCP_ACK);
  f.c(9000, "", TCP_SYN);
  f.c(9001, "four");
  BOOST_TEST(f.client() == "onetwothreefour");
  BOOST_TEST(f.r.stats().flows == 3U);
}

BOOST_AUTO_TEST_CASE(finish_flushes_and_ends) {
  Fixture f;
  f.c(1, "", TCP_SYN);
  f.c(2, "a");
  f.c(4, "c");
  f.s(10, "x");
  f.r.finish(T0 + 100);
  BOOST_TEST(f.client() == "ac");
  BOOST_TEST(f.sink.text().find("gap c>s 1+1 @100") != std::string::npos, f.sink.text());
  BOOST_TEST(f.sink.text().find("end c>s finished @100") != std::string::npos, f.sink.text());
  BOOST_TEST(f.sink.text().find("end s>c finished @100") != std::string::npos, f.sink.text());
  BOOST_TEST(f.r.flows() == 0U);
}

BOOST_AUTO_TEST_CASE(idle_flows_end_and_flow_limit_evicts) {
  TcpReassembler::Limits l;
  l.idle_timeout_ns = 10 * SECOND;
  l.max_flows = 2;
  Fixture f(l);
  f.c(1, "a", TCP_ACK, T0);
  f.s(1, "b", TCP_ACK, T0 + SECOND);
  f.feed(P, 40001, S, 647, 1, "c", TCP_ACK, T0 + 2 * SECOND);  // Third flow: evicts c>s.
  BOOST_TEST(f.sink.text().find("end c>s evicted") != std::string::npos, f.sink.text());
  BOOST_TEST(f.r.flows() == 2U);
  f.r.expire(T0 + 20 * SECOND);
  BOOST_TEST(f.sink.text().find("end s>c idle") != std::string::npos, f.sink.text());
  BOOST_TEST(f.r.flows() == 0U);
}

BOOST_AUTO_TEST_CASE(non_tcp_packets_are_ignored) {
  Fixture f;
  Packet p;
  p.proto = Packet::Proto::Udp;
  f.r.feed(p);
  BOOST_TEST(f.r.stats().segments == 0U);
}

BOOST_AUTO_TEST_CASE(written_capture_reassembles) {
  // PcapWriter → PcapReader → TcpReassembler, with a reordering and a retransmission. Two
  // 2-octet-length-framed messages: {0,3,a,b,c} at seq 11..15, {0,3,x,y,z} at 16..20.
  TempDir dir;
  const auto path = dir.file("stream.pcap");
  {
    PcapWriter w(path.string());
    std::int64_t t = T0;
    w.write_tcp(t++, P, 40000, S, 647, 10, 0, TCP_SYN, {});
    w.write_tcp(t++, S, 647, P, 40000, 20, 11, TCP_SYN | TCP_ACK, {});
    w.write_tcp(t++, P, 40000, S, 647, 11, 21, TCP_PSH | TCP_ACK, Bytes{0, 3, 'a', 'b', 'c'});
    w.write_tcp(t++, P, 40000, S, 647, 18, 21, TCP_PSH | TCP_ACK, bytes_of("xyz"));
    w.write_tcp(t++, P, 40000, S, 647, 16, 21, TCP_PSH | TCP_ACK, Bytes{0, 3});
    w.write_tcp(t++, P, 40000, S, 647, 16, 21, TCP_PSH | TCP_ACK, Bytes{0, 3});
    w.write_tcp(t++, P, 40000, S, 647, 21, 21, TCP_FIN | TCP_ACK, {});
  }
  PcapReader reader(path.string());
  Recorder sink;
  TcpReassembler r(sink);
  Packet p;
  while (reader.next(p)) r.feed(p);
  r.finish(T0 + 100);
  BOOST_TEST((sink.from_client == Bytes{0, 3, 'a', 'b', 'c', 0, 3, 'x', 'y', 'z'}), sink.text());
  BOOST_TEST(sink.text().find("end c>s fin @6") != std::string::npos, sink.text());
  BOOST_TEST(r.stats().retransmitted == 1U);
  BOOST_TEST(r.stats().out_of_order == 1U);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace failover6::trace::test
