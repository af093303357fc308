// failover6::failover::Endpoint: one RFC 8156 failover relationship, sans-IO.
//
// The endpoint is a function of (messages from the partner, transport events, now): it
// never opens sockets, reads clocks or sleeps (STYLE.md rule 1). impl/io feeds it the
// partner's decoded messages and the connection events, calls on_timer() at next_deadline(),
// commits the lease store, and only then sends what take_outbox() returns (a BNDREPLY goes
// out only once the update it acknowledges is durable, RFC 8156 §7.5.2; a STATE only once the
// state it reports is stored, §8.1).
//
// It is also the server core's server::Policy for the subnets of its relationship: who
// answers, which addresses and prefixes it may allocate, the MCLT cap, when a lease is free.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "failover/binding_codec.h"
#include "failover/state_machine.h"
#include "failover/types.h"
#include "lease/lease_store.h"
#include "server/policy.h"
#include "wire/failover_message.h"

namespace failover6::failover {

/// One state change, as logged (F6D_FAILOVER_STATE) and kept for status and tests.
struct Transition {
  std::int64_t time = 0;
  State from = State::Startup;
  State to = State::Startup;
  std::string reason;
};

/// What the endpoint tells its owner besides messages (logged by impl/io).
struct Notice {
  enum class Level : std::uint8_t { Info, Warn, Error } level = Level::Info;
  std::string id;    ///< message id, e.g. "F6D_FAILOVER_SKEW"
  std::string text;
};

/// Hooks into the rest of the process.
struct EndpointHooks {
  /// Stores a lease the endpoint changed (a partner's update, a lease freed on an ack). The
  /// daemon puts it in the store and tells the server core (Server::notice) to schedule its
  /// expiry. Default: store.put().
  std::function<void(const lease::Lease&)> put;
  /// Asks the server core to re-plan the expiry of a lease whose free time changed (entering
  /// PARTNER-DOWN). Default: nothing.
  std::function<void(const lease::Lease&)> reschedule;
  /// A state change happened (logging).
  std::function<void(const Transition&)> on_transition;
  /// Something worth logging happened.
  std::function<void(const Notice&)> on_notice;
};

/// The connection's progress as the endpoint sees it.
enum class Link : std::uint8_t {
  Down,        ///< no transport
  Connecting,  ///< transport up, CONNECT / CONNECTREPLY not yet exchanged
  AwaitState,  ///< CONNECT / CONNECTREPLY done, the partner's first STATE not yet received
  Up,          ///< communications OK (RFC 8156 §6.1)
};
const char* to_string(Link l);

/// One RFC 8156 relationship endpoint.
class Endpoint final : public server::Policy {
 public:
  /// @param rel this relationship's configuration (kept by reference)
  /// @param config the whole configuration (subnets, lifetimes; kept by reference)
  /// @param store the binding database shared with the server core
  /// @param now boot time: the endpoint enters STARTUP (§8.3)
  Endpoint(const config::Relationship& rel, const config::Config& config,
           lease::LeaseStore& store, EndpointHooks hooks, std::int64_t now);

  // --- transport events -------------------------------------------------------------------
  /// @brief The transport to the partner is up (TCP, and TLS when configured). The primary
  /// queues CONNECT.
  void on_connected(std::int64_t now);
  /// @brief The transport is gone (closed by either side, or after close_requested()).
  void on_disconnected(std::int64_t now, const std::string& reason);
  /// @brief One message from the partner, received at @p now.
  void on_message(const wire::FailoverMessage& m, std::int64_t now);
  /// @brief Timers: keepalive, CONTACT, STARTUP, RECOVER-WAIT, auto-partner-down.
  void on_timer(std::int64_t now);
  /// @brief Sends queued binding updates as flow control allows (call after the server core
  /// processed client messages: their lazy BNDUPDs follow the REPLYs).
  void poll(std::int64_t now);
  /// @return when on_timer() next has work.
  std::optional<std::int64_t> next_deadline() const;

  /// @return the messages to send, in order (commit the store first).
  std::vector<wire::FailoverMessage> take_outbox();
  /// @return a reason when the endpoint wants the transport closed (after sending the outbox);
  /// cleared by the call.
  std::optional<std::string> take_close_request();

