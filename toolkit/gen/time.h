// failover6::gen time: protocol time as integer nanoseconds.
#pragma once

#include <cstdint>

namespace failover6::gen {

/// A point in protocol time, nanoseconds from an arbitrary origin chosen by the driver
/// (the virtual clock of a simulation, or scaled wall time in the UDP driver).
using Time = std::int64_t;
/// A span of protocol time in nanoseconds.
using Duration = std::int64_t;

/// Marks "no deadline": later than any real time.
inline constexpr Time NEVER = INT64_MAX;

/// @return @p s seconds as a Duration.
constexpr Duration seconds(std::int64_t s) { return s * 1'000'000'000; }
/// @return @p ms milliseconds as a Duration.
constexpr Duration millis(std::int64_t ms) { return ms * 1'000'000; }

}  // namespace failover6::gen
