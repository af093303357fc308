// Parsing and validation of the failover6d configuration. One Walker collects every error with
// its JSON path; each object's accepted keys are declared next to the code that reads them.
#include "config/config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <sstream>

namespace failover6::config {

using nlohmann::json;

namespace {

/// Kea 2.2 DHCPv6 keys that failover6d does not implement: naming them is an error that says
/// so, rather than "unknown key", so a user migrating from Kea knows what to remove.
constexpr std::array<std::string_view, 46> KEA_UNSUPPORTED{
    "hooks-libraries", "multi-threading", "shared-networks", "client-classes",
    "option-def", "dhcp-ddns", "ddns-send-updates", "ddns-override-no-update",
    "ddns-override-client-update", "ddns-replace-client-name", "ddns-generated-prefix",
    "ddns-qualifying-suffix", "ddns-update-on-renew", "ddns-use-conflict-resolution",
    "hostname-char-set", "hostname-char-replacement", "hosts-database", "hosts-databases",
    "host-reservation-identifiers", "mac-sources", "relay-supplied-options",
    "expired-leases-processing", "sanity-checks", "dhcp4o6-port", "server-tag",
    "statistic-default-sample-count", "statistic-default-sample-age", "parked-packet-limit",
    "early-global-reservations-lookup", "reservation-mode", "reservations-global",
    "reservations-in-subnet", "reservations-out-of-pool", "store-extended-info",
    "cache-threshold", "cache-max-age", "config-control", "compatibility",
    "ip-reservations-unique", "reservations-lookup-first", "dhcp-queue-control",
    "client-class", "require-client-classes", "pd-allocator", "allocator", "excluded-prefix"};

/// Option names accepted in "option-data" and the codes they set.
struct KnownOption {
  std::string_view name;
  std::uint16_t code;
};
constexpr std::array<KnownOption, 5> OPTION_NAMES{{{"dns-servers", 23},
                                                  {"domain-search", 24},
                                                  {"preference", 7},
                                                  {"information-refresh-time", 32},
                                                  {"sol-max-rt", 82}}};

class Walker {
 public:
  std::vector<ConfigError> errors;

  void error(const std::string& path, const std::string& message) {
    errors.push_back({path, message});
  }

  /// Checks that @p obj is an object whose keys are all in @p allowed.
  bool object(const json& obj, const std::string& path,
              std::initializer_list<std::string_view> allowed) {
    if (!obj.is_object()) {
      error(path, "expected an object, got " + type_name(obj));
      return false;
    }
    for (const auto& [key, _] : obj.items()) {
      if (key == "comment" || key == "user-context") continue;
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      if (std::find(KEA_UNSUPPORTED.begin(), KEA_UNSUPPORTED.end(), key) != KEA_UNSUPPORTED.end())
        error(join(path, key), "Kea key not supported by failover6d");
      else
        error(join(path, key), "unknown key");
    }
    return true;
  }

  template <class T>
  void uint(const json& obj, const std::string& path, const char* key, T& out,
            std::uint64_t min = 0, std::uint64_t max = std::numeric_limits<T>::max()) {
    auto it = obj.find(key);
    if (it == obj.end()) return;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
      error(join(path, key), "expected a non-negative integer, got " + it->dump());
      return;
    }
    auto v = it->get<std::uint64_t>();
    if (v < min || v > max) {
      error(join(path, key), std::to_string(v) + " is outside " + std::to_string(min) + ".." +
                                 std::to_string(max));
      return;
    }
    out = static_cast<T>(v);
  }

  void boolean(const json& obj, const std::string& path, const char* key, bool& out) {
    auto it = obj.find(key);
    if (it == obj.end()) return;
    if (!it->is_boolean()) {
      error(join(path, key), "expected true or false, got " + it->dump());
      return;
    }
    out = it->get<bool>();
  }

  void number(const json& obj, const std::string& path, const char* key, double& out, double min,
              double max) {
    auto it = obj.find(key);
    if (it == obj.end()) return;
    if (!it->is_number() || it->get<double>() < min || it->get<double>() > max) {
      error(join(path, key), "expected a number in " + std::to_string(min) + ".." +
                                 std::to_string(max) + ", got " + it->dump());
      return;
    }
    out = it->get<double>();
  }

  bool string(const json& obj, const std::string& path, const char* key, std::string& out) {
    auto it = obj.find(key);
    if (it == obj.end()) return false;
    if (!it->is_string()) {
      error(join(path, key), "expected a string, got " + it->dump());
      return false;
    }
    out = it->get<std::string>();
    return true;
  }

