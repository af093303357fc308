// failover6::io::ReconnectBackoff: when the primary tries to reach its partner again (RFC 8156
// §6.1: it MUST keep trying, SHOULD back off after a rejection; the period is left to the
// implementation, PROTOCOL.md A10). A pure policy with no clock and no I/O (STYLE.md rule 3).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace failover6::io {

/// ReconnectBackoff's parameters.
struct ReconnectBackoffParams {
  std::chrono::milliseconds initial{1000};  ///< the first delay, and the one after a stable connection
  std::chrono::milliseconds max{30000};     ///< the longest delay, and the one after a rejection
  std::chrono::milliseconds stable{30000};  ///< a connection up this long resets the schedule
  /// The delay after a rejection; 0: Params::max.
  std::chrono::milliseconds rejected{0};
};

/// The primary's reconnect schedule: exponential back-off between failed attempts, reset by a
/// connection that stayed up long enough.
///
/// - A failed attempt (connect error, timeout, the connection lost during set-up) waits the
///   current delay, which then doubles, up to Params::max: 1 s, 2 s, 4 s, ... 30 s, 30 s, ...
/// - A rejection (the partner refused TLS, the TLS handshake failed, or the failover layer
///   rejected the session: CONNECTREPLY with a status code, DISCONNECT) waits Params::rejected
///   (Params::max when 0) and leaves the schedule at its maximum: retrying a refused partner
///   quickly only fills logs.
/// - A connection that was up for at least Params::stable and then went down resets the
///   schedule first, so the next attempt waits Params::initial. One that went down sooner
///   counts as a failed attempt (a partner that accepts and drops at once is backed off).
///
/// The caller feeds the outcome of each attempt and gets back the delay to wait; it owns the
/// timer. Not thread-safe (plain value).
class ReconnectBackoff {
 public:
  using Duration = std::chrono::milliseconds;

  /// The schedule's parameters.
  using Params = ReconnectBackoffParams;

  /// @param p the schedule; initial is raised to at least 1 ms and max to at least initial.
  explicit ReconnectBackoff(Params p = {}) : p_(p) {
    p_.initial = std::max(p_.initial, Duration{1});
    p_.max = std::max(p_.max, p_.initial);
    next_ = p_.initial;
  }

  /// @brief An attempt failed before the connection was up.
  /// @return how long to wait before the next attempt.
  Duration after_failure() {
    Duration d = next_;
    next_ = std::min(next_ * 2, p_.max);
    ++failures_;
    return d;
  }

  /// @brief The partner (or our failover layer) rejected the session.
  /// @return how long to wait before the next attempt: Params::rejected (or max).
  Duration after_rejection() {
    next_ = p_.max;
    ++failures_;
    return p_.rejected > Duration{0} ? p_.rejected : p_.max;
  }

  /// @brief A connection that was up for @p up_for went down.
  /// @return how long to wait before the next attempt.
  Duration after_disconnect(Duration up_for) {
    if (up_for >= p_.stable) reset();
    return after_failure();
  }

  /// @brief Forgets past failures: the next delay is Params::initial.
  void reset() {
    next_ = p_.initial;
    failures_ = 0;
  }

  /// @return the delay the next failure will be given.
  Duration next_delay() const { return next_; }
  /// @return failures (and rejections) since the last reset.
  std::uint64_t failures() const { return failures_; }
  /// @return the parameters in use.
  const Params& params() const { return p_; }

 private:
  Params p_;
  Duration next_{};
  std::uint64_t failures_ = 0;
};

}  // namespace failover6::io
