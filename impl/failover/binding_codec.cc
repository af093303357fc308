// RFC 8156 §7.4 / §7.6 binding updates: lease::Lease <-> BNDUPD, verdicts <-> BNDREPLY.
#include "failover/binding_codec.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "failover/types.h"

namespace failover6::failover {

using lease::Lease;
using lease::LeaseKey;
using lease::LeaseType;
using wire::BindingStatus;
using wire::StatusCode;

namespace {

/// States with a timeout carry STATE_EXPIRATION_TIME, PARTNER_LIFETIME and EXPIRATION_TIME
/// (§7.4, marked *). ACTIVE always has one; EXPIRED, RELEASED, ABANDONED and RESET have one when
/// the lease says when the state ends (the server sets it for grace and probation periods);
/// FREE, FREE-BACKUP and PENDING-FREE never do.
bool has_timeout(const Lease& l) {
  switch (l.state) {
    case BindingStatus::Active:
      return true;
    case BindingStatus::Expired:
    case BindingStatus::Released:
    case BindingStatus::Abandoned:
    case BindingStatus::Reset:
      return l.state_expiration_time != 0;
    default:
      return false;
  }
}

/// CLT_TIME is relative to LQ_BASE_TIME (= @p now): seconds since the last client contact.
std::uint32_t relative_clt(std::int64_t cltt, std::int64_t now) {
  std::int64_t d = std::clamp<std::int64_t>(now - cltt, 0, std::numeric_limits<std::uint32_t>::max());
  return static_cast<std::uint32_t>(d);
}

/// The failover options inside one IAADDR/IAPREFIX, in §7.4 order. The prefix form (no client)
/// carries LQ_BASE_TIME here and no client times or name.
wire::Options lease_options(const Lease& l, std::int64_t now, bool prefix_form) {
  wire::Options o;
  if (prefix_form) o.emplace_back(wire::LqBaseTime{to_abs_time(now)});
  o.emplace_back(wire::FBindingStatus{static_cast<std::uint8_t>(l.state)});
  o.emplace_back(wire::FStartTimeOfState{to_abs_time(l.start_time_of_state)});
  const bool timed = has_timeout(l);
  if (timed) o.emplace_back(wire::FStateExpirationTime{to_abs_time(l.state_expiration_time)});
  if (!prefix_form && l.cltt != 0) o.emplace_back(wire::CltTime{relative_clt(l.cltt, now)});
  if (timed) {
    std::int64_t pl = l.partner_lifetime != 0 ? l.partner_lifetime : l.state_expiration_time;
    o.emplace_back(wire::FPartnerLifetime{to_abs_time(pl)});
  }
  if (!prefix_form && l.partner_raw_cltt != 0)
    o.emplace_back(wire::FPartnerRawCltTime{to_abs_time(l.partner_raw_cltt)});
  if (timed && l.expiration_time != 0)
    o.emplace_back(wire::FExpirationTime{to_abs_time(l.expiration_time)});
  if (!prefix_form && !l.hostname.empty()) o.emplace_back(wire::ClientFqdn{0, l.hostname});
  return o;
}

BndupdError missing(std::string message) {
  return {StatusCode::MissingBindingInformation, std::move(message)};
}

/// Where a lease sits, for error texts: "IA_NA 2001:db8::1 (IAID 7)".
std::string where(const LeaseKey& key, const std::uint32_t* iaid) {
  std::string s = key.to_string();
  if (iaid) s += " (IAID " + std::to_string(*iaid) + ")";
  else s = "top-level IAPREFIX " + s.substr(s.find(' ') + 1);
  return s;
}

/// What surrounds one lease in a BNDUPD: its client's options and the message.
struct Scope {
  const wire::FailoverMessage& msg;
  const wire::Options* client_data = nullptr;  ///< nullptr for a top-level IAPREFIX
  const wire::Duid* duid = nullptr;
  std::uint32_t iaid = 0;
  std::uint32_t t1 = 0;
  std::uint32_t t2 = 0;
};

/// @brief Reads the lease options of one IAADDR/IAPREFIX (@p opts) into @p b.
/// @return an error when BINDING_STATUS or START_TIME_OF_STATE is missing or invalid.
std::optional<BndupdError> read_lease(const wire::Options& opts, const Scope& s,
                                      IncomingBinding& b) {
  const std::string at = where(b.lease.key, s.client_data ? &s.iaid : nullptr);
  const auto* status = wire::find_option<wire::FBindingStatus>(opts);
  if (!status) return missing(at + " has no OPTION_F_BINDING_STATUS");
  if (status->value < 1 || status->value > 8)
    return missing(at + ": binding status " + std::to_string(status->value) +
                   " is not defined (1..8)");
  const auto* start = wire::find_option<wire::FStartTimeOfState>(opts);
  if (!start) return missing(at + " has no OPTION_F_START_TIME_OF_STATE");

  Lease& l = b.lease;
  l.state = static_cast<BindingStatus>(status->value);
  l.start_time_of_state = from_abs_time(start->value);
  if (s.duid) l.duid = *s.duid;
  l.iaid = s.iaid;
  l.t1 = s.t1;
  l.t2 = s.t2;
  if (const auto* x = wire::find_option<wire::FStateExpirationTime>(opts))
    l.state_expiration_time = from_abs_time(x->value);
  if (const auto* x = wire::find_option<wire::FPartnerLifetime>(opts))
    b.partner_lifetime = from_abs_time(x->value);
  if (const auto* x = wire::find_option<wire::FExpirationTime>(opts))
    b.expiration_time = from_abs_time(x->value);
  if (const auto* x = wire::find_option<wire::FPartnerRawCltTime>(opts))
    b.partner_raw_cltt = from_abs_time(x->value);

  // CLT_TIME and LQ_BASE_TIME belong inside the IAADDR/IAPREFIX and CLIENT_DATA (§7.4); we
  // also take them one level further out (RFC 5007 puts CLT_TIME in CLIENT_DATA). Without any
  // LQ_BASE_TIME, CLT_TIME counts back from the message's sent-time.
  const wire::CltTime* clt = wire::find_option<wire::CltTime>(opts);
  if (!clt && s.client_data) clt = wire::find_option<wire::CltTime>(*s.client_data);
  if (clt) {
    const wire::LqBaseTime* base = wire::find_option<wire::LqBaseTime>(opts);
    if (!base && s.client_data) base = wire::find_option<wire::LqBaseTime>(*s.client_data);
    if (!base) base = s.msg.find<wire::LqBaseTime>();
    std::int64_t base_time = from_abs_time(base ? base->value : s.msg.sent_time);
    b.cltt = base_time - static_cast<std::int64_t>(clt->value);
  }

  if (const auto* f = wire::find_option<wire::ClientFqdn>(opts)) {
    l.hostname = f->name;
  } else if (const auto* r = wire::find_option<wire::FDnsRemovalInfo>(opts)) {
    if (const auto* h = wire::find_option<wire::FDnsHostName>(r->options)) l.hostname = h->name;
  }
  return std::nullopt;
}

/// @brief Takes apart the IAADDRs/IAPREFIXes of one IA (@p opts) into @p out.
std::optional<BndupdError> read_ia(const wire::Options& opts, LeaseType type, const Scope& s,
                                   std::vector<IncomingBinding>& out) {
  for (const auto& o : opts) {
    IncomingBinding b;
    const wire::Options* inner = nullptr;
    if (const auto* a = o.as<wire::IaAddress>(); a && type != LeaseType::Pd) {
      b.lease.key = {type, a->address, 128};
      b.lease.preferred = a->preferred;
      b.lease.valid = a->valid;
      inner = &a->options;
    } else if (const auto* p = o.as<wire::IaPrefix>(); p && type == LeaseType::Pd) {
      b.lease.key = {type, p->prefix, p->prefix_length};
      b.lease.preferred = p->preferred;
      b.lease.valid = p->valid;
      inner = &p->options;
    } else {
      continue;  // STATUS_CODE and anything else an IA may carry
    }
    if (auto err = read_lease(*inner, s, b)) return err;
    out.push_back(std::move(b));
  }
  return std::nullopt;
}

std::optional<BndupdError> read_client_data(const wire::ClientData& cd,
                                            const wire::FailoverMessage& m,
                                            std::vector<IncomingBinding>& out) {
  const auto* id = wire::find_option<wire::ClientId>(cd.options);
  if (!id) return missing("OPTION_CLIENT_DATA has no OPTION_CLIENTID");
  for (const auto& o : cd.options) {
    Scope s{m, &cd.options, &id->duid};
    std::optional<BndupdError> err;
    if (const auto* na = o.as<wire::IaNa>()) {
      s.iaid = na->iaid;
      s.t1 = na->t1;
      s.t2 = na->t2;
      err = read_ia(na->options, LeaseType::Na, s, out);
    } else if (const auto* ta = o.as<wire::IaTa>()) {
      s.iaid = ta->iaid;
      err = read_ia(ta->options, LeaseType::Ta, s, out);
    } else if (const auto* pd = o.as<wire::IaPd>()) {
      s.iaid = pd->iaid;
      s.t1 = pd->t1;
      s.t2 = pd->t2;
      err = read_ia(pd->options, LeaseType::Pd, s, out);
    }
    if (err) return err;
  }
  return std::nullopt;
}

/// The status an option list carries, or @p inherited when it has no STATUS_CODE.
StatusCode status_in(const wire::Options& opts, StatusCode inherited) {
  const auto* s = wire::find_option<wire::StatusCodeOption>(opts);
  return s ? static_cast<StatusCode>(s->status) : inherited;
}

/// Builds a BNDREPLY's mirror of one BNDUPD lease: verdict status, BINDING_STATUS and
/// STATE_EXPIRATION_TIME as received, PARTNER_LIFETIME_SENT when accepted (§7.6).
class ReplyBuilder {
 public:
  ReplyBuilder(const std::vector<LeaseVerdict>& verdicts, bool whole_rejected)
      : verdicts_(verdicts), whole_rejected_(whole_rejected) {}

