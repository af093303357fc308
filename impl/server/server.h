// failover6::server::Server: RFC 8415 server message processing, sans-IO.
//
// The server core is a function of (datagram, lease store, policy, now): it never opens
// sockets, reads clocks or sleeps (STYLE.md rule 1). impl/io feeds it datagrams and the time,
// commits the lease store, then sends the replies.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "lease/lease_store.h"
#include "server/allocator.h"
#include "server/policy.h"
#include "wire/message.h"

namespace failover6::server {

/// One received UDP datagram and where it came from.
struct Datagram {
  wire::Address src;
  std::uint16_t sport = 0;
  wire::Address dst;       ///< ff02::1:2 for multicast from a direct client
  std::uint16_t dport = 0;
  std::string interface;   ///< receiving interface ("" for a loopback listen socket)
  wire::ByteView payload;
};

/// One datagram to send.
struct Outbound {
  wire::Address dst;
  std::uint16_t dport = 0;
  std::string interface;  ///< the interface it came in on (for link-local destinations)
  wire::Bytes payload;
};

/// Why a datagram got no answer (counted in Stats::dropped).
enum class DropReason : std::uint8_t {
  Malformed,         ///< failed to decode
  NotForServers,     ///< a message type servers do not accept (ADVERTISE, REPLY, ...)
  MissingClientId,   ///< no CLIENTID where RFC 8415 §16 requires one
  BadServerId,       ///< SERVERID absent where required, present where forbidden, or not ours
  NoSubnet,          ///< no subnet6 matches the client's link
  NotResponsive,     ///< the failover policy says this server must not answer (RFC 8156 §8)
  NothingToConfirm,  ///< CONFIRM without addresses (RFC 8415 §18.3.3: no reply)
  Count_,
};
/// @return "malformed", "not-for-servers", ...
const char* to_string(DropReason r);

/// Counters the control API and the metrics endpoint report.
struct Stats {
  std::uint64_t received = 0;
  std::map<std::string, std::uint64_t> received_by_type;  ///< innermost message type name
  std::map<std::string, std::uint64_t> sent_by_type;
  std::uint64_t dropped[static_cast<int>(DropReason::Count_)] = {};
  std::uint64_t leases_granted = 0;  ///< new bindings
  std::uint64_t leases_renewed = 0;  ///< existing bindings extended
  std::uint64_t leases_released = 0;
  std::uint64_t leases_declined = 0;
  std::uint64_t leases_expired = 0;
  std::uint64_t no_addrs_avail = 0;
  std::uint64_t no_prefix_avail = 0;
};

/// What handle() produced.
struct Result {
  std::optional<Outbound> reply;
  /// True when the reply grants, extends or releases leases: the caller must commit() the
  /// store before sending it (DESIGN.md "Stable storage").
  bool needs_commit = false;
  std::optional<DropReason> dropped;
};

/// The DHCPv6 server of one failover6d process.
class Server {
 public:
  /// @param config validated configuration (kept by reference; must outlive the Server)
  /// @param server_duid this server's DUID (SERVERID)
  /// @param store the binding database
  /// @param policy failover decisions; nullptr means a standalone server (StandalonePolicy)
  Server(const config::Config& config, wire::Duid server_duid, lease::LeaseStore& store,
         Policy* policy = nullptr);

  /// @brief Processes one datagram received at @p now (Unix seconds).
  Result handle(const Datagram& d, std::int64_t now);

  /// @brief Moves ACTIVE leases whose valid lifetime ended, and ABANDONED/RELEASED/EXPIRED
  /// leases whose hold ended, to their next binding status. @return leases changed (the
  /// caller commits).
  std::size_t expire(std::int64_t now);

  /// @return the earliest time at which expire() has work, if any.
  std::optional<std::int64_t> next_deadline() const;

  /// @brief Schedules the expiry work of @p l, a lease stored by someone else (the failover
  /// endpoint applying a partner's update, or freeing a lease on its acknowledgement).
  void notice(const lease::Lease& l);

  const Stats& stats() const { return stats_; }
  const wire::Duid& duid() const { return duid_; }

 private:
  struct Context;
  struct Binding;
  void process(Context& ctx);
  bool confirm(Context& ctx);
  void release_or_decline(Context& ctx);
  void add_config_options(Context& ctx);
  void bind_addresses(Context& ctx, lease::LeaseType type, std::uint32_t iaid,
                      const wire::Options& ia_opts, std::vector<Binding>& out,
                      std::optional<wire::StatusCodeOption>& st);
  void bind_prefixes(Context& ctx, std::uint32_t iaid, const wire::Options& ia_opts,
                     std::vector<Binding>& out, std::optional<wire::StatusCodeOption>& st);
  bool bind(Context& ctx, const lease::LeaseKey& key, std::uint32_t iaid,
            std::uint32_t hint_preferred, std::uint32_t hint_valid, std::vector<Binding>& out);
  void put(Context& ctx, lease::Lease l);
  void schedule(const lease::Lease& l);
  std::int64_t deadline_of(const lease::Lease& l) const;
  const config::Subnet* select_subnet(const wire::Message& outer, const Datagram& d) const;

  const config::Config& config_;
  wire::Duid duid_;
  lease::LeaseStore& store_;
  std::unique_ptr<Policy> own_policy_;
  Policy* policy_;
  Allocator allocator_;
  Stats stats_;
  std::set<std::pair<std::int64_t, lease::LeaseKey>> deadlines_;  ///< (state end, lease)
};

}  // namespace failover6::server