  // --- operator ---------------------------------------------------------------------------
  /// @brief `failover6 ctl partner-down`: NORMAL, COMMUNICATIONS-INTERRUPTED or
  /// RESOLUTION-INTERRUPTED go to PARTNER-DOWN. @return an error text when refused.
  std::optional<std::string> partner_down(std::int64_t now);
  /// @brief Shutting down: queues DISCONNECT (ServerShuttingDown) when connected.
  void shutdown(std::int64_t now);

  /// @return the status object of the control API: name, role, state, partner-state, times,
  /// unacked and queued updates, pool split, link.
  nlohmann::json status(std::int64_t now) const;

  // --- introspection (status, tests) -------------------------------------------------------
  const std::string& name() const { return rel_.name; }
  Role role() const { return role_; }
  State state() const { return state_; }
  std::optional<State> partner_state() const { return partner_state_; }
  Link link() const { return link_; }
  bool comm_ok() const { return link_ == Link::Up; }
  std::uint32_t mclt() const { return mclt_; }
  std::size_t unacked() const { return inflight_.size(); }
  std::size_t queued() const { return queue_.size(); }
  const std::vector<Transition>& history() const { return history_; }
  /// @return true when this endpoint covers subnet @p id.
  bool covers(std::uint32_t subnet_id) const;

  // --- server::Policy ---------------------------------------------------------------------
  bool may_answer(wire::MessageType type, bool ours, std::uint32_t subnet_id,
                  std::int64_t now) override;
  bool may_allocate(const lease::LeaseKey& key, const lease::Lease* existing,
                    std::uint32_t subnet_id, std::int64_t now) override;
  bool partner_pool_open(std::uint32_t subnet_id, std::int64_t now) override;
  bool may_allocate_from_partner(const lease::LeaseKey& key, const lease::Lease* existing,
                                 std::uint32_t subnet_id, std::int64_t now) override;
  /// @return when this endpoint may start using its partner's prefixes (PARTNER-DOWN entry
  /// plus MCLT), or nullopt outside PARTNER-DOWN.
  std::optional<std::int64_t> partner_pool_opens() const;
  std::uint32_t allowed_valid(const lease::Lease& lease, std::uint32_t desired,
                              std::int64_t now) override;
  std::int64_t active_until(const lease::Lease& lease) override;
  std::int64_t free_at(const lease::Lease& lease) override;
  wire::BindingStatus free_state(const lease::Lease& lease) override;
  void on_lease_changed(lease::Lease& lease, std::int64_t now) override;

 private:
  struct Inflight {
    lease::LeaseKey key;
    std::int64_t partner_lifetime = 0;  ///< what the BNDUPD carried
    wire::BindingStatus state = wire::BindingStatus::Free;
    std::int64_t start_time_of_state = 0;
  };

  /// Whether @p existing (nullptr: no record) is free for a new client in this state.
  bool free_for_new_client(const lease::Lease* existing, std::int64_t now);
  /// Whether a free prefix whose record is @p existing is in this server's pool (§4.2.2).
  bool owns_prefix(const lease::Lease* existing) const;

  // state
  void load(std::int64_t now);
  void persist(std::int64_t now);
  void transition(State next, const std::string& reason, std::int64_t now);
  void on_enter(State s, std::int64_t now);
  void handle(const Event& ev, std::int64_t now);
  void comm_ok_event(std::int64_t now);
  void comm_fail(std::int64_t now, const std::string& reason);
  void leave_startup(std::int64_t now);

  // messages
  void send(wire::FailoverMessage m, std::int64_t now);
  std::uint32_t next_xid();
  void send_state(std::int64_t now);
  void send_connect(std::int64_t now);
  void send_updreq(std::int64_t now);
  void disconnect(wire::StatusCode code, const std::string& why, std::int64_t now);
  void on_connect(const wire::FailoverMessage& m, std::int64_t now);
  void on_connectreply(const wire::FailoverMessage& m, std::int64_t now);
  void on_state(const wire::FailoverMessage& m, std::int64_t now);
  void on_bndupd(const wire::FailoverMessage& m, std::int64_t now);
  void on_bndreply(const wire::FailoverMessage& m, std::int64_t now);
  void on_poolreq(const wire::FailoverMessage& m, std::int64_t now);
  void on_updreq(const wire::FailoverMessage& m, bool all, std::int64_t now);
  void on_upddone(const wire::FailoverMessage& m, std::int64_t now);

