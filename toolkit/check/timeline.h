// failover6::check::Timeline: the lease timeline per client (DUID, IA type, IAID), built from
// the DHCPv6 messages of a capture, and the events it hands to the invariant checkers.
#pragma once

#include <functional>
#include <unordered_map>
#include <vector>

#include "check/checker.h"
#include "wire/message.h"

namespace failover6::check {

/// One entry of a client's lease timeline.
struct TimelineEntry {
  enum class Kind : std::uint8_t { Granted, Extended, Released, Declined, Withdrawn, Expired };
  Kind kind = Kind::Granted;
  std::int64_t time_ns = 0;
  FrameRef ref;
  ClientKey client;
  Resource resource;
  ServerIx server = NO_SERVER;
  std::uint32_t valid = 0;       ///< Granted / Extended: the valid lifetime sent
  std::int64_t end_ns = 0;       ///< Granted / Extended: REPLY time + valid
};

/// @return "granted", "extended", "released", "declined", "withdrawn", "expired".
const char* entry_kind_name(TimelineEntry::Kind k);

/// Builds the clients' view of their leases from client and server messages (relays already
/// unwrapped) in capture-time order, and drives the checkers:
///  - a client message becomes a ClientTx (and is remembered, by xid + client DUID, so that
///    the answer can be paired with it);
///  - an ADVERTISE or REPLY becomes a ServerReply carrying, per IA, the leases the client
///    held just before; the client's view changes after the checkers saw it: a REPLY grants
///    or extends (REPLY time + valid lifetime) or, with valid 0, withdraws; a REPLY to a
///    RELEASE or DECLINE ends the leases that message named; leases reach their end as
///    Expired events on tick().
/// Servers are told apart by their SERVERID DUID. Memory: live leases and unanswered
/// transactions; nothing per message.
class Timeline : public ServerNames {
 public:
  /// Receives every timeline entry (optional).
  using EntryHook = std::function<void(const TimelineEntry&)>;

  /// @brief A timeline feeding @p checkers (not owned; they must outlive it).
  explicit Timeline(std::vector<Checker*> checkers, EntryHook hook = {});

  /// @brief One DHCPv6 message (the innermost of any relay nesting).
  /// @param src the datagram's source address (the server's address for its answers).
  void on_message(const wire::Message& m, std::int64_t time_ns, FrameRef ref,
                  const wire::Address& src);
  /// @brief Expires leases ended by @p now_ns, then ticks the checkers.
  void tick(std::int64_t now_ns);
  /// @brief End of capture at @p end_ns: leases still valid stay so; checkers finish.
  void finish(std::int64_t end_ns);

  /// @return the index of the server with @p duid (interned on first use).
  ServerIx server(const wire::Duid& duid);
  /// @return the servers seen, by index.
  const std::vector<wire::Duid>& servers() const { return servers_; }
  std::string name(ServerIx s) const override;
  /// @return live (client IA, lease) pairs tracked.
  std::size_t live() const { return live_; }

 private:
  struct Request {
    wire::MessageType type = wire::MessageType::Solicit;
    std::int64_t time_ns = 0;
    FrameRef ref;
    std::vector<std::pair<ClientKey, Resource>> named;  ///< RELEASE / DECLINE leases
  };

  void client_message(const wire::Message& m, const wire::Duid& client, std::int64_t t, FrameRef ref);
  void server_message(const wire::Message& m, const wire::Duid& client, std::int64_t t, FrameRef ref,
                      const wire::Address& src);
  void emit(TimelineEntry::Kind k, std::int64_t t, FrameRef ref, const ClientKey& c,
            const HeldLease& h, std::uint32_t valid);

  std::vector<Checker*> checkers_;
  EntryHook hook_;
  std::vector<wire::Duid> servers_;
  std::unordered_map<wire::Duid, ServerIx, DuidHash, DuidEq> server_ix_;
  std::unordered_map<ClientKey, std::vector<HeldLease>, ClientKeyHash, ClientKeyEq> leases_;
  std::unordered_map<TxKey, Request, TxKeyHash, TxKeyEq> requests_;
  std::size_t live_ = 0;
};

}  // namespace failover6::check