  const json* array(const json& obj, const std::string& path, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end()) return nullptr;
    if (!it->is_array()) {
      error(join(path, key), "expected an array, got " + type_name(*it));
      return nullptr;
    }
    return &*it;
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }
  static std::string index(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }
  static std::string type_name(const json& j) { return std::string(j.type_name()); }
};

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::optional<Prefix> parse_prefix(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto a = wire::Address::parse(trim(text.substr(0, slash)));
  unsigned len = 0;
  auto lt = trim(text.substr(slash + 1));
  auto [p, ec] = std::from_chars(lt.data(), lt.data() + lt.size(), len);
  if (!a || ec != std::errc() || p != lt.data() + lt.size() || len > 128) return std::nullopt;
  return Prefix{*a, static_cast<std::uint8_t>(len)};
}

wire::Address mask(const wire::Address& a, unsigned len) {
  wire::Address m = a;
  for (unsigned i = 0; i < 16; ++i) {
    unsigned bits = len > i * 8 ? std::min(8U, len - i * 8) : 0;
    m.bytes[i] &= static_cast<std::uint8_t>(bits == 0 ? 0 : (0xFF << (8 - bits)));
  }
  return m;
}

wire::Address last_of(const Prefix& p) {
  wire::Address m = p.address;
  for (unsigned i = 0; i < 16; ++i) {
    unsigned bits = p.length > i * 8 ? std::min(8U, p.length - i * 8U) : 0;
    m.bytes[i] |= static_cast<std::uint8_t>(0xFF >> bits);
  }
  return m;
}

/// Parses "A - B" or "prefix/len" into a pool.
std::optional<Pool> parse_pool(const std::string& text, std::string& why) {
  if (auto dash = text.find('-'); dash != std::string::npos) {
    auto a = wire::Address::parse(trim(std::string_view(text).substr(0, dash)));
    auto b = wire::Address::parse(trim(std::string_view(text).substr(dash + 1)));
    if (!a || !b) {
      why = "'" + text + "' is not \"first - last\" with two IPv6 addresses";
      return std::nullopt;
    }
    if (*b < *a) {
      why = "'" + text + "': the last address is below the first";
      return std::nullopt;
    }
    return Pool{*a, *b};
  }
  auto p = parse_prefix(text);
  if (!p) {
    why = "'" + text + "' is neither \"first - last\" nor a prefix";
    return std::nullopt;
  }
  if (mask(p->address, p->length) != p->address) {
    why = "'" + text + "' has bits set past the prefix length";
    return std::nullopt;
  }
  return Pool{p->address, last_of(*p)};
}

