#include "io/control_commands.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>

#include "io/lease_report.h"

namespace failover6::io {

using nlohmann::json;

namespace {

/// A bad argument: the message becomes the response text.
struct ArgumentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr std::size_t DEFAULT_LEASE_LIMIT = 1000;

std::optional<std::string> string_arg(const json& args, const char* name) {
  auto it = args.find(name);
  if (it == args.end()) return std::nullopt;
  if (!it->is_string()) throw ArgumentError(std::string("'") + name + "' must be a string");
  return it->get<std::string>();
}

std::optional<std::uint64_t> uint_arg(const json& args, const char* name) {
  auto it = args.find(name);
  if (it == args.end()) return std::nullopt;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
    throw ArgumentError(std::string("'") + name + "' must be a non-negative integer");
  return it->get<std::uint64_t>();
}

wire::Address address_arg(const std::string& text, const char* name) {
  auto a = wire::Address::parse(text);
  if (!a) throw ArgumentError(std::string("'") + name + "': '" + text + "' is not an IPv6 address");
  return *a;
}

std::pair<wire::Address, std::uint8_t> prefix_arg(const std::string& text, const char* name) {
  auto p = parse_prefix(text);
  if (!p) throw ArgumentError(std::string("'") + name + "': '" + text + "' is not an IPv6 prefix");
  return *p;
}

json counts_json(const LeaseCounts& counts) {
  json out = json::object();
  for (const auto& [key, n] : counts)
    out[lease::to_string(key.first)][wire::binding_status_name(static_cast<std::uint8_t>(
        key.second))] = n;
  return out;
}

json cmd_status(const json&, const ServiceView& v) {
  std::map<std::uint32_t, std::uint64_t> per_subnet;
  v.store.for_each([&](const lease::Lease& l) { ++per_subnet[l.subnet_id]; });
  json subnets = json::array();
  for (const auto& s : v.config.dhcp6.subnets)
    subnets.push_back({{"id", s.id}, {"subnet", s.subnet.to_string()},
                       {"leases", per_subnet[s.id]}});
  json listen = json::array();
  for (const auto& e : v.config.failover6.listen) listen.push_back(e.to_string());
  json db = {{"type", v.journal ? "journal" : "memory"}};
  if (v.journal) {
    db["path"] = v.journal->path;
    db["file-bytes"] = v.journal->file_bytes;
    db["commits"] = v.journal->commits;
  }
  return {{"pid", v.pid},
          {"uptime", v.now - v.started},
          {"version", "0.1.0"},
          {"server-duid", v.server_duid.to_string()},
          {"leases", v.store.size()},
          {"subnets", subnets},
          {"listen", listen},
          {"lease-database", db},
          {"relationships", v.relationships.is_array() ? v.relationships : json::array()}};
}

json cmd_leases(const json& args, const ServiceView& v) {
  auto duid_text = string_arg(args, "duid");
  auto addr_text = string_arg(args, "address");
  auto prefix_text = string_arg(args, "prefix");
  auto state_text = string_arg(args, "state");
  auto type_text = string_arg(args, "type");
  auto subnet_id = uint_arg(args, "subnet-id");
  std::size_t limit = uint_arg(args, "limit").value_or(DEFAULT_LEASE_LIMIT);

  std::optional<wire::Duid> duid;
  if (duid_text) {
    try {
      duid = wire::Duid::from_string(*duid_text);
    } catch (const std::exception& e) {
      throw ArgumentError("'duid': " + std::string(e.what()));
    }
  }
  std::optional<wire::Address> address;
  if (addr_text) address = address_arg(*addr_text, "address");
  std::optional<std::pair<wire::Address, std::uint8_t>> prefix;
  if (prefix_text) prefix = prefix_arg(*prefix_text, "prefix");
  if (type_text && *type_text != "IA_NA" && *type_text != "IA_TA" && *type_text != "IA_PD")
    throw ArgumentError("'type': '" + *type_text + "' is not IA_NA, IA_TA or IA_PD");

  auto matches = [&](const lease::Lease& l) {
    if (address) {
      bool hit = l.key.type == lease::LeaseType::Pd
                     ? prefix_contains(l.key.address, l.key.prefix_length, *address, 128)
                     : l.key.address == *address;
      if (!hit) return false;
    }
    if (prefix && !prefix_contains(prefix->first, prefix->second, l.key.address,
                                   l.key.prefix_length))
      return false;
    if (subnet_id && l.subnet_id != *subnet_id) return false;
    if (type_text && *type_text != lease::to_string(l.key.type)) return false;
    if (state_text &&
        *state_text != wire::binding_status_name(static_cast<std::uint8_t>(l.state)))
      return false;
    return true;
  };

  json leases = json::array();
  std::uint64_t count = 0;
  auto visit = [&](const lease::Lease& l) {
    if (!matches(l)) return;
    ++count;
    if (leases.size() < limit) leases.push_back(lease_to_json(l));
  };
  if (duid) {
    for (const lease::Lease* l : v.store.find_duid(*duid)) visit(*l);
  } else {
    v.store.for_each(visit);
  }
  return {{"leases", leases}, {"count", count}};
}

json cmd_lease_get(const json& args, const ServiceView& v, std::string& text) {
  auto addr_text = string_arg(args, "ip-address");
  if (!addr_text) addr_text = string_arg(args, "address");
  auto prefix_text = string_arg(args, "prefix");
  if (!addr_text && !prefix_text)
    throw ArgumentError("lease-get needs 'ip-address' or 'prefix'");
  const lease::Lease* found = nullptr;
  std::string what;
  if (prefix_text) {
    auto [addr, len] = prefix_arg(*prefix_text, "prefix");
    found = v.store.find({lease::LeaseType::Pd, addr, len});
    what = "prefix " + addr.to_string() + "/" + std::to_string(len);
  } else {
    wire::Address addr = address_arg(*addr_text, "ip-address");
    found = v.store.find({lease::LeaseType::Na, addr, 128});
    if (!found) found = v.store.find({lease::LeaseType::Ta, addr, 128});
    what = "address " + addr.to_string();
  }
  if (!found) throw ArgumentError("no lease for " + what);
  text = "lease for " + what;
  return lease_to_json(*found);
}

json cmd_statistics(const json&, const ServiceView& v) {
  const server::Stats& s = v.server_stats;
  json dropped = json::object();
  std::uint64_t dropped_total = 0;
  for (int i = 0; i < static_cast<int>(server::DropReason::Count_); ++i) {
    dropped[server::to_string(static_cast<server::DropReason>(i))] = s.dropped[i];
    dropped_total += s.dropped[i];
  }
  const BatchStats& b = v.io_stats;
  return {{"uptime", v.now - v.started},
          {"received", s.received},
          {"received-by-type", s.received_by_type},
          {"sent-by-type", s.sent_by_type},
          {"dropped", dropped},
          {"dropped-total", dropped_total},
          {"leases-granted", s.leases_granted},
          {"leases-renewed", s.leases_renewed},
          {"leases-released", s.leases_released},
          {"leases-declined", s.leases_declined},
          {"leases-expired", s.leases_expired},
          {"no-addrs-avail", s.no_addrs_avail},
          {"no-prefix-avail", s.no_prefix_avail},
          {"io",
           {{"batches", b.batches},
            {"datagrams", b.datagrams},
            {"largest-batch", b.largest_batch},
            {"commits", b.commits},
            {"commit-failures", b.commit_failures},
            {"replies-sent", b.replies_sent},
            {"replies-withheld", b.replies_withheld},
            {"send-failures", b.send_failures},
            {"handler-errors", b.handler_errors},
            {"replies-immediate", b.replies_immediate},
            {"batches-changed", b.batches_changed},
            {"commit-us-total", b.commit_us_total},
            {"commit-us-max", b.commit_us_max},
            {"largest-commit", b.largest_commit},
            {"durable-callbacks", b.durable_callbacks}}},
          {"leases", v.store.size()},
          {"leases-by-state", counts_json(count_leases(v.store))}};
}

using Command = std::function<json(const json& args, const ServiceView&, std::string& text)>;

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> table{
      {"list-commands",
       [](const json&, const ServiceView&, std::string& text) -> json {
         text = "commands";
         return control_commands();
       }},
      {"status",
       [](const json& a, const ServiceView& v, std::string& text) {
         text = "status";
         return cmd_status(a, v);
       }},
      {"leases",
       [](const json& a, const ServiceView& v, std::string& text) {
         json r = cmd_leases(a, v);
         text = std::to_string(r["count"].get<std::uint64_t>()) + " leases";
         return r;
       }},
      {"lease-get", cmd_lease_get},
      {"statistics",
       [](const json& a, const ServiceView& v, std::string& text) {
         text = "statistics";
         return cmd_statistics(a, v);
       }},
      {"shutdown",
       [](const json&, const ServiceView&, std::string& text) -> json {
         text = "shutting down";
         return nullptr;
       }},
  };
  return table;
}

}  // namespace

