#include "cli/run_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#ifndef FAILOVER6_SCENARIOS_DIR
#define FAILOVER6_SCENARIOS_DIR "scenarios"
#endif
#ifndef FAILOVER6_PYTHON_DIR
#define FAILOVER6_PYTHON_DIR "python"
#endif

namespace failover6::cli {

namespace fs = std::filesystem;

namespace {

/// The interpreter scenarios run with (DESIGN.md: Debian's, so python3-* packages are seen).
constexpr const char* PYTHON = "/usr/bin/python3";

/// The first non-empty line of the module docstring of @p path ("" when there is none).
std::string docstring_summary(const fs::path& path) {
  std::ifstream f(path);
  std::string line;
  bool in_doc = false;
  for (int n = 0; n < 40 && std::getline(f, line); ++n) {
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    std::string t = line.substr(first);
    if (!in_doc) {
      if (t[0] == '#') continue;  // shebang, comments
      if (t.rfind("\"\"\"", 0) != 0 && t.rfind("r\"\"\"", 0) != 0) return "";
      t = t.substr(t.find("\"\"\"") + 3);
      in_doc = true;
    }
    auto end = t.find("\"\"\"");
    if (end != std::string::npos) t = t.substr(0, end);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\r')) t.pop_back();
    if (!t.empty()) return t;
    if (end != std::string::npos) return "";
  }
  return "";
}

void print_list(const std::vector<ScenarioInfo>& list, const std::string& dir, std::ostream& o) {
  o << "scenarios in " << dir << ":\n";
  std::size_t w = 0;
  for (const auto& s : list) w = std::max(w, s.name.size());
  for (const auto& s : list) {
    o << "  " << s.name << std::string(w - s.name.size() + 2, ' ') << s.summary << '\n';
  }
  if (list.empty()) o << "  (none)\n";
}

}  // namespace

std::string scenarios_dir() {
  if (const char* env = std::getenv("FAILOVER6_SCENARIOS"); env && *env) return env;
  return FAILOVER6_SCENARIOS_DIR;
}

std::string python_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path candidate = exe.parent_path().parent_path() / "python";
    if (fs::is_directory(candidate / "failover6", ec)) return candidate.string();
  }
  return FAILOVER6_PYTHON_DIR;
}

std::vector<ScenarioInfo> list_scenarios(const std::string& dir) {
  std::vector<ScenarioInfo> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::string stem = p.stem().string();
    if (p.extension() != ".py" || stem.empty() || stem[0] == '_' || stem[0] == '.') continue;
    if (!it->is_regular_file(ec)) continue;
    out.push_back({stem, p.string(), docstring_summary(p)});
  }
  std::sort(out.begin(), out.end(),
            [](const ScenarioInfo& a, const ScenarioInfo& b) { return a.name < b.name; });
  return out;
}

std::vector<std::string> scenario_argv(const RunOptions& o, const std::string& script) {
  std::vector<std::string> argv{PYTHON, script, "--target", o.target};
  for (const auto& p : o.plugins) argv.insert(argv.end(), {"--plugin", p});
  if (!o.out.empty()) argv.insert(argv.end(), {"--out", o.out});
  if (o.quick) argv.push_back("--quick");
  if (o.keep) argv.push_back("--keep");
  if (o.clients > 0) argv.insert(argv.end(), {"--clients", std::to_string(o.clients)});
  if (o.relays > 0) argv.insert(argv.end(), {"--relays", std::to_string(o.relays)});
  for (const auto& s : o.sets) argv.insert(argv.end(), {"--set", s});
  argv.insert(argv.end(), o.extra.begin(), o.extra.end());
  return argv;
}

int run_scenario(const RunOptions& o, std::ostream& out, std::ostream& err) {
  const std::string dir = scenarios_dir();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    err << "failover6 run: the scenarios folder " << dir
        << " does not exist (set FAILOVER6_SCENARIOS to the checkout's scenarios/)\n";
    return 2;
  }
  auto list = list_scenarios(dir);
  if (o.list) {
    print_list(list, dir, out);
    return 0;
  }
  auto found = std::find_if(list.begin(), list.end(),
                            [&](const ScenarioInfo& s) { return s.name == o.name; });
  if (o.name.empty() || found == list.end()) {
    if (o.name.empty())
      err << "failover6 run: name a scenario\n";
    else
      err << "failover6 run: unknown scenario '" << o.name << "'\n";
    print_list(list, dir, err);
    return 2;
  }
  if (o.out.empty()) {
    err << "failover6 run: --out DIR is required (the reports and captures go there)\n";
    return 2;
  }
  if (access(PYTHON, X_OK) != 0) {
    err << "failover6 run: " << PYTHON << " is not there (apt-get install python3)\n";
    return 2;
  }
  const std::string py = python_dir();
  if (!fs::is_directory(fs::path(py) / "failover6", ec)) {
    err << "failover6 run: the Python package is not in " << py
        << "/failover6 (build the _core target)\n";
    return 2;
  }
  std::string path = py;
  if (const char* old = std::getenv("PYTHONPATH"); old && *old) path += std::string(":") + old;
  if (setenv("PYTHONPATH", path.c_str(), 1) != 0) {
    err << "failover6 run: cannot set PYTHONPATH: " << std::strerror(errno) << '\n';
    return 2;
  }
  auto args = scenario_argv(o, found->path);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  out.flush();
  err.flush();
  std::cout.flush();
  std::cerr.flush();
  execv(PYTHON, argv.data());
  err << "failover6 run: cannot run " << PYTHON << ": " << std::strerror(errno) << '\n';
  return 2;
}

void add_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* sub = app.add_subcommand(
      "run",
      "Run a scenario (scenarios/NAME.py) against a failover pair and write report.json, "
      "report.html, junit.xml and the captures to --out. Exit 0: every invariant held; 1: one "
      "did not; 2: the scenario could not run.");
  sub->add_option("name", opts->name, "the scenario (e.g. hot-standby); --list shows them");
  sub->add_option("--target", opts->target,
                  "bundled (default), kea (Kea HA, netns, root) or a target a --plugin registers");
  sub->add_option("--plugin", opts->plugins,
                  "import a vendor plugin (a .py file or a dotted Python module) that registers "
                  "a target, before the lab is built (repeatable; also $FAILOVER6_PLUGINS, "
                  "colon-separated)")
      ->allow_extra_args(false);
  sub->add_option("--out", opts->out, "output folder (required)");
  sub->add_flag("--quick", opts->quick, "test-sized run (well under a minute)");
  sub->add_flag("--keep", opts->keep, "keep the lab's working folder");
  sub->add_option("--clients", opts->clients, "number of emulated clients")
      ->check(CLI::Range(1, 10'000'000));
  sub->add_option("--relays", opts->relays, "number of relays (one subnet each)")
      ->check(CLI::Range(1, 127));
  sub->add_option("--set", opts->sets, "set a tunable, KEY=VALUE (repeatable)")
      ->allow_extra_args(false);
  sub->add_flag("--list", opts->list, "list the scenarios and exit");
  sub->allow_extras();
  sub->callback([opts, sub]() {
    opts->extra = sub->remaining();
    int rc = run_scenario(*opts, std::cout, std::cerr);
    std::cout.flush();
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace failover6::cli
