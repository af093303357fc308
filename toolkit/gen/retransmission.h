// failover6::gen retransmission: the RFC 8415 §15 algorithm and the §7.6 constants.
#pragma once

#include <cstdint>
#include <string_view>

#include "gen/rng.h"
#include "gen/time.h"

namespace failover6::gen {

/// The retransmission parameters of one message type (RFC 8415 §15): initial timeout,
/// maximum timeout, maximum count and maximum duration. Zero MRT, MRC or MRD means "no limit".
struct RetransmissionParams {
  Duration irt = 0;          ///< initial retransmission time
  Duration mrt = 0;          ///< maximum retransmission time (0: none)
  std::uint32_t mrc = 0;     ///< maximum transmissions, the first included (0: none)
  Duration mrd = 0;          ///< maximum duration from the first transmission (0: none)
  Duration max_delay = 0;    ///< random delay before the first transmission (SOL_MAX_DELAY...)
  bool first_rand_positive = false;  ///< Solicit: the first RAND is strictly positive (§18.2.1)
};

/// RFC 8415 §7.6 constants, one set per client message type (PROTOCOL.md §12). Renew and
/// Rebind have no fixed MRD: it is "until T2" and "until the valid lifetimes end", which the
/// client sets per transaction.
namespace rfc8415 {
inline constexpr RetransmissionParams SOLICIT{seconds(1), seconds(3600), 0, 0, seconds(1), true};
inline constexpr RetransmissionParams REQUEST{seconds(1), seconds(30), 10, 0, 0, false};
inline constexpr RetransmissionParams CONFIRM{seconds(1), seconds(4), 0, seconds(10), seconds(1),
                                              false};
inline constexpr RetransmissionParams RENEW{seconds(10), seconds(600), 0, 0, 0, false};
inline constexpr RetransmissionParams REBIND{seconds(10), seconds(600), 0, 0, 0, false};
inline constexpr RetransmissionParams INFORMATION_REQUEST{seconds(1), seconds(3600), 0, 0,
                                                          seconds(1), false};
inline constexpr RetransmissionParams RELEASE{seconds(1), 0, 4, 0, 0, false};
inline constexpr RetransmissionParams DECLINE{seconds(1), 0, 4, 0, 0, false};
/// IRT_DEFAULT and IRT_MINIMUM (§21.23): the information refresh time default and floor.
inline constexpr Duration IRT_DEFAULT = seconds(86400);
inline constexpr Duration IRT_MINIMUM = seconds(600);
}  // namespace rfc8415

/// @brief The first retransmission timeout: RT = IRT + RAND*IRT with RAND uniform in
///        [-0.1, +0.1] (in (0, +0.1] when params.first_rand_positive).
Duration first_timeout(const RetransmissionParams& params, Rng& rng);

/// @brief The next timeout after @p previous: RT = 2*RTprev + RAND*RTprev, and when that
///        exceeds a non-zero MRT, RT = MRT + RAND*MRT (RFC 8415 §15).
Duration next_timeout(const RetransmissionParams& params, Duration previous, Rng& rng);

/// @brief The random delay before a first transmission: uniform in [0, params.max_delay].
Duration initial_delay(const RetransmissionParams& params, Rng& rng);

}  // namespace failover6::gen