  wire::Options lease(const LeaseKey& key, const wire::Options& in) {
    wire::Options out;
    const LeaseVerdict* v = find(key);
    bool accepted = false;
    if (!whole_rejected_) {
      if (!v) {
        out.emplace_back(wire::StatusCodeOption{static_cast<std::uint16_t>(StatusCode::UnspecFail),
                                                "no verdict for " + key.to_string()});
      } else {
        accepted = v->status == StatusCode::Success;
        if (!accepted || !v->message.empty())
          out.emplace_back(
              wire::StatusCodeOption{static_cast<std::uint16_t>(v->status), v->message});
      }
    }
    if (const auto* x = wire::find_option<wire::FBindingStatus>(in)) out.emplace_back(*x);
    if (const auto* x = wire::find_option<wire::FStateExpirationTime>(in)) out.emplace_back(*x);
    if (accepted)
      if (const auto* pl = wire::find_option<wire::FPartnerLifetime>(in))
        out.emplace_back(wire::FPartnerLifetimeSent{pl->value});  // exact echo (§7.6)
    return out;
  }

  /// Mirrors the IAADDRs/IAPREFIXes of one IA.
  wire::Options ia(const wire::Options& in, LeaseType type) {
    wire::Options out;
    for (const auto& o : in) {
      if (const auto* a = o.as<wire::IaAddress>(); a && type != LeaseType::Pd)
        out.emplace_back(wire::IaAddress{a->address, a->preferred, a->valid,
                                         lease({type, a->address, 128}, a->options)});
      else if (const auto* p = o.as<wire::IaPrefix>(); p && type == LeaseType::Pd)
        out.emplace_back(wire::IaPrefix{p->preferred, p->valid, p->prefix_length, p->prefix,
                                        lease({type, p->prefix, p->prefix_length}, p->options)});
    }
    return out;
  }

