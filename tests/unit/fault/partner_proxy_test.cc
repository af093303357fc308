// PartnerProxy over loopback TCP: every mode, stats, events, the pcap read back and
// reassembled, and the JSON control commands. Waits are on real events with deadlines.
#include "fault/partner_proxy.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <sstream>
#include <thread>
#include <vector>

#include "fault/proxy_control.h"
#include "trace/pcap_reader.h"
#include "trace/tcp_reassembler.h"

namespace failover6::fault::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int TIMEOUT_MS = 5000;

/// An owned socket.
struct Sock {
  int fd = -1;
  Sock() = default;
  explicit Sock(int f) : fd(f) {}
  Sock(Sock&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Sock& operator=(Sock&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Sock() {
    if (fd >= 0) ::close(fd);
  }
};

sockaddr_in6 loopback(std::uint16_t port) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  a.sin6_port = htons(port);
  return a;
}

/// A listening socket on [::1]:any, standing in for the target partner.
struct Listener {
  Sock s{::socket(AF_INET6, SOCK_STREAM, 0)};
  std::uint16_t port = 0;
  Listener() {
    auto a = loopback(0);
    BOOST_REQUIRE(::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    BOOST_REQUIRE(::listen(s.fd, 16) == 0);
    socklen_t len = sizeof a;
    ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin6_port);
  }
  std::string endpoint() const { return "[::1]:" + std::to_string(port); }
  /// Accepts one connection within the timeout.
  Sock accept() {
    pollfd p{s.fd, POLLIN, 0};
    BOOST_REQUIRE(::poll(&p, 1, TIMEOUT_MS) == 1);
    return Sock(::accept(s.fd, nullptr, nullptr));
  }
};

Sock connect_to(std::uint16_t port) {
  Sock c(::socket(AF_INET6, SOCK_STREAM, 0));
  auto a = loopback(port);
  BOOST_REQUIRE(::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return c;
}

void send_text(const Sock& s, const std::string& text) {
  BOOST_REQUIRE(::send(s.fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size()));
}

/// Reads exactly @p n bytes within the timeout; fewer when the stream ends or errs.
std::string recv_n(const Sock& s, std::size_t n, int timeout_ms = TIMEOUT_MS) {
  std::string out;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (out.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{s.fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) != 1) break;
    char buf[4096];
    auto r = ::recv(s.fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (r <= 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  return out;
}

/// Waits for the end of the stream: @return 0 for EOF, the errno (ECONNRESET) for a reset,
/// -1 when data arrived instead, -2 at the timeout.
int wait_end(const Sock& s) {
  pollfd p{s.fd, POLLIN, 0};
  if (::poll(&p, 1, TIMEOUT_MS) != 1) return -2;
  char c;
  auto r = ::recv(s.fd, &c, 1, 0);
  if (r == 0) return 0;
  if (r < 0) return errno;
  return -1;
}

/// Nothing is readable on @p s right now.
bool nothing_readable(const Sock& s) {
  pollfd p{s.fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

/// Polls @p cond with a deadline (the proxy's counters change on its io thread).
bool eventually(const std::function<bool()>& cond) {
  auto deadline = Clock::now() + std::chrono::milliseconds(TIMEOUT_MS);
  while (Clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::yield();
  }
  return cond();
}

/// A proxied connection: client <-> proxy <-> server.
struct Link {
  Sock client;
  Sock server;
};

Link open_link(Listener& l, PartnerProxy& p) {
  Link k;
  k.client = connect_to(p.port());
  k.server = l.accept();
  return k;
}

BOOST_AUTO_TEST_SUITE(partner_proxy)

BOOST_AUTO_TEST_CASE(pass_copies_both_ways_and_counts) {
  Listener l;
  PartnerProxy p(l.endpoint());
  BOOST_TEST(p.port() != 0);
  BOOST_TEST(to_string(p.mode()) == "pass");
  auto k = open_link(l, p);
  send_text(k.client, "connect");
  BOOST_TEST(recv_n(k.server, 7) == "connect");
  send_text(k.server, "reply!");
  BOOST_TEST(recv_n(k.client, 6) == "reply!");
  // The counters move when the write completes on the io thread, maybe after recv here.
  BOOST_TEST(eventually([&] { return p.stats().bytes_from_target == 6; }));
  auto s = p.stats();
  BOOST_TEST(s.connections == 1U);
  BOOST_TEST(s.open_connections == 1U);
  BOOST_TEST(s.bytes_to_target == 7U);
  BOOST_TEST(s.bytes_from_target == 6U);
  // EOF is passed on as a half close.
  ::shutdown(k.client.fd, SHUT_WR);
  BOOST_TEST(wait_end(k.server) == 0);
  send_text(k.server, "bye");
  BOOST_TEST(recv_n(k.client, 3) == "bye");
}

BOOST_AUTO_TEST_CASE(blackhole_drops_both_ways_and_heal_resets_damaged_connections) {
  Listener l;
  PartnerProxy p(l.endpoint());
  auto k = open_link(l, p);
  p.blackhole();
  BOOST_TEST(to_string(p.mode()) == "blackhole");
  send_text(k.client, "lost1");
  send_text(k.server, "lost22");
  BOOST_TEST(eventually([&] {
    auto s = p.stats();
    return s.dropped_to_target == 5 && s.dropped_from_target == 6;
  }));
  BOOST_TEST(nothing_readable(k.server));
  BOOST_TEST(nothing_readable(k.client));
  // A connection made during the blackhole is accepted but gets no upstream.
  auto late = connect_to(p.port());
  BOOST_TEST(eventually([&] { return p.stats().connections == 2; }));
  p.pass_through();
  BOOST_TEST(wait_end(k.client) == ECONNRESET);
  BOOST_TEST(wait_end(k.server) == ECONNRESET);
  BOOST_TEST(wait_end(late) == ECONNRESET);
  BOOST_TEST(p.stats().open_connections == 0U);
  auto fresh = open_link(l, p);
  send_text(fresh.client, "again");
  BOOST_TEST(recv_n(fresh.server, 5) == "again");
  auto ev = p.events();
  BOOST_REQUIRE(ev.size() == 3U);
  BOOST_TEST(ev[1].what == "blackhole");
  BOOST_TEST(ev[2].what == "pass");
  BOOST_TEST(ev[2].time >= ev[1].time);
}

BOOST_AUTO_TEST_CASE(reset_is_one_shot) {
  Listener l;
  PartnerProxy p(l.endpoint());
  auto k = open_link(l, p);
  BOOST_TEST(p.reset() == 1U);
  BOOST_TEST(to_string(p.mode()) == "pass");
  BOOST_TEST(wait_end(k.client) == ECONNRESET);
  BOOST_TEST(wait_end(k.server) == ECONNRESET);
  auto again = open_link(l, p);
  send_text(again.client, "x");
  BOOST_TEST(recv_n(again.server, 1) == "x");
  BOOST_TEST(p.stats().resets == 1U);
  BOOST_TEST(p.events().back().what == "reset");
}

BOOST_AUTO_TEST_CASE(refuse_resets_open_and_new_connections) {
  Listener l;
  PartnerProxy p(l.endpoint());
  auto k = open_link(l, p);
  p.refuse();
  BOOST_TEST(wait_end(k.client) == ECONNRESET);
  auto c = connect_to(p.port());  // the handshake completes in the kernel; then RST
  BOOST_TEST(wait_end(c) == ECONNRESET);
  BOOST_TEST(p.stats().refused == 1U);
  p.pass_through();
  auto ok = open_link(l, p);
  send_text(ok.client, "y");
  BOOST_TEST(recv_n(ok.server, 1) == "y");
}

BOOST_AUTO_TEST_CASE(delay_holds_bytes_in_order_both_ways) {
  Listener l;
  PartnerProxy p(l.endpoint());
  auto k = open_link(l, p);
  p.delay(0.3);
  auto t0 = Clock::now();
  send_text(k.client, "one");
  send_text(k.client, "two");
  send_text(k.server, "back");
  BOOST_TEST(eventually([&] { return p.stats().held_bytes == 10; }));
  BOOST_TEST(recv_n(k.server, 6) == "onetwo");
  BOOST_TEST(recv_n(k.client, 4) == "back");
  auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  BOOST_TEST(waited_ms >= 300);
  BOOST_TEST(p.stats().delay_seconds == 0.3);
  // Healing delivers held bytes at once.
  p.delay(600);
  send_text(k.client, "held");
  BOOST_TEST(eventually([&] { return p.stats().held_bytes == 4; }));
  p.pass_through();
  BOOST_TEST(recv_n(k.server, 4, 2000) == "held");
  BOOST_CHECK_THROW(p.delay(-1), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(one_way_drops_one_direction_only) {
  Listener l;
  PartnerProxy p(l.endpoint());
  auto k = open_link(l, p);
  p.one_way(LinkDirection::ToTarget);
  send_text(k.client, "dropped");
  send_text(k.server, "flows");
  BOOST_TEST(recv_n(k.client, 5) == "flows");
  BOOST_TEST(eventually([&] { return p.stats().dropped_to_target == 7; }));
  BOOST_TEST(nothing_readable(k.server));
  BOOST_TEST(p.stats().drop == "to-target");
  p.one_way(LinkDirection::FromTarget);
  BOOST_TEST(p.stats().drop == "from-target");
}

BOOST_AUTO_TEST_CASE(blackhole_then_delay_resets_the_damaged_connection) {
  Listener l;
  PartnerProxy p(l.endpoint());
  auto k = open_link(l, p);
  p.blackhole();
  send_text(k.client, "lost");
  BOOST_TEST(eventually([&] { return p.stats().dropped_to_target == 4; }));
  auto silent = connect_to(p.port());  // accepted during the blackhole, no upstream
  BOOST_TEST(eventually([&] { return p.stats().connections == 2; }));
  p.delay(0.2);  // delivery resumes: the stream with a hole must not go on
  BOOST_TEST(p.stats().resets == 2U);  // applied when delay() returns
  BOOST_TEST(p.stats().open_connections == 0U);
  BOOST_TEST(wait_end(k.client) == ECONNRESET);
  BOOST_TEST(wait_end(k.server) == ECONNRESET);
  BOOST_TEST(wait_end(silent) == ECONNRESET);
  // A new connection works, with the delay.
  auto fresh = open_link(l, p);
  auto t0 = Clock::now();
  send_text(fresh.client, "late");
  BOOST_TEST(recv_n(fresh.server, 4) == "late");
  auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  BOOST_TEST(waited_ms >= 200);
  BOOST_TEST(to_string(p.mode()) == "delay");
  auto ev = p.events();
  BOOST_REQUIRE(ev.size() == 3U);
  BOOST_TEST(ev[1].what == "blackhole");
  BOOST_TEST(ev[2].what == "delay");
}

BOOST_AUTO_TEST_CASE(one_way_switch_resets_the_connection_that_lost_bytes) {
  Listener l;
  PartnerProxy p(l.endpoint());
  auto k = open_link(l, p);
  p.one_way(LinkDirection::ToTarget);
  send_text(k.client, "dropped");
  send_text(k.server, "flows");
  BOOST_TEST(recv_n(k.client, 5) == "flows");
  BOOST_TEST(eventually([&] { return p.stats().dropped_to_target == 7; }));
  // The damaged direction stays dropped: no reset yet.
  p.blackhole();
  BOOST_TEST(p.stats().resets == 0U);
  BOOST_TEST(p.stats().open_connections == 1U);
  BOOST_TEST(nothing_readable(k.client));
  BOOST_TEST(nothing_readable(k.server));
  // Now to-target flows again: the connection with the hole is reset.
  p.one_way(LinkDirection::FromTarget);
  BOOST_TEST(p.stats().resets == 1U);
  BOOST_TEST(p.stats().open_connections == 0U);
  BOOST_TEST(wait_end(k.client) == ECONNRESET);
  BOOST_TEST(wait_end(k.server) == ECONNRESET);
  // A new connection sees the new one-way fault.
  auto fresh = open_link(l, p);
  send_text(fresh.server, "gone");
  BOOST_TEST(eventually([&] { return p.stats().dropped_from_target == 4; }));
  send_text(fresh.client, "up");
  BOOST_TEST(recv_n(fresh.server, 2) == "up");
  BOOST_TEST(nothing_readable(fresh.client));
  // Healing resets it too: from-target lost "gone".
  p.pass_through();
  BOOST_TEST(wait_end(fresh.client) == ECONNRESET);
  BOOST_TEST(wait_end(fresh.server) == ECONNRESET);
  BOOST_TEST(p.stats().resets == 2U);
}

BOOST_AUTO_TEST_CASE(mode_changes_keep_a_connection_that_lost_nothing) {
  Listener l;
  PartnerProxy p(l.endpoint());
  auto k = open_link(l, p);
  auto round_trip = [&](const std::string& up, const std::string& down) {
    send_text(k.client, up);
    BOOST_TEST(recv_n(k.server, up.size()) == up);
    send_text(k.server, down);
    BOOST_TEST(recv_n(k.client, down.size()) == down);
  };
  round_trip("a", "b");
  p.delay(0.05);
  round_trip("cc", "dd");
  p.pass_through();
  round_trip("e", "f");
  p.one_way(LinkDirection::FromTarget);  // nothing is sent from the target meanwhile
  send_text(k.client, "to");
  BOOST_TEST(recv_n(k.server, 2) == "to");
  p.one_way(LinkDirection::ToTarget);  // from-target resumes, and it lost nothing
  send_text(k.server, "fro");
  BOOST_TEST(recv_n(k.client, 3) == "fro");
  p.blackhole();  // nothing is sent during it
  p.delay(0);
  round_trip("g", "h");
  p.pass_through();
  round_trip("i", "j");
  auto s = p.stats();
  BOOST_TEST(s.resets == 0U);
  BOOST_TEST(s.open_connections == 1U);
  BOOST_TEST(s.dropped_to_target == 0U);
  BOOST_TEST(s.dropped_from_target == 0U);
}

BOOST_AUTO_TEST_CASE(unreachable_target_resets_the_accepted_connection) {
  std::uint16_t dead;
  {
    Listener gone;
    dead = gone.port;
  }
  PartnerProxy p("[::1]:" + std::to_string(dead));
  auto c = connect_to(p.port());
  BOOST_TEST(wait_end(c) == ECONNRESET);
  BOOST_TEST(p.stats().connect_failures == 1U);
}

/// Collects reassembled streams per direction.
struct Streams : trace::TcpStreamSink {
  std::map<std::uint16_t, std::string> by_sport;  // source port -> bytes
  std::map<std::uint16_t, bool> from_syn;
  std::map<std::uint16_t, EndReason> ends;  // source port -> why its flow ended
  int gaps = 0;
  void on_end(const trace::TcpFlowKey& f, EndReason why, std::int64_t) override { ends[f.sport] = why; }
  void on_begin(const trace::TcpFlowKey& f, bool syn, std::int64_t) override { from_syn[f.sport] = syn; }
  void on_data(const trace::TcpFlowKey& f, std::uint64_t, std::span<const std::uint8_t> b,
               std::int64_t) override {
    by_sport[f.sport].append(b.begin(), b.end());
  }
  void on_gap(const trace::TcpFlowKey&, std::uint64_t, std::uint64_t, std::int64_t) override { ++gaps; }
};

BOOST_AUTO_TEST_CASE(pcap_holds_the_delivered_stream_addressed_to_the_target) {
  std::string pcap = "/tmp/unit_fault_" + std::to_string(::getpid()) + ".pcap";
  Listener l;
  auto port_of = [](const Sock& s) {
    sockaddr_in6 a{};
    socklen_t len = sizeof a;
    ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin6_port);
  };
  std::uint16_t client_port;
  std::uint16_t client2_port;
  {
    PartnerProxy p(l.endpoint(), "[::1]:0", pcap);
    auto k = open_link(l, p);
    client_port = port_of(k.client);
    send_text(k.client, "hello ");
    BOOST_TEST(recv_n(k.server, 6) == "hello ");
    send_text(k.server, "partner");
    BOOST_TEST(recv_n(k.client, 7) == "partner");
    p.one_way(LinkDirection::ToTarget);
    send_text(k.client, "NOT DELIVERED");
    BOOST_TEST(eventually([&] { return p.stats().dropped_to_target == 13; }));
    p.delay(0);  // to-target resumes after a hole: the connection is reset (RST|ACK both ways)
    BOOST_TEST(wait_end(k.server) == ECONNRESET);
    BOOST_TEST(wait_end(k.client) == ECONNRESET);
    auto k2 = open_link(l, p);
    client2_port = port_of(k2.client);
    send_text(k2.client, "world");
    BOOST_TEST(recv_n(k2.server, 5) == "world");
    ::shutdown(k2.client.fd, SHUT_WR);
    BOOST_TEST(wait_end(k2.server) == 0);
    p.close();
    BOOST_TEST(p.stats().pcap_error.empty());
  }
  trace::ReaderOptions opt;
  opt.tcp_ports = {l.port};
  trace::PcapReader reader(pcap, opt);
  Streams streams;
  trace::TcpReassembler re(streams);
  trace::Packet pk;
  int syns = 0;
  int fins = 0;
  std::map<std::uint16_t, int> rst_by_client;  // client port -> RST|ACK segments of its flow
  while (reader.next(pk)) {
    BOOST_TEST(pk.src.to_string() == "::1");
    BOOST_TEST((pk.sport == l.port || pk.dport == l.port));
    auto client = pk.sport == l.port ? pk.dport : pk.sport;
    BOOST_TEST((client == client_port || client == client2_port));
    if ((pk.tcp_flags & trace::TCP_SYN) != 0) ++syns;
    if ((pk.tcp_flags & trace::TCP_FIN) != 0) ++fins;
    if ((pk.tcp_flags & (trace::TCP_RST | trace::TCP_ACK)) == (trace::TCP_RST | trace::TCP_ACK))
      ++rst_by_client[client];
    re.feed(pk);
  }
  re.finish(0);
  BOOST_TEST(syns == 4);  // SYN and SYN-ACK of each connection
  BOOST_TEST(fins == 2);  // the second connection's, both ways (the last one at close)
  BOOST_TEST(rst_by_client[client_port] == 2);  // the reset one, both ways
  BOOST_TEST(rst_by_client[client2_port] == 0);
  BOOST_TEST(streams.gaps == 0);  // dropped bytes are not in it, and leave no hole
  BOOST_TEST(streams.by_sport[client_port] == "hello ");
  BOOST_TEST(streams.by_sport[client2_port] == "world");
  BOOST_TEST(streams.by_sport[l.port] == "partner");
  BOOST_TEST(streams.from_syn[client_port]);
  BOOST_TEST(streams.from_syn[client2_port]);
  BOOST_TEST((streams.ends[client_port] == trace::TcpStreamSink::EndReason::Rst));
  BOOST_TEST((streams.ends[client2_port] == trace::TcpStreamSink::EndReason::Fin));
  std::remove(pcap.c_str());
}

BOOST_AUTO_TEST_CASE(flush_makes_the_running_capture_readable) {
  std::string pcap = "/tmp/unit_fault_flush_" + std::to_string(::getpid()) + ".pcap";
  Listener l;
  PartnerProxy p(l.endpoint(), "[::1]:0", pcap);
  auto k = open_link(l, p);
  send_text(k.client, "hello");
  BOOST_TEST(recv_n(k.server, 5) == "hello");
  auto count = [&] {
    trace::ReaderOptions opt;
    opt.tcp_ports = {l.port};
    trace::PcapReader reader(pcap, opt);
    trace::Packet pk;
    int n = 0;
    while (reader.next(pk)) ++n;
    return n;
  };
  BOOST_TEST(std::filesystem::file_size(pcap) < 24U);  // buffered: not even the header yet
  // SYN, SYN-ACK, ACK and the data, while the proxy runs (the data's record may follow its
  // delivery by a moment: the proxy writes it when the write to the target completes).
  BOOST_TEST(eventually([&] {
    p.flush();
    return count() == 4;
  }));
  p.close();
  p.flush();  // a no-op once closed
  std::remove(pcap.c_str());
}

BOOST_AUTO_TEST_CASE(control_commands) {
  Listener l;
  PartnerProxy p(l.endpoint());
  using nlohmann::json;
  auto r = handle_proxy_command(p, json{{"command", "blackhole"}});
  BOOST_TEST(r["result"] == 0);
  BOOST_TEST(r["arguments"]["mode"] == "blackhole");
  r = handle_proxy_command(p, json{{"command", "delay"}, {"seconds", 0.2}});
  BOOST_TEST(r["arguments"]["delay_seconds"] == 0.2);
  r = handle_proxy_command(p, json{{"command", "one-way"}, {"drop", "from-target"}});
  BOOST_TEST(r["arguments"]["drop"] == "from-target");
  BOOST_TEST(handle_proxy_command(p, json{{"command", "one-way"}, {"drop", "up"}})["result"] == 1);
  BOOST_TEST(handle_proxy_command(p, json{{"command", "delay"}})["result"] == 1);
  BOOST_TEST(handle_proxy_command(p, json{{"command", "delay"}, {"seconds", -2}})["result"] == 1);
  BOOST_TEST(handle_proxy_command(p, json{{"command", "explode"}})["result"] == 1);
  BOOST_TEST(handle_proxy_command(p, json::array())["result"] == 1);
  r = handle_proxy_command(p, json{{"command", "events"}});
  BOOST_TEST(r["arguments"]["events"].size() == 4U);
  BOOST_TEST(handle_proxy_command(p, json{{"command", "pass"}})["arguments"]["mode"] == "pass");
  r = handle_proxy_command(p, json{{"command", "stats"}});
  BOOST_TEST(r["arguments"]["connections"] == 0);
}

BOOST_AUTO_TEST_CASE(errors_and_close) {
  BOOST_CHECK_THROW(PartnerProxy("localhost:647"), std::invalid_argument);
  Listener l;
  BOOST_CHECK_THROW(PartnerProxy(l.endpoint(), "[::1]:" + std::to_string(l.port)), std::runtime_error);
  BOOST_CHECK_THROW(PartnerProxy(l.endpoint(), "[::1]:0", "/nonexistent/dir/x.pcap"), std::runtime_error);
  PartnerProxy p(l.endpoint());
  auto k = open_link(l, p);
  p.close();
  p.close();
  BOOST_TEST(wait_end(k.client) == 0);
  BOOST_TEST(wait_end(k.server) == 0);
  BOOST_CHECK_THROW(p.blackhole(), std::logic_error);
  BOOST_TEST(p.stats().connections == 1U);
}

/// Open descriptors of this process.
std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

BOOST_AUTO_TEST_CASE(no_descriptor_outlives_the_proxy) {
  std::string pcap = "/tmp/unit_fault_fd_" + std::to_string(::getpid()) + ".pcap";
  Listener l;
  auto before = open_fds();
  {
    PartnerProxy p(l.endpoint(), "[::1]:0", pcap);
    std::vector<Link> links;
    for (int i = 0; i < 5; ++i) links.push_back(open_link(l, p));
    send_text(links[0].client, "a");
    BOOST_TEST(recv_n(links[0].server, 1) == "a");
    p.delay(600);
    send_text(links[1].client, "held");  // in flight at close
    BOOST_TEST(eventually([&] { return p.stats().held_bytes == 4; }));
    p.blackhole();
    auto silent = connect_to(p.port());  // accepted during the blackhole
    BOOST_TEST(eventually([&] { return p.stats().connections == 6; }));
    p.close();
  }
  // The test's own sockets (links, silent) are gone with their scope, the proxy's too.
  BOOST_TEST(open_fds() == before);
  std::remove(pcap.c_str());
}

BOOST_AUTO_TEST_CASE(close_is_final_for_readers_on_other_threads) {
  // /dev/full fails the pcap at close: close() records the error while other threads read
  // stats(); under ThreadSanitizer this checks that close() publishes it under the lock.
  Listener l;
  PartnerProxy p(l.endpoint(), "[::1]:0", "/dev/full");
  auto k = open_link(l, p);
  send_text(k.client, "data");
  BOOST_TEST(recv_n(k.server, 4) == "data");
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      auto s = p.stats();
      (void)s.pcap_error.size();
      (void)p.events().size();
    }
  });
  BOOST_CHECK_THROW(p.close(), std::runtime_error);
  done = true;
  reader.join();
  BOOST_TEST(!p.stats().pcap_error.empty());
  p.close();  // idempotent: the error was reported once
}

/// CPU time, in microseconds, used so far by every thread of this process but the calling one.
/// getrusage opens no descriptor, so it works while the process is out of them.
long other_threads_cpu_us() {
  auto us = [](const rusage& r) {
    return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1'000'000L + r.ru_utime.tv_usec +
           r.ru_stime.tv_usec;
  };
  rusage all{};
  rusage self{};
  ::getrusage(RUSAGE_SELF, &all);
  ::getrusage(RUSAGE_THREAD, &self);
  return us(all) - us(self);
}

BOOST_AUTO_TEST_CASE(accept_backs_off_when_out_of_descriptors) {
  Listener l;
  PartnerProxy p(l.endpoint());
  Sock c(::socket(AF_INET6, SOCK_STREAM, 0));  // made before the limit
  rlimit old{};
  BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
  int highest = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    highest = std::max(highest, std::stoi(e.path().filename().string()));
  rlimit low = old;
  low.rlim_cur = static_cast<rlim_t>(highest + 1);
  BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  // Fill every free number below the limit (the directory listing's own descriptor left one),
  // so that no thread of this process can get a new descriptor until the limit is restored.
  std::vector<int> fillers;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fillers.push_back(fd);
  int open_errno = errno;
  auto a = loopback(p.port());
  bool connected = ::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  auto t0 = other_threads_cpu_us();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a window to measure CPU in
  auto used_us = other_threads_cpu_us() - t0;
  ::setrlimit(RLIMIT_NOFILE, &old);
  for (int fd : fillers) ::close(fd);
  BOOST_TEST(open_errno == EMFILE);
  BOOST_TEST(connected);
  // A spinning io thread would burn most of the 300 ms; retrying every 50 ms costs well under 1%.
  BOOST_TEST(used_us < 60'000);
  BOOST_TEST(p.stats().connect_failures == 0U);  // nothing was accepted without an fd to connect
  auto server = l.accept();  // and the pending connection is served once fds are back
  send_text(c, "late");
  BOOST_TEST(recv_n(server, 4) == "late");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::fault::test