/// Kea's option-data entries we support, turned into wire options.
void parse_option_data(Walker& w, const json& obj, const std::string& path, wire::Options& out,
                       std::uint8_t* preference) {
  const json* list = w.array(obj, path, "option-data");
  if (!list) return;
  std::string lpath = Walker::join(path, "option-data");
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& o = (*list)[i];
    std::string p = Walker::index(lpath, i);
    if (!w.object(o, p, {"name", "code", "data", "space", "csv-format", "always-send"})) continue;
    std::string name;
    std::uint16_t code = 0;
    w.string(o, p, "name", name);
    w.uint(o, p, "code", code);
    std::string space = "dhcp6";
    w.string(o, p, "space", space);
    if (space != "dhcp6") w.error(Walker::join(p, "space"), "only the dhcp6 space is supported");
    if (!name.empty()) {
      auto it = std::find_if(OPTION_NAMES.begin(), OPTION_NAMES.end(),
                             [&](const KnownOption& k) { return k.name == name; });
      if (it == OPTION_NAMES.end()) {
        w.error(Walker::join(p, "name"), "option '" + name + "' is not supported (supported: "
                                          "dns-servers, domain-search, preference, "
                                          "information-refresh-time, sol-max-rt)");
        continue;
      }
      if (code != 0 && code != it->code)
        w.error(Walker::join(p, "code"), "does not match option '" + name + "'");
      code = it->code;
    }
    std::string data;
    if (!w.string(o, p, "data", data)) {
      w.error(Walker::join(p, "data"), "missing");
      continue;
    }
    std::vector<std::string> items;
    std::stringstream ss(data);
    for (std::string item; std::getline(ss, item, ',');) items.push_back(trim(item));
    std::string dpath = Walker::join(p, "data");
    auto one_uint = [&](std::uint64_t max) -> std::optional<std::uint32_t> {
      std::uint64_t v = 0;
      auto s = items.size() == 1 ? items[0] : std::string();
      auto [e, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (s.empty() || ec != std::errc() || e != s.data() + s.size() || v > max) {
        w.error(dpath, "'" + data + "' is not an integer in 0.." + std::to_string(max));
        return std::nullopt;
      }
      return static_cast<std::uint32_t>(v);
    };
    switch (code) {
      case 23: {
        wire::DnsServers d;
        for (const auto& item : items) {
          auto a = wire::Address::parse(item);
          if (!a) w.error(dpath, "'" + item + "' is not an IPv6 address");
          else d.servers.push_back(*a);
        }
        out.emplace_back(std::move(d));
        break;
      }
      case 24: {
        wire::DomainList d;
        for (auto item : items) {
          if (item.empty()) {
            w.error(dpath, "empty domain name");
            continue;
          }
          if (item.back() != '.') item.push_back('.');
          d.domains.push_back(item);
        }
        out.emplace_back(std::move(d));
        break;
      }
      case 7:
        if (auto v = one_uint(255); v && preference) *preference = static_cast<std::uint8_t>(*v);
        break;
      case 32:
        if (auto v = one_uint(0xFFFFFFFF)) out.emplace_back(wire::InformationRefreshTime{*v});
        break;
      case 82:
        if (auto v = one_uint(86400)) out.emplace_back(wire::SolMaxRt{*v});
        break;
      default:
        w.error(p, "option code " + std::to_string(code) +
                       " is not supported; name one of the supported options");
    }
  }
}

void parse_timers(Walker& w, const json& obj, const std::string& path, Timers& t) {
  w.uint(obj, path, "renew-timer", t.renew);
  w.uint(obj, path, "rebind-timer", t.rebind);
  w.uint(obj, path, "preferred-lifetime", t.preferred);
  w.uint(obj, path, "valid-lifetime", t.valid);
  w.uint(obj, path, "min-preferred-lifetime", t.min_preferred);
  w.uint(obj, path, "max-preferred-lifetime", t.max_preferred);
  w.uint(obj, path, "min-valid-lifetime", t.min_valid);
  w.uint(obj, path, "max-valid-lifetime", t.max_valid);
  w.boolean(obj, path, "calculate-tee-times", t.calculate_tee_times);
  w.number(obj, path, "t1-percent", t.t1_percent, 0.0, 1.0);
  w.number(obj, path, "t2-percent", t.t2_percent, 0.0, 1.0);
}

void validate_timers(Walker& w, const std::string& path, const Timers& t) {
  if (t.preferred > t.valid)
    w.error(Walker::join(path, "preferred-lifetime"),
            std::to_string(t.preferred) + " exceeds valid-lifetime " + std::to_string(t.valid));
  if (t.renew != 0 && t.rebind != 0 && t.renew > t.rebind)
    w.error(Walker::join(path, "renew-timer"),
            std::to_string(t.renew) + " exceeds rebind-timer " + std::to_string(t.rebind));
  if (t.t1_percent >= t.t2_percent)
    w.error(Walker::join(path, "t1-percent"), "must be below t2-percent");
}

constexpr std::array<std::string_view, 11> TIMER_KEYS = {
    "renew-timer", "rebind-timer", "preferred-lifetime", "valid-lifetime",
    "min-preferred-lifetime", "max-preferred-lifetime", "min-valid-lifetime",
    "max-valid-lifetime", "calculate-tee-times", "t1-percent", "t2-percent"};

bool allowed_with_timers(Walker& w, const json& obj, const std::string& path,
                         std::initializer_list<std::string_view> keys) {
  std::vector<std::string_view> all(keys);
  all.insert(all.end(), TIMER_KEYS.begin(), TIMER_KEYS.end());
  // Walker::object takes an initializer_list; check the merged set by hand.
  if (!obj.is_object()) {
    w.error(path, "expected an object, got " + Walker::type_name(obj));
    return false;
  }
  json filtered = json::object();
  for (const auto& [k, v] : obj.items())
    if (std::find(all.begin(), all.end(), k) == all.end()) filtered[k] = v;
  return w.object(filtered, path, {});
}

