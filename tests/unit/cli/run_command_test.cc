// `failover6 run`: the scenarios folder is listed with each script's docstring summary
// (private, hidden and non-.py files left out), the interpreter's argv carries every option
// in order, and usage errors (unknown scenario, no --out, missing folder) exit 2 with a clear
// message and the list of scenarios, without executing anything.
#include "cli/run_command.h"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace failover6::cli::test {
namespace {

namespace fs = std::filesystem;

/// A scenarios folder in a fresh temporary directory, removed at the end of the test.
struct Folder {
  fs::path dir;
  Folder() {
    char tmpl[] = "/tmp/failover6-run-test-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~Folder() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
  }
};

/// Sets FAILOVER6_SCENARIOS for the lifetime of the object.
struct ScenariosEnv {
  explicit ScenariosEnv(const std::string& dir) { setenv("FAILOVER6_SCENARIOS", dir.c_str(), 1); }
  ~ScenariosEnv() { unsetenv("FAILOVER6_SCENARIOS"); }
};

void fill(const Folder& f) {
  f.write("hot-standby.py",
          "#!/usr/bin/env python3\n\"\"\"Hot standby with a server failure (RFC 7031 §4.1).\n\n"
          "More text.\n\"\"\"\nimport sys\n");
  f.write("partition.py", "\"\"\"\n  Partition and recovery.\n\"\"\"\n");
  f.write("no-doc.py", "import sys\n");
  f.write("_common.py", "\"\"\"A helper module, not a scenario.\"\"\"\n");
  f.write(".hidden.py", "\"\"\"Hidden.\"\"\"\n");
  f.write("notes.txt", "not a scenario\n");
  fs::create_directory(f.dir / "sub.py");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(run_command)

BOOST_AUTO_TEST_CASE(lists_scripts_sorted_with_their_docstring_summary) {
  Folder f;
  fill(f);
  auto list = list_scenarios(f.dir.string());
  BOOST_REQUIRE_EQUAL(list.size(), 3u);
  BOOST_TEST(list[0].name == "hot-standby");
  BOOST_TEST(list[0].summary == "Hot standby with a server failure (RFC 7031 §4.1).");
  BOOST_TEST(list[0].path == (f.dir / "hot-standby.py").string());
  BOOST_TEST(list[1].name == "no-doc");
  BOOST_TEST(list[1].summary == "");
  BOOST_TEST(list[2].name == "partition");
  BOOST_TEST(list[2].summary == "Partition and recovery.");
}

BOOST_AUTO_TEST_CASE(a_missing_folder_lists_nothing) {
  BOOST_TEST(list_scenarios("/nonexistent/failover6/scenarios").empty());
}

BOOST_AUTO_TEST_CASE(argv_carries_every_option_in_order) {
  RunOptions o;
  o.target = "kea";
  o.out = "/tmp/out";
  o.quick = true;
  o.keep = true;
  o.clients = 2000;
  o.relays = 8;
  o.sets = {"outage=5", "mode=reset"};
  o.extra = {"--topology", "netns"};
  auto argv = scenario_argv(o, "/s/hot-standby.py");
  std::vector<std::string> want{"/usr/bin/python3", "/s/hot-standby.py", "--target", "kea",
                                "--out", "/tmp/out", "--quick", "--keep", "--clients", "2000",
                                "--relays", "8", "--set", "outage=5", "--set", "mode=reset",
                                "--topology", "netns"};
  BOOST_TEST(argv == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(plugins_are_forwarded_in_order_after_the_target) {
  RunOptions o;
  o.target = "myvendor";
  o.plugins = {"./myvendor.py", "acme.failover"};
  o.out = "d";
  auto argv = scenario_argv(o, "x.py");
  std::vector<std::string> want{"/usr/bin/python3", "x.py", "--target", "myvendor",
                                "--plugin", "./myvendor.py", "--plugin", "acme.failover",
                                "--out", "d"};
  BOOST_TEST(argv == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(defaults_give_the_shortest_argv) {
  RunOptions o;
  o.out = "d";
  auto argv = scenario_argv(o, "x.py");
  std::vector<std::string> want{"/usr/bin/python3", "x.py", "--target", "bundled", "--out", "d"};
  BOOST_TEST(argv == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_environment_overrides_the_scenarios_folder) {
  ScenariosEnv env("/some/where");
  BOOST_TEST(scenarios_dir() == "/some/where");
}

BOOST_AUTO_TEST_CASE(list_option_prints_the_scenarios_and_exits_0) {
  Folder f;
  fill(f);
  ScenariosEnv env(f.dir.string());
  RunOptions o;
  o.list = true;
  std::ostringstream out, err;
  BOOST_TEST(run_scenario(o, out, err) == 0);
  BOOST_TEST(out.str().find("  hot-standby  ") != std::string::npos);
  BOOST_TEST(out.str().find("Partition and recovery.") != std::string::npos);
  BOOST_TEST(out.str().find("_common") == std::string::npos);
  BOOST_TEST(err.str().empty());
}

BOOST_AUTO_TEST_CASE(an_unknown_scenario_is_a_usage_error_with_the_list) {
  Folder f;
  fill(f);
  ScenariosEnv env(f.dir.string());
  RunOptions o;
  o.name = "nope";
  o.out = (f.dir / "out").string();
  std::ostringstream out, err;
  BOOST_TEST(run_scenario(o, out, err) == 2);
  BOOST_TEST(err.str().find("unknown scenario 'nope'") != std::string::npos);
  BOOST_TEST(err.str().find("partition") != std::string::npos);
  BOOST_TEST(!fs::exists(f.dir / "out"));
}

BOOST_AUTO_TEST_CASE(no_name_and_no_out_are_usage_errors) {
  Folder f;
  fill(f);
  ScenariosEnv env(f.dir.string());
  std::ostringstream out, err;
  RunOptions none;
  BOOST_TEST(run_scenario(none, out, err) == 2);
  BOOST_TEST(err.str().find("name a scenario") != std::string::npos);
  RunOptions no_out;
  no_out.name = "partition";
  std::ostringstream err2;
  BOOST_TEST(run_scenario(no_out, out, err2) == 2);
  BOOST_TEST(err2.str().find("--out DIR is required") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_missing_scenarios_folder_is_named) {
  ScenariosEnv env("/nonexistent/failover6/scenarios");
  RunOptions o;
  o.name = "partition";
  o.out = "/tmp/x";
  std::ostringstream out, err;
  BOOST_TEST(run_scenario(o, out, err) == 2);
  BOOST_TEST(err.str().find("/nonexistent/failover6/scenarios does not exist") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace failover6::cli::test
