#include "gen/retransmission.h"

#include <cmath>

namespace failover6::gen {

namespace {
Duration scale(Duration d, double f) { return static_cast<Duration>(std::llround(static_cast<double>(d) * f)); }
}  // namespace

Duration first_timeout(const RetransmissionParams& params, Rng& rng) {
  double rand = params.first_rand_positive ? 0.1 * (1.0 - rng.uniform())  // (0, 0.1]
                                           : rng.uniform(-0.1, 0.1);
  return params.irt + scale(params.irt, rand);
}

Duration next_timeout(const RetransmissionParams& params, Duration previous, Rng& rng) {
  Duration rt = 2 * previous + scale(previous, rng.uniform(-0.1, 0.1));
  if (params.mrt > 0 && rt > params.mrt) rt = params.mrt + scale(params.mrt, rng.uniform(-0.1, 0.1));
  return rt;
}

Duration initial_delay(const RetransmissionParams& params, Rng& rng) {
  if (params.max_delay <= 0) return 0;
  return static_cast<Duration>(rng.uniform() * static_cast<double>(params.max_delay));
}

}  // namespace failover6::gen
