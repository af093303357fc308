#include "failover/router.h"

namespace failover6::failover {

PolicyRouter::PolicyRouter(std::vector<Endpoint*> endpoints) : endpoints_(std::move(endpoints)) {}

Endpoint* PolicyRouter::endpoint_for(std::uint32_t subnet_id) const {
  auto it = cache_.find(subnet_id);
  if (it != cache_.end()) return it->second;
  Endpoint* found = nullptr;
  for (Endpoint* e : endpoints_)
    if (e->covers(subnet_id)) {
      found = e;
      break;
    }
  cache_[subnet_id] = found;
  return found;
}

bool PolicyRouter::may_answer(wire::MessageType type, bool ours, std::uint32_t subnet_id,
                              std::int64_t now) {
  if (subnet_id == 0) {
    // No subnet (INFORMATION-REQUEST from an unknown link): answered when any relationship
    // would answer its clients, or when there is none.
    for (Endpoint* e : endpoints_)
      if (e->may_answer(type, ours, subnet_id, now)) return true;
    return endpoints_.empty();
  }
  if (Endpoint* e = endpoint_for(subnet_id)) return e->may_answer(type, ours, subnet_id, now);
  return standalone_.may_answer(type, ours, subnet_id, now);
}

bool PolicyRouter::may_allocate(const lease::LeaseKey& key, const lease::Lease* existing,
                                std::uint32_t subnet_id, std::int64_t now) {
  if (Endpoint* e = endpoint_for(subnet_id)) return e->may_allocate(key, existing, subnet_id, now);
  return standalone_.may_allocate(key, existing, subnet_id, now);
}

bool PolicyRouter::partner_pool_open(std::uint32_t subnet_id, std::int64_t now) {
  Endpoint* e = endpoint_for(subnet_id);
  return e != nullptr && e->partner_pool_open(subnet_id, now);
}

bool PolicyRouter::may_allocate_from_partner(const lease::LeaseKey& key,
                                             const lease::Lease* existing,
                                             std::uint32_t subnet_id, std::int64_t now) {
  Endpoint* e = endpoint_for(subnet_id);
  return e != nullptr && e->may_allocate_from_partner(key, existing, subnet_id, now);
}

std::uint32_t PolicyRouter::allowed_valid(const lease::Lease& lease, std::uint32_t desired,
                                          std::int64_t now) {
  if (Endpoint* e = endpoint_for(lease.subnet_id)) return e->allowed_valid(lease, desired, now);
  return desired;
}

std::int64_t PolicyRouter::active_until(const lease::Lease& lease) {
  if (Endpoint* e = endpoint_for(lease.subnet_id)) return e->active_until(lease);
  return standalone_.active_until(lease);
}

std::int64_t PolicyRouter::free_at(const lease::Lease& lease) {
  if (Endpoint* e = endpoint_for(lease.subnet_id)) return e->free_at(lease);
  return standalone_.free_at(lease);
}

wire::BindingStatus PolicyRouter::free_state(const lease::Lease& lease) {
  if (Endpoint* e = endpoint_for(lease.subnet_id)) return e->free_state(lease);
  return standalone_.free_state(lease);
}

void PolicyRouter::on_lease_changed(lease::Lease& lease, std::int64_t now) {
  if (Endpoint* e = endpoint_for(lease.subnet_id)) e->on_lease_changed(lease, now);
}

}  // namespace failover6::failover
