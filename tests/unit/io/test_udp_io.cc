// io::UdpIo on loopback: readiness, the received datagram's addresses (IPV6_PKTINFO), replies
// by the receiving socket, round-robin between sockets, and socket errors that name the
// endpoint. Bounded waits only: the io_context runs until the event or a deadline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstring>

#include "fakes.h"
#include "io/udp_io.h"

using namespace failover6;
using namespace failover6::io;

namespace {

/// A plain client socket on [::1]:ephemeral.
struct Client {
  int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);
  Client() {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    timeval tv{2, 0};  // receive() gives up after 2 s rather than hang the suite
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~Client() { ::close(fd); }
  std::uint16_t port() const {
    sockaddr_in6 sa{};
    socklen_t len = sizeof(sa);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    return ntohs(sa.sin6_port);
  }
  void send_to(std::uint16_t port, const wire::Bytes& b) const {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    sa.sin6_port = htons(port);
    ::sendto(fd, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  }
  wire::Bytes receive() const {
    std::uint8_t buf[2048];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    return n < 0 ? wire::Bytes{} : wire::Bytes(buf, buf + n);
  }
};

struct UdpFixture {
  boost::asio::io_context io;
  test::CapturedLog captured;
  UdpIo udp{io, captured.log};

  std::uint16_t listen() {
    udp.open_listen({wire::Address::from_string("::1"), 0});
    return udp.local_port(udp.size() - 1);
  }
  int ready_events = 0;
  /// Runs the io_context until @p n sockets have reported readiness in all (or 2 s pass).
  bool wait_ready(int n = 1) {
    udp.arm([this] { ++ready_events; });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (ready_events < n && std::chrono::steady_clock::now() < deadline)
      io.run_one_until(deadline);
    io.restart();
    return ready_events >= n;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(udp_io, UdpFixture)

BOOST_AUTO_TEST_CASE(receive_and_reply_on_loopback) {
  std::uint16_t port = listen();
  BOOST_TEST(port != 0);
  BOOST_TEST(captured.count("F6D_LISTENING") == 1U);
  Client c;
  ReceivedDatagram r;
  BOOST_TEST(!udp.try_receive(r));  // nothing yet, and no blocking
  c.send_to(port, {1, 2, 3});
  BOOST_TEST_REQUIRE(wait_ready());
  BOOST_TEST_REQUIRE(udp.try_receive(r));
  BOOST_TEST(r.buffer == wire::Bytes({1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(r.datagram.payload.size() == 3U);
  BOOST_TEST(r.datagram.src.to_string() == "::1");
  BOOST_TEST(r.datagram.sport == c.port());
  BOOST_TEST(r.datagram.dst.to_string() == "::1");  // from IPV6_PKTINFO
  BOOST_TEST(r.datagram.dport == port);
  BOOST_TEST(r.datagram.interface.empty());
  BOOST_TEST(!udp.try_receive(r));
  BOOST_TEST(!udp.any_ready());

  server::Outbound o{r.datagram.src, r.datagram.sport, "", {9, 9}};
  BOOST_TEST(udp.send(o, r.socket));
  BOOST_TEST(c.receive() == wire::Bytes({9, 9}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(round_robin_between_sockets) {
  std::uint16_t a = listen();
  std::uint16_t b = listen();
  Client c;
  for (std::uint8_t i = 0; i < 3; ++i) c.send_to(a, {i});
  c.send_to(b, {100});
  BOOST_TEST_REQUIRE(wait_ready(2));  // both sockets readable
  std::vector<std::size_t> sockets;
  ReceivedDatagram r;
  while (udp.try_receive(r)) sockets.push_back(r.socket);
  BOOST_TEST(sockets.size() == 4U);
  // Socket 1's datagram is not stuck behind socket 0's queue.
  BOOST_TEST(std::count(sockets.begin(), sockets.begin() + 2, 1U) == 1);
}

BOOST_AUTO_TEST_CASE(errors_name_the_endpoint) {
  try {
    udp.open_listen({wire::Address::from_string("2001:db8::dead"), 5547});
    BOOST_FAIL("bound a non-local address");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("[2001:db8::dead]:5547") != std::string::npos, e.what());
  }
  try {
    udp.open_interface("nosuchif0/2001:db8::1");
    BOOST_FAIL("opened a missing interface");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("interface nosuchif0") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(send_to_a_closed_socket_fails_and_is_logged) {
  listen();
  udp.close();
  server::Outbound o{wire::Address::from_string("::1"), 9, "", {1}};
  BOOST_TEST(!udp.send(o, 0));
  BOOST_TEST(captured.count("F6D_SEND_ERROR") == 1U);
}

BOOST_AUTO_TEST_CASE(expand_interfaces_keeps_names_and_drops_duplicates) {
  auto out = UdpIo::expand_interfaces({"eth0", "eth0/2001:db8::1", "eth1"});
  BOOST_TEST(out == std::vector<std::string>({"eth0", "eth1"}), boost::test_tools::per_element());
  for (const auto& name : UdpIo::expand_interfaces({"*"})) BOOST_TEST(name != "lo");
}

BOOST_AUTO_TEST_SUITE_END()
