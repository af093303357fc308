// io::ControlServer on a real unix socket: requests split across writes, invalid JSON answered
// on half-close, the shutdown callback after the answer, stale and live socket files. The
// io_context runs until the client's answer is complete (bounded), never on a fixed sleep.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "fakes.h"
#include "io/control_server.h"

using namespace failover6::io;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct ServerFixture {
  boost::asio::io_context io;
  test::CapturedLog captured;
  fs::path dir;
  std::string path;
  int shutdowns = 0;
  std::vector<json> requests;
  std::unique_ptr<ControlServer> server;

  ServerFixture() {
    char tmpl[] = "/tmp/f6ctl-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = (dir / "sub" / "ctl.sock").string();
  }
  ~ServerFixture() {
    server.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  void start() {
    server = std::make_unique<ControlServer>(
        io, path, captured.log,
        [this](const json& r) {
          requests.push_back(r);
          return ControlOutcome{control_response(0, "ok", {{"echo", r}}),
                                r.value("command", "") == "shutdown"};
        },
        [this] { ++shutdowns; });
    server->start();
  }

  /// A connected client socket.
  int connect_client() const {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
    BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    return fd;
  }

  /// Writes @p chunks (running the server between them), optionally half-closes, then runs
  /// the server until the answer is complete. @return the answer.
  std::string exchange(const std::vector<std::string>& chunks, bool half_close = false) {
    int fd = connect_client();
    for (const auto& c : chunks) {
      BOOST_REQUIRE(::send(fd, c.data(), c.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(c.size()));
      io.poll();
      io.restart();
    }
    if (half_close) ::shutdown(fd, SHUT_WR);
    std::string answer;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (;;) {
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        answer.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || std::chrono::steady_clock::now() > deadline) break;
      io.run_one_until(deadline);
      io.restart();
    }
    ::close(fd);
    return answer;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(control_server, ServerFixture)

BOOST_AUTO_TEST_CASE(request_split_across_writes) {
  start();
  BOOST_TEST(fs::is_socket(path));  // its directory was created
  std::string a = exchange({R"({"command": "sta)", R"(tus", "arguments": {"x": 1}})"});
  BOOST_TEST_REQUIRE(!a.empty());
  BOOST_TEST(a.back() == '\n');
  json r = json::parse(a);
  BOOST_TEST(r["result"] == 0);
  BOOST_TEST(r["arguments"]["echo"]["arguments"]["x"] == 1);
  BOOST_TEST(requests.size() == 1U);
  BOOST_TEST(captured.count("F6D_CONTROL_COMMAND") == 1U);
}

BOOST_AUTO_TEST_CASE(invalid_json_is_answered_at_half_close) {
  start();
  json r = json::parse(exchange({"{\"command\": "}, true));
  BOOST_TEST(r["result"] == 1);
  BOOST_TEST(r["text"].get<std::string>().rfind("invalid JSON: ", 0) == 0U);
  BOOST_TEST(requests.empty());
}

BOOST_AUTO_TEST_CASE(shutdown_callback_after_the_answer) {
  start();
  json r = json::parse(exchange({R"({"command": "shutdown"})"}));
  BOOST_TEST(r["result"] == 0);
  io.poll();
  BOOST_TEST(shutdowns == 1);
}

BOOST_AUTO_TEST_CASE(stale_socket_replaced_live_socket_refused_file_kept) {
  fs::create_directories(fs::path(path).parent_path());
  {
    // A socket file nobody listens on, as a crashed server leaves it.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    ::close(fd);
  }
  start();
  BOOST_TEST(json::parse(exchange({R"({"command": "status"})"}))["result"] == 0);

  ControlServer second(io, path, captured.log, [](const json&) { return ControlOutcome{}; }, {});
  BOOST_CHECK_EXCEPTION(second.start(), std::runtime_error, [](const std::runtime_error& e) {
    return std::string(e.what()).find("another process is listening") != std::string::npos;
  });
  server->stop();
  BOOST_TEST(!fs::exists(path));

  std::ofstream(path) << "not a socket";
  ControlServer third(io, path, captured.log, [](const json&) { return ControlOutcome{}; }, {});
  BOOST_CHECK_THROW(third.start(), std::runtime_error);
  BOOST_TEST(fs::is_regular_file(path));  // never removed
}

BOOST_AUTO_TEST_SUITE_END()
