#include "sim/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <thread>

namespace failover6::sim {

namespace {

std::string pcap_path(const RunOptions& o, std::uint64_t seed) {
  return (std::filesystem::path(o.out_dir) / ("seed-" + std::to_string(seed) + ".pcap")).string();
}

}  // namespace

RunSummary run_seeds(const RunOptions& o, const std::function<void(const Progress&)>& progress) {
  if (o.last < o.first) throw std::invalid_argument("the seed range is empty");
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) throw std::runtime_error("cannot create " + o.out_dir + ": " + ec.message());
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::atomic<std::uint64_t> next{o.first};
  std::mutex mu;
  RunSummary sum;
  const std::uint64_t total = o.last - o.first + 1;
  auto worker = [&] {
    while (true) {
      if (o.time_budget_s > 0 && elapsed() >= o.time_budget_s) return;
      std::uint64_t seed = next.fetch_add(1);
      if (seed > o.last || seed < o.first) return;
      SimOptions so = o.base;
      so.seed = seed;
      so.trace = o.keep;
      so.pcap_path = pcap_path(o, seed);
      SimResult r;
      try {
        r = run_simulation(so);
      } catch (const std::exception& e) {
        r.seed = seed;
        r.failures.push_back({"sim-error", 0, e.what(), {}, {}});
      }
      if (r.ok() && !o.keep) std::filesystem::remove(so.pcap_path, ec);
      if (o.keep) {
        std::ofstream tf(std::filesystem::path(o.out_dir) / ("seed-" + std::to_string(seed) + ".trace.txt"));
        for (const auto& l : r.trace) tf << l << '\n';
        r.trace.clear();
      }
      std::lock_guard lock(mu);
      ++sum.runs;
      sum.exchanges += r.exchanges;
      sum.crashes += r.crashes;
      sum.partitions += r.partitions;
      sum.partner_downs += r.partner_downs;
      sum.wipes += r.wipes;
      sum.lost_writes += r.lost_writes;
      sum.packets += r.packets;
      sum.exempt += r.exempted.size();
      if (!r.exempted.empty()) ++sum.exempt_seeds;
      if (!r.ok()) {
        ++sum.failed;
        sum.failures.push_back(std::move(r));
      }
      if (progress) progress({sum.runs, total, sum.failed, elapsed()});
    }
  };
  unsigned jobs = std::max(1U, o.jobs);
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  sum.elapsed_s = elapsed();
  std::sort(sum.failures.begin(), sum.failures.end(),
            [](const SimResult& a, const SimResult& b) { return a.seed < b.seed; });
  return sum;
}

std::string replay_command(const RunOptions& o, std::uint64_t seed) {
  std::string cmd = "failover6 sim --seeds " + std::to_string(seed) + ".." + std::to_string(seed) +
                    " --clients " + std::to_string(o.base.clients) + " --faults " +
                    o.base.faults.name;
  if (o.base.duration_s != SimOptions{}.duration_s)
    cmd += " --duration " + std::to_string(o.base.duration_s);
  if (o.base.pd) cmd += " --pd";
  if (o.base.use_partner_prefixes) cmd += " --use-partner-prefixes";
  if (o.base.pd_pool_len != SimOptions{}.pd_pool_len)
    cmd += " --pd-pool-len " + std::to_string(o.base.pd_pool_len);
  cmd += " --out " + o.out_dir + " --trace";
  return cmd;
}

void explain_failure(const RunOptions& o, const SimResult& f, std::ostream& out, double window_s,
                     std::size_t max_lines) {
  out << "seed " << f.seed << " FAILED (" << f.failures.size() << " violations)\n";
  out << "  replay: " << replay_command(o, f.seed) << "\n";
  std::size_t shown = 0;
  for (const auto& v : f.failures) {
    if (shown++ == 5) {
      out << "  ... " << f.failures.size() - 5 << " more\n";
      break;
    }
    out << "  " << v.invariant << " at +"
        << static_cast<double>(v.time_ns - SIM_T0 * 1'000'000'000) / 1e9 << " s: " << v.detail
        << "\n";
  }
  SimOptions so = o.base;
  so.seed = f.seed;
  so.trace = true;
  so.pcap_path = pcap_path(o, f.seed);
  SimResult r;
  try {
    r = run_simulation(so);
  } catch (const std::exception& e) {
    out << "  (replay failed: " << e.what() << ")\n";
    return;
  }
  if (r.pcap_hash != f.pcap_hash && f.pcap_hash != 0)
    out << "  WARNING: the replay's history differs from the original run (nondeterminism)\n";
  std::string trace_file =
      (std::filesystem::path(o.out_dir) / ("seed-" + std::to_string(f.seed) + ".trace.txt")).string();
  {
    std::ofstream tf(trace_file);
    for (const auto& l : r.trace) tf << l << '\n';
  }
  // The first violation's time; checker times are capture times, on the same clock.
  std::int64_t at = f.failures.empty() ? 0 : f.failures.front().time_ns;
  double at_s = static_cast<double>(at - SIM_T0 * 1'000'000'000) / 1e9;
  out << "  events within " << window_s << " s of +" << at_s << " s (full trace: " << trace_file
      << "):\n";
  std::vector<const std::string*> lines;
  for (const auto& l : r.trace) {
    double t = std::strtod(l.c_str(), nullptr);
    if (t >= at_s - window_s && t <= at_s + window_s) lines.push_back(&l);
  }
  // Keep the lines closest to the violation when there are too many.
  std::size_t from = 0;
  if (lines.size() > max_lines) {
    std::size_t centre = 0;
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (std::strtod(lines[i]->c_str(), nullptr) <= at_s) centre = i;
    from = centre > max_lines * 3 / 4 ? centre - max_lines * 3 / 4 : 0;
    from = std::min(from, lines.size() - max_lines);
  }
  for (std::size_t i = from; i < lines.size() && i < from + max_lines; ++i)
    out << "    " << *lines[i] << "\n";
  out << "  history: " << so.pcap_path << " (failover6 check " << so.pcap_path << ")\n";
}

}  // namespace failover6::sim