  // binding updates
  void enqueue(const lease::LeaseKey& key);
  /// Queues every lease of this relationship the partner has not acknowledged (persisted
  /// update-partner flag): at boot, on each new connection, on entering NORMAL, and in the
  /// periodic scan of §7.5.4.
  void requeue_unacknowledged();
  void pump(std::int64_t now);
  void send_poolreq_when_synced(std::int64_t now);
  bool may_send_updates() const;
  void finish_updreq_if_done(std::int64_t now);
  void rebalance_prefixes(std::int64_t now);
  const config::Subnet* subnet_of(const lease::LeaseKey& key) const;
  bool owns_address(const wire::Address& a) const;
  void put(const lease::Lease& l);
  void notice(Notice::Level level, std::string id, std::string text);

  const config::Relationship& rel_;
  const config::Config& config_;
  lease::LeaseStore& store_;
  EndpointHooks hooks_;
  Role role_;
  std::set<std::uint32_t> subnets_;

  // RFC 8156 §8.2 state (persisted)
  State state_ = State::Startup;
  State previous_ = State::Recover;      ///< the state STARTUP leaves for
  std::optional<State> stored_state_;    ///< the last state recorded (STARTUP never is)
  std::int64_t stored_start_ = 0;        ///< when stored_state_ began (as stored)
  std::int64_t start_time_of_state_ = 0;
  std::optional<State> partner_state_;
  std::int64_t partner_start_time_ = 0;
  std::int64_t partner_down_time_ = 0;   ///< the partner's, from its STATE
  std::int64_t last_operating_ = 0;      ///< last time we were known to operate (heartbeat)
  std::int64_t time_of_failure_ = 0;     ///< for RECOVER-WAIT; 0 = unknown
  std::int64_t pd_entry_ = 0;            ///< when we entered PARTNER-DOWN
  bool communicated_ = false;            ///< we ever completed a handshake (C flag)
  bool had_storage_ = false;             ///< state was found in the store at boot
  std::uint32_t mclt_;

  // connection
  Link link_ = Link::Down;
  std::int64_t last_received_ = 0;
  std::int64_t last_sent_ = 0;
  std::int64_t last_contact_ = 0;        ///< last message from the partner, any connection
  std::uint32_t partner_keepalive_ = 60;
  std::uint32_t partner_max_unacked_ = 1;
  std::uint8_t partner_flags_ = 0;
  bool partner_never_communicated_ = false;
  std::uint32_t xid_ = 0;
  std::optional<std::uint32_t> connect_xid_;
  std::optional<std::uint32_t> my_updreq_;       ///< our outstanding UPDREQ/UPDREQALL
  std::optional<std::uint32_t> answering_updreq_;  ///< the partner's UPDREQ we are answering
  std::set<lease::LeaseKey> updreq_pending_;     ///< leases still to be sent and acked for it
  std::set<std::uint32_t> updreq_sent_;          ///< BNDUPDs sent for it, not yet acked
  bool sent_poolreq_ = false;
  /// Updates the POOLREQ waits for: those pending when NORMAL began (send_poolreq_when_synced).
  std::set<lease::LeaseKey> poolreq_waits_for_;
  std::int64_t next_heartbeat_ = 0;

  // binding updates
  std::deque<lease::LeaseKey> queue_;
  std::set<lease::LeaseKey> queued_;
  std::map<std::uint32_t, Inflight> inflight_;
  std::set<lease::LeaseKey> inflight_keys_;

  std::vector<wire::FailoverMessage> outbox_;
  std::optional<std::string> close_request_;
  std::vector<Transition> history_;     ///< the last MAX_HISTORY transitions
  std::int64_t boot_time_ = 0;

  // counters for status
  std::uint64_t bndupd_sent_ = 0, bndupd_received_ = 0, bndupd_rejected_ = 0,
                bndreply_rejections_ = 0;
};

}  // namespace failover6::failover
