// `failover6 proxy` (cli::run_proxy): the control socket stays usable whatever its clients
// do (garbage, oversized lines, disconnecting mid-line, never reading), option errors name
// the option and the cause, and the control path never replaces a file that is not a socket.
#include "cli/proxy_command.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "fault/endpoint.h"

namespace failover6::fault::test {
namespace {

using Clock = std::chrono::steady_clock;

/// A connection to the control socket at @p path, retried until it listens (bounded).
int connect_control(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return -1;
}

/// One line within 5 s ("" on timeout or EOF before a newline).
std::string read_line(int fd) {
  std::string line;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (::poll(&p, 1, static_cast<int>(std::max<long long>(left, 0))) != 1) break;
    char c;
    if (::recv(fd, &c, 1, 0) != 1) break;
    if (c == '\n') return line;
    line += c;
  }
  return "";
}

void send_text(int fd, const std::string& text) {
  std::size_t off = 0;
  while (off < text.size()) {
    auto n = ::send(fd, text.data() + off, text.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

/// run_proxy on a thread, stopped (and joined) at the end.
struct RunningProxy {
  std::string control = "/tmp/unit_fault_ctl_" + std::to_string(::getpid()) + ".sock";
  std::atomic<bool> stop{false};
  std::ostringstream out;
  std::ostringstream err;
  int rc = -1;
  std::thread thread;
  RunningProxy() {
    cli::ProxyOptions o;
    o.target = "[::1]:9";  // never connected to in these tests
    o.control = control;
    thread = std::thread([this, o] { rc = run_proxy(o, stop, out, err); });
  }
  ~RunningProxy() { finish(); }
  RunningProxy(const RunningProxy&) = delete;
  RunningProxy& operator=(const RunningProxy&) = delete;
  void finish() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
};

nlohmann::json command(int fd, const std::string& line) {
  send_text(fd, line + "\n");
  auto reply = read_line(fd);
  return reply.empty() ? nlohmann::json() : nlohmann::json::parse(reply);
}

BOOST_AUTO_TEST_SUITE(proxy_command)

BOOST_AUTO_TEST_CASE(control_socket_survives_bad_clients) {
  RunningProxy rp;
  int a = connect_control(rp.control);
  BOOST_REQUIRE(a >= 0);
  // Garbage: a clear error, the connection stays usable.
  auto r = command(a, "{not json");
  BOOST_TEST(r["result"] == 1);
  BOOST_TEST(r["text"].get<std::string>().find("not valid JSON") != std::string::npos);
  BOOST_TEST(command(a, R"({"command":"blackhole"})")["arguments"]["mode"] == "blackhole");
  // A client that disconnects in the middle of a line.
  int b = connect_control(rp.control);
  send_text(b, R"({"command":"ref)");
  ::close(b);
  // An oversized line: an error line, then the proxy closes that connection.
  int c = connect_control(rp.control);
  send_text(c, std::string(70000, 'x'));
  auto big = read_line(c);
  BOOST_TEST(big.find("longer than") != std::string::npos);
  char ch;
  pollfd pc{c, POLLIN, 0};
  BOOST_TEST(::poll(&pc, 1, 5000) == 1);
  BOOST_TEST(::recv(c, &ch, 1, 0) <= 0);  // EOF, or a reset for the unread rest
  ::close(c);
  // A client that sends many commands and never reads its answers must not stall the proxy.
  int d = connect_control(rp.control);
  std::string many;
  for (int i = 0; i < 3000; ++i) many += "{\"command\":\"stats\"}\n";
  for (std::size_t off = 0; off < many.size();) {
    auto n = ::send(d, many.data() + off, many.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  auto t0 = Clock::now();
  r = command(a, R"({"command":"stats"})");
  ::close(d);  // (bounds the test even if the proxy had blocked on d)
  BOOST_TEST(r["result"] == 0);
  BOOST_TEST(r["arguments"]["mode"] == "blackhole");
  BOOST_TEST(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - t0).count() < 4);
  ::close(a);
  rp.finish();
  BOOST_TEST(rp.rc == 0);
  BOOST_TEST(::access(rp.control.c_str(), F_OK) != 0);  // the socket file is removed
}

BOOST_AUTO_TEST_CASE(control_path_that_is_a_file_is_not_replaced) {
  std::string path = "/tmp/unit_fault_notsock_" + std::to_string(::getpid());
  { std::ofstream(path) << "precious\n"; }
  cli::ProxyOptions o;
  o.target = "[::1]:9";
  o.control = path;
  std::atomic<bool> stop{true};
  std::ostringstream out;
  std::ostringstream err;
  BOOST_TEST(cli::run_proxy(o, stop, out, err) == 2);
  BOOST_TEST(err.str().find("not a socket") != std::string::npos);
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  BOOST_TEST(line == "precious");
  std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(option_errors_name_the_option_and_the_cause) {
  cli::ProxyOptions o;
  o.target = "[::1]:x";
  std::atomic<bool> stop{true};
  std::ostringstream out;
  std::ostringstream err;
  BOOST_TEST(cli::run_proxy(o, stop, out, err) == 2);
  BOOST_TEST(err.str().find("failover6 proxy: --target [::1]:x: not a port") == 0U);
  BOOST_TEST(endpoint_error("::1:647").find("brackets") != std::string::npos);
  BOOST_TEST(endpoint_error("[::1]:70000").find("not a port") != std::string::npos);
  BOOST_TEST(endpoint_error("host:647").find("not an IP address") != std::string::npos);
  BOOST_TEST(endpoint_error("[::1]:647").empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace failover6::fault::test
