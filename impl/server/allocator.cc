#include "server/allocator.h"

#include <algorithm>

namespace failover6::server {

namespace {

__extension__ typedef unsigned __int128 u128;

u128 to_u128(const wire::Address& a) {
  u128 v = 0;
  for (auto b : a.bytes) v = (v << 8) | b;
  return v;
}

wire::Address from_u128(u128 v) {
  wire::Address a;
  for (int i = 15; i >= 0; --i) {
    a.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
  return a;
}

bool reserved(const config::Subnet& s, const wire::Address& a) {
  for (const auto& r : s.reservations)
    if (std::find(r.addresses.begin(), r.addresses.end(), a) != r.addresses.end()) return true;
  return false;
}

bool reserved_prefix(const config::Subnet& s, const wire::Address& p, std::uint8_t len) {
  for (const auto& r : s.reservations)
    for (const auto& rp : r.prefixes)
      if (rp.address == p && rp.length == len) return true;
  return false;
}

/// Number of delegable prefixes in a pd-pool (capped: pools beyond 2^64 are never exhausted).
u128 pd_count(const config::PdPool& p) {
  unsigned bits = static_cast<unsigned>(p.delegated_length - p.prefix.length);
  return bits >= 64 ? (u128{1} << 64) : (u128{1} << bits);
}

wire::Address pd_nth(const config::PdPool& p, u128 i) {
  return from_u128(to_u128(p.prefix.address) | (i << (128 - p.delegated_length)));
}

}  // namespace

std::uint64_t Allocator::pd_pool_size(const config::PdPool& pool) {
  u128 n = pd_count(pool);
  return n > (u128{1} << 63) ? (std::uint64_t{1} << 63) : static_cast<std::uint64_t>(n);
}

wire::Address Allocator::pd_prefix(const config::PdPool& pool, std::uint64_t i) {
  return pd_nth(pool, i);
}

bool Allocator::in_pools(const config::Subnet& subnet, const wire::Address& a) {
  for (const auto& p : subnet.pools)
    if (!(a < p.first) && !(p.last < a)) return true;
  return false;
}

bool Allocator::in_pd_pools(const config::Subnet& subnet, const wire::Address& prefix,
                            std::uint8_t length) {
  for (const auto& p : subnet.pd_pools)
    if (length == p.delegated_length && p.prefix.contains(prefix) &&
        (to_u128(prefix) & ((u128{1} << (128 - length)) - 1)) == 0)
      return true;
  return false;
}

std::optional<lease::LeaseKey> Allocator::address(const config::Subnet& subnet,
                                                  lease::LeaseType type,
                                                  const std::optional<wire::Address>& hint,
                                                  const lease::LeaseStore& store, Policy& policy,
                                                  std::int64_t now) {
  auto usable = [&](const lease::LeaseKey& k) {
    return !reserved(subnet, k.address) && policy.may_allocate(k, store.find(k), subnet.id, now);
  };
  if (hint && in_pools(subnet, *hint)) {
    lease::LeaseKey k{type, *hint, 128};
    if (usable(k)) return k;
  }
  for (std::size_t i = 0; i < subnet.pools.size(); ++i) {
    const auto& pool = subnet.pools[i];
    u128 first = to_u128(pool.first);
    u128 size = to_u128(pool.last) - first + 1;  // 0 only for the whole address space
    if (size == 0) size = ~u128{0};
    auto& cursor = cursors_[{subnet.id, i}];
    u128 start = u128{cursor} % size;
    u128 probes = std::min<u128>(size, MAX_PROBES);
    for (u128 n = 0; n < probes; ++n) {
      u128 off = (start + n) % size;
      lease::LeaseKey k{type, from_u128(first + off), 128};
      if (usable(k)) {
        cursor = static_cast<std::uint64_t>((off + 1) % size);
        return k;
      }
    }
  }
  return std::nullopt;
}

template <class Allowed>
std::optional<lease::LeaseKey> Allocator::scan_prefixes(const config::Subnet& subnet,
                                                        const std::optional<lease::LeaseKey>& hint,
                                                        const Allowed& allowed) {
  auto usable = [&](const lease::LeaseKey& k) {
    return !reserved_prefix(subnet, k.address, k.prefix_length) && allowed(k);
  };
  if (hint && in_pd_pools(subnet, hint->address, hint->prefix_length) && usable(*hint))
    return hint;
  for (std::size_t i = 0; i < subnet.pd_pools.size(); ++i) {
    const auto& pool = subnet.pd_pools[i];
    u128 count = pd_count(pool);
    auto& cursor = cursors_[{subnet.id, 1000000 + i}];
    u128 start = u128{cursor} % count;
    u128 probes = std::min<u128>(count, MAX_PROBES);
    for (u128 n = 0; n < probes; ++n) {
      u128 idx = (start + n) % count;
      lease::LeaseKey k{lease::LeaseType::Pd, pd_nth(pool, idx), pool.delegated_length};
      if (usable(k)) {
        cursor = static_cast<std::uint64_t>((idx + 1) % count);
        return k;
      }
    }
  }
  return std::nullopt;
}

std::optional<lease::LeaseKey> Allocator::prefix(const config::Subnet& subnet,
                                                 const std::optional<lease::LeaseKey>& hint,
                                                 const lease::LeaseStore& store, Policy& policy,
                                                 std::int64_t now) {
  auto own = [&](const lease::LeaseKey& k) {
    return policy.may_allocate(k, store.find(k), subnet.id, now);
  };
  if (auto k = scan_prefixes(subnet, hint, own)) return k;
  // Nothing left in our own pool: the partner's, where the policy allows it (PARTNER-DOWN,
  // MCLT after entry; RFC 8156 §4.2.2).
  if (!policy.partner_pool_open(subnet.id, now)) return std::nullopt;
  auto partners = [&](const lease::LeaseKey& k) {
    return policy.may_allocate_from_partner(k, store.find(k), subnet.id, now);
  };
  return scan_prefixes(subnet, hint, partners);
}

}  // namespace failover6::server
