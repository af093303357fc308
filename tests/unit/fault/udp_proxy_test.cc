// UdpProxy over loopback UDP: forwarding, replies to the right source, blackhole.
#include "fault/udp_proxy.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace failover6::fault::test {
namespace {

/// A UDP socket on [::1]:any.
struct Udp {
  int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);
  std::uint16_t port = 0;
  Udp() {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin6_port);
  }
  ~Udp() { ::close(fd); }
  Udp(const Udp&) = delete;
  Udp& operator=(const Udp&) = delete;
  void send_to(std::uint16_t to, const std::string& data, const sockaddr_in6* dest = nullptr) const {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    a.sin6_port = htons(to);
    if (dest != nullptr) a = *dest;
    ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  }
  /// One datagram within @p timeout_ms, or "" (and @p from unchanged).
  std::string recv(int timeout_ms = 5000, sockaddr_in6* from = nullptr) const {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return "";
    char buf[2048];
    sockaddr_in6 a{};
    socklen_t len = sizeof a;
    auto n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&a), &len);
    if (from != nullptr) *from = a;
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }
};

BOOST_AUTO_TEST_SUITE(udp_proxy)

BOOST_AUTO_TEST_CASE(replies_return_to_the_relay_that_sent_the_request) {
  Udp server;
  UdpProxy p("[::1]:" + std::to_string(server.port));
  Udp relay1;
  Udp relay2;
  relay1.send_to(p.port(), "req1");
  sockaddr_in6 from1{};
  BOOST_TEST(server.recv(5000, &from1) == "req1");
  relay2.send_to(p.port(), "req2");
  sockaddr_in6 from2{};
  BOOST_TEST(server.recv(5000, &from2) == "req2");
  BOOST_TEST(from1.sin6_port != from2.sin6_port);  // one upstream socket per source
  server.send_to(0, "rep2", &from2);
  server.send_to(0, "rep1", &from1);
  BOOST_TEST(relay2.recv() == "rep2");
  BOOST_TEST(relay1.recv() == "rep1");
  auto s = p.stats();
  BOOST_TEST(s.sources == 2U);
  BOOST_TEST(s.to_target == 2U);
  BOOST_TEST(s.from_target == 2U);
}

BOOST_AUTO_TEST_CASE(blackhole_drops_client_to_server_only) {
  Udp server;
  UdpProxy p("[::1]:" + std::to_string(server.port));
  Udp relay;
  relay.send_to(p.port(), "first");
  sockaddr_in6 up{};
  BOOST_TEST(server.recv(5000, &up) == "first");
  p.blackhole();
  BOOST_TEST(p.mode() == "blackhole");
  relay.send_to(p.port(), "lost");
  server.send_to(0, "late reply", &up);  // a reply to the request already forwarded passes
  BOOST_TEST(relay.recv() == "late reply");
  bool dropped = false;  // bounded wait: the io thread counts "lost" when it reads it
  for (int i = 0; i < 1'000'000 && !dropped; ++i) dropped = p.stats().dropped == 1;
  BOOST_TEST(dropped);
  p.pass_through();
  relay.send_to(p.port(), "again");
  BOOST_TEST(server.recv() == "again");  // "lost" never arrived: the next one is "again"
  auto ev = p.events();
  BOOST_REQUIRE(ev.size() == 3U);
  BOOST_TEST(ev[1].what == "blackhole");
  p.close();
  BOOST_CHECK_THROW(p.blackhole(), std::logic_error);
}

/// Open descriptors of this process.
std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

BOOST_AUTO_TEST_CASE(mappings_are_bounded_and_new_sources_still_pass) {
  // More sources than MAX_SOURCES, one after the other (as many relays or client ports):
  // the proxy keeps at most MAX_SOURCES upstream sockets and the newest source still passes.
  Udp server;
  auto before = open_fds();
  {
    UdpProxy p("[::1]:" + std::to_string(server.port));
    const std::size_t n = UdpProxy::MAX_SOURCES + 40;
    for (std::size_t i = 0; i < n; ++i) {
      Udp relay;
      relay.send_to(p.port(), "r" + std::to_string(i));
      sockaddr_in6 up{};
      BOOST_REQUIRE(server.recv(5000, &up) == "r" + std::to_string(i));
      server.send_to(0, "a" + std::to_string(i), &up);
      auto reply = relay.recv();
      auto st = p.stats();  // for the message if the reply is missing
      BOOST_REQUIRE_MESSAGE(reply == "a" + std::to_string(i),
                            "source " << i << " got '" << reply << "'; open " << st.open_sources
                                      << " expired " << st.expired << " send_errors "
                                      << st.send_errors << " from_target " << st.from_target);
    }
    auto s = p.stats();
    // The kernel may hand a closed relay's port to a later one: that is the same source.
    BOOST_TEST(s.sources > UdpProxy::MAX_SOURCES);
    BOOST_TEST(s.open_sources == UdpProxy::MAX_SOURCES);
    BOOST_TEST(s.expired == s.sources - UdpProxy::MAX_SOURCES);
    BOOST_TEST(open_fds() <= before + UdpProxy::MAX_SOURCES + 8);  // + the io context's own
  }
  BOOST_TEST(open_fds() == before);  // nothing leaked
}

BOOST_AUTO_TEST_CASE(idle_mappings_expire) {
  Udp server;
  UdpProxy p("[::1]:" + std::to_string(server.port), "[::1]:0", "idle", 0.1);
  Udp relay;
  relay.send_to(p.port(), "one");
  BOOST_TEST(server.recv() == "one");
  BOOST_TEST(p.stats().open_sources == 1U);
  bool expired = false;  // bounded wait for the sweep (every 25 ms here)
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!expired && std::chrono::steady_clock::now() < deadline) {
    expired = p.stats().open_sources == 0;
    if (!expired) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  BOOST_TEST(expired);
  BOOST_TEST(p.stats().expired == 1U);
  relay.send_to(p.port(), "two");  // the same source gets a new mapping
  BOOST_TEST(server.recv() == "two");
  BOOST_TEST(p.stats().sources == 2U);
  BOOST_CHECK_THROW(UdpProxy("[::1]:1", "[::1]:0", "x", 0), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::fault::test
