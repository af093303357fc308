// lease-stability: a client that renews or rebinds before its lease expires keeps the same
// addresses and prefixes, whichever server answers (DESIGN.md).
#pragma once

#include "check/checker.h"

namespace failover6::check {

/// Checks every IA of a REPLY to a RENEW or REBIND for which the client still held live
/// leases (valid at the time it sent the request). A violation is reported when the REPLY
///  - grants an address or prefix the client did not hold while it held others
///    ("lease changed on renew"),
///  - withdraws a held lease with a zero valid lifetime, or
///  - answers the IA with NoBinding (3) although the client's lease was still valid.
/// Leases a REPLY leaves out are unchanged for the client (RFC 8415 §18.2.10.1) and are not
/// violations. One IA counts as one check. Stateless: the timeline supplies the held leases.
class LeaseStability : public Checker {
 public:
  /// @brief A checker reporting to @p sink.
  explicit LeaseStability(ViolationSink sink);
  void on_reply(const ServerReply& r) override;
};

}  // namespace failover6::check
