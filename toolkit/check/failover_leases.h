// failover6::check::failover_leases: the leases inside an RFC 8156 BNDUPD or BNDREPLY.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "check/types.h"
#include "wire/failover_message.h"

namespace failover6::check {

/// One IAADDR or IAPREFIX of a BNDUPD / BNDREPLY.
struct FailoverLease {
  Resource resource;
  const wire::Options* options = nullptr;  ///< the IAADDR's / IAPREFIX's own options
  std::uint16_t status = 0;  ///< first non-zero STATUS_CODE from the message down to the lease
  std::optional<IaType> ia;  ///< the IA it sits in (none for the prefix form)
  std::uint32_t iaid = 0;
};

/// The leases of a binding update or reply, and its form.
struct FailoverLeases {
  bool client_form = false;   ///< one CLIENT_DATA (else: a top-level IAPREFIX, or neither)
  int client_data = 0;        ///< CLIENT_DATA options at top level
  int top_prefixes = 0;       ///< IAPREFIX options at top level
  const wire::Duid* client = nullptr;    ///< CLIENTID inside CLIENT_DATA
  const wire::Options* container = nullptr;  ///< CLIENT_DATA's options (client form)
  std::vector<FailoverLease> leases;
};

/// @brief Collects the leases of @p m (any failover message; only BNDUPD/BNDREPLY have any).
FailoverLeases failover_leases(const wire::FailoverMessage& m);

/// @return the value of the UintOption T among @p opts, if present.
template <class T>
std::optional<decltype(T::value)> option_value(const wire::Options& opts) {
  if (auto* o = wire::find_option<T>(opts)) return o->value;
  return std::nullopt;
}

/// @return a failover absolute time (seconds since 2000, mod 2^32) as Unix nanoseconds,
///        taking the wrap nearest to @p near_ns.
std::int64_t failover_time_ns(std::uint32_t t, std::int64_t near_ns);

}  // namespace failover6::check
