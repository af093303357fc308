// failover6::gen::Client: one emulated DHCPv6 client, an RFC 8415 client state machine (sans-IO).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string_view>
#include <vector>

#include "gen/retransmission.h"
#include "gen/rng.h"
#include "gen/time.h"
#include "wire/message.h"

namespace failover6::gen {

/// The states of an emulated client (a closed set; to_string() names each).
enum class ClientState : std::uint8_t {
  Idle,            ///< not started yet (the deadline is the start time), or stopped
  Soliciting,      ///< SOLICIT sent, collecting ADVERTISEs (RFC 8415 §18.2.1)
  Requesting,      ///< REQUEST sent to the chosen server (§18.2.2)
  Bound,           ///< holding leases; the deadline is T1 (§18.2.4)
  Renewing,        ///< RENEW to the granting server until T2 (§18.2.4)
  Rebinding,       ///< REBIND to all servers until the leases expire (§18.2.5)
  Confirming,      ///< CONFIRM after a (simulated) link change (§18.2.3)
  Releasing,       ///< RELEASE sent (§18.2.7); ends in Released
  Declining,       ///< DECLINE sent (§18.2.8); ends by soliciting again
  InfoRequesting,  ///< INFORMATION-REQUEST sent (§18.2.6)
  InfoBound,       ///< configuration received; refreshes after the information refresh time
  Released,        ///< leases given back; the client does nothing more
};

/// @return the name of @p s ("Soliciting", ...).
std::string_view to_string(ClientState s);
/// Writes to_string(@p s).
std::ostream& operator<<(std::ostream& os, ClientState s);

/// Why a transaction failed (reported to the observer; counted as failures).
enum class Failure : std::uint8_t {
  RequestExhausted,  ///< REQUEST reached REQ_MAX_RC without a REPLY: back to SOLICIT
  LeaseExpired,      ///< REBIND not answered before the valid lifetimes ended
  NoLease,           ///< a REPLY granted none of the requested IAs (NoAddrsAvail, ...)
  NotOnLink,         ///< REPLY status NotOnLink: back to SOLICIT
  ReleaseExhausted,  ///< RELEASE or DECLINE reached its MRC without a REPLY
};

/// @return the name of @p f ("request-exhausted", ...).
std::string_view to_string(Failure f);

/// How a population of clients behaves; shared by the clients, read-only while they run.
struct ClientProfile {
  bool na = true;             ///< request an IA_NA
  bool pd = false;            ///< request an IA_PD
  bool rapid_commit = false;  ///< SOLICIT carries RAPID_COMMIT (§18.2.1)
  bool renew_unicast = true;  ///< RENEW goes only to the granting server (else to all)
  bool random_start_delay = true;  ///< delay first SOLICIT/CONFIRM/INF-REQ per §18.2.1
  std::uint8_t pd_hint_length = 0;  ///< when non-zero, IA_PD carries a /N prefix-length hint
  std::vector<std::uint16_t> oro{23, 24};  ///< ORO codes (DNS servers, domain list)
  RetransmissionParams solicit = rfc8415::SOLICIT;
  RetransmissionParams request = rfc8415::REQUEST;
  RetransmissionParams confirm = rfc8415::CONFIRM;
  RetransmissionParams renew = rfc8415::RENEW;
  RetransmissionParams rebind = rfc8415::REBIND;
  RetransmissionParams information_request = rfc8415::INFORMATION_REQUEST;
  RetransmissionParams release = rfc8415::RELEASE;
  RetransmissionParams decline = rfc8415::DECLINE;
};

/// Destination of a client message: one server (its index in the fleet's server list) or all.
inline constexpr std::uint8_t ALL_SERVERS = 0xFF;

/// One message a client hands to its relay.
struct ClientOutput {
  wire::Message message;
  std::uint8_t server = ALL_SERVERS;  ///< a server index, or ALL_SERVERS
};

/// The server DUIDs the clients have seen, interned so that a client stores one octet.
class ServerIds {
 public:
  /// @return the index of @p duid, adding it when new. @throws std::length_error past 254.
  std::uint8_t intern(const wire::Duid& duid);
  /// @return the DUID at @p index (from intern()).
  const wire::Duid& at(std::uint8_t index) const { return ids_.at(index); }
  /// @return the number of distinct DUIDs.
  std::size_t size() const { return ids_.size(); }

