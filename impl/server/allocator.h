// failover6::server::Allocator: picks free addresses from pools and free prefixes from
// pd-pools, honouring client hints when they are free (RFC 8415 §18.3.2).
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "config/config.h"
#include "lease/lease_store.h"
#include "server/policy.h"

namespace failover6::server {

/// Iterative allocation with one cursor per pool: each search starts where the last one
/// stopped, so a pool filling up sequentially costs O(1) per lease. The Policy vetoes
/// candidates (the other partner's half, leases still held or not yet reusable).
class Allocator {
 public:
  /// Candidates examined per request before giving up (a nearly full huge pool).
  static constexpr std::uint64_t MAX_PROBES = 1U << 16;

  /// @brief A free address for a new lease in @p subnet, @p hint first when it is in a pool
  /// and free. @return nullopt when none was found (NoAddrsAvail).
  std::optional<lease::LeaseKey> address(const config::Subnet& subnet, lease::LeaseType type,
                                         const std::optional<wire::Address>& hint,
                                         const lease::LeaseStore& store, Policy& policy,
                                         std::int64_t now);

  /// @brief A free delegated prefix in @p subnet's pd-pools, @p hint first when it is one of
  /// the pool's prefixes and free: from this server's own pool, and once that is exhausted
  /// from the partner's where the policy opens it (RFC 8156 §4.2.2, PARTNER-DOWN).
  /// @return nullopt when none was found (NoPrefixAvail).
  std::optional<lease::LeaseKey> prefix(const config::Subnet& subnet,
                                        const std::optional<lease::LeaseKey>& hint,
                                        const lease::LeaseStore& store, Policy& policy,
                                        std::int64_t now);

  /// @return the number of delegable prefixes in @p pool (capped at 2^63).
  static std::uint64_t pd_pool_size(const config::PdPool& pool);
  /// @return the @p i-th delegable prefix of @p pool (i < pd_pool_size(pool)).
  static wire::Address pd_prefix(const config::PdPool& pool, std::uint64_t i);

  /// @return true when @p a lies in one of @p subnet's address pools.
  static bool in_pools(const config::Subnet& subnet, const wire::Address& a);
  /// @return true when @p prefix/@p length is a delegable prefix of one of @p subnet's pd-pools.
  static bool in_pd_pools(const config::Subnet& subnet, const wire::Address& prefix,
                          std::uint8_t length);

 private:
  /// One pass over the pd-pools (hint first) for a prefix @p allowed accepts (a callable
  /// taking the LeaseKey; a template, as it runs once per candidate; defined in the .cc).
  template <class Allowed>
  std::optional<lease::LeaseKey> scan_prefixes(const config::Subnet& subnet,
                                               const std::optional<lease::LeaseKey>& hint,
                                               const Allowed& allowed);

  std::map<std::pair<std::uint32_t, std::size_t>, std::uint64_t> cursors_;
};

}  // namespace failover6::server