void parse_subnet(Walker& w, const json& s, const std::string& path, const Dhcp6& global,
                  Subnet& out) {
  if (!allowed_with_timers(w, s, path,
                           {"id", "subnet", "pools", "pd-pools", "interface", "interface-id",
                            "relay", "reservations", "option-data", "rapid-commit"}))
    return;
  out.timers = global.timers;
  parse_timers(w, s, path, out.timers);
  validate_timers(w, path, out.timers);
  if (!s.contains("id")) w.error(Walker::join(path, "id"), "missing (failover6d needs explicit subnet ids)");
  w.uint(s, path, "id", out.id, 1, 0xFFFFFFFE);
  std::string text;
  if (!w.string(s, path, "subnet", text)) {
    if (!s.contains("subnet")) w.error(Walker::join(path, "subnet"), "missing");
  } else if (auto p = parse_prefix(text); !p) {
    w.error(Walker::join(path, "subnet"), "'" + text + "' is not an IPv6 prefix");
  } else {
    out.subnet = *p;
    if (mask(p->address, p->length) != p->address)
      w.error(Walker::join(path, "subnet"), "'" + text + "' has bits set past the prefix length");
  }
  w.string(s, path, "interface", out.interface);
  std::string iid;
  if (w.string(s, path, "interface-id", iid)) out.interface_id.assign(iid.begin(), iid.end());
  if (auto it = s.find("relay"); it != s.end()) {
    std::string rpath = Walker::join(path, "relay");
    if (w.object(*it, rpath, {"ip-addresses", "ip-address"})) {
      std::vector<std::string> addrs;
      if (const json* a = w.array(*it, rpath, "ip-addresses")) {
        for (std::size_t i = 0; i < a->size(); ++i) {
          auto ap = Walker::index(Walker::join(rpath, "ip-addresses"), i);
          auto addr = (*a)[i].is_string() ? wire::Address::parse((*a)[i].get<std::string>())
                                          : std::nullopt;
          if (!addr) w.error(ap, (*a)[i].dump() + " is not an IPv6 address");
          else out.relay_addresses.push_back(*addr);
        }
      }
      std::string one;
      if (w.string(*it, rpath, "ip-address", one)) {
        if (auto addr = wire::Address::parse(one)) out.relay_addresses.push_back(*addr);
        else w.error(Walker::join(rpath, "ip-address"), "'" + one + "' is not an IPv6 address");
      }
    }
  }
  if (const json* pools = w.array(s, path, "pools")) {
    for (std::size_t i = 0; i < pools->size(); ++i) {
      auto pp = Walker::index(Walker::join(path, "pools"), i);
      if (!w.object((*pools)[i], pp, {"pool", "option-data"})) continue;
      std::string ptxt, why;
      if (!w.string((*pools)[i], pp, "pool", ptxt)) {
        w.error(Walker::join(pp, "pool"), "missing");
        continue;
      }
      auto pool = parse_pool(ptxt, why);
      if (!pool) {
        w.error(Walker::join(pp, "pool"), why);
        continue;
      }
      if (out.subnet.length != 0 &&
          (!out.subnet.contains(pool->first) || !out.subnet.contains(pool->last)))
        w.error(Walker::join(pp, "pool"), "'" + ptxt + "' is not inside subnet " +
                                              out.subnet.to_string());
      if ((*pools)[i].contains("option-data"))
        w.error(Walker::join(pp, "option-data"), "per-pool options are not supported");
      out.pools.push_back(*pool);
    }
  }
  if (const json* pds = w.array(s, path, "pd-pools")) {
    for (std::size_t i = 0; i < pds->size(); ++i) {
      auto pp = Walker::index(Walker::join(path, "pd-pools"), i);
      const json& pd = (*pds)[i];
      if (!w.object(pd, pp, {"prefix", "prefix-len", "delegated-len"})) continue;
      PdPool pool;
      std::string ptxt;
      if (!w.string(pd, pp, "prefix", ptxt)) w.error(Walker::join(pp, "prefix"), "missing");
      auto a = wire::Address::parse(ptxt);
      if (!ptxt.empty() && !a) w.error(Walker::join(pp, "prefix"), "'" + ptxt + "' is not an IPv6 address");
      if (!pd.contains("prefix-len")) w.error(Walker::join(pp, "prefix-len"), "missing");
      if (!pd.contains("delegated-len")) w.error(Walker::join(pp, "delegated-len"), "missing");
      w.uint(pd, pp, "prefix-len", pool.prefix.length, 1, 128);
      w.uint(pd, pp, "delegated-len", pool.delegated_length, 1, 128);
      if (!a) continue;
      pool.prefix.address = *a;
      if (pool.delegated_length < pool.prefix.length)
        w.error(Walker::join(pp, "delegated-len"),
                std::to_string(pool.delegated_length) + " is shorter than prefix-len " +
                    std::to_string(pool.prefix.length));
      else if (mask(*a, pool.prefix.length) != *a)
        w.error(Walker::join(pp, "prefix"), "'" + ptxt + "' has bits set past prefix-len");
      else
        out.pd_pools.push_back(pool);
    }
  }
  if (const json* rs = w.array(s, path, "reservations")) {
    for (std::size_t i = 0; i < rs->size(); ++i) {
      auto rp = Walker::index(Walker::join(path, "reservations"), i);
      const json& r = (*rs)[i];
      if (!w.object(r, rp, {"duid", "ip-addresses", "prefixes", "hostname"})) continue;
      Reservation res;
      std::string duid;
      if (!w.string(r, rp, "duid", duid)) {
        w.error(Walker::join(rp, "duid"), "missing (failover6d reserves by DUID only)");
        continue;
      }
      try {
        res.duid = wire::Duid::from_string(duid);
      } catch (const std::invalid_argument& e) {
        w.error(Walker::join(rp, "duid"), e.what());
      }
      if (const json* ips = w.array(r, rp, "ip-addresses"))
        for (std::size_t k = 0; k < ips->size(); ++k) {
          auto a = (*ips)[k].is_string() ? wire::Address::parse((*ips)[k].get<std::string>())
                                         : std::nullopt;
          if (!a)
            w.error(Walker::index(Walker::join(rp, "ip-addresses"), k),
                    (*ips)[k].dump() + " is not an IPv6 address");
          else res.addresses.push_back(*a);
        }
      if (const json* ps = w.array(r, rp, "prefixes"))
        for (std::size_t k = 0; k < ps->size(); ++k) {
          auto p = (*ps)[k].is_string() ? parse_prefix((*ps)[k].get<std::string>()) : std::nullopt;
          if (!p)
            w.error(Walker::index(Walker::join(rp, "prefixes"), k),
                    (*ps)[k].dump() + " is not an IPv6 prefix");
          else res.prefixes.push_back(*p);
        }
      w.string(r, rp, "hostname", res.hostname);
      out.reservations.push_back(std::move(res));
    }
  }
  out.options = global.options;
  out.preference = 0;
  wire::Options own;
  parse_option_data(w, s, path, own, &out.preference);
  // A subnet's option replaces the global option of the same code (Kea's precedence).
  for (auto& o : own) {
    auto code = o.code();
    std::erase_if(out.options, [&](const wire::Option& g) { return g.code() == code; });
    out.options.push_back(std::move(o));
  }
  w.boolean(s, path, "rapid-commit", out.rapid_commit);
}