json control_response(int result, const std::string& text, json arguments) {
  json r = {{"result", result}, {"text", text}};
  if (!arguments.is_null()) r["arguments"] = std::move(arguments);
  return r;
}

std::vector<std::string> control_commands() {
  std::vector<std::string> names;
  for (const auto& [name, cmd] : commands()) names.push_back(name);
  return names;
}

ControlOutcome handle_control(const json& request, const ServiceView& view) {
  if (!request.is_object())
    return {control_response(CONTROL_ERROR, "the request must be a JSON object"), false};
  auto cmd = request.find("command");
  if (cmd == request.end() || !cmd->is_string())
    return {control_response(CONTROL_ERROR, "the request has no \"command\" string"), false};
  static const json NO_ARGUMENTS = json::object();
  const json* args = &NO_ARGUMENTS;
  if (auto a = request.find("arguments"); a != request.end() && !a->is_null()) {
    if (!a->is_object())
      return {control_response(CONTROL_ERROR, "\"arguments\" must be an object"), false};
    args = &*a;
  }
  const std::string name = cmd->get<std::string>();
  auto it = commands().find(name);
  if (it == commands().end())
    return {control_response(CONTROL_ERROR, "unknown command '" + name + "'"), false};
  try {
    std::string text;
    json result = it->second(*args, view, text);
    return {control_response(CONTROL_SUCCESS, text, std::move(result)), name == "shutdown"};
  } catch (const ArgumentError& e) {
    return {control_response(CONTROL_ERROR, e.what()), false};
  } catch (const std::exception& e) {
    return {control_response(CONTROL_ERROR, name + " failed: " + e.what()), false};
  }
}

}  // namespace failover6::io