 private:
  std::vector<wire::Duid> ids_;
};

class Client;

/// Receives what clients do, for statistics and tests. Default implementations ignore all.
class ClientObserver {
 public:
  virtual ~ClientObserver() = default;
  /// A message is being sent; @p retransmission is true after the first transmission.
  virtual void on_send(const Client&, const wire::Message&, bool /*retransmission*/) {}
  /// A request got its answer, @p latency after its first transmission. @p request is the
  /// client's message type, @p response the answer's (ADVERTISE or REPLY).
  virtual void on_exchange(const Client&, wire::MessageType /*request*/,
                           wire::MessageType /*response*/, Duration /*latency*/) {}
  /// A transaction failed.
  virtual void on_failure(const Client&, Failure) {}
  /// The client moved from @p from to its current state.
  virtual void on_state(const Client&, ClientState /*from*/) {}
};

/// What a client needs from its surroundings for one call: all shared, none owned.
struct ClientContext {
  const ClientProfile& profile;
  ServerIds& server_ids;
  Rng& rng;
  ClientObserver& observer;
  std::vector<ClientOutput>& out;  ///< messages produced by the call are appended here
};

/// One lease slot: an address (prefix_length 128) or a delegated prefix. valid == 0: empty.
struct LeaseSlot {
  wire::Address address;
  std::uint32_t preferred = 0;
  std::uint32_t valid = 0;
  std::uint8_t prefix_length = 0;
  /// @return true when the slot holds a lease (non-zero valid lifetime).
  bool held() const { return valid != 0; }
};

/// @brief One emulated DHCPv6 client: the RFC 8415 §18 client state machine, sans-IO.
///
/// The client is driven by three calls: start() (or an action: release(), decline(),
/// confirm()), on_timer() when `now` reaches deadline(), and on_message() with a message
/// addressed to it. Each call may append messages to ctx.out, each with its destination
/// (one server for a unicast RENEW, else all servers). Retransmission follows RFC 8415 §15
/// with the profile's parameters and jitter from ctx.rng; each retransmission is rebuilt
/// with the same transaction id and an updated ELAPSED_TIME.
///
/// Behaviour: SOLICIT (with RAPID_COMMIT if the profile says so) → collects ADVERTISEs for
/// the first RT (an ADVERTISE with preference 255 ends that at once), chooses the highest
/// preference (the first received among equals), ignores ADVERTISEs that offer nothing →
/// REQUEST with the chosen SERVERID (MRC 10, then SOLICIT again) → Bound until T1 → RENEW to
/// the granting server until T2 → REBIND to all until the valid lifetimes end → SOLICIT.
/// T1/T2 of 0 mean 0.5 and 0.8 of the shortest preferred lifetime; infinite (0xFFFFFFFF)
/// lifetimes mean no renewal. A REPLY to RENEW/REBIND that drops or replaces a held address or
/// prefix marks the client as leases_changed(). A REPLY with NoBinding for an IA makes the
/// client REQUEST it. Information-only clients send INFORMATION-REQUEST and refresh after the
/// INFORMATION_REFRESH_TIME (default 86400 s, at least 600 s).
///
/// Size: about 150 octets plus the DUID, so that 100,000 clients fit in a few tens of MiB.
class Client {
 public:
  /// @brief A client with identity @p duid and IAID @p iaid (used for IA_NA and IA_PD), whose
  ///        first transaction begins at @p start_at (see start()).
  /// @param information_only send INFORMATION-REQUEST instead of acquiring leases.
  Client(wire::Duid duid, std::uint32_t iaid, Time start_at, bool information_only = false);

  /// @brief Begins the first transaction (SOLICIT or INFORMATION-REQUEST), after the RFC's
  ///        random initial delay when the profile asks for it. A client in Idle calls this
  ///        itself from on_timer() at its start time.
  void start(ClientContext& ctx, Time now);

  /// @brief Handles the expiry of deadline(); does nothing when @p now is earlier.
  void on_timer(ClientContext& ctx, Time now);

  /// @brief Handles a client/server message (relays already removed) received at @p now from
  ///        server index @p server.
  /// @return false when the message is not for this client's current transaction (wrong
  ///         transaction id, client id or type for the state): it is then ignored.
  bool on_message(ClientContext& ctx, const wire::Message& m, std::uint8_t server, Time now);

