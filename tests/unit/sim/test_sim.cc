// unit_sim: toolkit/sim. The store's durability model, determinism (same seed, same pcap
// bytes), a fixed range of seeds per fault profile, and the regression seeds.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "check/check.h"
#include "cli/sim_command.h"
#include "sim/runner.h"
#include "sim/sim_store.h"
#include "sim/simulation.h"

namespace fs = std::filesystem;
using namespace failover6;

namespace {

/// A scratch directory, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("failover6-unit-sim-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

lease::Lease make_lease(int n) {
  lease::Lease l;
  l.key = {lease::LeaseType::Na, wire::Address::from_string("2001:db8:1::" + std::to_string(1000 + n)),
           128};
  std::uint8_t id[2] = {1, static_cast<std::uint8_t>(n)};
  l.duid = wire::Duid::en(9, wire::ByteView(id, 2));
  l.iaid = 1;
  l.state = wire::BindingStatus::Active;
  l.state_expiration_time = 1000 + n;
  return l;
}

sim::SimOptions small(const std::string& profile, std::uint64_t seed, const std::string& pcap) {
  sim::SimOptions o;
  o.seed = seed;
  o.clients = 40;
  o.duration_s = 180;
  o.faults = *sim::fault_profile(profile);
  o.pcap_path = pcap;
  return o;
}

std::string describe(const sim::SimResult& r) {
  std::string s = "seed " + std::to_string(r.seed) + ":";
  for (const auto& f : r.failures) s += "\n  " + f.invariant + ": " + f.detail.substr(0, 300);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_store)

BOOST_AUTO_TEST_CASE(crash_loses_only_uncommitted_changes) {
  sim::SimStore s;
  s.put(make_lease(1));
  s.put_meta("failover/pair", "a");
  s.commit();
  s.put(make_lease(2));
  s.remove(make_lease(1).key);
  s.put_meta("failover/pair", "b");
  BOOST_TEST(s.size() == 1U);
  BOOST_TEST(s.pending() == 3U);
  BOOST_TEST(s.crash() == 3U);
  BOOST_TEST(s.size() == 1U);
  BOOST_TEST(s.find(make_lease(1).key) != nullptr);
  BOOST_TEST(s.find(make_lease(2).key) == nullptr);
  BOOST_TEST(*s.get_meta("failover/pair") == "a");
  BOOST_TEST(s.pending() == 0U);
}

BOOST_AUTO_TEST_CASE(commit_makes_removals_durable_and_wipe_loses_all) {
  sim::SimStore s;
  s.put(make_lease(1));
  s.put(make_lease(2));
  s.commit();
  s.remove(make_lease(1).key);
  s.commit();
  BOOST_TEST(s.commits() == 2U);
  s.crash();
  BOOST_TEST(s.size() == 1U);
  BOOST_TEST(s.durable().find(make_lease(2).key) != nullptr);
  s.wipe();
  BOOST_TEST(s.size() == 0U);
  BOOST_TEST(!s.get_meta("failover/pair").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sim_runs)

BOOST_AUTO_TEST_CASE(same_seed_gives_byte_identical_history) {
  TempDir d;
  auto a = sim::run_simulation(small("mixed", 7, d.file("a.pcap")));
  auto b = sim::run_simulation(small("mixed", 7, d.file("b.pcap")));
  auto c = sim::run_simulation(small("mixed", 8, d.file("c.pcap")));
  BOOST_TEST(a.packets > 1000U);
  BOOST_TEST(a.crashes >= 1);
  BOOST_TEST(a.partitions >= 1);
  BOOST_TEST(a.pcap_hash == b.pcap_hash);
  BOOST_TEST(fs::file_size(d.file("a.pcap")) == fs::file_size(d.file("b.pcap")));
  BOOST_TEST(a.pcap_hash != c.pcap_hash);
  BOOST_TEST(a.failures.size() == b.failures.size());
}

BOOST_AUTO_TEST_CASE(history_is_a_capture_the_checker_reads) {
  TempDir d;
  auto o = small("none", 3, d.file("h.pcap"));
  auto r = sim::run_simulation(o);
  BOOST_TEST_INFO(describe(r));
  BOOST_TEST(r.ok());
  BOOST_TEST(r.clients_bound == o.clients);
  BOOST_TEST(r.settled_after_s >= 0);
  auto rep = check::run_check({o.pcap_path});
  BOOST_TEST(rep.stats.failover > 10U);  // the partner link is in the capture
  BOOST_TEST(rep.stats.relayed > 100U);
  BOOST_TEST(rep.invariants.at("no-duplicate-assignment").checked > 0U);
  BOOST_TEST(rep.invariants.at("state-legality").applicable);
}

BOOST_AUTO_TEST_CASE(trace_describes_the_faults) {
  TempDir d;
  auto o = small("crash", 5, d.file("t.pcap"));
  o.trace = true;
  auto r = sim::run_simulation(o);
  std::string all;
  for (const auto& l : r.trace) all += l + "\n";
  BOOST_TEST(all.find("CRASH") != std::string::npos);
  BOOST_TEST(all.find("restart") != std::string::npos);
  BOOST_TEST(all.find("state ") != std::string::npos);
  // Tracing does not change the history.
  o.trace = false;
  o.pcap_path = d.file("u.pcap");
  BOOST_TEST(sim::run_simulation(o).pcap_hash == r.pcap_hash);
}

/// One line of regression_seeds.txt: "PROFILE SEED [pending]". A pending seed fails on a
/// protocol bug not yet fixed in impl/: it is run and reported, not asserted.
struct Regression {
  std::string profile;
  std::uint64_t seed = 0;
  bool pending = false;
  std::string line;
};

std::vector<Regression> regressions() {
  std::ifstream in(std::string(FAILOVER6_SOURCE_DIR) + "/tests/unit/sim/regression_seeds.txt");
  BOOST_REQUIRE(in);
  std::vector<Regression> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    Regression r;
    std::string word;
    ls >> r.profile >> r.seed >> word;
    r.pending = word == "pending";
    r.line = line;
    BOOST_REQUIRE_MESSAGE(sim::fault_profile(r.profile) && r.seed, "bad line: " << line);
    out.push_back(r);
  }
  return out;
}

bool is_pending(const std::vector<Regression>& regs, const std::string& profile, std::uint64_t seed) {
  for (const auto& r : regs)
    if (r.pending && r.profile == profile && r.seed == seed) return true;
  return false;
}

BOOST_AUTO_TEST_CASE(fixed_seed_range_of_every_profile_passes) {
  // Seeds 1..N of each profile (40 clients, 180 s): each passes, or is a pending regression.
  TempDir d;
  auto regs = regressions();
  for (const std::string profile : {"none", "crash", "partition", "mixed"}) {
    sim::RunOptions ro;
    ro.first = 1;
    ro.last = 8;
    ro.base = small(profile, 1, "");
    ro.jobs = 2;
    ro.out_dir = d.file(profile);
    auto sum = sim::run_seeds(ro, {});
    BOOST_TEST(sum.runs == ro.last);
    for (const auto& f : sum.failures) {
      if (is_pending(regs, profile, f.seed)) {
        BOOST_TEST_MESSAGE("pending regression still fails: " << profile << " " << describe(f));
        continue;
      }
      std::ostringstream os;
      sim::explain_failure(ro, f, os);
      BOOST_ERROR(profile << " " << os.str());
    }
  }
}

BOOST_AUTO_TEST_CASE(regression_seeds_pass) {
  TempDir d;
  int fixed = 0, pending = 0;
  for (const auto& reg : regressions()) {
    auto r = sim::run_simulation(small(reg.profile, reg.seed, d.file("r.pcap")));
    if (reg.pending) {
      ++pending;
      BOOST_WARN_MESSAGE(r.ok(), "pending: " << reg.line << ": " << describe(r));
      continue;
    }
    ++fixed;
    BOOST_TEST(r.ok(), reg.line << ": " << describe(r));
  }
  BOOST_TEST_MESSAGE(fixed << " regression seeds, " << pending << " pending");
}

BOOST_AUTO_TEST_CASE(cli_rejects_bad_options) {
  TempDir d;
  std::ostringstream out, err;
  cli::SimCommandOptions o;
  o.out = d.file("out");
  o.seeds = "9..3";
  BOOST_TEST(cli::run_sim(o, out, err) == 2);
  BOOST_TEST(err.str().find("--seeds") != std::string::npos);
  o.seeds = "x";
  BOOST_TEST(cli::run_sim(o, out, err) == 2);
  o.seeds = "1..1";
  o.faults = "earthquake";
  BOOST_TEST(cli::run_sim(o, out, err) == 2);
  BOOST_TEST(err.str().find("earthquake") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(cli_runs_a_seed_and_prints_a_summary) {
  TempDir d;
  std::ostringstream out, err;
  cli::SimCommandOptions o;
  o.out = d.file("out");
  o.seeds = "4";
  o.clients = 30;
  o.duration = 120;
  o.faults = "none";
  o.jobs = 1;
  o.quiet = true;
  int rc = cli::run_sim(o, out, err);
  BOOST_TEST(rc == 0, out.str() << err.str());
  BOOST_TEST(out.str().find("PASS") != std::string::npos);
  BOOST_TEST(!fs::exists(d.file("out/seed-4.pcap")));  // passing histories are not kept
}

BOOST_AUTO_TEST_SUITE_END()