std::optional<Endpoint> parse_endpoint(const std::string& text, std::uint16_t default_port) {
  std::string host = text;
  std::uint16_t port = default_port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return std::nullopt;
      auto ps = text.substr(close + 2);
      unsigned v = 0;
      auto [p, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), v);
      if (ps.empty() || ec != std::errc() || p != ps.data() + ps.size() || v == 0 || v > 65535)
        return std::nullopt;
      port = static_cast<std::uint16_t>(v);
    }
  }
  auto a = wire::Address::parse(host);
  if (!a) return std::nullopt;
  return Endpoint{*a, port};
}

void parse_dhcp6(Walker& w, const json& d, Dhcp6& out) {
  const std::string path = "Dhcp6";
  if (!allowed_with_timers(w, d, path,
                           {"subnet6", "option-data", "server-id", "interfaces-config",
                            "lease-database", "data-directory", "control-socket", "loggers",
                            "decline-probation-period"}))
    return;
  parse_timers(w, d, path, out.timers);
  validate_timers(w, path, out.timers);
  w.uint(d, path, "decline-probation-period", out.decline_probation_period);
  parse_option_data(w, d, path, out.options, nullptr);
  w.string(d, path, "data-directory", out.data_directory);
  if (auto it = d.find("server-id"); it != d.end()) {
    std::string p = Walker::join(path, "server-id");
    if (w.object(*it, p, {"type", "identifier", "enterprise-id", "htype", "time", "persist"})) {
      w.string(*it, p, "type", out.server_id.type);
      if (out.server_id.type != "LLT" && out.server_id.type != "EN" && out.server_id.type != "LL")
        w.error(Walker::join(p, "type"), "'" + out.server_id.type + "' is not LLT, EN or LL");
      std::string ident;
      if (w.string(*it, p, "identifier", ident)) {
        auto b = wire::parse_hex(ident);
        if (!b) w.error(Walker::join(p, "identifier"), "'" + ident + "' is not hex");
        else out.server_id.identifier = *b;
      }
      w.uint(*it, p, "enterprise-id", out.server_id.enterprise_id);
      w.uint(*it, p, "htype", out.server_id.htype);
      w.uint(*it, p, "time", out.server_id.time);
      w.boolean(*it, p, "persist", out.server_id.persist);
    }
  }
  if (auto it = d.find("interfaces-config"); it != d.end()) {
    std::string p = Walker::join(path, "interfaces-config");
    if (w.object(*it, p, {"interfaces", "re-detect", "service-sockets-max-retries",
                          "service-sockets-retry-wait-time"})) {
      if (const json* ifs = w.array(*it, p, "interfaces"))
        for (std::size_t i = 0; i < ifs->size(); ++i) {
          if (!(*ifs)[i].is_string())
            w.error(Walker::index(Walker::join(p, "interfaces"), i), "expected a string");
          else out.interfaces.push_back((*ifs)[i].get<std::string>());
        }
    }
  }
  if (auto it = d.find("lease-database"); it != d.end()) {
    std::string p = Walker::join(path, "lease-database");
    if (w.object(*it, p, {"type", "persist", "name", "lfc-interval"})) {
      w.string(*it, p, "type", out.lease_database.type);
      if (out.lease_database.type != "memfile")
        w.error(Walker::join(p, "type"), "'" + out.lease_database.type +
                                            "' is not supported; failover6d has memfile only");
      w.boolean(*it, p, "persist", out.lease_database.persist);
      w.string(*it, p, "name", out.lease_database.name);
      w.uint(*it, p, "lfc-interval", out.lease_database.lfc_interval);
    }
  }
  if (auto it = d.find("control-socket"); it != d.end()) {
    std::string p = Walker::join(path, "control-socket");
    if (w.object(*it, p, {"socket-type", "socket-name"})) {
      w.string(*it, p, "socket-type", out.control_socket.type);
      if (out.control_socket.type != "unix")
        w.error(Walker::join(p, "socket-type"), "only \"unix\" is supported");
      if (!w.string(*it, p, "socket-name", out.control_socket.name))
        w.error(Walker::join(p, "socket-name"), "missing");
    }
  }
  if (const json* ls = w.array(d, path, "loggers")) {
    for (std::size_t i = 0; i < ls->size(); ++i) {
      std::string p = Walker::index(Walker::join(path, "loggers"), i);
      const json& l = (*ls)[i];
      if (!w.object(l, p, {"name", "output_options", "output-options", "severity", "debuglevel"}))
        continue;
      Logger lg;
      w.string(l, p, "name", lg.name);
      w.string(l, p, "severity", lg.severity);
      static const std::set<std::string> SEVERITIES{"FATAL", "ERROR", "WARN", "INFO", "DEBUG"};
      if (!SEVERITIES.contains(lg.severity))
        w.error(Walker::join(p, "severity"), "'" + lg.severity + "' is not one of FATAL ERROR WARN INFO DEBUG");
      w.uint(l, p, "debuglevel", lg.debuglevel, 0, 99);
      for (const char* key : {"output_options", "output-options"}) {
        if (const json* outs = w.array(l, p, key)) {
          for (std::size_t k = 0; k < outs->size(); ++k) {
            std::string op = Walker::index(Walker::join(p, key), k);
            if (w.object((*outs)[k], op, {"output", "flush", "maxsize", "maxver", "pattern"}))
              w.string((*outs)[k], op, "output", lg.output);
          }
        }
      }
      out.loggers.push_back(lg);
    }
  }
  const json* subnets = w.array(d, path, "subnet6");
  if (subnets) {
    std::set<std::uint32_t> ids;
    for (std::size_t i = 0; i < subnets->size(); ++i) {
      std::string p = Walker::index(Walker::join(path, "subnet6"), i);
      Subnet s;
      parse_subnet(w, (*subnets)[i], p, out, s);
      if (s.id != 0 && !ids.insert(s.id).second)
        w.error(Walker::join(p, "id"), "duplicate subnet id " + std::to_string(s.id));
      out.subnets.push_back(std::move(s));
    }
  }
}

