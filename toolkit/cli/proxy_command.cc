#include "cli/proxy_command.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "fault/endpoint.h"
#include "fault/partner_proxy.h"
#include "fault/proxy_control.h"

namespace failover6::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_proxy_signal(int) { g_stop.store(true); }

/// Most octets of one command line; a longer line gets an error and the connection closes.
constexpr std::size_t MAX_LINE = 1 << 16;
/// Most control connections at once; a further one gets an error line and is closed.
constexpr std::size_t MAX_CLIENTS = 64;

/// The listening control socket; removes its file when done.
class ControlSocket {
 public:
  explicit ControlSocket(const std::string& path) : path_(path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path)
      throw std::runtime_error("control socket path '" + path + "' is too long");
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0) {
      // Only a stale socket of an earlier run is replaced, never another file, and never
      // the socket of a proxy still running.
      if (!S_ISSOCK(st.st_mode)) {
        ::close(fd_);
        throw std::runtime_error("control socket path " + path +
                                 " exists and is not a socket; not replacing it");
      }
      int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      bool live = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      if (probe >= 0) ::close(probe);
      if (live) {
        ::close(fd_);
        throw std::runtime_error("control socket " + path + " is in use by another process");
      }
      ::unlink(path.c_str());
    }
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0) {
      int e = errno;
      ::close(fd_);
      throw std::runtime_error("cannot listen on control socket " + path + ": " + std::strerror(e));
    }
  }
  ~ControlSocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;
  int fd() const { return fd_; }

 private:
  std::string path_;
  int fd_ = -1;
};

/// Answers one line; @return the JSON line to send back.
std::string answer(fault::PartnerProxy& proxy, const std::string& line) {
  nlohmann::json reply;
  try {
    reply = fault::handle_proxy_command(proxy, nlohmann::json::parse(line));
  } catch (const nlohmann::json::exception& e) {
    reply = {{"result", 1}, {"text", std::string("not valid JSON: ") + e.what()}};
  }
  return reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

/// Sends @p text on the non-blocking @p fd; @return false when the client is gone or has
/// not read for a second (it is then dropped, so it cannot stall the proxy).
bool send_all(int fd, const std::string& text) {
  std::size_t off = 0;
  while (off < text.size()) {
    auto n = ::send(fd, text.data() + off, text.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 1000) <= 0) return false;
      continue;
    }
    return false;
  }
  return true;
}

std::string error_line(const std::string& text) {
  return nlohmann::json{{"result", 1}, {"text", text}}.dump() + "\n";
}

}  // namespace

int run_proxy(const ProxyOptions& o, const std::atomic<bool>& stop, std::ostream& out,
              std::ostream& err) {
  std::unique_ptr<fault::PartnerProxy> proxy;
  std::unique_ptr<ControlSocket> control;
  try {
    fault::require_endpoint(o.target, "--target");
    fault::require_endpoint(o.listen, "--listen");
    proxy = std::make_unique<fault::PartnerProxy>(o.target, o.listen, o.pcap);
    if (!o.control.empty()) control = std::make_unique<ControlSocket>(o.control);
  } catch (const std::exception& e) {
    err << "failover6 proxy: " << e.what() << '\n';
    return 2;
  }
  out << "listening on " << proxy->listen_address() << " port " << proxy->port() << " -> "
      << o.target;
  if (control) out << " control " << o.control;
  out << std::endl;

  std::map<int, std::string> clients;  // fd -> partial line
  while (!stop.load()) {
    std::vector<pollfd> fds;
    if (control) fds.push_back({control->fd(), POLLIN, 0});
    for (const auto& [fd, buf] : clients) fds.push_back({fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), 100);  // the stop flag is looked at every 100 ms
    for (const auto& p : fds) {
      if (p.revents == 0) continue;
      if (control && p.fd == control->fd()) {
        int c = ::accept4(control->fd(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0) continue;
        if (clients.size() >= MAX_CLIENTS) {
          send_all(c, error_line("too many control connections (" + std::to_string(MAX_CLIENTS) + ")"));
          ::close(c);
          continue;
        }
        clients.emplace(c, std::string());
        continue;
      }
      auto drop = [&](int fd) {
        ::close(fd);
        clients.erase(fd);
      };
      char buf[4096];
      auto n = ::recv(p.fd, buf, sizeof buf, 0);
      if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        drop(p.fd);  // gone (a partial line is discarded)
        continue;
      }
      auto& pending = clients[p.fd];
      pending.append(buf, static_cast<std::size_t>(n));
      bool ok = true;
      std::size_t nl;
      while (ok && (nl = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        if (line.size() > MAX_LINE) {
          send_all(p.fd, error_line("command line longer than " + std::to_string(MAX_LINE) +
                                    " octets; closing the connection"));
          ok = false;
          break;
        }
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        ok = send_all(p.fd, answer(*proxy, line));
      }
      if (ok && pending.size() > MAX_LINE) {
        send_all(p.fd, error_line("command line longer than " + std::to_string(MAX_LINE) +
                                  " octets; closing the connection"));
        ok = false;
      }
      if (!ok) drop(p.fd);
    }
  }
  for (const auto& [fd, buf] : clients) ::close(fd);
  control.reset();
  try {
    proxy->close();
  } catch (const std::exception& e) {
    err << "failover6 proxy: " << e.what() << '\n';
    return 2;
  }
  out << fault::to_json(proxy->stats()).dump() << std::endl;
  return 0;
}

void add_proxy_command(CLI::App& app) {
  auto o = std::make_shared<ProxyOptions>();
  auto* cmd = app.add_subcommand(
      "proxy",
      "Partner-link TCP proxy with faults, for the RFC 8156 failover connection: point one "
      "partner at the proxy's port instead of the other partner's failover port. Faults are "
      "switched over the --control socket; runs until SIGINT/SIGTERM, then prints the final "
      "stats as one JSON line");
  cmd->add_option("--target", o->target,
                  "[ADDR]:PORT of the listening partner's failover port, e.g. [::1]:647")
      ->required();
  cmd->add_option("--listen", o->listen,
                  "[ADDR]:PORT to listen on; port 0 picks a free one (printed at start)")
      ->capture_default_str();
  cmd->add_option("--pcap", o->pcap,
                  "write the stream as delivered to each side to this pcap, addressed to the "
                  "target's port (read it with `failover6 check --failover-port PORT`)");
  cmd->add_option(
      "--control", o->control,
      "unix socket taking one JSON command per line, answered by one JSON line "
      "({\"result\":0|1,\"text\":...,\"arguments\":{stats}}). Commands: "
      "{\"command\":\"pass\"} (heal), \"blackhole\" (drop both ways), \"reset\" (RST open "
      "connections once), \"refuse\" (RST every connection until healed), "
      "{\"command\":\"delay\",\"seconds\":0.2}, "
      "{\"command\":\"one-way\",\"drop\":\"to-target\"|\"from-target\"}, \"stats\", \"events\"");
  cmd->callback([o]() {
    g_stop.store(false);
    auto old_int = std::signal(SIGINT, on_proxy_signal);
    auto old_term = std::signal(SIGTERM, on_proxy_signal);
    int rc = run_proxy(*o, g_stop, std::cout, std::cerr);
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
    std::cout.flush();
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace failover6::cli
