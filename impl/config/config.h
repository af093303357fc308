// failover6::config: the failover6d configuration (DESIGN.md "Configuration").
//
// One JSON file, comments allowed as in Kea (`//`, `/* */` and `#`). Its "Dhcp6" member follows
// ISC Kea 2.2's DHCPv6 schema, with Kea's names and meanings, for everything both servers have;
// a Kea key failover6d does not support is an error naming it, never silently ignored. The
// "Failover6" member holds what Kea lacks: listening sockets on any address and port, the RFC
// 8156 failover relationships, metrics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wire/address.h"
#include "wire/duid.h"
#include "wire/options.h"

namespace failover6::config {

/// An IPv6 prefix: address and length (host bits zero after validation).
struct Prefix {
  wire::Address address;
  std::uint8_t length = 0;
  /// @return true when @p a lies inside this prefix.
  bool contains(const wire::Address& a) const;
  /// @return "2001:db8::/64".
  std::string to_string() const;
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

/// Lifetimes and renewal timers in seconds (Kea's global or per-subnet values).
struct Timers {
  std::uint32_t renew = 0;       ///< "renew-timer" (T1); 0 = computed from t1-percent
  std::uint32_t rebind = 0;      ///< "rebind-timer" (T2); 0 = computed from t2-percent
  std::uint32_t preferred = 3600;  ///< "preferred-lifetime"
  std::uint32_t valid = 7200;      ///< "valid-lifetime"
  std::uint32_t min_preferred = 0;  ///< "min-preferred-lifetime" (0 = preferred)
  std::uint32_t max_preferred = 0;  ///< "max-preferred-lifetime" (0 = preferred)
  std::uint32_t min_valid = 0;      ///< "min-valid-lifetime" (0 = valid)
  std::uint32_t max_valid = 0;      ///< "max-valid-lifetime" (0 = valid)
  bool calculate_tee_times = true;  ///< "calculate-tee-times" (Kea's v6 default is true)
  double t1_percent = 0.5;          ///< "t1-percent"
  double t2_percent = 0.8;          ///< "t2-percent"
};

/// An address pool: "pool": "A - B" or "pool": "prefix/len".
struct Pool {
  wire::Address first;
  wire::Address last;
};

/// A prefix delegation pool ("pd-pools"): delegated-len prefixes carved from prefix/prefix-len.
struct PdPool {
  Prefix prefix;
  std::uint8_t delegated_length = 0;
};

/// A host reservation by DUID ("reservations").
struct Reservation {
  wire::Duid duid;
  std::vector<wire::Address> addresses;  ///< "ip-addresses"
  std::vector<Prefix> prefixes;          ///< "prefixes"
  std::string hostname;                  ///< "hostname"
};

/// One "subnet6" entry.
struct Subnet {
  std::uint32_t id = 0;
  Prefix subnet;
  std::string interface;                    ///< "interface": direct clients on this link
  wire::Bytes interface_id;                 ///< "interface-id": relayed clients by INTERFACE_ID
  std::vector<wire::Address> relay_addresses;  ///< "relay": {"ip-addresses": [...]}
  std::vector<Pool> pools;
  std::vector<PdPool> pd_pools;
  std::vector<Reservation> reservations;
  Timers timers;              ///< the global timers with this subnet's overrides applied
  wire::Options options;      ///< "option-data" (global options merged in, subnet wins)
  bool rapid_commit = false;  ///< "rapid-commit"
  std::uint8_t preference = 0;  ///< option-data "preference" (PREFERENCE option value)
};

/// Server DUID settings ("server-id").
struct ServerId {
  std::string type = "LLT";  ///< "LLT", "EN" or "LL"
  wire::Bytes identifier;    ///< link-layer address or EN identifier; empty = generated
  std::uint32_t enterprise_id = 0;
  std::uint16_t htype = 1;
  std::uint32_t time = 0;    ///< LLT time; 0 = now at first start
  bool persist = true;       ///< keep the generated DUID in data-directory
};

/// "lease-database" (memfile only).
struct LeaseDatabase {
  std::string type = "memfile";
  bool persist = true;
  std::string name;                 ///< journal path; default <data-directory>/leases6.journal
  std::uint32_t lfc_interval = 3600;  ///< compaction period in seconds ("lfc-interval")
};

/// "control-socket": the JSON control API on a unix socket.
struct ControlSocket {
  std::string type = "unix";
  std::string name;  ///< socket path; empty = no control socket
};

/// One "loggers" entry.
struct Logger {
  std::string name = "failover6d";
  std::string output = "stdout";  ///< "stdout", "stderr", "syslog" or a file path
  std::string severity = "INFO";  ///< FATAL ERROR WARN INFO DEBUG
  int debuglevel = 0;
};

/// Host and port of a socket ("[::1]:547", "::1" with the default port).
struct Endpoint {
  wire::Address address;
  std::uint16_t port = 0;
  std::string to_string() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

/// TLS settings of a failover relationship (RFC 8156 §10, RFC 7653 §9).
struct Tls {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  std::string peer_name;  ///< the partner certificate's expected identity
};

/// One RFC 8156 failover relationship ("Failover6"."relationships").
struct Relationship {
  std::string name;
  std::string role;  ///< "primary" or "secondary"
  Endpoint this_server;  ///< where this server's failover endpoint listens / connects from
  Endpoint peer;         ///< the partner's failover endpoint
  std::uint32_t mclt = 3600;
  std::uint32_t keepalive = 60;        ///< FO_KEEPALIVE_TIME
  std::uint32_t max_unacked = 256;     ///< OPTION_F_MAX_UNACKED_BNDUPD we announce
  std::uint32_t auto_partner_down = 0;  ///< seconds in COMM-INT before PARTNER-DOWN; 0 = off
  std::uint32_t startup_time = 5;      ///< STARTUP timer (A10)
  /// Proportional allocation (RFC 8156 §4.2.2, "the ratio is configuration only"): the percent
  /// of each pd-pool's delegable prefixes the primary gives the secondary, and a cap per pool.
  std::uint32_t prefix_share = 50;
  std::uint32_t prefix_share_max = 256;
  /// RFC 8156 §4.2.2 lets a server in PARTNER-DOWN delegate its partner's free prefixes once
  /// its own ran out and MCLT has passed. Off by default (decision A13 in docs/failover.md):
  /// a partner that restarts with its storage and cannot reach us within its startup time
  /// serves its own pool from COMMUNICATIONS-INTERRUPTED and may delegate the same prefix.
  bool use_partner_prefixes = false;
  std::vector<std::uint32_t> subnets;  ///< subnet ids covered
  std::optional<Tls> tls;              ///< absent only with insecure = true
  bool insecure = false;               ///< explicit insecure mode (RFC 7653 §9.1)
};

/// The "Dhcp6" member.
struct Dhcp6 {
  Timers timers;
  std::vector<Subnet> subnets;
  wire::Options options;  ///< global "option-data"
  ServerId server_id;
  std::vector<std::string> interfaces;  ///< "interfaces-config"."interfaces"
  LeaseDatabase lease_database;
  std::string data_directory = "var";
  ControlSocket control_socket;
  std::vector<Logger> loggers;
  std::uint32_t decline_probation_period = 86400;
};

/// The "Failover6" member.
struct Failover6 {
  std::vector<Endpoint> listen;  ///< UDP sockets for DHCPv6 (default port 547)
  std::vector<Relationship> relationships;
  std::optional<Endpoint> metrics;  ///< Prometheus text endpoint (HTTP), loopback only
};

/// A whole configuration file.
struct Config {
  Dhcp6 dhcp6;
  Failover6 failover6;
};

/// One problem in a configuration: the JSON path ("Dhcp6.subnet6[0].pools[1].pool") and why.
struct ConfigError {
  std::string path;
  std::string message;
  /// @return "path: message".
  std::string to_string() const { return path + ": " + message; }
};

/// The outcome of parsing: a Config when `errors` is empty.
struct ParseResult {
  Config config;
  std::vector<ConfigError> errors;
  bool ok() const { return errors.empty(); }
};

/// @brief Parses and validates configuration text.
///
/// Collects every error rather than stopping at the first; each names the JSON path of the
/// offending value. JSON syntax errors report line and column.
ParseResult parse_config(const std::string& text);

/// @brief Reads and parses a configuration file. A file that cannot be read is one error with
/// path "<file>".
ParseResult load_config(const std::string& path);

}  // namespace failover6::config
