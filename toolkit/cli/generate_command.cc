#include "cli/generate_command.h"

#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gen/generator.h"
#include "trace/trace_error.h"

namespace failover6::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) { g_stop.store(true); }

/// Parses "llt,en,ll,uuid" (or 1..4) into DUID type numbers.
bool parse_duid_types(const std::string& text, std::vector<std::uint16_t>& out, std::string& bad) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item == "llt" || item == "1") out.push_back(1);
    else if (item == "en" || item == "2") out.push_back(2);
    else if (item == "ll" || item == "3") out.push_back(3);
    else if (item == "uuid" || item == "4") out.push_back(4);
    else {
      bad = item;
      return false;
    }
  }
  return !out.empty();
}

/// `--link IFACE` and the relay options given with it (they have no meaning in link mode).
struct LinkRequest {
  std::string iface;                  ///< empty: relay mode
  std::vector<std::string> conflicts;  ///< relay options given explicitly
};

int run(const GenerateOptions& o, const LinkRequest& attach, std::ostream& out, std::ostream& err);

}  // namespace

int run_generate(const GenerateOptions& o, std::ostream& out, std::ostream& err) {
  return run(o, LinkRequest{}, out, err);
}

namespace {

int run(const GenerateOptions& o, const LinkRequest& attach, std::ostream& out, std::ostream& err) {
  gen::GeneratorOptions g;
  if (!attach.iface.empty()) {
    if (!attach.conflicts.empty()) {
      err << "failover6 generate: " << attach.conflicts.front()
          << " cannot be used with --link: the clients are attached to " << attach.iface
          << " and send to ff02::1:2 themselves, without relays (relay count 0)\n";
      return 2;
    }
    g.link = attach.iface;
  } else if (o.servers.empty()) {
    err << "failover6 generate: at least one --server is needed (or --link IFACE)\n";
    return 2;
  }
  for (const auto& s : o.servers) {
    auto e = gen::parse_endpoint(s);
    if (!e) {
      err << "failover6 generate: --server '" << s << "' is not [IPv6-ADDRESS]:PORT\n";
      return 2;
    }
    g.servers.push_back(*e);
  }
  auto link = wire::Address::parse(o.link_address);
  if (!link) {
    err << "failover6 generate: --link-address '" << o.link_address << "' is not an IPv6 address\n";
    return 2;
  }
  if (!o.bind.empty()) {
    auto b = gen::parse_endpoint(o.bind);
    if (!b || o.bind.find("]:") == std::string::npos) {
      err << "failover6 generate: --bind '" << o.bind << "' is not [IPv6-ADDRESS]:PORT\n";
      return 2;
    }
    g.bind = b->address;
    g.bind_port = b->port;
  }
  std::string bad;
  g.fleet.duid_types.clear();
  if (!parse_duid_types(o.duid_types, g.fleet.duid_types, bad)) {
    err << "failover6 generate: --duid-types: unknown DUID type '" << bad
        << "' (use llt, en, ll, uuid)\n";
    return 2;
  }
  g.fleet.clients = o.clients;
  g.fleet.relays = o.relays;
  g.fleet.relay_depth = o.relay_depth;
  g.fleet.remote_id = o.remote_id;
  g.fleet.link_base = *link;
  g.fleet.seed = o.seed;
  g.fleet.information_only_fraction = o.info_only;
  g.fleet.decline_fraction = o.decline;
  // Neither --na nor --pd: IA_NA, as perfdhcp's default.
  g.fleet.profile.na = o.na || !o.pd;
  g.fleet.profile.pd = o.pd;
  g.fleet.profile.rapid_commit = o.rapid_commit;
  // Attached clients never got a UNICAST option: they multicast RENEW too (the Fleet does).
  g.fleet.profile.renew_unicast = !o.renew_multicast && attach.iface.empty();
  g.fleet.profile.random_start_delay = !o.no_start_delay;
  g.rate = o.rate;
  g.duration_s = o.duration;
  g.time_scale = o.time_scale;
  g.pcap = o.pcap;
  g.release_at_end = o.release;
  g.stop_when_bound = o.until_bound;
  g.progress = !o.quiet;
  g.stop = &g_stop;

  gen::GeneratorResult r;
  g_stop.store(false);
  auto old_int = std::signal(SIGINT, on_signal);
  auto old_term = std::signal(SIGTERM, on_signal);
  try {
    r = gen::run_generator(g, err);
  } catch (const std::exception& e) {
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
    err << "failover6 generate: " << e.what() << '\n';
    return 2;
  }
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  out << gen::summary_text(r);
  if (!o.json.empty()) {
    std::ofstream f(o.json);
    f << gen::summary_json(r).dump(2) << '\n';
    f.close();
    if (!f) {
      err << "failover6 generate: cannot write " << o.json << '\n';
      return 2;
    }
  }
  std::uint32_t done = o.release ? 0 : r.clients_bound + r.clients_informed;
  return (o.release || done == r.clients) ? 0 : 1;
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto o = std::make_shared<GenerateOptions>();
  auto* cmd = app.add_subcommand(
      "generate",
      "Emulate DHCPv6 clients behind relays against one or more servers, or attached to a link");
  auto link = std::make_shared<std::string>();
  cmd->add_option("--server", o->servers,
                  "server [ADDR]:PORT; relays forward to each (required without --link)");
  cmd->add_option("--link", *link,
                  "clients attached to this interface: from its link-local address port 546 to "
                  "ff02::1:2 port 547, no relays (needs port 546: root)");
  cmd->add_option("--clients", o->clients, "number of clients")->required()->check(CLI::Range(1U, 5000000U));
  cmd->add_option("--relays", o->relays, "number of relays (default 1)")->check(CLI::Range(1U, 65535U));
  cmd->add_option("--rate", o->rate, "clients started per second, 0 = all at once (default 1000)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--duration", o->duration, "seconds to run (default 10)")->check(CLI::PositiveNumber);
  cmd->add_flag("--na", o->na, "request IA_NA (the default when --pd is not given)");
  cmd->add_flag("--pd", o->pd, "request IA_PD");
  cmd->add_option("--time-scale", o->time_scale,
                  "protocol seconds per second: lifetimes and timers pass X times faster")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--pcap", o->pcap, "write every packet sent and received to this pcap");
  cmd->add_option("--json", o->json, "write the summary as JSON to this file");
  cmd->add_option("--seed", o->seed, "random seed (default 1)");
  cmd->add_flag("--rapid-commit", o->rapid_commit, "SOLICIT with RAPID_COMMIT");
  cmd->add_option("--relay-depth", o->relay_depth, "1, or 2 for nested relays")->check(CLI::Range(1, 2));
  cmd->add_flag("--remote-id", o->remote_id, "relays add REMOTE_ID");
  cmd->add_flag("--release", o->release, "RELEASE all leases at the end");
  cmd->add_flag("--until-bound", o->until_bound, "stop as soon as every client is bound");
  cmd->add_flag("--renew-multicast", o->renew_multicast,
                "RENEW through the relays to every server (default: the granting one)");
  cmd->add_flag("--no-start-delay", o->no_start_delay, "no random delay before the first SOLICIT");
  cmd->add_option("--info-only", o->info_only, "share of clients sending INFORMATION-REQUEST only")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--decline", o->decline, "share of clients that DECLINE their first address")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--link-address", o->link_address,
                  "link-address of relay 0; relay r has this + r (default 2001:db8:1::1)");
  cmd->add_option("--duid-types", o->duid_types, "DUID types in turn (default llt,en,ll,uuid)");
  cmd->add_option("--bind", o->bind,
                  "local [ADDR]:PORT (default [::]:any; [::]:547 for servers that answer relays on 547)");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress lines");
  cmd->callback([o, link, cmd]() {
    LinkRequest req{*link, {}};
    if (!req.iface.empty())
      for (const char* name : {"--server", "--relays", "--relay-depth", "--remote-id",
                               "--link-address", "--bind"})
        if (cmd->get_option(name)->count() > 0) req.conflicts.emplace_back(name);
    int rc = run(*o, req, std::cout, std::cerr);
    std::cout.flush();
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace failover6::cli
