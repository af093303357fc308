// failover6::sim::SimStore: a lease store that models stable storage for the simulation: a
// durable part, and the changes made since the last commit(), which a crash loses.
#pragma once

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include "lease/lease_store.h"

namespace failover6::sim {

/// @brief A LeaseStore with a durable snapshot and a log of pending changes.
///
/// Reads see every change (the live view, as the daemon's in-memory store does); commit()
/// applies the pending changes to the durable part, as the journal's fsync does; crash()
/// drops the pending changes and rebuilds the live view from the durable part, as a restart
/// after kill -9 rebuilds from the journal. Not thread-safe: one owner.
class SimStore final : public lease::LeaseStore {
 public:
  void put(const lease::Lease& l) override;
  bool remove(const lease::LeaseKey& k) override;
  const lease::Lease* find(const lease::LeaseKey& k) const override { return live_.find(k); }
  std::vector<const lease::Lease*> find_client(const lease::ClientIa& c) const override {
    return live_.find_client(c);
  }
  std::vector<const lease::Lease*> find_duid(const wire::Duid& duid) const override {
    return live_.find_duid(duid);
  }
  void for_each(const std::function<void(const lease::Lease&)>& f) const override {
    live_.for_each(f);
  }
  std::size_t size() const override { return live_.size(); }
  void put_meta(const std::string& key, const std::string& value) override;
  std::optional<std::string> get_meta(const std::string& key) const override {
    return live_.get_meta(key);
  }
  /// @brief Makes every pending change durable.
  void commit() override;

  /// @return the number of changes not yet durable.
  std::size_t pending() const { return log_.size(); }
  /// @return commits that made at least one change durable.
  std::uint64_t commits() const { return commits_; }
  /// @brief Loses the pending changes: the live view becomes the durable part.
  /// @return the number of changes lost.
  std::size_t crash();
  /// @brief Loses everything (a restart without storage).
  void wipe();
  /// @return the durable part.
  const lease::MemoryStore& durable() const { return durable_; }

 private:
  struct Remove {
    lease::LeaseKey key;
  };
  struct Meta {
    std::string key, value;
  };
  using Op = std::variant<lease::Lease, Remove, Meta>;

  lease::MemoryStore live_;
  lease::MemoryStore durable_;
  std::vector<Op> log_;
  std::uint64_t commits_ = 0;
};

}  // namespace failover6::sim
