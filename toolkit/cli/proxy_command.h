// `failover6 proxy`: the partner-link fault proxy (toolkit/fault) as a command.
#pragma once

#include <atomic>
#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace failover6::cli {

/// Options of `failover6 proxy`.
struct ProxyOptions {
  std::string target;               ///< "[ADDR]:PORT" of the listening partner.
  std::string listen = "[::1]:0";   ///< "[ADDR]:PORT" to listen on.
  std::string pcap;                 ///< Capture of the delivered stream; empty: none.
  std::string control;              ///< Unix socket for JSON commands; empty: none.
};

/// @brief Registers the `proxy` subcommand on @p app.
void add_proxy_command(CLI::App& app);

/// @brief Runs the proxy until @p stop becomes true (the command sets it from SIGINT and
///        SIGTERM). Prints "listening on [ADDR]:PORT" (and the control socket) to @p out at
///        start, the final stats as one JSON line at the end.
///
/// The control socket accepts any number of connections; each sends one JSON command per
/// line (fault::handle_proxy_command) and gets one JSON line back per command.
/// @return 0 after a clean stop, 2 for bad options or when the proxy, pcap or control socket
///         cannot be set up (the reason on @p err).
int run_proxy(const ProxyOptions& opts, const std::atomic<bool>& stop, std::ostream& out,
              std::ostream& err);

}  // namespace failover6::cli