 private:
  /// Verdicts normally come in lease order; otherwise the first one with the key is used.
  const LeaseVerdict* find(const LeaseKey& key) {
    if (next_ < verdicts_.size() && verdicts_[next_].key == key) return &verdicts_[next_++];
    for (const auto& v : verdicts_)
      if (v.key == key) return &v;
    return nullptr;
  }

  const std::vector<LeaseVerdict>& verdicts_;
  bool whole_rejected_;
  std::size_t next_ = 0;
};

}  // namespace

wire::FailoverMessage encode_bndupd(const Lease& l, std::uint32_t xid, std::int64_t now) {
  wire::FailoverMessage m;
  m.type = wire::MessageType::BndUpd;
  m.transaction_id = xid & 0xFFFFFFU;
  m.sent_time = wire::to_failover_time(now);
  const bool active = l.state == BindingStatus::Active;
  const std::uint32_t preferred = active ? l.preferred : 0;
  const std::uint32_t valid = active ? l.valid : 0;

  if (l.key.type == LeaseType::Pd && l.duid.raw.empty()) {
    m.options.emplace_back(wire::IaPrefix{preferred, valid, l.key.prefix_length, l.key.address,
                                          lease_options(l, now, true)});
    return m;
  }
  wire::ClientData cd;
  if (!l.duid.raw.empty()) cd.options.emplace_back(wire::ClientId{l.duid});
  cd.options.emplace_back(wire::LqBaseTime{to_abs_time(now)});
  wire::Options inner = lease_options(l, now, false);
  switch (l.key.type) {
    case LeaseType::Na:
      cd.options.emplace_back(wire::IaNa{
          l.iaid, l.t1, l.t2, {wire::IaAddress{l.key.address, preferred, valid, std::move(inner)}}});
      break;
    case LeaseType::Ta:
      cd.options.emplace_back(
          wire::IaTa{l.iaid, {wire::IaAddress{l.key.address, preferred, valid, std::move(inner)}}});
      break;
    case LeaseType::Pd:
      cd.options.emplace_back(
          wire::IaPd{l.iaid, l.t1, l.t2,
                     {wire::IaPrefix{preferred, valid, l.key.prefix_length, l.key.address,
                                     std::move(inner)}}});
      break;
  }
  m.options.emplace_back(std::move(cd));
  return m;
}

std::variant<DecodedBndupd, BndupdError> decode_bndupd(const wire::FailoverMessage& m) {
  if (m.type != wire::MessageType::BndUpd)
    return BndupdError{StatusCode::UnspecFail, "not a BNDUPD but " + wire::to_string(m.type)};
  DecodedBndupd d;
  bool any_container = false;
  for (const auto& o : m.options) {
    if (const auto* cd = o.as<wire::ClientData>()) {
      any_container = true;
      if (auto err = read_client_data(*cd, m, d.bindings)) return *err;
    } else if (const auto* p = o.as<wire::IaPrefix>()) {
      any_container = true;
      IncomingBinding b;
      b.top_level_prefix = true;
      b.lease.key = {LeaseType::Pd, p->prefix, p->prefix_length};
      b.lease.preferred = p->preferred;
      b.lease.valid = p->valid;
      if (auto err = read_lease(p->options, Scope{m}, b)) return *err;
      d.bindings.push_back(std::move(b));
    }
  }
  if (!any_container)
    return missing("BNDUPD carries neither OPTION_CLIENT_DATA nor a top-level OPTION_IAPREFIX");
  if (d.bindings.empty()) return missing("BNDUPD describes no IAADDR or IAPREFIX");
  return d;
}

wire::FailoverMessage encode_bndreply(const wire::FailoverMessage& bndupd,
                                      const std::vector<LeaseVerdict>& verdicts,
                                      const std::optional<BndupdError>& whole, std::int64_t now) {
  wire::FailoverMessage r;
  r.type = wire::MessageType::BndReply;
  r.transaction_id = bndupd.transaction_id;
  r.sent_time = wire::to_failover_time(now);
  if (whole)
    r.options.emplace_back(
        wire::StatusCodeOption{static_cast<std::uint16_t>(whole->status), whole->message});
  ReplyBuilder rb(verdicts, whole.has_value());
  for (const auto& o : bndupd.options) {
    if (const auto* cd = o.as<wire::ClientData>()) {
      wire::ClientData out;
      for (const auto& c : cd->options) {
        if (c.as<wire::ClientId>() || c.as<wire::Vss>())
          out.options.push_back(c);
        else if (const auto* na = c.as<wire::IaNa>())
          out.options.emplace_back(
              wire::IaNa{na->iaid, na->t1, na->t2, rb.ia(na->options, LeaseType::Na)});
        else if (const auto* ta = c.as<wire::IaTa>())
          out.options.emplace_back(wire::IaTa{ta->iaid, rb.ia(ta->options, LeaseType::Ta)});
        else if (const auto* pd = c.as<wire::IaPd>())
          out.options.emplace_back(
              wire::IaPd{pd->iaid, pd->t1, pd->t2, rb.ia(pd->options, LeaseType::Pd)});
      }
      r.options.emplace_back(std::move(out));
    } else if (const auto* p = o.as<wire::IaPrefix>()) {
      r.options.emplace_back(wire::IaPrefix{
          p->preferred, p->valid, p->prefix_length, p->prefix,
          rb.lease({LeaseType::Pd, p->prefix, p->prefix_length}, p->options)});
    }
  }
  return r;
}

std::vector<ReplyOutcome> decode_bndreply(const wire::FailoverMessage& m) {
  std::vector<ReplyOutcome> out;
  const StatusCode top = status_in(m.options, StatusCode::Success);
  auto add = [&](const LeaseKey& key, const wire::Options& opts, StatusCode inherited) {
    ReplyOutcome r;
    r.key = key;
    r.status = status_in(opts, inherited);
    if (const auto* s = wire::find_option<wire::FPartnerLifetimeSent>(opts))
      r.partner_lifetime_sent = from_abs_time(s->value);
    out.push_back(std::move(r));
  };
  auto ia = [&](const wire::Options& opts, LeaseType type, StatusCode inherited) {
    const StatusCode st = status_in(opts, inherited);
    for (const auto& o : opts) {
      if (const auto* a = o.as<wire::IaAddress>(); a && type != LeaseType::Pd)
        add({type, a->address, 128}, a->options, st);
      else if (const auto* p = o.as<wire::IaPrefix>(); p && type == LeaseType::Pd)
        add({type, p->prefix, p->prefix_length}, p->options, st);
    }
  };
  for (const auto& o : m.options) {
    if (const auto* cd = o.as<wire::ClientData>()) {
      const StatusCode st = status_in(cd->options, top);
      for (const auto& c : cd->options) {
        if (const auto* na = c.as<wire::IaNa>()) ia(na->options, LeaseType::Na, st);
        else if (const auto* ta = c.as<wire::IaTa>()) ia(ta->options, LeaseType::Ta, st);
        else if (const auto* pd = c.as<wire::IaPd>()) ia(pd->options, LeaseType::Pd, st);
      }
    } else if (const auto* p = o.as<wire::IaPrefix>()) {
      add({LeaseType::Pd, p->prefix, p->prefix_length}, p->options, top);
    }
  }
  return out;
}

wire::StatusCodeOption bndreply_status(const wire::FailoverMessage& m) {
  const auto* s = m.find<wire::StatusCodeOption>();
  return s ? *s : wire::StatusCodeOption{};
}

}  // namespace failover6::failover
