#include "lease/lease_store.h"

namespace failover6::lease {

const char* to_string(LeaseType t) {
  switch (t) {
    case LeaseType::Na:
      return "IA_NA";
    case LeaseType::Ta:
      return "IA_TA";
    case LeaseType::Pd:
      return "IA_PD";
  }
  return "IA_?";
}

std::string LeaseKey::to_string() const {
  std::string s = std::string(lease::to_string(type)) + " " + address.to_string();
  if (type == LeaseType::Pd) s += "/" + std::to_string(prefix_length);
  return s;
}

void MemoryStore::put(const Lease& l) {
  auto it = leases_.find(l.key);
  if (it != leases_.end() && it->second.duid != l.duid) {
    auto d = by_duid_.find(it->second.duid);
    if (d != by_duid_.end()) {
      d->second.erase(l.key);
      if (d->second.empty()) by_duid_.erase(d);
    }
  }
  leases_[l.key] = l;
  if (!l.duid.raw.empty()) by_duid_[l.duid].insert(l.key);
}

bool MemoryStore::remove(const LeaseKey& k) {
  auto it = leases_.find(k);
  if (it == leases_.end()) return false;
  auto d = by_duid_.find(it->second.duid);
  if (d != by_duid_.end()) {
    d->second.erase(k);
    if (d->second.empty()) by_duid_.erase(d);
  }
  leases_.erase(it);
  return true;
}

const Lease* MemoryStore::find(const LeaseKey& k) const {
  auto it = leases_.find(k);
  return it == leases_.end() ? nullptr : &it->second;
}

std::vector<const Lease*> MemoryStore::find_duid(const wire::Duid& duid) const {
  std::vector<const Lease*> out;
  auto d = by_duid_.find(duid);
  if (d == by_duid_.end()) return out;
  for (const auto& k : d->second) out.push_back(&leases_.at(k));
  return out;
}

std::vector<const Lease*> MemoryStore::find_client(const ClientIa& c) const {
  std::vector<const Lease*> out;
  for (const Lease* l : find_duid(c.duid))
    if (l->key.type == c.type && l->iaid == c.iaid) out.push_back(l);
  return out;
}

void MemoryStore::for_each(const std::function<void(const Lease&)>& f) const {
  for (const auto& [_, l] : leases_) f(l);
}

void MemoryStore::put_meta(const std::string& key, const std::string& value) {
  meta_[key] = value;
}

std::optional<std::string> MemoryStore::get_meta(const std::string& key) const {
  auto it = meta_.find(key);
  if (it == meta_.end()) return std::nullopt;
  return it->second;
}

}  // namespace failover6::lease
