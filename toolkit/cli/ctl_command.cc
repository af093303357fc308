#include "cli/ctl_command.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "config/config.h"

namespace failover6::cli {

using nlohmann::json;

namespace {

/// Closes the descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

/// Waits until @p fd is ready for @p events or @p deadline passes.
void wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline,
              const std::string& path) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) throw std::runtime_error(path + ": no answer within the timeout");
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return;
    if (n < 0 && errno != EINTR) throw std::runtime_error(path + ": poll: " + std::strerror(errno));
  }
}

}  // namespace

json build_ctl_request(const CtlOptions& o) {
  json args = json::object();
  auto no_positional = [&] {
    if (!o.args.empty())
      throw std::invalid_argument(o.command + " takes no argument ('" + o.args.front() + "')");
  };
  if (o.command == "lease-get") {
    if (o.args.size() != 1) throw std::invalid_argument("lease-get needs one ADDRESS or PREFIX/LEN");
    const std::string& a = o.args.front();
    args[a.find('/') == std::string::npos ? "ip-address" : "prefix"] = a;
  } else if (o.command == "leases") {
    no_positional();
    if (!o.duid.empty()) args["duid"] = o.duid;
    if (!o.address.empty()) args["address"] = o.address;
    if (!o.prefix.empty()) args["prefix"] = o.prefix;
  } else if (o.command == "status" || o.command == "statistics" || o.command == "shutdown" ||
             o.command == "list-commands") {
    no_positional();
  } else {
    if (o.args.size() > 1) throw std::invalid_argument(o.command + " takes at most one argument");
    if (!o.args.empty()) args["name"] = o.args.front();
  }
  if ((!o.duid.empty() || !o.address.empty() || !o.prefix.empty()) && o.command != "leases")
    throw std::invalid_argument("--duid, --address and --prefix filter 'leases' only");
  if (!o.arguments.empty()) {
    json extra = json::parse(o.arguments, nullptr, false);
    if (!extra.is_object()) throw std::invalid_argument("--arguments must be a JSON object");
    args.update(extra);
  }
  json request = {{"command", o.command}};
  if (!args.empty()) request["arguments"] = args;
  return request;
}

json ctl_exchange(const std::string& path, const json& request, double timeout_seconds) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sa.sun_path))
    throw std::runtime_error(path + ": path too long for a unix socket");
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (s.fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN)
      throw std::runtime_error(path + ": " + std::strerror(errno));
    wait_for(s.fd, POLLOUT, deadline, path);
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) throw std::runtime_error(path + ": " + std::strerror(err));
  }
  const std::string text = request.dump();
  std::size_t sent = 0;
  while (sent < text.size()) {
    ssize_t n = ::send(s.fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EINTR) {
      wait_for(s.fd, POLLOUT, deadline, path);
    } else {
      throw std::runtime_error(path + ": send: " + std::strerror(errno));
    }
  }
  std::string response;
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(s.fd, buf, sizeof(buf), 0);
    if (n > 0) {
      response.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN || errno == EINTR) {
      wait_for(s.fd, POLLIN, deadline, path);
    } else {
      throw std::runtime_error(path + ": recv: " + std::strerror(errno));
    }
  }
  json r = json::parse(response, nullptr, false);
  if (r.is_discarded() || !r.is_object())
    throw std::runtime_error(path + ": the answer is not a JSON object: " + response.substr(0, 200));
  return r;
}

int run_ctl(const CtlOptions& o, std::ostream& out, std::ostream& err) {
  std::string path = o.socket;
  if (path.empty()) {
    config::ParseResult parsed = config::load_config(o.config);
    if (!parsed.ok()) {
      for (const auto& e : parsed.errors) err << e.to_string() << '\n';
      return 2;
    }
    path = parsed.config.dhcp6.control_socket.name;
    if (path.empty()) {
      err << "failover6 ctl: " << o.config << " configures no Dhcp6.control-socket\n";
      return 2;
    }
  }
  json request;
  try {
    request = build_ctl_request(o);
  } catch (const std::invalid_argument& e) {
    err << "failover6 ctl: " << e.what() << '\n';
    return 2;
  }
  json response;
  try {
    response = ctl_exchange(path, request, o.timeout);
  } catch (const std::exception& e) {
    err << "failover6 ctl: cannot reach the server: " << e.what() << '\n';
    return 2;
  }
  const int result = response.value("result", 1);
  if (!o.raw && result == 0 && response.contains("arguments"))
    out << response["arguments"].dump(2) << '\n';
  else
    out << response.dump(2) << '\n';
  if (result != 0) {
    err << "failover6 ctl: " << o.command << ": " << response.value("text", "error") << '\n';
    return 1;
  }
  return 0;
}

void add_ctl_command(CLI::App& app) {
  auto opts = std::make_shared<CtlOptions>();
  auto* cmd = app.add_subcommand(
      "ctl", "Send a command to failover6d's control socket and print the JSON answer");
  cmd->add_option("-c,--config", opts->config, "the server's configuration file");
  cmd->add_option("-s,--socket", opts->socket, "the control socket (instead of --config)");
  cmd->add_option("command", opts->command,
                  "status | leases | lease-get ADDR|PREFIX/LEN | statistics | shutdown | "
                  "list-commands | any command the server knows")
      ->required();
  cmd->add_option("args", opts->args, "the command's arguments");
  cmd->add_option("--duid", opts->duid, "leases: only this client DUID (hex)");
  cmd->add_option("--address", opts->address, "leases: only the lease of / containing ADDRESS");
  cmd->add_option("--prefix", opts->prefix, "leases: only leases inside PREFIX/LEN");
  cmd->add_option("--arguments", opts->arguments, "extra request arguments, a JSON object");
  cmd->add_flag("--raw", opts->raw, "print the whole response (result, text, arguments)");
  cmd->add_option("--timeout", opts->timeout, "seconds to wait for the server (default 10)");
  cmd->callback([opts]() {
    if (opts->config.empty() && opts->socket.empty()) {
      std::cerr << "failover6 ctl: --config FILE or --socket PATH is required\n";
      throw CLI::RuntimeError(2);
    }
    int rc = run_ctl(*opts, std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace failover6::cli
