#include "failover/endpoint.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "failover/conflict.h"
#include "server/allocator.h"

namespace failover6::failover {

namespace {

using wire::BindingStatus;
using wire::FailoverMessage;
using wire::MessageType;
using wire::StatusCode;

/// How often an operating endpoint records that it is alive (TIME-OF-FAILURE after a crash is
/// the last record plus this margin, so that RECOVER-WAIT never waits too little).
constexpr std::int64_t HEARTBEAT = 30;

/// Transitions kept for status and tests (a flapping link must not grow memory forever).
constexpr std::size_t MAX_HISTORY = 256;

/// OPTION_F_SERVER_FLAGS bits (RFC 8156 §5.4.18).
constexpr std::uint8_t FLAG_COMMUNICATED = 0x01;
constexpr std::uint8_t FLAG_STARTUP = 0x02;
constexpr std::uint8_t FLAG_ACK_STARTUP = 0x04;
/// OPTION_F_CONNECT_FLAGS: FIXED_PD_LENGTH (every pd-pool delegates one length).
constexpr std::uint16_t CONNECT_FIXED_PD_LENGTH = 0x0001;


wire::StatusCodeOption status_option(StatusCode c, std::string text) {
  return wire::StatusCodeOption{static_cast<std::uint16_t>(c), std::move(text)};
}

std::optional<StatusCode> status_of_message(const FailoverMessage& m) {
  if (const auto* st = m.find<wire::StatusCodeOption>()) {
    auto c = static_cast<StatusCode>(st->status);
    if (c != StatusCode::Success) return c;
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(Link l) {
  switch (l) {
    case Link::Down: return "down";
    case Link::Connecting: return "connecting";
    case Link::AwaitState: return "awaiting-state";
    case Link::Up: return "up";
  }
  return "?";
}

Endpoint::Endpoint(const config::Relationship& rel, const config::Config& config,
                   lease::LeaseStore& store, EndpointHooks hooks, std::int64_t now)
    : rel_(rel),
      config_(config),
      store_(store),
      hooks_(std::move(hooks)),
      role_(rel.role == "secondary" ? Role::Secondary : Role::Primary),
      subnets_(rel.subnets.begin(), rel.subnets.end()),
      mclt_(rel.mclt) {
  if (!hooks_.put) hooks_.put = [this](const lease::Lease& l) { store_.put(l); };
  load(now);
}

bool Endpoint::covers(std::uint32_t subnet_id) const {
  return subnets_.empty() || subnets_.count(subnet_id) != 0;
}

// ---------------------------------------------------------------------------------------
// Stable state (RFC 8156 §8.2)

void Endpoint::load(std::int64_t now) {
  std::optional<State> stored;
  if (auto text = store_.get_meta("failover/" + rel_.name)) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_object()) {
      stored = state_from_string(j.value("state", std::string()));
      if (auto p = state_from_string(j.value("partner-state", std::string()))) partner_state_ = p;
      partner_start_time_ = j.value("partner-start-time", std::int64_t{0});
      stored_start_ = j.value("start-time", std::int64_t{0});
      last_operating_ = j.value("last-operating", std::int64_t{0});
      communicated_ = j.value("communicated", false);
      pd_entry_ = j.value("partner-down-entry", std::int64_t{0});
      if (role_ == Role::Secondary) mclt_ = j.value("mclt", mclt_);
    }
    if (!stored)
      notice(Notice::Level::Error, "F6D_FAILOVER_STATE_CORRUPT",
             "stored failover state of " + rel_.name + " is unreadable; starting as if new");
  }
  had_storage_ = stored.has_value();
  previous_ = previous_state_at_boot(stored);
  // TIME-OF-FAILURE: the last heartbeat plus its period (never too early); unknown (0) when
  // there is no stored state, and RECOVER-WAIT then counts from our own start.
  time_of_failure_ = last_operating_ != 0 ? last_operating_ + HEARTBEAT : 0;
  if (stored) stored_state_ = *stored;
  state_ = State::Startup;
  start_time_of_state_ = now;
  boot_time_ = now;
  history_.push_back({now, stored.value_or(State::Startup), State::Startup, "boot"});
  // Leases whose update the partner never acknowledged (persisted flag): send them again.
  requeue_unacknowledged();
  next_heartbeat_ = now;
}

void Endpoint::persist(std::int64_t now) {
  nlohmann::json j;
  State s = state_ == State::Startup ? stored_state_.value_or(State::Recover) : state_;
  if (state_ != State::Startup || stored_state_) j["state"] = to_string(s);
  j["start-time"] = start_time_of_state_;
  if (partner_state_) j["partner-state"] = to_string(*partner_state_);
  j["partner-start-time"] = partner_start_time_;
  j["last-operating"] = last_operating_;
  j["communicated"] = communicated_;
  j["partner-down-entry"] = pd_entry_;
  j["mclt"] = mclt_;
  j["saved"] = now;
  store_.put_meta("failover/" + rel_.name, j.dump());
}

void Endpoint::notice(Notice::Level level, std::string id, std::string text) {
  if (hooks_.on_notice) hooks_.on_notice(Notice{level, std::move(id), std::move(text)});
}

// ---------------------------------------------------------------------------------------
// State changes (one way: transition())

void Endpoint::transition(State next, const std::string& reason, std::int64_t now) {
  if (next == state_) return;
  Transition t{now, state_, next, reason};
  // Back in the state we had before a restart: it began when it began then (a PARTNER-DOWN
  // entered before a crash keeps its entry time, which the reuse rules count from).
  const bool resumed = state_ == State::Startup && stored_state_ == next && stored_start_ != 0;
  state_ = next;
  stored_state_ = next;
  start_time_of_state_ = resumed ? stored_start_ : now;
  if (next == State::PartnerDown && !(resumed && pd_entry_ != 0)) pd_entry_ = now;
  if (responsiveness(role_, next) != Responsiveness::Unresponsive) last_operating_ = now;
  if (history_.size() >= MAX_HISTORY) history_.erase(history_.begin());
  history_.push_back(t);
  if (hooks_.on_transition) hooks_.on_transition(t);
  persist(now);  // §8.1: every transition is recorded (committed before the STATE is sent)
  if (comm_ok()) send_state(now);
  on_enter(next, now);
}

void Endpoint::on_enter(State s, std::int64_t now) {
  switch (s) {
    case State::Normal:
      // Everything the partner has not acknowledged goes out again (§8.8.1 on entry); the
      // POOLREQ follows once that much is acknowledged (send_poolreq_when_synced).
      requeue_unacknowledged();
      poolreq_waits_for_ = queued_;
      poolreq_waits_for_.insert(inflight_keys_.begin(), inflight_keys_.end());
      break;
    case State::PotentialConflict:
      if (role_ == Role::Primary && comm_ok()) send_updreq(now);
      break;
    case State::RecoverWait:
      // §8.5.2: a server that never ran failover before, as the partner's data shows (its
      // C flag was clear when we met), may go on at once.
      if (!had_storage_ && partner_never_communicated_)
        transition(State::RecoverDone, "new pair: neither partner ran failover before, no wait",
                   now);
      break;
    case State::PartnerDown:
      // Leases waiting for an acknowledgement now free themselves after MCLT (§8.4.1).
      if (hooks_.reschedule) {
        store_.for_each([&](const lease::Lease& l) {
          if (covers(l.subnet_id) &&
              (l.state == BindingStatus::Expired || l.state == BindingStatus::Released ||
               l.state == BindingStatus::Abandoned))
            hooks_.reschedule(l);
        });
      }
      break;
    default:
      break;
  }
}

void Endpoint::handle(const Event& ev, std::int64_t now) {
  Event e = ev;
  for (int i = 0; i < 4; ++i) {
    Step step = next_state(role_, state_, e);
    if (step.next != state_) transition(step.next, step.reason, now);
    if (step.action == Action::SendUpdReq && comm_ok()) send_updreq(now);
    if (!step.chained) break;
  }
}

void Endpoint::leave_startup(std::int64_t now) {
  State next = resolve_startup(previous_, partner_state_, partner_start_time_, last_operating_);
  transition(next, comm_ok() ? "communications OK" : "startup timer expired", now);
}

void Endpoint::comm_ok_event(std::int64_t now) {
  if (state_ == State::Startup) leave_startup(now);
  bool starting = (partner_flags_ & FLAG_STARTUP) != 0;
  // A partner that lost its storage may have taken our unacknowledged updates for nothing:
  // requeue every flagged lease on each new connection (sent once updates may flow).
  requeue_unacknowledged();
  handle(Event{EventKind::CommOk, starting ? std::optional<State>(State::Startup) : partner_state_},
         now);
  if (state_ == State::PotentialConflict && role_ == Role::Primary) send_updreq(now);
}

void Endpoint::comm_fail(std::int64_t now, const std::string& reason) {
  notice(Notice::Level::Warn, "F6D_FAILOVER_COMM_FAILED",
         "relationship " + rel_.name + ": communications failed: " + reason);
  handle(Event{EventKind::CommFail, std::nullopt}, now);
}

// ---------------------------------------------------------------------------------------
// Transport events

void Endpoint::on_connected(std::int64_t now) {
  link_ = Link::Connecting;
  last_received_ = last_sent_ = now;
  my_updreq_.reset();
  answering_updreq_.reset();
  updreq_pending_.clear();
  updreq_sent_.clear();
  sent_poolreq_ = false;
  poolreq_waits_for_.clear();
  partner_flags_ = 0;
  if (role_ == Role::Primary) send_connect(now);
}

void Endpoint::on_disconnected(std::int64_t now, const std::string& reason) {
  if (link_ == Link::Down) return;
  bool was_up = link_ == Link::Up;
  link_ = Link::Down;
  // Unacknowledged updates go back to the front of the queue, to be sent after reconnecting.
  for (auto it = inflight_.rbegin(); it != inflight_.rend(); ++it) {
    if (!queued_.count(it->second.key)) {
      queue_.push_front(it->second.key);
      queued_.insert(it->second.key);
    }
  }
  inflight_.clear();
  inflight_keys_.clear();
  my_updreq_.reset();
  answering_updreq_.reset();
  updreq_pending_.clear();
  updreq_sent_.clear();
  connect_xid_.reset();
  if (was_up) comm_fail(now, reason);
}

void Endpoint::on_timer(std::int64_t now) {
  if (link_ != Link::Down && now >= last_received_ + rel_.keepalive) {
    close_request_ = "nothing received for " + std::to_string(rel_.keepalive) + " s";
    on_disconnected(now, *close_request_);
  }
  if (link_ == Link::Up &&
      now >= last_sent_ + std::max<std::int64_t>(1, partner_keepalive_ / 4)) {
    FailoverMessage m;
    m.type = MessageType::Contact;
    m.transaction_id = next_xid();
    send(std::move(m), now);
  }
  if (state_ == State::Startup && now >= start_time_of_state_ + rel_.startup_time)
    leave_startup(now);
  if (state_ == State::RecoverWait) {
    std::int64_t base = time_of_failure_ != 0 ? time_of_failure_ : boot_time_;
    if (now >= base + mclt_) handle(Event{EventKind::RecoverWaitExpired, std::nullopt}, now);
  }
  if (state_ == State::CommunicationsInterrupted && rel_.auto_partner_down > 0 &&
      now >= start_time_of_state_ + rel_.auto_partner_down)
    handle(Event{EventKind::AutoPartnerDown, std::nullopt}, now);
  if (now >= next_heartbeat_) {
    if (responsiveness(role_, state_) != Responsiveness::Unresponsive) {
      last_operating_ = now;
      persist(now);
    }
    // The periodic scan of §7.5.4: leases the partner still has to hear about (an update it
    // rejected as outdated, say) are offered again, at most once per period.
    if (may_send_updates()) {
      requeue_unacknowledged();
    }
    next_heartbeat_ = now + HEARTBEAT;
  }
  pump(now);
}

std::optional<std::int64_t> Endpoint::next_deadline() const {
  std::int64_t t = next_heartbeat_;
  if (link_ != Link::Down) t = std::min<std::int64_t>(t, last_received_ + rel_.keepalive);
  if (link_ == Link::Up)
    t = std::min<std::int64_t>(t, last_sent_ + std::max<std::int64_t>(1, partner_keepalive_ / 4));
  if (state_ == State::Startup)
    t = std::min<std::int64_t>(t, start_time_of_state_ + rel_.startup_time);
  if (state_ == State::RecoverWait) {
    std::int64_t base = time_of_failure_ != 0 ? time_of_failure_ : boot_time_;
    t = std::min<std::int64_t>(t, base + mclt_);
  }
  if (state_ == State::CommunicationsInterrupted && rel_.auto_partner_down > 0)
    t = std::min<std::int64_t>(t, start_time_of_state_ + rel_.auto_partner_down);
  return t;
}

void Endpoint::poll(std::int64_t now) { pump(now); }

std::vector<FailoverMessage> Endpoint::take_outbox() { return std::exchange(outbox_, {}); }

std::optional<std::string> Endpoint::take_close_request() {
  return std::exchange(close_request_, std::nullopt);
}

// ---------------------------------------------------------------------------------------
// Messages

std::uint32_t Endpoint::next_xid() {
  // 24-bit ids; skip ones still outstanding (an UPDREQ's id stays reserved until UPDDONE).
  for (;;) {
    xid_ = (xid_ + 1) & 0xFFFFFF;
    if (xid_ == 0) continue;
    if (inflight_.count(xid_) || my_updreq_ == xid_ || connect_xid_ == xid_) continue;
    return xid_;
  }
}

void Endpoint::send(FailoverMessage m, std::int64_t now) {
  m.sent_time = wire::to_failover_time(now);
  m.has_sent_time = true;
  outbox_.push_back(std::move(m));
  last_sent_ = now;
}

void Endpoint::send_connect(std::int64_t now) {
  FailoverMessage m;
  m.type = MessageType::Connect;
  m.transaction_id = next_xid();
  connect_xid_ = m.transaction_id;
  m.options.emplace_back(wire::FProtocolVersion{PROTOCOL_MAJOR, PROTOCOL_MINOR});
  m.options.emplace_back(wire::FMclt{mclt_});
  m.options.emplace_back(wire::FKeepaliveTime{rel_.keepalive});
  m.options.emplace_back(wire::FMaxUnackedBndupd{rel_.max_unacked});
  m.options.emplace_back(wire::FConnectFlags{CONNECT_FIXED_PD_LENGTH});
  m.options.emplace_back(wire::FRelationshipName{rel_.name});
  send(std::move(m), now);
}

void Endpoint::send_state(std::int64_t now) {
  FailoverMessage m;
  m.type = MessageType::State;
  m.transaction_id = next_xid();
  bool starting = state_ == State::Startup;
  // In STARTUP the S flag is set and the state is the previously recorded one (§6.3).
  State s = starting ? stored_state_.value_or(State::Recover) : state_;
  std::uint8_t flags = 0;
  if (starting) flags |= FLAG_STARTUP;
  if (communicated_) flags |= FLAG_COMMUNICATED;
  if (partner_flags_ & FLAG_STARTUP) flags |= FLAG_ACK_STARTUP;
  m.options.emplace_back(wire::FServerState{static_cast<std::uint8_t>(s)});
  m.options.emplace_back(wire::FServerFlags{flags});
  m.options.emplace_back(wire::FStartTimeOfState{wire::to_failover_time(start_time_of_state_)});
  if (s == State::PartnerDown)
    m.options.emplace_back(wire::FPartnerDownTime{wire::to_failover_time(pd_entry_)});
  send(std::move(m), now);
}

void Endpoint::send_updreq(std::int64_t now) {
  if (my_updreq_) return;
  FailoverMessage m;
  // Decision: a server that booted without any stored failover state (first boot or lost
  // storage) asks for everything (§8.3.2: MUST after storage loss; harmless when new).
  m.type = had_storage_ ? MessageType::UpdReq : MessageType::UpdReqAll;
  m.transaction_id = next_xid();
  my_updreq_ = m.transaction_id;
  send(std::move(m), now);
}

void Endpoint::disconnect(StatusCode code, const std::string& why, std::int64_t now) {
  FailoverMessage m;
  m.type = MessageType::Disconnect;
  m.transaction_id = next_xid();
  m.options.emplace_back(status_option(code, why));
  send(std::move(m), now);
  close_request_ = why;
  notice(Notice::Level::Warn, "F6D_FAILOVER_DISCONNECT",
         "relationship " + rel_.name + ": disconnecting: " + why);
  on_disconnected(now, why);
}

void Endpoint::shutdown(std::int64_t now) {
  if (link_ == Link::Down) return;
  disconnect(StatusCode::ServerShuttingDown, "server shutting down", now);
}

void Endpoint::on_message(const FailoverMessage& m, std::int64_t now) {
  last_received_ = now;
  last_contact_ = now;
  if (link_ == Link::Down) link_ = Link::Connecting;  // io delivered before on_connected
  // §7.1: clocks must agree within 5 s.
  if (m.has_sent_time) {
    auto skew = static_cast<std::int32_t>(m.sent_time - wire::to_failover_time(now));
    if (std::abs(static_cast<std::int64_t>(skew)) > MAX_SKEW) {
      std::string why = "clock skew of " + std::to_string(skew) + " s with the partner";
      notice(Notice::Level::Error, "F6D_FAILOVER_SKEW", "relationship " + rel_.name + ": " + why);
      if (m.type == MessageType::Connect && role_ == Role::Secondary) {
        FailoverMessage r;
        r.type = MessageType::ConnectReply;
        r.transaction_id = m.transaction_id;
        r.options.emplace_back(status_option(StatusCode::ExcessiveTimeSkew, why));
        send(std::move(r), now);
        close_request_ = why;
        on_disconnected(now, why);
      } else {
        disconnect(StatusCode::ExcessiveTimeSkew, why, now);
      }
      return;
    }
  }
  bool handshake = m.type == MessageType::Connect || m.type == MessageType::ConnectReply ||
                   m.type == MessageType::State || m.type == MessageType::Disconnect ||
                   m.type == MessageType::Contact;
  if (!handshake && link_ != Link::Up) {
    disconnect(StatusCode::UnspecFail,
               wire::to_string(m.type) + " before the handshake completed", now);
    return;
  }
  switch (m.type) {
    case MessageType::Connect:
      if (role_ != Role::Secondary) {
        disconnect(StatusCode::ConfigurationConflict, "CONNECT received by the primary", now);
        return;
      }
      on_connect(m, now);
      break;
    case MessageType::ConnectReply:
      if (role_ != Role::Primary) {
        disconnect(StatusCode::ConfigurationConflict, "CONNECTREPLY received by the secondary",
                   now);
        return;
      }
      on_connectreply(m, now);
      break;
    case MessageType::State:
      on_state(m, now);
      break;
    case MessageType::Contact:
      break;
    case MessageType::Disconnect: {
      std::string why = "DISCONNECT from the partner";
      if (const auto* st = m.find<wire::StatusCodeOption>())
        why += " (" + wire::status_name(st->status) + ": " + st->message + ")";
      close_request_ = why;
      on_disconnected(now, why);
      break;
    }
    case MessageType::BndUpd:
      on_bndupd(m, now);
      break;
    case MessageType::BndReply:
      on_bndreply(m, now);
      break;
    case MessageType::PoolReq:
      on_poolreq(m, now);
      break;
    case MessageType::PoolResp:
      break;
    case MessageType::UpdReq:
      on_updreq(m, false, now);
      break;
    case MessageType::UpdReqAll:
      on_updreq(m, true, now);
      break;
    case MessageType::UpdDone:
      on_upddone(m, now);
      break;
    default:
      notice(Notice::Level::Warn, "F6D_FAILOVER_UNEXPECTED",
             "relationship " + rel_.name + ": ignoring " + wire::to_string(m.type));
      break;
  }
  pump(now);
}

void Endpoint::on_connect(const FailoverMessage& m, std::int64_t now) {
  FailoverMessage r;
  r.type = MessageType::ConnectReply;
  r.transaction_id = m.transaction_id;
  auto reject = [&](StatusCode c, const std::string& why) {
    r.options.emplace_back(status_option(c, why));
    send(std::move(r), now);
    close_request_ = why;
    notice(Notice::Level::Error, "F6D_FAILOVER_CONNECT_REJECTED",
           "relationship " + rel_.name + ": CONNECT rejected: " + why);
    on_disconnected(now, why);
  };
  if (link_ != Link::Connecting) return reject(StatusCode::UnspecFail, "CONNECT out of order");
  const auto* version = m.find<wire::FProtocolVersion>();
  const auto* mclt = m.find<wire::FMclt>();
  const auto* keepalive = m.find<wire::FKeepaliveTime>();
  const auto* unacked = m.find<wire::FMaxUnackedBndupd>();
  if (!version || version->major != PROTOCOL_MAJOR)
    return reject(StatusCode::NotSupported, "protocol version not supported");
  if (!mclt || !keepalive || !unacked)
    return reject(StatusCode::UnspecFail, "CONNECT lacks MCLT, KEEPALIVE_TIME or MAX_UNACKED");
  if (const auto* name = m.find<wire::FRelationshipName>(); name && name->name != rel_.name)
    return reject(StatusCode::ConfigurationConflict,
                  "relationship \"" + name->name + "\" is not \"" + rel_.name + "\"");
  if (mclt->value < MIN_NEW_LEASE) return reject(StatusCode::ConfigurationConflict, "MCLT < 30");
  mclt_ = mclt->value;  // §6.1.2: adopt the primary's MCLT
  partner_keepalive_ = keepalive->value;
  partner_max_unacked_ = std::max<std::uint32_t>(1, unacked->value);
  r.options.emplace_back(wire::FProtocolVersion{PROTOCOL_MAJOR, PROTOCOL_MINOR});
  r.options.emplace_back(wire::FMclt{mclt_});
  r.options.emplace_back(wire::FKeepaliveTime{rel_.keepalive});
  r.options.emplace_back(wire::FMaxUnackedBndupd{rel_.max_unacked});
  r.options.emplace_back(wire::FConnectFlags{CONNECT_FIXED_PD_LENGTH});
  send(std::move(r), now);
  link_ = Link::AwaitState;
  persist(now);  // the adopted MCLT
  send_state(now);
}

void Endpoint::on_connectreply(const FailoverMessage& m, std::int64_t now) {
  if (link_ != Link::Connecting || connect_xid_ != m.transaction_id) {
    disconnect(StatusCode::UnspecFail, "unexpected CONNECTREPLY", now);
    return;
  }
  connect_xid_.reset();
  if (auto c = status_of_message(m)) {
    const auto* st = m.find<wire::StatusCodeOption>();
    std::string why = "CONNECT rejected by the partner: " + wire::status_name(st->status) +
                      (st->message.empty() ? "" : " (" + st->message + ")");
    notice(Notice::Level::Error, "F6D_FAILOVER_CONNECT_REJECTED",
           "relationship " + rel_.name + ": " + why);
    close_request_ = why;
    on_disconnected(now, why);
    return;
  }
  const auto* version = m.find<wire::FProtocolVersion>();
  const auto* mclt = m.find<wire::FMclt>();
  const auto* keepalive = m.find<wire::FKeepaliveTime>();
  const auto* unacked = m.find<wire::FMaxUnackedBndupd>();
  if (!version || version->major != PROTOCOL_MAJOR) {
    disconnect(StatusCode::NotSupported, "partner's protocol version not supported", now);
    return;
  }
  if (!mclt || mclt->value != mclt_) {
    disconnect(StatusCode::ConfigurationConflict, "partner's MCLT differs from ours", now);
    return;
  }
  if (keepalive) partner_keepalive_ = keepalive->value;
  if (unacked) partner_max_unacked_ = std::max<std::uint32_t>(1, unacked->value);
  link_ = Link::AwaitState;
  send_state(now);
}

void Endpoint::on_state(const FailoverMessage& m, std::int64_t now) {
  const auto* st = m.find<wire::FServerState>();
  const auto* flags = m.find<wire::FServerFlags>();
  const auto* start = m.find<wire::FStartTimeOfState>();
  if (!st || !flags || !start || st->value < 2 || st->value > 10) {
    disconnect(StatusCode::UnspecFail, "malformed STATE", now);
    return;
  }
  if (link_ == Link::Connecting) {
    disconnect(StatusCode::UnspecFail, "STATE before CONNECT/CONNECTREPLY", now);
    return;
  }
  partner_flags_ = flags->value;
  partner_state_ = static_cast<State>(st->value);
  partner_start_time_ = from_abs_time(start->value);
  if (const auto* pd = m.find<wire::FPartnerDownTime>())
    partner_down_time_ = from_abs_time(pd->value);
  else
    partner_down_time_ = 0;  // §6.4: forget it unless the partner is in PARTNER-DOWN
  bool starting = (flags->value & FLAG_STARTUP) != 0;
  if (link_ == Link::AwaitState) {
    link_ = Link::Up;
    partner_never_communicated_ = (flags->value & FLAG_COMMUNICATED) == 0;
    communicated_ = true;
    notice(Notice::Level::Info, "F6D_FAILOVER_COMM_OK",
           "relationship " + rel_.name + ": communications OK, partner " +
               to_string(*partner_state_) + (starting ? " (starting up)" : ""));
    persist(now);
    comm_ok_event(now);
    return;
  }
  persist(now);
  if (starting) {
    // PARTNER-DOWN ignores a STATE with the S flag; so do all others: the partner reports
    // its previous state and will send its real one when it leaves STARTUP.
    return;
  }
  handle(Event{EventKind::PartnerState, partner_state_}, now);
}

// ---------------------------------------------------------------------------------------
// Binding updates

void Endpoint::requeue_unacknowledged() {
  // A key already in flight waits in the queue for its BNDREPLY (pump defers it) and is sent
  // again only if the acknowledged state was not the latest.
  store_.for_each([&](const lease::Lease& l) {
    if (l.update_partner && covers(l.subnet_id)) enqueue(l.key);
  });
}

void Endpoint::enqueue(const lease::LeaseKey& key) {
  if (queued_.insert(key).second) queue_.push_back(key);
}

bool Endpoint::may_send_updates() const {
  if (link_ != Link::Up) return false;
  return is_synchronised(state_) || answering_updreq_.has_value();
}

void Endpoint::pump(std::int64_t now) {
  // Keys that cannot go now keep their place: one already in flight (its newer state follows
  // the BNDREPLY) and, while we answer an UPDREQ, every key it did not ask for, so that the
  // UPDDONE follows the acknowledgement of every BNDUPD sent after the UPDREQ (§7.6, PROTOCOL.md
  // invariant 11) and is not held back by fresh traffic.
  std::deque<lease::LeaseKey> deferred;
  std::size_t budget = queue_.size();
  while (may_send_updates() && inflight_.size() < partner_max_unacked_ && !queue_.empty() &&
         budget-- > 0) {
    lease::LeaseKey key = queue_.front();
    queue_.pop_front();
    const lease::Lease* l = store_.find(key);
    if (!l) {
      queued_.erase(key);
      updreq_pending_.erase(key);
      poolreq_waits_for_.erase(key);
      continue;
    }
    if (inflight_keys_.count(key) ||
        (answering_updreq_ && !updreq_pending_.count(key))) {
      deferred.push_back(key);
      continue;
    }
    queued_.erase(key);
    // Acknowledged since it was queued (an earlier BNDUPD carried this state): nothing to send,
    // unless an UPDREQ asked for it.
    if (!l->update_partner && !updreq_pending_.count(key)) {
      poolreq_waits_for_.erase(key);
      continue;
    }
    // Never tell the partner less than it already acknowledged: with nothing pending, the
    // partner lifetime sent is the acknowledged one (or the client's, if later).
    lease::Lease copy = *l;
    if (copy.state == BindingStatus::Active && copy.partner_lifetime == 0)
      copy.partner_lifetime = std::max(copy.acked_partner_lifetime, copy.state_expiration_time);
    std::uint32_t xid = next_xid();
    FailoverMessage m = encode_bndupd(copy, xid, now);
    Inflight f{key, copy.partner_lifetime != 0 ? copy.partner_lifetime : copy.state_expiration_time,
               copy.state, copy.start_time_of_state};
    if (copy.state != BindingStatus::Active) f.partner_lifetime = 0;
    inflight_[xid] = f;
    inflight_keys_.insert(key);
    if (answering_updreq_) updreq_sent_.insert(xid);
    ++bndupd_sent_;
    send(std::move(m), now);
  }
  for (auto it = deferred.rbegin(); it != deferred.rend(); ++it) queue_.push_front(*it);
  finish_updreq_if_done(now);
  send_poolreq_when_synced(now);
}

void Endpoint::send_poolreq_when_synced(std::int64_t now) {
  // The secondary asks for its share of the prefixes (§4.2.2) once the primary has
  // acknowledged every binding that was waiting for it when NORMAL began: prefixes this
  // server delegated from the primary's pool in PARTNER-DOWN reach the primary before it
  // picks prefixes to give, or it could offer one of them as FREE-BACKUP and the two stores
  // would disagree on it for good (found by `failover6 sim --faults outage --pd`). Updates
  // made later do not hold it back: in NORMAL this server delegates only FREE-BACKUP ones.
  if (role_ != Role::Secondary || sent_poolreq_ || state_ != State::Normal || !comm_ok() ||
      !poolreq_waits_for_.empty())
    return;
  sent_poolreq_ = true;
  FailoverMessage m;
  m.type = MessageType::PoolReq;
  m.transaction_id = next_xid();
  send(std::move(m), now);
}

void Endpoint::finish_updreq_if_done(std::int64_t now) {
  if (!answering_updreq_ || !updreq_pending_.empty() || !updreq_sent_.empty() ||
      link_ != Link::Up)
    return;
  FailoverMessage m;
  m.type = MessageType::UpdDone;
  m.transaction_id = *answering_updreq_;
  answering_updreq_.reset();
  send(std::move(m), now);
}

void Endpoint::put(const lease::Lease& l) { hooks_.put(l); }

const config::Subnet* Endpoint::subnet_of(const lease::LeaseKey& key) const {
  for (const auto& s : config_.dhcp6.subnets) {
    if (key.type == lease::LeaseType::Pd) {
      if (server::Allocator::in_pd_pools(s, key.address, key.prefix_length)) return &s;
      for (const auto& r : s.reservations)
        for (const auto& p : r.prefixes)
          if (p.address == key.address && p.length == key.prefix_length) return &s;
    } else if (s.subnet.contains(key.address)) {
      return &s;
    }
  }
  return nullptr;
}

void Endpoint::on_bndupd(const FailoverMessage& m, std::int64_t now) {
  ++bndupd_received_;
  auto decoded = decode_bndupd(m);
  if (auto* err = std::get_if<BndupdError>(&decoded)) {
    ++bndupd_rejected_;
    send(encode_bndreply(m, {}, *err, now), now);
    return;
  }
  std::vector<LeaseVerdict> verdicts;
  for (const IncomingBinding& in : std::get<DecodedBndupd>(decoded).bindings) {
    LeaseVerdict v{in.lease.key, StatusCode::Success, ""};
    const config::Subnet* subnet = subnet_of(in.lease.key);
    if (!subnet || !covers(subnet->id)) {
      v.status = StatusCode::ConfigurationConflict;
      v.message = in.lease.key.to_string() + " is not in relationship " + rel_.name;
      verdicts.push_back(std::move(v));
      continue;
    }
    const lease::Lease* local = store_.find(in.lease.key);
    Verdict verdict = resolve(local, in, role_, now);
    if (verdict == Verdict::Accept) {
      lease::Lease l = apply(local, in);
      l.subnet_id = subnet->id;
      l.update_partner = false;  // the partner's data is newer than ours
      // Figure 4's accept(3) takes the same client's ACTIVE whatever its time. If it would
      // shorten a lifetime we gave the client ourselves (the partner's older copy, sent in
      // answer to an UPDREQ after a partition, say), we keep our client-facing lifetime, so
      // that no lease a client was told about shrinks in our store, and send ours back.
      // Found by `failover6 sim` (mixed seed 45: durable-reply).
      if (local && local->state == BindingStatus::Active && l.state == BindingStatus::Active &&
          local->duid == l.duid && local->iaid == l.iaid &&
          local->state_expiration_time > l.state_expiration_time) {
        l.state_expiration_time = local->state_expiration_time;
        l.valid = local->valid;
        l.preferred = local->preferred;
        l.t1 = local->t1;
        l.t2 = local->t2;
        l.cltt = std::max(l.cltt, local->cltt);
        l.partner_lifetime = std::max(l.partner_lifetime, local->partner_lifetime);
        l.update_partner = true;
        enqueue(l.key);
      }
      // Decision (PENDING-FREE, §5 arc 4): the lease is free once the EXPIRED / RELEASED /
      // RESET update is acknowledged, on both sides at once: we free it as we ack, the sender
      // when our BNDREPLY arrives. A separate FREE update would be useless, and Figure 4 would
      // reject it anyway (its time equals the RELEASED one within the 5 s tolerance).
      if (l.state == BindingStatus::Expired || l.state == BindingStatus::Released ||
          l.state == BindingStatus::Reset) {
        l.state = free_state(l);
        l.state_expiration_time = 0;
      }
      if (queued_.erase(l.key))
        queue_.erase(std::find(queue_.begin(), queue_.end(), l.key));
      updreq_pending_.erase(l.key);
      put(l);
    } else {
      ++bndupd_rejected_;
      v.status = status_of(verdict);
      v.message = verdict == Verdict::RejectInUse ? "leased to another client"
                                                   : "our binding is newer";
      // §7.5.4: flag the lease; if the flag was clear, send our newer data at once; if it was
      // set already, wait (prevents update storms).
      if (local && verdict == Verdict::RejectOutdated && !local->update_partner) {
        lease::Lease l = *local;
        l.update_partner = true;
        put(l);
        enqueue(l.key);
      }
    }
    verdicts.push_back(std::move(v));
  }
  send(encode_bndreply(m, verdicts, std::nullopt, now), now);
}

void Endpoint::on_bndreply(const FailoverMessage& m, std::int64_t now) {
  auto it = inflight_.find(m.transaction_id);
  if (it == inflight_.end()) {
    notice(Notice::Level::Warn, "F6D_FAILOVER_UNEXPECTED",
           "relationship " + rel_.name + ": BNDREPLY for unknown transaction " +
               std::to_string(m.transaction_id));
    return;
  }
  Inflight f = it->second;
  inflight_.erase(it);
  inflight_keys_.erase(f.key);
  poolreq_waits_for_.erase(f.key);
  // A BNDUPD sent before the UPDREQ does not answer it; the lease goes again.
  if (updreq_sent_.erase(m.transaction_id)) updreq_pending_.erase(f.key);
  StatusCode status = StatusCode::Success;
  std::int64_t echoed = 0;
  bool found = false;
  for (const ReplyOutcome& o : decode_bndreply(m)) {
    if (o.key == f.key) {
      status = o.status;
      echoed = o.partner_lifetime_sent;
      found = true;
    }
  }
  if (!found) {
    if (auto c = status_of_message(m)) status = *c;
  }
  const lease::Lease* cur = store_.find(f.key);
  if (!cur) return;
  lease::Lease l = *cur;
  bool unchanged = l.state == f.state && l.start_time_of_state == f.start_time_of_state;
  if (status == StatusCode::Success) {
    std::int64_t acked = echoed != 0 ? echoed : f.partner_lifetime;
    // §4.4: the acknowledged partner lifetime is the one most recently acked. The partner
    // stores each BNDUPD's lifetime as sent (Figure 5), so a lower one replaces a higher one
    // there, and the MCLT cap must follow it down.
    if (l.state == BindingStatus::Active && f.state == BindingStatus::Active)
      l.acked_partner_lifetime = acked;
    if (unchanged) {
      l.partner_lifetime = 0;
      l.update_partner = false;
      // §5 arc (4): the partner acknowledged EXPIRED / RELEASED / RESET: PENDING-FREE, then
      // FREE or FREE-BACKUP by owner (arcs 5, 6). The partner did the same as it acked (see
      // on_bndupd), so no FREE update follows.
      if (l.state == BindingStatus::Expired || l.state == BindingStatus::Released ||
          l.state == BindingStatus::Reset) {
        l.state = free_state(l);
        l.start_time_of_state = now;
        l.state_expiration_time = 0;
      }
    } else {
      enqueue(l.key);  // changed since: the newer state still has to go
    }
    put(l);
  } else {
    ++bndreply_rejections_;
    notice(Notice::Level::Warn, "F6D_FAILOVER_UPDATE_REJECTED",
           "relationship " + rel_.name + ": partner rejected the update of " +
               f.key.to_string() + ": " + wire::status_name(static_cast<std::uint16_t>(status)));
    // Outdated: the partner has newer data and sends it; keep the flag so the next
    // connection retries (§7.5.4). Other rejections: clear it, retrying cannot help.
    if (status != StatusCode::OutdatedBindingInformation && l.update_partner) {
      l.update_partner = false;
      put(l);
    }
    if (!unchanged) enqueue(l.key);
  }
}

void Endpoint::on_poolreq(const FailoverMessage& m, std::int64_t now) {
  if (role_ != Role::Primary) {
    disconnect(StatusCode::ConfigurationConflict, "POOLREQ received by the secondary", now);
    return;
  }
  FailoverMessage r;
  r.type = MessageType::PoolResp;
  r.transaction_id = m.transaction_id;
  send(std::move(r), now);
  rebalance_prefixes(now);
}

void Endpoint::rebalance_prefixes(std::int64_t now) {
  for (const auto& s : config_.dhcp6.subnets) {
    if (!covers(s.id)) continue;
    for (const auto& pool : s.pd_pools) {
      std::uint64_t n = server::Allocator::pd_pool_size(pool);
      std::uint64_t share = n / 100 * rel_.prefix_share + n % 100 * rel_.prefix_share / 100;
      std::uint64_t want = std::min<std::uint64_t>(share, rel_.prefix_share_max);
      std::uint64_t have = 0;
      // Count the secondary's share from the end of the pool (where we give from).
      std::uint64_t probed = 0;
      for (std::uint64_t i = n; i-- > 0 && have < want && probed < 4 * want;) {
        ++probed;
        lease::LeaseKey key{lease::LeaseType::Pd, server::Allocator::pd_prefix(pool, i),
                            pool.delegated_length};
        const lease::Lease* l = store_.find(key);
        if (l && l->state == BindingStatus::FreeBackup) {
          ++have;
          continue;
        }
        if (l && l->state != BindingStatus::Free) continue;  // leased or held: not ours to give
        lease::Lease g;
        g.key = key;
        g.subnet_id = s.id;
        g.state = BindingStatus::FreeBackup;  // §5 arc (7): given with BNDUPD(FREE-BACKUP)
        g.start_time_of_state = now;
        g.update_partner = true;
        put(g);
        enqueue(key);
        ++have;
      }
    }
  }
}

void Endpoint::on_updreq(const FailoverMessage& m, bool all, std::int64_t now) {
  answering_updreq_ = m.transaction_id;
  updreq_pending_.clear();
  updreq_sent_.clear();
  if (all) {
    // The partner lost its storage: what it acknowledged is gone, so the MCLT cap falls back
    // to now + MCLT until it acknowledges again.
    std::vector<lease::Lease> reset;
    store_.for_each([&](const lease::Lease& l) {
      if (covers(l.subnet_id) && l.acked_partner_lifetime != 0) reset.push_back(l);
    });
    for (lease::Lease& l : reset) {
      l.acked_partner_lifetime = 0;
      put(l);
    }
  }
  store_.for_each([&](const lease::Lease& l) {
    if (!covers(l.subnet_id)) return;
    if (all ? (l.state != BindingStatus::Free || !l.duid.raw.empty() ||
               l.key.type == lease::LeaseType::Pd)
            : l.update_partner) {
      updreq_pending_.insert(l.key);
      enqueue(l.key);
    }
  });
  for (const auto& [xid, f] : inflight_) {
    updreq_pending_.insert(f.key);
    enqueue(f.key);
  }
  notice(Notice::Level::Info, "F6D_FAILOVER_UPDREQ",
         "relationship " + rel_.name + ": partner sent " + (all ? "UPDREQALL" : "UPDREQ") +
             ", " + std::to_string(updreq_pending_.size()) + " bindings to send");
  finish_updreq_if_done(now);  // nothing to send: UPDDONE at once
}

void Endpoint::on_upddone(const FailoverMessage& m, std::int64_t now) {
  if (my_updreq_ != m.transaction_id) {
    notice(Notice::Level::Warn, "F6D_FAILOVER_UNEXPECTED",
           "relationship " + rel_.name + ": UPDDONE for unknown transaction");
    return;
  }
  my_updreq_.reset();
  handle(Event{EventKind::UpdDone, std::nullopt}, now);
  had_storage_ = true;  // what we asked for is in our store now
}

// ---------------------------------------------------------------------------------------
// Operator

std::optional<std::string> Endpoint::partner_down(std::int64_t now) {
  if (state_ == State::PartnerDown) return std::nullopt;
  Step s = next_state(role_, state_, Event{EventKind::OperatorPartnerDown, std::nullopt});
  if (s.next == state_)
    return "partner-down is not allowed in " + to_string(state_) +
           " (only NORMAL, COMMUNICATIONS-INTERRUPTED and RESOLUTION-INTERRUPTED)";
  if (comm_ok())
    notice(Notice::Level::Warn, "F6D_FAILOVER_PARTNER_DOWN_WHILE_CONNECTED",
           "relationship " + rel_.name + ": partner-down while the partner is reachable");
  transition(s.next, s.reason, now);
  return std::nullopt;
}

nlohmann::json Endpoint::status(std::int64_t now) const {
  nlohmann::json j;
  j["name"] = rel_.name;
  j["role"] = to_string(role_);
  j["state"] = to_string(state_);
  j["partner-state"] = partner_state_ ? nlohmann::json(to_string(*partner_state_)) : nullptr;
  j["state-since"] = start_time_of_state_;
  j["link"] = to_string(link_);
  j["communications-ok"] = comm_ok();
  j["last-contact"] = last_contact_ != 0 ? nlohmann::json(last_contact_) : nullptr;
  j["seconds-since-contact"] =
      last_contact_ != 0 ? nlohmann::json(now - last_contact_) : nullptr;
  j["mclt"] = mclt_;
  j["unacked-updates"] = inflight_.size();
  j["queued-updates"] = queue_.size();
  j["partner-max-unacked"] = partner_max_unacked_;
  j["bndupd-sent"] = bndupd_sent_;
  j["bndupd-received"] = bndupd_received_;
  j["bndupd-rejected"] = bndupd_rejected_;
  j["updates-rejected-by-partner"] = bndreply_rejections_;
  if (state_ == State::PartnerDown) j["partner-down-since"] = pd_entry_;
  if (auto opens = partner_pool_opens())
    j["partner-prefixes-usable-from"] = *opens;  // §4.2.2, once ours run out
  // Pool split: addresses by the low bit (§4.2.1), prefixes by FREE / FREE-BACKUP (§4.2.2).
  std::uint64_t free_primary = 0, free_secondary = 0, active = 0;
  store_.for_each([&](const lease::Lease& l) {
    if (!covers(l.subnet_id) || l.key.type != lease::LeaseType::Pd) return;
    if (l.state == BindingStatus::FreeBackup) ++free_secondary;
    else if (l.state == BindingStatus::Free) ++free_primary;
    else if (l.state == BindingStatus::Active) ++active;
  });
  j["pool-split"] = {{"addresses", role_ == Role::Primary ? "odd (bit 127 = 1)" : "even (bit 127 = 0)"},
                     {"prefixes-free-backup", free_secondary},
                     {"prefixes-free-recorded", free_primary},
                     {"prefixes-active", active}};
  nlohmann::json h = nlohmann::json::array();
  std::size_t from = history_.size() > 10 ? history_.size() - 10 : 0;
  for (std::size_t i = from; i < history_.size(); ++i)
    h.push_back({{"time", history_[i].time},
                 {"from", to_string(history_[i].from)},
                 {"to", to_string(history_[i].to)},
                 {"reason", history_[i].reason}});
  j["transitions"] = h;
  return j;
}

// ---------------------------------------------------------------------------------------
// server::Policy

bool Endpoint::owns_address(const wire::Address& a) const {
  bool odd = (a.bytes[15] & 1) != 0;  // §4.2.1: primary odd, secondary even
  return role_ == Role::Primary ? odd : !odd;
}

bool Endpoint::may_answer(MessageType type, bool ours, std::uint32_t, std::int64_t) {
  switch (responsiveness(role_, state_)) {
    case Responsiveness::Responsive:
      return true;
    case Responsiveness::RenewResponsive:
      // NORMAL secondary: only messages carrying its SERVERID. RECOVER-DONE: RENEW only.
      if (state_ == State::RecoverDone) return ours && type == MessageType::Renew;
      return ours;
    case Responsiveness::Unresponsive:
      return false;
  }
  return false;
}

bool Endpoint::free_for_new_client(const lease::Lease* existing, std::int64_t now) {
  if (responsiveness(role_, state_) == Responsiveness::Unresponsive ||
      state_ == State::RecoverDone)
    return false;  // RECOVER-DONE MUST NOT allocate (§8.6)
  if (existing && existing->state == BindingStatus::Active && active_until(*existing) > now)
    return false;
  // Only free leases go to a new client: EXPIRED and RELEASED wait for the partner's ack
  // (or, in PARTNER-DOWN, for MCLT past their times) and become FREE / FREE-BACKUP first.
  return !existing || existing->state == BindingStatus::Free ||
         existing->state == BindingStatus::FreeBackup;
}

bool Endpoint::owns_prefix(const lease::Lease* existing) const {
  // Proportional allocation (§4.2.2): the primary owns every prefix that is not FREE-BACKUP
  // (a prefix with no record is FREE); the secondary only the FREE-BACKUP ones it was given.
  bool free_backup = existing && existing->state == BindingStatus::FreeBackup;
  return role_ == Role::Primary ? !free_backup : free_backup;
}

bool Endpoint::may_allocate(const lease::LeaseKey& key, const lease::Lease* existing,
                            std::uint32_t, std::int64_t now) {
  if (!free_for_new_client(existing, now)) return false;
  // A6: never the partner's half of the addresses, not even in PARTNER-DOWN.
  if (key.type != lease::LeaseType::Pd) return owns_address(key.address);
  return owns_prefix(existing);
}

std::optional<std::int64_t> Endpoint::partner_pool_opens() const {
  if (state_ != State::PartnerDown || !rel_.use_partner_prefixes) return std::nullopt;
  return pd_entry_ + mclt_;
}

bool Endpoint::partner_pool_open(std::uint32_t, std::int64_t now) {
  auto opens = partner_pool_opens();
  return opens && now >= *opens;
}

bool Endpoint::may_allocate_from_partner(const lease::LeaseKey& key,
                                         const lease::Lease* existing, std::uint32_t,
                                         std::int64_t now) {
  // §4.2.2 / §8.4.1: prefixes only (A6 keeps the partner's addresses untouched), only in
  // PARTNER-DOWN, only MCLT after entering it: by then every lease the partner gave from its
  // pool without telling us has expired, since it could extend none past MCLT beyond what we
  // acknowledged. The allocator asks only after this server's own pool ran dry.
  if (key.type != lease::LeaseType::Pd || !partner_pool_open(0, now)) return false;
  return free_for_new_client(existing, now) && !owns_prefix(existing);
}

std::uint32_t Endpoint::allowed_valid(const lease::Lease& lease, std::uint32_t desired,
                                      std::int64_t now) {
  if (state_ == State::PartnerDown) return desired;  // §8.4.1: not bound by MCLT
  // §4.4: client expiry <= max(acked partner lifetime, now) + MCLT.
  std::int64_t cap = std::max<std::int64_t>(lease.acked_partner_lifetime - now, 0) + mclt_;
  return static_cast<std::uint32_t>(std::min<std::int64_t>(desired, cap));
}

std::int64_t Endpoint::active_until(const lease::Lease& l) {
  // A lease the partner granted or renewed is held here until the lifetime we acknowledged to
  // it (expiration-time): it may have renewed the client that far while we were cut off, and
  // an EXPIRED sent earlier would lose against its ACTIVE in Figure 4 and leave the stores
  // disagreeing. Found by `failover6 sim` (partition seeds 2-4).
  return std::max(l.state_expiration_time, l.expiration_time);
}

std::int64_t Endpoint::free_at(const lease::Lease& l) {
  if (state_ == State::PartnerDown) {
    // §4.2.2.1 (A5): MCLT past the latest of the lease's times and the PARTNER-DOWN entry;
    // and arc (4): MCLT past the entry into EXPIRED / RELEASED.
    std::int64_t latest = std::max({l.acked_partner_lifetime, l.partner_lifetime,
                                    l.expiration_time, l.state_expiration_time, pd_entry_,
                                    l.start_time_of_state});
    return latest + mclt_;
  }
  // Decision: an ABANDONED (declined) lease is freed when its probation ends and the partner
  // is told (ABANDONED -> RESET -> FREE compressed); EXPIRED and RELEASED wait for the ack.
  if (l.state == BindingStatus::Abandoned) return 0;
  return NEVER;
}

BindingStatus Endpoint::free_state(const lease::Lease& l) {
  if (l.key.type == lease::LeaseType::Pd) return BindingStatus::Free;  // A2: to the primary
  bool odd = (l.key.address.bytes[15] & 1) != 0;
  return odd ? BindingStatus::Free : BindingStatus::FreeBackup;
}

void Endpoint::on_lease_changed(lease::Lease& l, std::int64_t now) {
  if (l.state == BindingStatus::Active) {
    // §4.4 and Figure 1: tell the partner more than the client got, so the next renewal may
    // give the full desired lifetime: now + T1 + desired.
    std::uint32_t desired = l.valid;
    if (const config::Subnet* s = subnet_of(l.key)) desired = std::max(desired, s->timers.valid);
    std::int64_t t1 = l.t1 != 0 ? l.t1 : l.valid / 2;
    l.partner_lifetime = std::max<std::int64_t>(now + t1 + desired, l.state_expiration_time);
  } else {
    l.partner_lifetime = 0;
  }
  l.update_partner = true;
  enqueue(l.key);
}

}  // namespace failover6::failover
