// `failover6 run`: runs a scenario script (scenarios/NAME.py) with the build's Python package.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace failover6::cli {

/// Options of `failover6 run`, as given on the command line.
struct RunOptions {
  std::string name;                ///< the scenario (file stem in the scenarios folder)
  std::string target = "bundled";  ///< --target: bundled | kea | a registered vendor target
  std::vector<std::string> plugins;  ///< --plugin MODULE_OR_FILE, in order (vendor adapters)
  std::string out;                 ///< --out DIR: report.json/html, junit.xml, pcaps
  bool quick = false;              ///< --quick: test-sized run
  bool keep = false;               ///< --keep: keep the lab's working folder
  int clients = 0;                 ///< --clients N (0: the scenario's default)
  int relays = 0;                  ///< --relays N (0: the scenario's default)
  std::vector<std::string> sets;   ///< --set KEY=VALUE, in order
  std::vector<std::string> extra;  ///< anything else, passed to the script as it is
  bool list = false;               ///< --list: print the scenarios and exit
};

/// One scenario script found in the scenarios folder.
struct ScenarioInfo {
  std::string name;     ///< file stem, e.g. "hot-standby"
  std::string path;     ///< the script
  std::string summary;  ///< first line of its docstring ("" when it has none)
};

/// @brief The scenarios folder: $FAILOVER6_SCENARIOS, else the checkout's scenarios/ (compiled
///        in as FAILOVER6_SCENARIOS_DIR).
std::string scenarios_dir();

/// @brief The folder with the Python package (`failover6`): <dir of this executable>/../python
///        when it holds one, else the build's python/ (compiled in as FAILOVER6_PYTHON_DIR).
std::string python_dir();

/// @brief Every NAME.py in @p dir (names starting with '_' or '.' left out), sorted by name.
std::vector<ScenarioInfo> list_scenarios(const std::string& dir);

/// @brief The interpreter's argv for @p opts and the script @p script:
///        {"/usr/bin/python3", script, "--target", T, "--plugin", P ..., "--out", DIR, ...}.
std::vector<std::string> scenario_argv(const RunOptions& opts, const std::string& script);

/// @brief Registers the `run` subcommand on @p app.
void add_run_command(CLI::App& app);

/// @brief Finds the scenario and executes /usr/bin/python3 on it (PYTHONPATH = python_dir()),
///        so the scenario's exit code (0 every invariant held, 1 one did not, 2 error) is the
///        command's. Returns only when it cannot: 0 after --list, 2 for an unknown scenario
///        (the list goes to @p err) or a failed exec.
int run_scenario(const RunOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace failover6::cli
