#include "gen/client.h"

#include <algorithm>
#include <ostream>
#include <stdexcept>

namespace failover6::gen {

using wire::MessageType;

namespace {

constexpr std::uint32_t INFINITE = 0xFFFFFFFF;

/// What a server said about one IA of ours.
struct IaView {
  bool present = false;
  std::uint16_t status = 0;
  std::uint32_t t1 = 0;
  std::uint32_t t2 = 0;
  LeaseSlot lease;  ///< the first usable lease in the IA
};

std::uint16_t status_of(const wire::Options& opts) {
  auto* s = wire::find_option<wire::StatusCodeOption>(opts);
  return s ? s->status : 0;
}

IaView view_na(const wire::Options& opts, std::uint32_t iaid) {
  IaView v;
  for (const auto& o : opts) {
    auto* ia = o.as<wire::IaNa>();
    if (!ia || ia->iaid != iaid) continue;
    v.present = true;
    v.t1 = ia->t1;
    v.t2 = ia->t2;
    v.status = status_of(ia->options);
    for (const auto& io : ia->options)
      if (auto* a = io.as<wire::IaAddress>(); a && a->valid > 0 && a->preferred <= a->valid) {
        v.lease = {a->address, a->preferred, a->valid, 128};
        break;
      }
    break;
  }
  return v;
}

IaView view_pd(const wire::Options& opts, std::uint32_t iaid) {
  IaView v;
  for (const auto& o : opts) {
    auto* ia = o.as<wire::IaPd>();
    if (!ia || ia->iaid != iaid) continue;
    v.present = true;
    v.t1 = ia->t1;
    v.t2 = ia->t2;
    v.status = status_of(ia->options);
    for (const auto& io : ia->options)
      if (auto* p = io.as<wire::IaPrefix>(); p && p->valid > 0 && p->preferred <= p->valid) {
        v.lease = {p->prefix, p->preferred, p->valid, p->prefix_length};
        break;
      }
    break;
  }
  return v;
}

Time add_seconds(Time t, std::uint32_t s) {
  return s == INFINITE ? NEVER : t + seconds(static_cast<std::int64_t>(s));
}

bool same_lease(const LeaseSlot& a, const LeaseSlot& b) {
  return a.address == b.address && a.prefix_length == b.prefix_length;
}

}  // namespace

std::string_view to_string(ClientState s) {
  switch (s) {
    case ClientState::Idle: return "Idle";
    case ClientState::Soliciting: return "Soliciting";
    case ClientState::Requesting: return "Requesting";
    case ClientState::Bound: return "Bound";
    case ClientState::Renewing: return "Renewing";
    case ClientState::Rebinding: return "Rebinding";
    case ClientState::Confirming: return "Confirming";
    case ClientState::Releasing: return "Releasing";
    case ClientState::Declining: return "Declining";
    case ClientState::InfoRequesting: return "InfoRequesting";
    case ClientState::InfoBound: return "InfoBound";
    case ClientState::Released: return "Released";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, ClientState s) { return os << to_string(s); }

std::string_view to_string(Failure f) {
  switch (f) {
    case Failure::RequestExhausted: return "request-exhausted";
    case Failure::LeaseExpired: return "lease-expired";
    case Failure::NoLease: return "no-lease";
    case Failure::NotOnLink: return "not-on-link";
    case Failure::ReleaseExhausted: return "release-exhausted";
  }
  return "?";
}

std::uint8_t ServerIds::intern(const wire::Duid& duid) {
  for (std::size_t i = 0; i < ids_.size(); ++i)
    if (ids_[i] == duid) return static_cast<std::uint8_t>(i);
  if (ids_.size() >= 254) throw std::length_error("more than 254 distinct server DUIDs");
  ids_.push_back(duid);
  return static_cast<std::uint8_t>(ids_.size() - 1);
}

Client::Client(wire::Duid duid, std::uint32_t iaid, Time start_at, bool information_only)
    : duid_(std::move(duid)), deadline_(start_at), iaid_(iaid) {
  if (information_only) flags_ |= INFO_ONLY;
}

bool Client::bound(Time now) const {
  switch (state()) {
    case ClientState::Bound:
    case ClientState::Renewing:
    case ClientState::Rebinding:
    case ClientState::Confirming:
      return (na_.held() || pd_.held()) && expiry() > now;
    default:
      return false;
  }
}

Time Client::expiry() const {
  Time e = 0;
  if (na_.held()) e = std::max(e, add_seconds(bound_at_, na_.valid));
  if (pd_.held()) e = std::max(e, add_seconds(bound_at_, pd_.valid));
  return e;
}

const RetransmissionParams& Client::params(const ClientProfile& p) const {
  switch (state()) {
    case ClientState::Requesting: return p.request;
    case ClientState::Renewing: return p.renew;
    case ClientState::Rebinding: return p.rebind;
    case ClientState::Confirming: return p.confirm;
    case ClientState::Releasing: return p.release;
    case ClientState::Declining: return p.decline;
    case ClientState::InfoRequesting: return p.information_request;
    default: return p.solicit;
  }
}

MessageType Client::message_type() const {
  switch (state()) {
    case ClientState::Requesting: return MessageType::Request;
    case ClientState::Renewing: return MessageType::Renew;
    case ClientState::Rebinding: return MessageType::Rebind;
    case ClientState::Confirming: return MessageType::Confirm;
    case ClientState::Releasing: return MessageType::Release;
    case ClientState::Declining: return MessageType::Decline;
    case ClientState::InfoRequesting: return MessageType::InformationRequest;
    default: return MessageType::Solicit;
  }
}

void Client::transition(ClientContext& ctx, ClientState next) {
  auto from = state();
  state_ = static_cast<std::uint8_t>(next);
  if (from != next) ctx.observer.on_state(*this, from);
}

void Client::start(ClientContext& ctx, Time now) {
  if (flags_ & INFO_ONLY)
    begin(ctx, ClientState::InfoRequesting, now, 0, ctx.profile.random_start_delay);
  else
    solicit(ctx, now, ctx.profile.random_start_delay);
}

void Client::solicit(ClientContext& ctx, Time now, bool delay) {
  na_ = {};
  pd_ = {};
  flags_ &= static_cast<std::uint8_t>(~HAVE_OFFER);
  offer_pref_ = -1;
  begin(ctx, ClientState::Soliciting, now, 0, delay);
}

void Client::begin(ClientContext& ctx, ClientState next, Time now, Time mrd_end, bool delay) {
  xid_ = static_cast<std::uint32_t>(ctx.rng.next() & 0xFFFFFF);
  tx_count_ = 0;
  rt_ = 0;
  mrd_end_ = mrd_end;
  transition(ctx, next);
  if (delay) {
    flags_ |= PENDING_FIRST;
    deadline_ = now + initial_delay(params(ctx.profile), ctx.rng);
  } else {
    transmit(ctx, now);
  }
}

void Client::transmit(ClientContext& ctx, Time now) {
  const auto& p = params(ctx.profile);
  flags_ &= static_cast<std::uint8_t>(~PENDING_FIRST);
  if (tx_count_ == 0) {
    trans_start_ = now;
    rt_ = first_timeout(p, ctx.rng);
    if (p.mrd > 0) mrd_end_ = now + p.mrd;
  } else {
    rt_ = next_timeout(p, rt_, ctx.rng);
  }
  ++tx_count_;
  wire::Message m = build(ctx.profile, now);
  // The SERVERID of REQUEST, RENEW, RELEASE and DECLINE names the chosen server.
  if (m.type == MessageType::Request || m.type == MessageType::Renew ||
      m.type == MessageType::Release || m.type == MessageType::Decline)
    m.options.insert(m.options.begin() + 1, wire::ServerId{ctx.server_ids.at(server_id_)});
  ctx.observer.on_send(*this, m, tx_count_ > 1);
  std::uint8_t dest = ALL_SERVERS;
  if (state() == ClientState::Renewing && ctx.profile.renew_unicast) dest = server_;
  ctx.out.push_back({std::move(m), dest});
  deadline_ = now + rt_;
  if (mrd_end_ > 0 && deadline_ > mrd_end_) deadline_ = mrd_end_;
}

wire::Message Client::build(const ClientProfile& p, Time now) const {
  wire::Message m;
  m.type = message_type();
  m.transaction_id = xid_;
  m.options.reserve(6);
  m.options.emplace_back(wire::ClientId{duid_});
  std::int64_t elapsed = tx_count_ <= 1 ? 0 : (now - trans_start_) / millis(10);
  m.options.emplace_back(wire::ElapsedTime{static_cast<std::uint16_t>(std::min<std::int64_t>(elapsed, 0xFFFF))});
  if (m.type == MessageType::InformationRequest) {
    if (!p.oro.empty()) m.options.emplace_back(wire::OptionRequest{p.oro});
    return m;
  }
  if (m.type == MessageType::Solicit && p.rapid_commit) m.options.emplace_back(wire::RapidCommit{});
  const bool only_na = m.type == MessageType::Decline || m.type == MessageType::Confirm;
  if (p.na && (na_.held() || m.type == MessageType::Solicit || m.type == MessageType::Request)) {
    wire::IaNa ia{iaid_, 0, 0, {}};
    // RFC 8415 §21.6: lifetimes in client messages SHOULD be 0 and are ignored by servers.
    if (na_.held()) ia.options.emplace_back(wire::IaAddress{na_.address, 0, 0, {}});
    if (!(only_na && !na_.held())) m.options.emplace_back(std::move(ia));
  }
  if (p.pd && !only_na &&
      (pd_.held() || m.type == MessageType::Solicit || m.type == MessageType::Request)) {
    wire::IaPd ia{iaid_, 0, 0, {}};
    if (pd_.held())
      ia.options.emplace_back(wire::IaPrefix{0, 0, pd_.prefix_length, pd_.address, {}});
    else if (p.pd_hint_length != 0)
      ia.options.emplace_back(wire::IaPrefix{0, 0, p.pd_hint_length, wire::Address{}, {}});
    m.options.emplace_back(std::move(ia));
  }
  if (m.type != MessageType::Release && m.type != MessageType::Decline && !p.oro.empty())
    m.options.emplace_back(wire::OptionRequest{p.oro});
  return m;
}

void Client::on_timer(ClientContext& ctx, Time now) {
  if (now < deadline_) return;
  switch (state()) {
    case ClientState::Idle:
      deadline_ = NEVER;
      start(ctx, now);
      return;
    case ClientState::Bound: {
      Time exp = expiry();
      Time t2 = add_seconds(bound_at_, t2_);
      if (now >= exp) {
        lose_leases();
        ctx.observer.on_failure(*this, Failure::LeaseExpired);
        solicit(ctx, now, false);
      } else if (now >= t2) {
        begin(ctx, ClientState::Rebinding, now, exp, false);
      } else {
        begin(ctx, ClientState::Renewing, now, std::min(t2, exp), false);
      }
      return;
    }
    case ClientState::InfoBound:
      begin(ctx, ClientState::InfoRequesting, now, 0, false);
      return;
    case ClientState::Released:
      deadline_ = NEVER;
      return;
    default:
      break;
  }
  if (flags_ & PENDING_FIRST) return transmit(ctx, now);
  // RFC 8415 §18.2.1: after the first RT, take the best ADVERTISE collected so far.
  if (state() == ClientState::Soliciting && (flags_ & HAVE_OFFER)) return request(ctx, now);
  const auto& p = params(ctx.profile);
  if ((p.mrc > 0 && tx_count_ >= p.mrc) || (mrd_end_ > 0 && now >= mrd_end_))
    return give_up(ctx, now);
  transmit(ctx, now);
}

void Client::give_up(ClientContext& ctx, Time now) {
  switch (state()) {
    case ClientState::Requesting:
      ctx.observer.on_failure(*this, Failure::RequestExhausted);
      return solicit(ctx, now, false);
    case ClientState::Renewing:
      return begin(ctx, ClientState::Rebinding, now, expiry(), false);
    case ClientState::Confirming:
      // §18.2.3: no answer to CONFIRM: keep using the leases.
      transition(ctx, ClientState::Bound);
      deadline_ = std::min(add_seconds(bound_at_, t1_), expiry());
      if (deadline_ < now) deadline_ = now;
      return;
    case ClientState::Releasing:
      ctx.observer.on_failure(*this, Failure::ReleaseExhausted);
      lose_leases();
      transition(ctx, ClientState::Released);
      deadline_ = NEVER;
      return;
    case ClientState::Declining:
      ctx.observer.on_failure(*this, Failure::ReleaseExhausted);
      return solicit(ctx, now, false);
    case ClientState::Rebinding:
      lose_leases();
      ctx.observer.on_failure(*this, Failure::LeaseExpired);
      return solicit(ctx, now, false);
    default:
      return solicit(ctx, now, false);
  }
}

void Client::request(ClientContext& ctx, Time now) {
  begin(ctx, ClientState::Requesting, now, 0, false);
}

void Client::lose_leases() {
  na_ = {};
  pd_ = {};
  t1_ = t2_ = 0;
}

void Client::release(ClientContext& ctx, Time now) {
  if (!bound(now)) {
    lose_leases();
    transition(ctx, ClientState::Released);
    deadline_ = NEVER;
    return;
  }
  begin(ctx, ClientState::Releasing, now, 0, false);
}

void Client::decline(ClientContext& ctx, Time now) {
  if (!bound(now) || !na_.held()) return;
  begin(ctx, ClientState::Declining, now, 0, false);
}

void Client::confirm(ClientContext& ctx, Time now) {
  if (!bound(now)) return;
  if (na_.held())
    begin(ctx, ClientState::Confirming, now, 0, ctx.profile.random_start_delay);
  else
    begin(ctx, ClientState::Rebinding, now, expiry(), false);
}

bool Client::on_message(ClientContext& ctx, const wire::Message& m, std::uint8_t server,
                        Time now) {
  if (m.transaction_id != xid_ || (flags_ & PENDING_FIRST) || tx_count_ == 0) return false;
  auto* cid = m.find<wire::ClientId>();
  auto* sid = m.find<wire::ServerId>();
  if (!cid || cid->duid != duid_ || !sid) return false;
  if (m.type == MessageType::Reply) return accept_reply(ctx, m, server, now);
  if (m.type != MessageType::Advertise || state() != ClientState::Soliciting) return false;
  if (status_of(m.options) != 0) return false;
  IaView na = ctx.profile.na ? view_na(m.options, iaid_) : IaView{};
  IaView pd = ctx.profile.pd ? view_pd(m.options, iaid_) : IaView{};
  // §18.2.9: an ADVERTISE that offers nothing is ignored.
  if (!na.lease.held() && !pd.lease.held()) return false;
  if (!(flags_ & HAVE_OFFER))
    ctx.observer.on_exchange(*this, MessageType::Solicit, MessageType::Advertise,
                             now - trans_start_);
  auto* pref_opt = m.find<wire::Preference>();
  int pref = pref_opt ? pref_opt->value : 0;
  if (pref > offer_pref_) {
    offer_pref_ = static_cast<std::int16_t>(pref);
    server_ = server;
    server_id_ = ctx.server_ids.intern(sid->duid);
    na_ = na.lease;
    pd_ = pd.lease;
    flags_ |= HAVE_OFFER;
  }
  // Preference 255 ends the collection at once; after the first RT, the first one does.
  if (pref == 255 || tx_count_ > 1) request(ctx, now);
  return true;
}

bool Client::accept_reply(ClientContext& ctx, const wire::Message& m, std::uint8_t server,
                          Time now) {
  const auto st = state();
  if (st == ClientState::Soliciting &&
      !(ctx.profile.rapid_commit && m.find<wire::RapidCommit>()))
    return false;
  if (st == ClientState::Idle || st == ClientState::Bound || st == ClientState::InfoBound ||
      st == ClientState::Released)
    return false;
  const std::uint16_t status = status_of(m.options);
  if (status == static_cast<std::uint16_t>(wire::StatusCode::UseMulticast) ||
      status == static_cast<std::uint16_t>(wire::StatusCode::UnspecFail))
    return true;  // §18.2.10: keep retransmitting
  ctx.observer.on_exchange(*this, message_type(), MessageType::Reply, now - trans_start_);
  auto* sid = m.find<wire::ServerId>();
  switch (st) {
    case ClientState::Releasing:
      lose_leases();
      transition(ctx, ClientState::Released);
      deadline_ = NEVER;
      return true;
    case ClientState::Declining:
      solicit(ctx, now, false);
      return true;
    case ClientState::InfoRequesting: {
      auto* irt = m.find<wire::InformationRefreshTime>();
      Duration refresh = irt ? (irt->value == INFINITE ? NEVER : seconds(irt->value))
                             : rfc8415::IRT_DEFAULT;
      refresh = std::max(refresh, rfc8415::IRT_MINIMUM);
      transition(ctx, ClientState::InfoBound);
      deadline_ = refresh == NEVER ? NEVER : now + refresh;
      return true;
    }
    case ClientState::Confirming:
      if (status == static_cast<std::uint16_t>(wire::StatusCode::NotOnLink)) {
        ctx.observer.on_failure(*this, Failure::NotOnLink);
        solicit(ctx, now, false);
      } else {
        transition(ctx, ClientState::Bound);
        deadline_ = std::max(now, std::min(add_seconds(bound_at_, t1_), expiry()));
      }
      return true;
    default:
      break;
  }
  if (status == static_cast<std::uint16_t>(wire::StatusCode::NotOnLink)) {
    ctx.observer.on_failure(*this, Failure::NotOnLink);
    solicit(ctx, now, true);
    return true;
  }
  const bool extending = st == ClientState::Renewing || st == ClientState::Rebinding;
  IaView na = ctx.profile.na ? view_na(m.options, iaid_) : IaView{};
  IaView pd = ctx.profile.pd ? view_pd(m.options, iaid_) : IaView{};
  const auto NO_BINDING = static_cast<std::uint16_t>(wire::StatusCode::NoBinding);
  bool no_binding = (na.present && na.status == NO_BINDING) || (pd.present && pd.status == NO_BINDING);
  LeaseSlot new_na = na.lease;
  LeaseSlot new_pd = pd.lease;
  bool changed = false;
  if (extending) {
    // An IA left out of the REPLY keeps its lease (§18.2.10.1); one that came back without
    // the held lease, or with another one, changed.
    auto judge = [&](const LeaseSlot& held, const IaView& v, LeaseSlot& next) {
      if (!held.held()) return;
      if (!v.present) {
        next = held;
        return;
      }
      if (v.status == NO_BINDING) return;
      if (!next.held() || !same_lease(next, held)) changed = true;
    };
    judge(na_, na, new_na);
    judge(pd_, pd, new_pd);
  }
  sid = m.find<wire::ServerId>();
  if (no_binding && extending) {
    // §18.2.10.1: the server lost the binding: REQUEST it from the server that said so.
    server_ = server;
    server_id_ = ctx.server_ids.intern(sid->duid);
    begin(ctx, ClientState::Requesting, now, 0, false);
    return true;
  }
  if (!new_na.held() && !new_pd.held()) {
    ctx.observer.on_failure(*this, Failure::NoLease);
    if (extending && expiry() > now) return true;  // keep trying until T2 / expiry
    solicit(ctx, now, true);  // after a random delay: no tight loop with a full pool
    return true;
  }
  if (changed) flags_ |= LEASES_CHANGED;
  // T1/T2: the smallest non-zero values among the IAs; 0.5 and 0.8 of the shortest
  // preferred lifetime when the server left them to the client, or gave T1 > T2.
  std::uint32_t t1 = 0, t2 = 0;
  for (const IaView* v : {&na, &pd}) {
    if (!v->present || !v->lease.held()) continue;
    if (v->t1 != 0 && (t1 == 0 || v->t1 < t1)) t1 = v->t1;
    if (v->t2 != 0 && (t2 == 0 || v->t2 < t2)) t2 = v->t2;
  }
  if (t1 == 0 || t2 == 0 || t1 > t2) {
    std::uint32_t pref = INFINITE;
    if (new_na.held()) pref = std::min(pref, new_na.preferred);
    if (new_pd.held()) pref = std::min(pref, new_pd.preferred);
    if (pref == INFINITE) {
      t1 = t2 = INFINITE;
    } else {
      t1 = pref / 2;
      t2 = static_cast<std::uint32_t>(static_cast<std::uint64_t>(pref) * 4 / 5);
    }
  }
  na_ = new_na;
  pd_ = new_pd;
  t1_ = t1;
  t2_ = t2;
  server_ = server;
  server_id_ = ctx.server_ids.intern(sid->duid);
  bound_at_ = now;
  bind(ctx, now);
  return true;
}

void Client::bind(ClientContext& ctx, Time now) {
  transition(ctx, ClientState::Bound);
  tx_count_ = 0;
  Time t1 = add_seconds(bound_at_, t1_);
  deadline_ = std::min(t1, expiry());
  if (deadline_ < now) deadline_ = now;
}

}  // namespace failover6::gen
