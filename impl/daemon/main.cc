// failover6d: the DHCPv6 server. `failover6d --config FILE` runs it; `--check-config` only
// validates the file. Exit status: 0 clean shutdown or valid configuration, 1 invalid
// configuration or failed startup, 2 bad usage.
#include <CLI/CLI.hpp>
#include <csignal>
#include <exception>
#include <iostream>

#include "config/config.h"
#include "io/logger.h"
#include "io/service.h"

namespace {

int run(const std::string& config_path, bool check_only) {
  failover6::config::ParseResult parsed = failover6::config::load_config(config_path);
  if (!parsed.ok()) {
    for (const auto& e : parsed.errors) std::cerr << e.to_string() << '\n';
    std::cerr << "failover6d: " << config_path << ": " << parsed.errors.size()
              << (parsed.errors.size() == 1 ? " error\n" : " errors\n");
    return 1;
  }
  failover6::io::Logger log(parsed.config.dhcp6.loggers);
  if (check_only) {
    log.log(failover6::io::Msg::F6D_CONFIG_CHECKED, config_path);
    return 0;
  }
  failover6::io::Service service(parsed.config, log, {config_path});
  try {
    service.start();
  } catch (const failover6::io::StartupError& e) {
    std::cerr << "failover6d: startup failed: " << e.what() << '\n';
    return 1;
  }
  return service.run();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"failover6d: DHCPv6 server with RFC 8156 failover"};
  std::string config_path;
  bool check_only = false;
  app.add_option("-c,--config", config_path, "configuration file (JSON, Kea's Dhcp6 schema)")
      ->required();
  app.add_flag("--check-config", check_only, "validate the configuration and exit");
  app.set_version_flag("--version", "failover6d 0.1.0");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  // A control client that hangs up mid-answer must not kill the server.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(config_path, check_only);
  } catch (const std::exception& e) {
    std::cerr << "failover6d: " << e.what() << '\n';
    return 1;
  }
}
