// failover6::wire one-line descriptions of messages, for `failover6 decode`, logs and test
// failure messages.
#pragma once

#include <string>

#include "wire/failover_message.h"
#include "wire/message.h"

namespace failover6::wire {

/// @brief One line describing a DHCPv6 message: type, xid, client DUID, each IA with its
/// addresses or prefixes and lifetimes, status codes, and the relay hops around it.
///
/// Example: `REQUEST xid=0xabcdef client=00:01:.. IA_NA(iaid=1 t1=0 t2=0
/// [2001:db8::1 pref=0 valid=0]) relay hops=2 [link=2001:db8:1::1 link=2001:db8:2::1]`.
std::string describe(const Message& m);

/// @brief One line describing a failover message: type, xid, sent-time and the options that
/// matter for the type (state and flags for STATE, MCLT and version for CONNECT, the leases
/// and their binding status for BNDUPD/BNDREPLY, status codes).
std::string describe(const FailoverMessage& m);

/// @brief "2001:db8::1 pref=3600 valid=7200" for an IAADDR, "2001:db8::/56 pref=.. valid=.."
/// for an IAPREFIX, each followed by RFC 8156 lease details when present.
std::string describe_lease(const Option& o);

}  // namespace failover6::wire
