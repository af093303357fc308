#include "cli/sim_command.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "sim/runner.h"

namespace failover6::cli {

namespace {

/// Parses "A..B" or "N" into an inclusive range.
bool parse_seeds(const std::string& text, std::uint64_t& a, std::uint64_t& b) {
  try {
    std::size_t dots = text.find("..");
    std::size_t used = 0;
    if (dots == std::string::npos) {
      a = b = std::stoull(text, &used);
      return used == text.size() && text[0] != '-';
    }
    std::string l = text.substr(0, dots), r = text.substr(dots + 2);
    if (l.empty() || r.empty() || l[0] == '-' || r[0] == '-') return false;
    a = std::stoull(l, &used);
    if (used != l.size()) return false;
    b = std::stoull(r, &used);
    return used == r.size() && a <= b;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int run_sim(const SimCommandOptions& o, std::ostream& out, std::ostream& err) {
  sim::RunOptions ro;
  if (!parse_seeds(o.seeds, ro.first, ro.last)) {
    err << "failover6 sim: --seeds '" << o.seeds << "' is not A..B (A <= B) or N\n";
    return 2;
  }
  auto profile = sim::fault_profile(o.faults);
  if (!profile) {
    err << "failover6 sim: unknown fault profile '" << o.faults << "' (use";
    for (const auto& n : sim::fault_profile_names()) err << ' ' << n;
    err << ")\n";
    return 2;
  }
  ro.base.faults = *profile;
  ro.base.clients = o.clients;
  ro.base.duration_s = o.duration;
  ro.base.pd_pool_len = o.pd_pool_len;
  ro.base.pd = o.pd;
  ro.base.use_partner_prefixes = o.use_partner_prefixes;
  ro.jobs = o.jobs ? o.jobs : std::max(1U, std::thread::hardware_concurrency());
  ro.out_dir = o.out;
  ro.time_budget_s = o.time_budget;
  ro.keep = o.keep;
  const std::uint64_t total = ro.last - ro.first + 1;
  auto last_print = std::chrono::steady_clock::now();
  sim::RunSummary sum;
  try {
    sum = sim::run_seeds(ro, [&](const sim::Progress& p) {
      if (o.quiet) return;
      auto now = std::chrono::steady_clock::now();
      if (p.done != p.total && now - last_print < std::chrono::seconds(2)) return;
      last_print = now;
      err << "sim: " << p.done << "/" << p.total << " seeds, " << p.failed << " failed, "
          << std::fixed << std::setprecision(1) << (p.elapsed_s > 0 ? p.done * 60 / p.elapsed_s : 0)
          << " histories/min\n";
    });
  } catch (const std::exception& e) {
    err << "failover6 sim: " << e.what() << "\n";
    return 2;
  }
  out << "failover6 sim: " << sum.runs << " of " << total << " seeds (" << ro.first << ".."
      << ro.last << "), profile " << o.faults << ", " << o.clients << " clients, " << ro.jobs
      << " jobs\n";
  out << "  " << (sum.failed ? "FAIL" : "PASS") << ": " << sum.failed << " failing seeds\n";
  if (sum.exempt)
    out << "  " << sum.exempt << " service-continuity outage(s) exempt (fault model: no server"
        << " that had to answer got any copy of the client's message) in " << sum.exempt_seeds
        << " seed(s)\n";
  out << std::fixed << std::setprecision(1) << "  " << sum.elapsed_s << " s, " << sum.per_minute()
      << " histories/min; " << sum.exchanges << " client exchanges, " << sum.crashes
      << " crashes (" << sum.wipes << " lost storage, " << sum.lost_writes
      << " uncommitted writes lost), " << sum.partitions << " partitions, " << sum.partner_downs
      << " operator partner-downs\n";
  std::size_t explained = 0, listed = 0;
  for (const auto& f : sum.failures) {
    if (!o.trace && explained >= 3) {
      if (listed++ == 20) {
        out << "  ... " << sum.failures.size() - explained - 20
            << " more failing seeds (all in --json)\n";
        break;
      }
      out << "  seed " << f.seed << " FAILED: " << f.failures.front().invariant << ": "
          << f.failures.front().detail.substr(0, 200) << "\n    replay: "
          << sim::replay_command(ro, f.seed) << "\n";
      continue;
    }
    if (explained++ == 20) {
      out << "  ... " << sum.failures.size() - 20 << " more failing seeds (all in --json)\n";
      break;
    }
    sim::explain_failure(ro, f, out);
  }
  if (!o.json.empty()) {
    nlohmann::json j;
    j["runs"] = sum.runs;
    j["failed"] = sum.failed;
    j["exempt"] = sum.exempt;
    j["exempt_seeds"] = sum.exempt_seeds;
    j["elapsed_s"] = sum.elapsed_s;
    j["histories_per_minute"] = sum.per_minute();
    j["clients"] = o.clients;
    j["pd"] = o.pd;
    j["use_partner_prefixes"] = o.use_partner_prefixes;
    j["pd_pool_len"] = o.pd_pool_len;
    j["faults"] = o.faults;
    j["failing_seeds"] = nlohmann::json::array();
    for (const auto& f : sum.failures) {
      nlohmann::json fj{{"seed", f.seed}, {"replay", sim::replay_command(ro, f.seed)}};
      for (const auto& v : f.failures)
        fj["violations"].push_back({{"invariant", v.invariant}, {"detail", v.detail}});
      j["failing_seeds"].push_back(fj);
    }
    std::ofstream jf(o.json);
    jf << j.dump(2) << "\n";
    if (!jf) {
      err << "failover6 sim: cannot write " << o.json << "\n";
      return 2;
    }
  }
  return sum.failed ? 1 : 0;
}

void add_sim_command(CLI::App& app) {
  auto o = std::make_shared<SimCommandOptions>();
  auto* cmd = app.add_subcommand(
      "sim", "Deterministic simulation of a failover pair over many seeds (replayable)");
  cmd->add_option("--seeds", o->seeds, "seed range A..B (inclusive) or one seed N (default 1..100)");
  cmd->add_option("--clients", o->clients, "clients per history (default 100)")
      ->check(CLI::Range(1U, 50000U));
  cmd->add_option("--faults", o->faults, "fault profile: none, crash, partition, mixed, outage, outage-cut (default mixed)");
  cmd->add_option("--jobs", o->jobs, "worker threads (default: the number of cores)")
      ->check(CLI::Range(0U, 256U));
  cmd->add_option("--out", o->out, "directory for histories; failing ones are kept (default sim-out)");
  cmd->add_option("--duration", o->duration, "simulated seconds of client activity (default 240)")
      ->check(CLI::Range(60L, 86400L));
  cmd->add_flag("--pd", o->pd, "every client also asks for a delegated prefix (IA_PD)");
  cmd->add_flag("--use-partner-prefixes", o->use_partner_prefixes,
                 "servers in PARTNER-DOWN delegate the partner's prefixes after MCLT (the "
                 "relationship option; see decision A13)");
  cmd->add_option("--pd-pool-len", o->pd_pool_len,
                  "the pd-pool is a /N of /56s (default 40; 52 gives 16 prefixes, short enough "
                  "for PARTNER-DOWN to use the partner's)")
      ->check(CLI::Range(40U, 56U));
  cmd->add_option("--time-budget", o->time_budget,
                  "stop starting new seeds after this many seconds (default: no limit)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--trace", o->trace, "explain every failing seed with its event trace");
  cmd->add_flag("--keep", o->keep, "keep every history (pcap) and its event trace in --out");
  cmd->add_option("--json", o->json, "write the summary as JSON to this file");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress lines");
  cmd->callback([o]() {
    int rc = run_sim(*o, std::cout, std::cerr);
    std::cout.flush();
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace failover6::cli
