// failover6::gen::Rng: the generator's seeded pseudo-random source (xoshiro256**).
#pragma once

#include <cstdint>

namespace failover6::gen {

/// A small, fast, seeded pseudo-random generator (xoshiro256** seeded through SplitMix64).
///
/// Every random choice of the generator (retransmission jitter, start delays, DUIDs, IAIDs,
/// transaction ids) comes from one Rng, so a run with the same seed, the same configuration
/// and the same sequence of received messages and `now` values makes the same choices. Not
/// cryptographic. Copyable (a copy continues the same sequence independently).
class Rng {
 public:
  /// @brief Seeds the generator; any 64-bit value is a valid seed (0 included).
  explicit Rng(std::uint64_t seed = 0) {
    std::uint64_t z = seed;
    for (auto& s : s_) s = splitmix(z);
  }

  /// @return the next 64 uniformly distributed bits.
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// @return a double uniformly distributed in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// @return a double uniformly distributed in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  /// @return an integer uniformly distributed in [0, n) (n > 0; tiny modulo bias accepted).
  std::uint64_t below(std::uint64_t n) { return next() % n; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix(std::uint64_t& z) {
    z += 0x9e3779b97f4a7c15ULL;
    std::uint64_t r = z;
    r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ULL;
    r = (r ^ (r >> 27)) * 0x94d049bb133111ebULL;
    return r ^ (r >> 31);
  }
  std::uint64_t s_[4];
};

}  // namespace failover6::gen
