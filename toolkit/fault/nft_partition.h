// failover6::fault::NftPartition: drop or reject traffic to/from one peer inside a network
// namespace.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace failover6::fault {

/// What an NftPartition drops (or rejects).
struct NftSpec {
  /// The nftables table (family inet) the rules live in; unique per partition.
  std::string table;
  /// The peer's address (IPv6 or IPv4).
  std::string peer;
  /// "both" (from and to the peer), "in" (from the peer) or "out" (to the peer).
  std::string direction = "both";
  /// "tcp", "udp" or "all" (every protocol; no port then).
  std::string proto = "tcp";
  /// Port matched as source or destination port (either end of a connection); nullopt: any.
  std::optional<std::uint16_t> port;
  /// "drop" (silently: TCP waits, as over a dead path) or "reject": TCP segments are answered
  /// with a RST (`reject with tcp reset`: open connections are reset by their next segment,
  /// new ones refused; RSTs themselves pass, so the RST nft makes for a local sender arrives),
  /// other protocols with an ICMP(v6) administratively-prohibited error.
  std::string action = "drop";
};

/// @brief Checks @p spec. @throws std::invalid_argument naming the bad field.
void validate(const NftSpec& spec);

/// @brief The `nft -f -` script that (re)creates the partition: declares the table, flushes
///        it and adds input/output filter chains (priority -10, policy accept) with drop (or
///        reject) rules matching the peer address (and protocol, port). With action "reject"
///        and proto "all", TCP gets the RST rule and everything else the ICMP one. Idempotent
///        when run twice.
/// @throws std::invalid_argument as validate().
std::string nft_apply_script(const NftSpec& spec);

/// @brief The `nft -f -` script that removes the table (declared first, so it succeeds when
///        the table does not exist). Idempotent.
std::string nft_remove_script(const std::string& table);

/// A partition made with nftables in one network namespace (netns mode; needs root):
/// traffic between that namespace and @p peer is dropped (or rejected) while applied. The table name is
/// unique per object ("failover6_part_<pid>_<n>"). apply() and heal() are idempotent; heal()
/// and close() remove the table; the destructor removes it too (errors swallowed).
///
/// Errors: the constructor throws std::invalid_argument for a bad spec; apply()/heal()
/// throw std::runtime_error with nft's message when `ip netns exec NS nft -f -` fails.
class NftPartition {
 public:
  /// @param netns the namespace; empty: the namespace of this process.
  /// @param peer, direction, proto, port, action: see NftSpec.
  NftPartition(std::string netns, const std::string& peer, const std::string& direction = "both",
               const std::string& proto = "tcp", std::optional<std::uint16_t> port = std::nullopt,
               const std::string& action = "drop");
  /// Removes the table if it may exist.
  ~NftPartition();
  NftPartition(const NftPartition&) = delete;
  NftPartition& operator=(const NftPartition&) = delete;

  /// @brief Drops (or rejects) the traffic from now on.
  void apply();
  /// @brief Lets the traffic pass again (removes the table).
  void heal();
  /// @brief Removes the table; idempotent.
  void close();

  /// @brief Whether the rules are in place (as far as this object knows).
  bool applied() const { return applied_; }
  /// @brief The spec (table name included).
  const NftSpec& spec() const { return spec_; }
  /// @brief The namespace.
  const std::string& netns() const { return netns_; }

 private:
  void run(const std::string& script);

  std::string netns_;
  NftSpec spec_;
  bool applied_ = false;
  bool touched_ = false;  ///< apply() ran at least once (a table may exist).
};

}  // namespace failover6::fault