void parse_failover6(Walker& w, const json& f, const Dhcp6& dhcp6, Failover6& out) {
  const std::string path = "Failover6";
  if (!w.object(f, path, {"listen", "relationships", "metrics"})) return;
  if (const json* ls = w.array(f, path, "listen")) {
    for (std::size_t i = 0; i < ls->size(); ++i) {
      std::string p = Walker::index(Walker::join(path, "listen"), i);
      auto e = (*ls)[i].is_string() ? parse_endpoint((*ls)[i].get<std::string>(), 547)
                                    : std::nullopt;
      if (!e) w.error(p, (*ls)[i].dump() + " is not \"[address]:port\"");
      else out.listen.push_back(*e);
    }
  }
  if (auto it = f.find("metrics"); it != f.end()) {
    std::string p = Walker::join(path, "metrics");
    std::string listen;
    if (w.object(*it, p, {"listen"}) && w.string(*it, p, "listen", listen)) {
      auto e = parse_endpoint(listen, 9647);
      if (!e) w.error(Walker::join(p, "listen"), "'" + listen + "' is not \"[address]:port\"");
      else out.metrics = *e;
    }
  }
  std::set<std::uint32_t> subnet_ids;
  for (const auto& s : dhcp6.subnets) subnet_ids.insert(s.id);
  std::set<std::string> names;
  if (const json* rs = w.array(f, path, "relationships")) {
    for (std::size_t i = 0; i < rs->size(); ++i) {
      std::string p = Walker::index(Walker::join(path, "relationships"), i);
      const json& r = (*rs)[i];
      if (!w.object(r, p, {"name", "role", "this-server", "peer", "mclt", "keepalive",
                           "max-unacked", "auto-partner-down", "startup-time", "subnets", "tls",
                           "insecure", "prefix-share", "prefix-share-max",
                           "use-partner-prefixes"}))
        continue;
      Relationship rel;
      if (!w.string(r, p, "name", rel.name) || rel.name.empty())
        w.error(Walker::join(p, "name"), "missing");
      else if (!names.insert(rel.name).second)
        w.error(Walker::join(p, "name"), "duplicate relationship name '" + rel.name + "'");
      w.string(r, p, "role", rel.role);
      if (rel.role != "primary" && rel.role != "secondary")
        w.error(Walker::join(p, "role"), "must be \"primary\" or \"secondary\"");
      for (auto [key, ep] : {std::pair{"this-server", &rel.this_server}, std::pair{"peer", &rel.peer}}) {
        std::string text;
        if (!w.string(r, p, key, text)) {
          w.error(Walker::join(p, key), "missing");
          continue;
        }
        auto e = parse_endpoint(text, 647);
        if (!e) w.error(Walker::join(p, key), "'" + text + "' is not \"[address]:port\"");
        else *ep = *e;
      }
      w.uint(r, p, "mclt", rel.mclt, 30, 86400 * 7);
      w.uint(r, p, "keepalive", rel.keepalive, 1, 3600);
      w.uint(r, p, "max-unacked", rel.max_unacked, 1, 65535);
      w.uint(r, p, "auto-partner-down", rel.auto_partner_down);
      w.uint(r, p, "startup-time", rel.startup_time, 0, 3600);
      w.uint(r, p, "prefix-share", rel.prefix_share, 0, 100);
      w.uint(r, p, "prefix-share-max", rel.prefix_share_max, 0, 65536);
      w.boolean(r, p, "use-partner-prefixes", rel.use_partner_prefixes);
      if (const json* ss = w.array(r, p, "subnets")) {
        for (std::size_t k = 0; k < ss->size(); ++k) {
          std::string sp = Walker::index(Walker::join(p, "subnets"), k);
          if (!(*ss)[k].is_number_unsigned()) {
            w.error(sp, "expected a subnet id");
            continue;
          }
          auto id = (*ss)[k].get<std::uint32_t>();
          if (!subnet_ids.contains(id)) w.error(sp, "no subnet6 has id " + std::to_string(id));
          rel.subnets.push_back(id);
        }
      }
      w.boolean(r, p, "insecure", rel.insecure);
      if (auto t = r.find("tls"); t != r.end()) {
        std::string tp = Walker::join(p, "tls");
        if (w.object(*t, tp, {"cert-file", "key-file", "ca-file", "peer-name"})) {
          Tls tls;
          for (auto [key, field] : {std::pair{"cert-file", &tls.cert_file},
                                    std::pair{"key-file", &tls.key_file},
                                    std::pair{"ca-file", &tls.ca_file},
                                    std::pair{"peer-name", &tls.peer_name}})
            if (!w.string(*t, tp, key, *field)) w.error(Walker::join(tp, key), "missing");
          rel.tls = tls;
        }
      }
      if (rel.tls && rel.insecure)
        w.error(Walker::join(p, "insecure"), "contradicts \"tls\"; choose one");
      if (!rel.tls && !rel.insecure)
        w.error(Walker::join(p, "tls"),
                "missing: RFC 7653 §9.1 makes secure mode the default; give \"tls\" or set "
                "\"insecure\": true explicitly");
      out.relationships.push_back(std::move(rel));
    }
    // m-to-1 (one server, several relationships): every subnet belongs to one relationship
    // (RFC 8156 §6.2), and the partner listener can tell connections apart only if those
    // sharing its socket and the same partner address agree on TLS.
    std::map<std::uint32_t, std::string> owner;
    for (std::size_t i = 0; i < out.relationships.size(); ++i) {
      const Relationship& a = out.relationships[i];
      std::string p = Walker::index(Walker::join(path, "relationships"), i);
      if (a.subnets.empty() && out.relationships.size() > 1)
        w.error(Walker::join(p, "subnets"),
                "missing: required when there are several relationships");
      for (std::uint32_t id : a.subnets) {
        auto [it, fresh] = owner.emplace(id, a.name);
        if (!fresh && it->second != a.name)
          w.error(Walker::join(p, "subnets"), "subnet " + std::to_string(id) +
                                                  " already belongs to relationship '" +
                                                  it->second + "'");
      }
      for (std::size_t k = 0; k < i; ++k) {
        const Relationship& b = out.relationships[k];
        bool tls_equal = a.tls.has_value() == b.tls.has_value() &&
                         (!a.tls || (a.tls->cert_file == b.tls->cert_file &&
                                     a.tls->key_file == b.tls->key_file &&
                                     a.tls->ca_file == b.tls->ca_file &&
                                     a.tls->peer_name == b.tls->peer_name));
        if (a.role == "secondary" && b.role == "secondary" && a.this_server == b.this_server &&
            a.peer.address == b.peer.address && !tls_equal)
          w.error(Walker::join(p, "tls"),
                  "must equal relationship '" + b.name +
                      "' (same this-server and partner address: one listener tells them "
                      "apart only after TLS)");
      }
    }
  }
}

