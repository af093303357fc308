// failover6::failover::PolicyRouter: the server core's Policy in a process with several
// relationships (m-to-1, RFC 8156 §4.4 of RFC 7031): each subnet belongs to at most one
// relationship, whose Endpoint decides for it; subnets outside every relationship are served
// standalone.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "failover/endpoint.h"
#include "server/policy.h"

namespace failover6::failover {

/// Dispatches every Policy question to the endpoint that covers the subnet in question.
class PolicyRouter final : public server::Policy {
 public:
  /// @param endpoints the process's relationships (not owned; must outlive the router)
  explicit PolicyRouter(std::vector<Endpoint*> endpoints);

  /// @return the endpoint covering @p subnet_id, or nullptr (standalone subnet).
  Endpoint* endpoint_for(std::uint32_t subnet_id) const;

  bool may_answer(wire::MessageType type, bool ours, std::uint32_t subnet_id,
                  std::int64_t now) override;
  bool may_allocate(const lease::LeaseKey& key, const lease::Lease* existing,
                    std::uint32_t subnet_id, std::int64_t now) override;
  bool partner_pool_open(std::uint32_t subnet_id, std::int64_t now) override;
  bool may_allocate_from_partner(const lease::LeaseKey& key, const lease::Lease* existing,
                                 std::uint32_t subnet_id, std::int64_t now) override;
  std::uint32_t allowed_valid(const lease::Lease& lease, std::uint32_t desired,
                              std::int64_t now) override;
  std::int64_t active_until(const lease::Lease& lease) override;
  std::int64_t free_at(const lease::Lease& lease) override;
  wire::BindingStatus free_state(const lease::Lease& lease) override;
  void on_lease_changed(lease::Lease& lease, std::int64_t now) override;

 private:
  std::vector<Endpoint*> endpoints_;
  mutable std::map<std::uint32_t, Endpoint*> cache_;
  server::StandalonePolicy standalone_;
};

}  // namespace failover6::failover
