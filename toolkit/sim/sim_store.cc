#include "sim/sim_store.h"

namespace failover6::sim {

void SimStore::put(const lease::Lease& l) {
  live_.put(l);
  log_.emplace_back(l);
}

bool SimStore::remove(const lease::LeaseKey& k) {
  if (!live_.remove(k)) return false;
  log_.emplace_back(Remove{k});
  return true;
}

void SimStore::put_meta(const std::string& key, const std::string& value) {
  live_.put_meta(key, value);
  log_.emplace_back(Meta{key, value});
}

void SimStore::commit() {
  if (log_.empty()) return;
  for (const Op& op : log_) {
    if (const auto* l = std::get_if<lease::Lease>(&op)) durable_.put(*l);
    else if (const auto* r = std::get_if<Remove>(&op)) durable_.remove(r->key);
    else {
      const auto& m = std::get<Meta>(op);
      durable_.put_meta(m.key, m.value);
    }
  }
  log_.clear();
  ++commits_;
}

std::size_t SimStore::crash() {
  std::size_t lost = log_.size();
  log_.clear();
  live_ = durable_;
  return lost;
}

void SimStore::wipe() {
  log_.clear();
  live_ = lease::MemoryStore();
  durable_ = lease::MemoryStore();
}

}  // namespace failover6::sim
