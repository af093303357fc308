// no-duplicate-assignment: no address, and no overlapping prefix, is valid for two different
// clients (DUID + IA type + IAID) at overlapping times, across both servers (DESIGN.md,
// PROTOCOL.md testable invariant 12).
#pragma once

#include <map>
#include <unordered_map>
#include <vector>

#include "check/checker.h"

namespace failover6::check {

/// Keeps, per address or prefix, the clients whose lease on it is valid (REPLY time to REPLY
/// time + valid lifetime, ended early by a release, a decline or a zero lifetime), and reports
/// a violation when a REPLY grants a resource that overlaps another client's valid lease.
///
/// Every IAADDR / IAPREFIX with a non-zero valid lifetime in a REPLY counts as one check.
/// Each overlapping pair is reported once per grant that proves it, not at every renewal of
/// the same pair. Memory: one entry per live lease; expired ones are dropped on on_tick().
class NoDuplicateAssignment : public Checker {
 public:
  /// @brief A checker reporting to @p sink.
  explicit NoDuplicateAssignment(ViolationSink sink);

  void on_reply(const ServerReply& r) override;
  void on_lease_end(const LeaseEnd& e) override;
  void on_tick(std::int64_t now_ns) override;

  /// @return live leases tracked (for tests of the memory bound).
  std::size_t live() const { return addresses_.size() + prefixes_.size(); }

 private:
  /// One client's validity window on a resource.
  struct Holder {
    ClientKey client;
    Resource resource;
    ServerIx server = NO_SERVER;
    std::int64_t start_ns = 0;
    std::int64_t end_ns = 0;
    FrameRef ref;                 ///< the REPLY that granted or last extended it
    std::uint64_t reported = 0;   ///< generation of the last pair reported against it
  };
  using Holders = std::vector<Holder>;

  void grant(const ServerReply& r, const ClientKey& c, const Lease& l);
  void conflicts(const ServerReply& r, const ClientKey& c, const Lease& l, Holders& hs);
  void end(const ClientKey& c, const Resource& res);
  static void prune(Holders& hs, std::int64_t now_ns);

  std::unordered_map<wire::Address, Holders, wire::AddressHash> addresses_;  ///< /128
  std::map<Resource, Holders> prefixes_;  ///< shorter than /128, ordered by start address
  std::vector<std::uint8_t> prefix_lengths_;  ///< distinct prefix lengths in prefixes_
};

}  // namespace failover6::check
