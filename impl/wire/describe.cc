#include "wire/describe.h"

#include <cstdio>

namespace failover6::wire {

namespace {

std::string hex24(std::uint32_t v) {
  static constexpr char DIGITS[] = "0123456789abcdef";
  std::string s = "0x000000";
  for (int i = 7; i >= 2; --i, v >>= 4) s[static_cast<std::size_t>(i)] = DIGITS[v & 0xF];
  return s;
}

void append_status(std::string& out, const Options& opts) {
  for (const auto* s : find_options<StatusCodeOption>(opts)) {
    out += " status=" + status_name(s->status);
    if (!s->message.empty()) out += "(\"" + s->message + "\")";
  }
}

void append_lease_details(std::string& out, const Options& opts) {
  if (auto* b = find_option<FBindingStatus>(opts)) out += " " + binding_status_name(b->value);
  if (auto* p = find_option<FPartnerLifetime>(opts))
    out += " partner-lifetime=" + std::to_string(p->value);
  if (auto* p = find_option<FPartnerLifetimeSent>(opts))
    out += " partner-lifetime-sent=" + std::to_string(p->value);
  if (auto* p = find_option<FStateExpirationTime>(opts))
    out += " state-expires=" + std::to_string(p->value);
  append_status(out, opts);
}

template <class Ia>
void append_ia(std::string& out, const char* name, const Ia& ia) {
  out += std::string(" ") + name + "(iaid=" + std::to_string(ia.iaid);
  if constexpr (requires { ia.t1; }) {
    out += " t1=" + std::to_string(ia.t1) + " t2=" + std::to_string(ia.t2);
  }
  for (const auto& o : ia.options) {
    if (o.template as<IaAddress>() || o.template as<IaPrefix>())
      out += " [" + describe_lease(o) + "]";
  }
  append_status(out, ia.options);
  out += ")";
}

void append_ias(std::string& out, const Options& opts) {
  for (const auto& o : opts) {
    if (auto* na = o.as<IaNa>()) append_ia(out, "IA_NA", *na);
    else if (auto* ta = o.as<IaTa>()) append_ia(out, "IA_TA", *ta);
    else if (auto* pd = o.as<IaPd>()) append_ia(out, "IA_PD", *pd);
  }
}

}  // namespace

std::string describe_lease(const Option& o) {
  std::string out;
  if (auto* a = o.as<IaAddress>()) {
    out = a->address.to_string() + " pref=" + std::to_string(a->preferred) +
          " valid=" + std::to_string(a->valid);
    append_lease_details(out, a->options);
  } else if (auto* p = o.as<IaPrefix>()) {
    out = p->prefix.to_string() + "/" + std::to_string(p->prefix_length) +
          " pref=" + std::to_string(p->preferred) + " valid=" + std::to_string(p->valid);
    append_lease_details(out, p->options);
  }
  return out;
}

std::string describe(const Message& m) {
  const Message& inner = m.innermost();
  std::string out = to_string(inner.type) + " xid=" + hex24(inner.transaction_id);
  if (auto* c = inner.find<ClientId>()) out += " client=" + c->duid.to_string();
  if (auto* s = inner.find<ServerId>()) out += " server=" + s->duid.to_string();
  if (inner.find<RapidCommit>()) out += " rapid-commit";
  if (auto* p = inner.find<Preference>()) out += " preference=" + std::to_string(p->value);
  append_ias(out, inner.options);
  append_status(out, inner.options);
  int hops = m.relay_depth();
  if (hops > 0) {
    out += " " + to_string(m.type) + " hops=" + std::to_string(hops) + " [";
    const Message* r = &m;
    for (int i = 0; i < hops; ++i, r = r->relayed()) {
      if (i) out += " ";
      out += "link=" + r->link_address.to_string() + " peer=" + r->peer_address.to_string();
    }
    out += "]";
  }
  return out;
}

std::string describe(const FailoverMessage& m) {
  std::string out = to_string(m.type) + " xid=" + hex24(m.transaction_id);
  if (m.has_sent_time) out += " sent=" + std::to_string(m.sent_time);
  if (auto* v = m.find<FProtocolVersion>())
    out += " version=" + std::to_string(v->major) + "." + std::to_string(v->minor);
  if (auto* n = m.find<FRelationshipName>()) out += " relationship=\"" + n->name + "\"";
  if (auto* x = m.find<FMclt>()) out += " mclt=" + std::to_string(x->value);
  if (auto* x = m.find<FKeepaliveTime>()) out += " keepalive=" + std::to_string(x->value);
  if (auto* x = m.find<FMaxUnackedBndupd>()) out += " max-unacked=" + std::to_string(x->value);
  if (auto* x = m.find<FServerState>()) out += " state=" + server_state_name(x->value);
  if (auto* x = m.find<FServerFlags>()) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "0x%02x", x->value);
    out += std::string(" flags=") + buf;
  }
  if (auto* x = m.find<FStartTimeOfState>()) out += " since=" + std::to_string(x->value);
  if (auto* x = m.find<FPartnerDownTime>()) out += " partner-down=" + std::to_string(x->value);
  for (const auto* cd : find_options<ClientData>(m.options)) {
    if (auto* c = find_option<ClientId>(cd->options)) out += " client=" + c->duid.to_string();
    append_ias(out, cd->options);
    append_status(out, cd->options);
  }
  for (const auto& o : m.options)
    if (o.as<IaPrefix>()) out += " [" + describe_lease(o) + "]";
  append_status(out, m.options);
  return out;
}

}  // namespace failover6::wire
