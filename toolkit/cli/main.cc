// failover6: the lab's command line. Each subcommand lives in its own <name>_command.cc.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cli/check_command.h"
#include "cli/ctl_command.h"
#include "cli/decode_command.h"
#include "cli/generate_command.h"
#include "cli/proxy_command.h"
#include "cli/run_command.h"
#include "cli/sim_command.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // decode prints a line per message: no stdio locking
  CLI::App app{"failover6: RFC 8156 DHCPv6 failover test lab"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "failover6 0.1.0");
  failover6::cli::add_decode_command(app);
  failover6::cli::add_ctl_command(app);
  failover6::cli::add_check_command(app);
  failover6::cli::add_generate_command(app);
  failover6::cli::add_run_command(app);
  failover6::cli::add_sim_command(app);
  failover6::cli::add_proxy_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2, as the contract for every subcommand says.
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << "failover6: " << e.what() << '\n';
    return 2;
  }
  return 0;
}
