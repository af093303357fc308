// failover6::io lease reporting: leases as JSON for the control API, and lease counts by type
// and binding state for the status, statistics and metrics.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "lease/lease.h"
#include "lease/lease_store.h"

namespace failover6::io {

/// @brief The JSON form of @p l, with Kea's lease6 names where Kea has the field:
/// "type" ("IA_NA", "IA_TA", "IA_PD"), "ip-address" (the address, or the prefix of an IA_PD),
/// "prefix-len", "duid" (colon hex), "iaid", "subnet-id", "state" (RFC 8156 binding status:
/// "ACTIVE", "EXPIRED", ...), "preferred-lft", "valid-lft", "t1", "t2", "cltt",
/// "start-time-of-state", "expire" (end of the state, Unix seconds), "hostname", and the RFC
/// 8156 §7.3 times "expiration-time", "acked-partner-lifetime", "partner-lifetime",
/// "partner-raw-cltt".
nlohmann::json lease_to_json(const lease::Lease& l);

/// Leases per (type, binding status).
using LeaseCounts = std::map<std::pair<lease::LeaseType, wire::BindingStatus>, std::uint64_t>;

/// @brief Counts the leases of @p store by type and binding status (one pass over the store).
/// @param subnet_id when given, only leases of that subnet.
LeaseCounts count_leases(const lease::LeaseStore& store,
                         std::optional<std::uint32_t> subnet_id = std::nullopt);

/// @brief Parses "2001:db8::/56" (or a bare address, taken as /128).
/// @return the address and length, or nullopt when @p text is neither.
std::optional<std::pair<wire::Address, std::uint8_t>> parse_prefix(std::string_view text);

/// @return true when @p inner/@p inner_len lies within @p outer/@p outer_len.
bool prefix_contains(const wire::Address& outer, std::uint8_t outer_len,
                     const wire::Address& inner, std::uint8_t inner_len);

}  // namespace failover6::io