  /// @brief Gives back held leases: RELEASE to the granting server (REL_MAX_RC 4), then
  ///        Released. Without leases, goes straight to Released.
  void release(ClientContext& ctx, Time now);

  /// @brief Declines the held address (as after a failed duplicate address detection):
  ///        DECLINE (DEC_MAX_RC 4), then SOLICIT afresh. Ignored without an address.
  void decline(ClientContext& ctx, Time now);

  /// @brief Simulates a link change: CONFIRM the held addresses (CNF_MAX_RD 10 s); with only
  ///        a delegated prefix, REBIND instead (RFC 8415 §18.2.12). Ignored without leases.
  void confirm(ClientContext& ctx, Time now);

  /// @return the time on_timer() must next be called (NEVER when nothing is pending).
  Time deadline() const { return deadline_; }
  /// @return the current state.
  ClientState state() const { return static_cast<ClientState>(state_); }
  /// @return the client's DUID.
  const wire::Duid& duid() const { return duid_; }
  /// @return the IAID used for both IA_NA and IA_PD.
  std::uint32_t iaid() const { return iaid_; }
  /// @return the transaction id of the current (or last) transaction.
  std::uint32_t transaction_id() const { return xid_; }
  /// @return the held (or offered, while requesting) address; empty slot when none.
  const LeaseSlot& address() const { return na_; }
  /// @return the held (or offered) delegated prefix; empty slot when none.
  const LeaseSlot& prefix() const { return pd_; }
  /// @return true when the client holds at least one lease that has not expired by @p now.
  bool bound(Time now) const;
  /// @return true once a RENEW or REBIND reply changed or dropped a held address or prefix.
  bool leases_changed() const { return (flags_ & LEASES_CHANGED) != 0; }
  /// @return the index of the server that granted the leases (meaningful when bound).
  std::uint8_t server() const { return server_; }
  /// @return T1 and T2 in seconds as in effect for the held leases.
  std::uint32_t t1() const { return t1_; }
  std::uint32_t t2() const { return t2_; }
  /// @return the time the leases were last granted or extended.
  Time bound_at() const { return bound_at_; }
  /// @return the current retransmission timeout (0 before the first transmission).
  Duration retransmission_timeout() const { return rt_; }

 private:
  static constexpr std::uint8_t INFO_ONLY = 1;
  static constexpr std::uint8_t LEASES_CHANGED = 2;
  static constexpr std::uint8_t HAVE_OFFER = 4;
  static constexpr std::uint8_t PENDING_FIRST = 8;  ///< first transmission still to be sent
  static constexpr std::uint8_t SERVERS_UNICAST = 16;  ///< current transaction to server_ only

  void transition(ClientContext& ctx, ClientState next);
  void begin(ClientContext& ctx, ClientState next, Time now, Time mrd_end, bool delay);
  void transmit(ClientContext& ctx, Time now);
  void give_up(ClientContext& ctx, Time now);
  void solicit(ClientContext& ctx, Time now, bool delay);
  void request(ClientContext& ctx, Time now);
  void bind(ClientContext& ctx, Time now);
  void lose_leases();
  bool accept_reply(ClientContext& ctx, const wire::Message& m, std::uint8_t server, Time now);
  const RetransmissionParams& params(const ClientProfile& p) const;
  wire::MessageType message_type() const;
  wire::Message build(const ClientProfile& p, Time now) const;
  Time expiry() const;

  wire::Duid duid_;
  Time deadline_ = NEVER;
  Time trans_start_ = 0;   ///< first transmission of the current transaction
  Time bound_at_ = 0;      ///< when the held leases were granted or last extended
  Time mrd_end_ = 0;       ///< end of the current transaction's MRD (0: none)
  Duration rt_ = 0;        ///< current retransmission timeout
  LeaseSlot na_;
  LeaseSlot pd_;
  std::uint32_t iaid_ = 0;
  std::uint32_t xid_ = 0;
  std::uint32_t t1_ = 0;
  std::uint32_t t2_ = 0;
  std::uint32_t tx_count_ = 0;  ///< transmissions in the current transaction
  std::uint8_t state_ = 0;
  std::uint8_t flags_ = 0;
  std::uint8_t server_ = 0;      ///< server index of the chosen/granting server
  std::uint8_t server_id_ = 0;   ///< its DUID in ServerIds
  std::int16_t offer_pref_ = -1; ///< best ADVERTISE preference so far (-1: none)
};

}  // namespace failover6::gen
