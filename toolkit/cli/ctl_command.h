// `failover6 ctl`: the client of failover6d's JSON control API (impl/io/control_commands.h).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace CLI {
class App;
}

namespace failover6::cli {

/// Options of `failover6 ctl`.
struct CtlOptions {
  std::string config;             ///< the server's configuration (finds the control socket)
  std::string socket;             ///< the control socket path; overrides --config
  std::string command;            ///< "status", "leases", "lease-get", "statistics", "shutdown", ...
  std::vector<std::string> args;  ///< positional arguments after the command
  std::string duid;               ///< leases --duid
  std::string address;            ///< leases --address
  std::string prefix;             ///< leases --prefix
  std::string arguments;          ///< --arguments JSON object, merged into the request's arguments
  bool raw = false;               ///< print the whole response, not only its "arguments"
  double timeout = 10.0;          ///< seconds for connect + request + response
};

/// @brief Registers the `ctl` subcommand on @p app.
void add_ctl_command(CLI::App& app);

/// @brief Builds the request object for @p opts.
///
/// `lease-get ADDR` sends {"ip-address": ADDR}, `lease-get P/LEN` {"prefix": "P/LEN"};
/// `leases` sends the --duid/--address/--prefix filters; a command the client does not know is
/// sent as it is, with positional argument NAME as {"name": NAME} (so the server can grow
/// commands such as `partner-down [NAME]` without a new client).
/// @throws std::invalid_argument on a usage error (a missing or extra argument, bad --arguments).
nlohmann::json build_ctl_request(const CtlOptions& opts);

/// @brief Sends one request to the unix socket at @p path and reads the response.
/// @throws std::runtime_error when the server cannot be reached, times out, or answers
/// something that is not JSON.
nlohmann::json ctl_exchange(const std::string& path, const nlohmann::json& request,
                            double timeout_seconds);

/// @brief Runs `failover6 ctl`: prints the response's "arguments" (or, with --raw or when
/// there are none, the whole response) as JSON on @p out.
/// @return 0 when the result is 0, 1 when it is not (the response's text also goes to
/// @p err), 2 when the configuration is unusable or the server cannot be reached.
int run_ctl(const CtlOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace failover6::cli
