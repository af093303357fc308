// failover6::failover: shared vocabulary of the RFC 8156 endpoint (roles, constants, times).
#pragma once

#include <cstdint>

#include "wire/constants.h"

namespace failover6::failover {

/// A server's role in one relationship (RFC 8156 §6).
enum class Role : std::uint8_t { Primary, Secondary };

/// @return "primary" or "secondary".
constexpr const char* to_string(Role r) { return r == Role::Primary ? "primary" : "secondary"; }

/// Clocks must agree within this many seconds; times within it compare equal (RFC 8156 §7.1,
/// §7.5.1).
inline constexpr std::int64_t MAX_SKEW = 5;

/// The protocol version we speak: 1.0, sent as major(2) minor(2) (RFC 8156 §5.4.3).
inline constexpr std::uint16_t PROTOCOL_MAJOR = 1;
inline constexpr std::uint16_t PROTOCOL_MINOR = 0;

/// RFC 8156 §1: failover must not be used for new leases shorter than this.
inline constexpr std::uint32_t MIN_NEW_LEASE = 30;

/// @return true when @p a is later than @p b by more than the skew tolerance (§7.5.1: times
/// within ±5 s are equal).
constexpr bool later_than(std::int64_t a, std::int64_t b) { return a > b + MAX_SKEW; }

/// @brief A Unix time as an RFC 8156 §3 absolute time (seconds since 2000-01-01 UTC), with 0
/// (and anything not after 2000-01-01) mapping to 0, so that "unset" survives the wire.
constexpr std::uint32_t to_abs_time(std::int64_t unix_seconds) {
  return unix_seconds <= wire::FAILOVER_EPOCH_UNIX
             ? 0U
             : static_cast<std::uint32_t>(unix_seconds - wire::FAILOVER_EPOCH_UNIX);
}

/// @brief The inverse of to_abs_time(): an RFC 8156 absolute time as Unix seconds, 0 for 0.
/// Times are read without wrap-around (valid until 2136).
constexpr std::int64_t from_abs_time(std::uint32_t t) {
  return t == 0 ? 0 : wire::FAILOVER_EPOCH_UNIX + static_cast<std::int64_t>(t);
}

}  // namespace failover6::failover
