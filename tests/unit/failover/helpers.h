// Shared fixtures of the impl/failover unit tests: sample leases and a field-level lease diff.
#pragma once

#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>

#include "failover/state_machine.h"
#include "failover/types.h"
#include "lease/lease.h"
#include "wire/constants.h"

namespace failover6::wire {
/// Boost.Test's printing hook (found by ADL): status codes print by name.
inline std::ostream& boost_test_print_type(std::ostream& os, StatusCode c) {
  return os << status_name(static_cast<std::uint16_t>(c));
}
/// Endpoint states print by their RFC 8156 name.
inline std::ostream& boost_test_print_type(std::ostream& os, ServerState s) {
  return os << failover::to_string(s);
}
}  // namespace failover6::wire

namespace failover6::failover::testing {

/// A fixed "now" (2023-11-14T22:13:20Z): tests never read the clock.
inline constexpr std::int64_t NOW = 1'700'000'000;

/// @return the binding status's RFC name ("FREE-BACKUP"), for failure messages.
inline std::string name(wire::BindingStatus s) {
  return wire::binding_status_name(static_cast<std::uint8_t>(s));
}

/// Client A and client B of the tests.
inline wire::Duid duid_a() { return wire::Duid::ll(1, wire::Bytes{0, 1, 2, 3, 4, 5}); }
inline wire::Duid duid_b() { return wire::Duid::ll(1, wire::Bytes{0, 1, 2, 3, 4, 6}); }

/// @return the key of the sample address (Na/Ta) or prefix (Pd) of @p type.
inline lease::LeaseKey sample_key(lease::LeaseType type) {
  if (type == lease::LeaseType::Pd)
    return {type, wire::Address::from_string("2001:db8:100::"), 56};
  return {type, wire::Address::from_string("2001:db8::11"), 128};
}

/// @brief A lease of client A in @p state with every field set the way a server keeps it: state
/// times, lifetimes and T1/T2 when ACTIVE, a state-expiration time when the state has a timeout
/// (ACTIVE, EXPIRED, RELEASED, ABANDONED, RESET), and all RFC 8156 §7.3 times.
inline lease::Lease sample_lease(lease::LeaseType type, wire::BindingStatus state) {
  using wire::BindingStatus;
  lease::Lease l;
  l.key = sample_key(type);
  l.duid = duid_a();
  l.iaid = 7;
  l.state = state;
  l.start_time_of_state = NOW - 100;
  const bool free = state == BindingStatus::Free || state == BindingStatus::FreeBackup ||
                    state == BindingStatus::PendingFree;
  l.state_expiration_time = free ? 0 : NOW + 3600;
  if (state == BindingStatus::Active) {
    l.preferred = 1800;
    l.valid = 3600;
  }
  l.t1 = 900;
  l.t2 = 1440;
  l.cltt = NOW - 50;
  l.expiration_time = free ? 0 : NOW + 7000;
  l.partner_lifetime = free ? 0 : NOW + 7200;
  l.partner_raw_cltt = NOW - 60;
  l.hostname = "host.example.com.";
  return l;
}

/// @return "" when @p a == @p b, else one line per differing field ("cltt: 5 != 6").
inline std::string lease_diff(const lease::Lease& a, const lease::Lease& b) {
  std::ostringstream os;
  auto f = [&](const char* field, const auto& x, const auto& y) {
    if (!(x == y)) os << field << ": " << x << " != " << y << "\n";
  };
  f("key", a.key.to_string(), b.key.to_string());
  f("duid", a.duid.to_string(), b.duid.to_string());
  f("iaid", a.iaid, b.iaid);
  f("subnet_id", a.subnet_id, b.subnet_id);
  f("state", name(a.state), name(b.state));
  f("start_time_of_state", a.start_time_of_state, b.start_time_of_state);
  f("state_expiration_time", a.state_expiration_time, b.state_expiration_time);
  f("preferred", a.preferred, b.preferred);
  f("valid", a.valid, b.valid);
  f("t1", a.t1, b.t1);
  f("t2", a.t2, b.t2);
  f("cltt", a.cltt, b.cltt);
  f("expiration_time", a.expiration_time, b.expiration_time);
  f("acked_partner_lifetime", a.acked_partner_lifetime, b.acked_partner_lifetime);
  f("partner_lifetime", a.partner_lifetime, b.partner_lifetime);
  f("partner_raw_cltt", a.partner_raw_cltt, b.partner_raw_cltt);
  f("hostname", a.hostname, b.hostname);
  f("update_partner", a.update_partner, b.update_partner);
  std::string out = os.str();
  if (out.empty() && !(a == b)) out = "leases differ in a field lease_diff does not know\n";
  return out;
}

/// @brief Fails the current test, listing the differing fields, unless @p got == @p want.
#define FAILOVER6_CHECK_LEASE(got, want, what)                                          \
  do {                                                                                  \
    const std::string lease_diff_ = ::failover6::failover::testing::lease_diff(got, want); \
    BOOST_TEST(lease_diff_.empty(), what << ": got != want:\n" << lease_diff_);          \
  } while (false)

}  // namespace failover6::failover::testing
