// failover6::lease::LeaseStore: the binding database interface, and MemoryStore, its in-memory
// implementation. JournalStore (journal_store.h) adds durability on top of MemoryStore.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "lease/lease.h"

namespace failover6::lease {

/// The binding database. Every implementation passes the same generic test suite
/// (tests/unit/lease/generic_store_tests.h, STYLE.md rule 9).
class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  /// @brief Inserts or replaces the lease with @p l's key. Durability, where the store has it,
  /// is reached at the next commit().
  virtual void put(const Lease& l) = 0;
  /// @brief Removes the lease with key @p k. @return false if there was none.
  virtual bool remove(const LeaseKey& k) = 0;
  /// @return the lease with key @p k, or nullptr. Valid until the next put/remove.
  virtual const Lease* find(const LeaseKey& k) const = 0;
  /// @return every lease of the client IA, in key order.
  virtual std::vector<const Lease*> find_client(const ClientIa& c) const = 0;
  /// @return every lease of the DUID, whatever the IA, in key order.
  virtual std::vector<const Lease*> find_duid(const wire::Duid& duid) const = 0;
  /// @brief Calls @p f for every lease, in key order.
  virtual void for_each(const std::function<void(const Lease&)>& f) const = 0;
  /// @return the number of leases.
  virtual std::size_t size() const = 0;

  /// @brief Stores a small named value next to the leases (the failover state, the server's
  /// DUID): RFC 8156 §8.2 wants state transitions in stable storage too.
  virtual void put_meta(const std::string& key, const std::string& value) = 0;
  /// @return the value stored under @p key, if any.
  virtual std::optional<std::string> get_meta(const std::string& key) const = 0;

  /// @brief Makes everything put so far durable (no-op for a memory store).
  /// @throws std::runtime_error when the storage fails (the caller must not answer clients).
  virtual void commit() = 0;
};

/// The leases in memory, indexed by key and by client. Not thread-safe: one owner.
class MemoryStore : public LeaseStore {
 public:
  void put(const Lease& l) override;
  bool remove(const LeaseKey& k) override;
  const Lease* find(const LeaseKey& k) const override;
  std::vector<const Lease*> find_client(const ClientIa& c) const override;
  std::vector<const Lease*> find_duid(const wire::Duid& duid) const override;
  void for_each(const std::function<void(const Lease&)>& f) const override;
  std::size_t size() const override { return leases_.size(); }
  void put_meta(const std::string& key, const std::string& value) override;
  std::optional<std::string> get_meta(const std::string& key) const override;
  void commit() override {}

  /// @return every meta value (for compaction).
  const std::map<std::string, std::string>& meta() const { return meta_; }

 private:
  std::map<LeaseKey, Lease> leases_;
  std::map<wire::Duid, std::set<LeaseKey>> by_duid_;
  std::map<std::string, std::string> meta_;
};

}  // namespace failover6::lease