/// Removes '#' comments (Kea accepts them) outside strings; nlohmann handles // and /* */.
std::string strip_hash_comments(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  bool escape = false;
  bool in_block = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_block) {
      out.push_back(c);
      if (c == '*' && i + 1 < text.size() && text[i + 1] == '/') {
        out.push_back('/');
        ++i;
        in_block = false;
      }
      continue;
    }
    if (in_string) {
      out.push_back(c);
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') in_block = true;
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
      out.push_back('\n');
      continue;
    }
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      out.push_back('\n');
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

bool Prefix::contains(const wire::Address& a) const { return mask(a, length) == address; }

std::string Prefix::to_string() const { return address.to_string() + "/" + std::to_string(length); }

std::string Endpoint::to_string() const {
  return "[" + address.to_string() + "]:" + std::to_string(port);
}

ParseResult parse_config(const std::string& text) {
  ParseResult r;
  Walker w;
  json root;
  try {
    root = json::parse(strip_hash_comments(text), nullptr, true, true);
  } catch (const json::parse_error& e) {
    // e.what() names the line and column ("syntax error while parsing ... at line 3, column 5").
    r.errors.push_back({"<json>", e.what()});
    return r;
  }
  if (w.object(root, "", {"Dhcp6", "Failover6"})) {
    if (!root.contains("Dhcp6")) w.error("Dhcp6", "missing");
    else parse_dhcp6(w, root["Dhcp6"], r.config.dhcp6);
    if (root.contains("Failover6"))
      parse_failover6(w, root["Failover6"], r.config.dhcp6, r.config.failover6);
  }
  r.errors = std::move(w.errors);
  return r;
}

ParseResult load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ParseResult r;
    r.errors.push_back({path, "cannot be read"});
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str());
}

}  // namespace failover6::config
