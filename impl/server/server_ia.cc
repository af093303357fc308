// IA processing (RFC 8415 §18.3.1-18.3.8): binding addresses and prefixes to a client's IAs,
// lifetimes and T1/T2, release, decline, and lease expiry.
#include <algorithm>

#include "server/context.h"
#include "server/server.h"

namespace failover6::server {

using lease::Lease;
using lease::LeaseKey;
using lease::LeaseType;
using wire::BindingStatus;
using wire::MessageType;
using wire::StatusCode;

/// One lease as it goes into the reply.
struct Server::Binding {
  LeaseKey key;
  std::uint32_t preferred = 0;
  std::uint32_t valid = 0;
};

namespace {

std::uint32_t pick(std::uint32_t configured, std::uint32_t min, std::uint32_t max,
                   std::uint32_t hint) {
  if (hint == 0) return configured;
  std::uint32_t lo = min ? min : configured;
  std::uint32_t hi = max ? max : configured;
  return std::clamp(hint, std::min(lo, hi), std::max(lo, hi));
}

bool belongs(const Lease& l, const wire::Duid& duid, LeaseType type, std::uint32_t iaid) {
  return l.duid == duid && l.key.type == type && l.iaid == iaid;
}

}  // namespace

bool Server::bind(Context& ctx, const LeaseKey& key, std::uint32_t iaid,
                  std::uint32_t hint_preferred, std::uint32_t hint_valid,
                  std::vector<Binding>& out) {
  const config::Timers& t = ctx.subnet->timers;
  const Lease* existing = store_.find(key);
  const auto& duid = ctx.in.find<wire::ClientId>()->duid;
  bool same_client = existing && belongs(*existing, duid, key.type, iaid);
  Lease l = existing ? *existing : Lease{};
  l.key = key;
  l.duid = duid;
  l.iaid = iaid;
  l.subnet_id = ctx.subnet->id;
  std::uint32_t desired_valid = pick(t.valid, t.min_valid, t.max_valid, hint_valid);
  std::uint32_t desired_pref = pick(t.preferred, t.min_preferred, t.max_preferred, hint_preferred);
  std::uint32_t valid = policy_->allowed_valid(l, desired_valid, ctx.now);
  std::uint32_t pref = std::min(desired_pref, valid);
  if (valid == 0) return false;
  out.push_back({key, pref, valid});
  if (ctx.reply.type == MessageType::Advertise) return true;  // an offer: nothing stored
  bool renewing = same_client && existing->state == BindingStatus::Active;
  if (!renewing) l.start_time_of_state = ctx.now;
  l.state = BindingStatus::Active;
  l.preferred = pref;
  l.valid = valid;
  l.cltt = ctx.now;
  l.state_expiration_time = ctx.now + valid;
  put(ctx, l);
  if (renewing) ++stats_.leases_renewed;
  else ++stats_.leases_granted;
  return true;
}

void Server::bind_addresses(Context& ctx, LeaseType type, std::uint32_t iaid,
                            const wire::Options& ia_opts, std::vector<Binding>& out,
                            std::optional<wire::StatusCodeOption>& st) {
  const auto& duid = ctx.in.find<wire::ClientId>()->duid;
  const config::Subnet& subnet = *ctx.subnet;
  auto hints = wire::find_options<wire::IaAddress>(ia_opts);
  auto on_link = [&](const wire::Address& a) { return Allocator::in_pools(subnet, a); };
  std::vector<const Lease*> held;
  for (const Lease* l : store_.find_client({duid, type, iaid}))
    if (l->active_at(ctx.now) && on_link(l->key.address)) held.push_back(l);

  if (ctx.in.type == MessageType::Renew || ctx.in.type == MessageType::Rebind) {
    // Extend what the client asks for when it is (or can be) its own; lifetimes 0 for the
    // rest (RFC 8415 §18.3.4-5); and report bindings it did not list.
    for (const auto* h : hints) {
      LeaseKey key{type, h->address, 128};
      const Lease* l = store_.find(key);
      bool mine = l && belongs(*l, duid, type, iaid) && l->state != BindingStatus::Abandoned;
      bool free = on_link(h->address) && policy_->may_allocate(key, l, ctx.subnet->id, ctx.now);
      if (!((mine && on_link(h->address)) || free) ||
          !bind(ctx, key, iaid, h->preferred, h->valid, out))
        out.push_back({key, 0, 0});
    }
    for (const Lease* l : held)
      if (std::none_of(out.begin(), out.end(), [&](const Binding& b) { return b.key == l->key; }))
        bind(ctx, l->key, iaid, 0, 0, out);
    if (out.empty()) st = wire::StatusCodeOption{3, "no binding for this IA"};
    return;
  }
  // SOLICIT / REQUEST: keep what the client holds; else its reservation; else its hint; else
  // the allocator's choice.
  for (const Lease* l : held) bind(ctx, l->key, iaid, 0, 0, out);
  if (!out.empty()) return;
  std::uint32_t hp = hints.empty() ? 0 : hints[0]->preferred;
  std::uint32_t hv = hints.empty() ? 0 : hints[0]->valid;
  for (const auto& r : subnet.reservations) {
    if (r.duid != duid) continue;
    for (const auto& a : r.addresses) {
      LeaseKey key{type, a, 128};
      const Lease* l = store_.find(key);
      if ((!l || !l->active_at(ctx.now) || belongs(*l, duid, type, iaid)) &&
          bind(ctx, key, iaid, hp, hv, out))
        return;
    }
  }
  std::optional<wire::Address> hint;
  if (!hints.empty()) hint = hints[0]->address;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto key = allocator_.address(subnet, type, hint, store_, *policy_, ctx.now);
    if (!key) break;
    if (bind(ctx, *key, iaid, hp, hv, out)) return;
    hint.reset();
  }
  ++stats_.no_addrs_avail;
  st = wire::StatusCodeOption{static_cast<std::uint16_t>(StatusCode::NoAddrsAvail),
                              "no addresses available"};
}

void Server::bind_prefixes(Context& ctx, std::uint32_t iaid, const wire::Options& ia_opts,
                           std::vector<Binding>& out, std::optional<wire::StatusCodeOption>& st) {
  const auto& duid = ctx.in.find<wire::ClientId>()->duid;
  const config::Subnet& subnet = *ctx.subnet;
  auto hints = wire::find_options<wire::IaPrefix>(ia_opts);
  auto delegable = [&](const LeaseKey& k) {
    return Allocator::in_pd_pools(subnet, k.address, k.prefix_length);
  };
  std::vector<const Lease*> held;
  for (const Lease* l : store_.find_client({duid, LeaseType::Pd, iaid}))
    if (l->active_at(ctx.now) && delegable(l->key)) held.push_back(l);

  if (ctx.in.type == MessageType::Renew || ctx.in.type == MessageType::Rebind) {
    for (const auto* h : hints) {
      LeaseKey key{LeaseType::Pd, h->prefix, h->prefix_length};
      const Lease* l = store_.find(key);
      bool mine = l && belongs(*l, duid, LeaseType::Pd, iaid) &&
                  l->state != BindingStatus::Abandoned;
      bool free = delegable(key) && policy_->may_allocate(key, l, ctx.subnet->id, ctx.now);
      if (!((mine && delegable(key)) || free) ||
          !bind(ctx, key, iaid, h->preferred, h->valid, out))
        out.push_back({key, 0, 0});
    }
    for (const Lease* l : held)
      if (std::none_of(out.begin(), out.end(), [&](const Binding& b) { return b.key == l->key; }))
        bind(ctx, l->key, iaid, 0, 0, out);
    if (out.empty()) st = wire::StatusCodeOption{3, "no binding for this IA"};
    return;
  }
  for (const Lease* l : held) bind(ctx, l->key, iaid, 0, 0, out);
  if (!out.empty()) return;
  std::uint32_t hp = hints.empty() ? 0 : hints[0]->preferred;
  std::uint32_t hv = hints.empty() ? 0 : hints[0]->valid;
  for (const auto& r : subnet.reservations) {
    if (r.duid != duid) continue;
    for (const auto& p : r.prefixes) {
      LeaseKey key{LeaseType::Pd, p.address, p.length};
      const Lease* l = store_.find(key);
      if ((!l || !l->active_at(ctx.now) || belongs(*l, duid, LeaseType::Pd, iaid)) &&
          bind(ctx, key, iaid, hp, hv, out))
        return;
    }
  }
  std::optional<LeaseKey> hint;
  if (!hints.empty() && !hints[0]->prefix.is_unspecified())
    hint = LeaseKey{LeaseType::Pd, hints[0]->prefix, hints[0]->prefix_length};
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto key = allocator_.prefix(subnet, hint, store_, *policy_, ctx.now);
    if (!key) break;
    if (bind(ctx, *key, iaid, hp, hv, out)) return;
    hint.reset();
  }
  ++stats_.no_prefix_avail;
  st = wire::StatusCodeOption{static_cast<std::uint16_t>(StatusCode::NoPrefixAvail),
                              "no prefixes available"};
}

void Server::process(Context& ctx) {
  if (ctx.in.type == MessageType::InformationRequest) return;
  if (ctx.in.type == MessageType::Release || ctx.in.type == MessageType::Decline)
    return release_or_decline(ctx);

  struct IaResult {
    std::uint16_t code;
    std::uint32_t iaid;
    std::vector<Binding> bindings;
    std::optional<wire::StatusCodeOption> status;
  };
  std::vector<IaResult> results;
  for (const auto& o : ctx.in.options) {
    if (const auto* na = o.as<wire::IaNa>()) {
      IaResult r{3, na->iaid, {}, {}};
      bind_addresses(ctx, LeaseType::Na, na->iaid, na->options, r.bindings, r.status);
      results.push_back(std::move(r));
    } else if (const auto* ta = o.as<wire::IaTa>()) {
      IaResult r{4, ta->iaid, {}, {}};
      bind_addresses(ctx, LeaseType::Ta, ta->iaid, ta->options, r.bindings, r.status);
      results.push_back(std::move(r));
    } else if (const auto* pd = o.as<wire::IaPd>()) {
      IaResult r{25, pd->iaid, {}, {}};
      bind_prefixes(ctx, pd->iaid, pd->options, r.bindings, r.status);
      results.push_back(std::move(r));
    }
  }
  // One T1/T2 for every IA of the reply (RFC 8415 §21.4), from the shortest preferred lifetime
  // granted; configured timers apply unless a shorter (e.g. MCLT-capped) lifetime needs earlier
  // renewals.
  std::uint32_t min_pref = 0;
  for (const auto& r : results)
    for (const auto& b : r.bindings)
      if (b.valid != 0 && (min_pref == 0 || b.preferred < min_pref)) min_pref = b.preferred;
  const config::Timers& t = ctx.subnet->timers;
  std::uint32_t t1 = t.renew, t2 = t.rebind;
  if ((t1 == 0 || t2 == 0) && t.calculate_tee_times) {
    t1 = static_cast<std::uint32_t>(t.t1_percent * min_pref);
    t2 = static_cast<std::uint32_t>(t.t2_percent * min_pref);
  }
  if (min_pref == 0) {
    t1 = t2 = 0;
  } else if (t2 > min_pref || t1 > t2) {
    t1 = min_pref / 2;
    t2 = static_cast<std::uint32_t>(std::uint64_t{min_pref} * 4 / 5);
  }
  for (auto& r : results) {
    wire::Options opts;
    for (const auto& b : r.bindings) {
      if (r.code == 25)
        opts.emplace_back(wire::IaPrefix{b.preferred, b.valid, b.key.prefix_length, b.key.address, {}});
      else
        opts.emplace_back(wire::IaAddress{b.key.address, b.preferred, b.valid, {}});
    }
    if (r.status) opts.emplace_back(*r.status);
    if (r.code == 3) ctx.reply.options.emplace_back(wire::IaNa{r.iaid, t1, t2, std::move(opts)});
    else if (r.code == 4) ctx.reply.options.emplace_back(wire::IaTa{r.iaid, std::move(opts)});
    else ctx.reply.options.emplace_back(wire::IaPd{r.iaid, t1, t2, std::move(opts)});
  }
}

void Server::release_or_decline(Context& ctx) {
  bool decline = ctx.in.type == MessageType::Decline;
  const auto& duid = ctx.in.find<wire::ClientId>()->duid;
  auto handle = [&](LeaseType type, std::uint32_t iaid, const LeaseKey& key) {
    const Lease* l = store_.find(key);
    if (!l || !belongs(*l, duid, type, iaid) || l->state != BindingStatus::Active) return false;
    Lease n = *l;
    n.state = decline ? BindingStatus::Abandoned : BindingStatus::Released;
    n.start_time_of_state = ctx.now;
    n.state_expiration_time =
        decline ? ctx.now + config_.dhcp6.decline_probation_period : ctx.now;
    n.cltt = ctx.now;
    put(ctx, n);
    ++(decline ? stats_.leases_declined : stats_.leases_released);
    return true;
  };
  auto no_binding = [](std::uint32_t) {
    return wire::StatusCodeOption{static_cast<std::uint16_t>(StatusCode::NoBinding),
                                  "no binding for this IA"};
  };
  for (const auto& o : ctx.in.options) {
    if (const auto* na = o.as<wire::IaNa>()) {
      bool any = false;
      for (const auto* a : wire::find_options<wire::IaAddress>(na->options))
        any = handle(LeaseType::Na, na->iaid, {LeaseType::Na, a->address, 128}) || any;
      if (!any) ctx.reply.options.emplace_back(wire::IaNa{na->iaid, 0, 0, {no_binding(na->iaid)}});
    } else if (const auto* ta = o.as<wire::IaTa>()) {
      bool any = false;
      for (const auto* a : wire::find_options<wire::IaAddress>(ta->options))
        any = handle(LeaseType::Ta, ta->iaid, {LeaseType::Ta, a->address, 128}) || any;
      if (!any) ctx.reply.options.emplace_back(wire::IaTa{ta->iaid, {no_binding(ta->iaid)}});
    } else if (const auto* pd = o.as<wire::IaPd>()) {
      bool any = false;
      for (const auto* p : wire::find_options<wire::IaPrefix>(pd->options))
        any = handle(LeaseType::Pd, pd->iaid, {LeaseType::Pd, p->prefix, p->prefix_length}) || any;
      if (!any) ctx.reply.options.emplace_back(wire::IaPd{pd->iaid, 0, 0, {no_binding(pd->iaid)}});
    }
  }
  ctx.reply.options.emplace_back(wire::StatusCodeOption{
      static_cast<std::uint16_t>(StatusCode::Success),
      decline ? "decline received" : "release received"});
}

std::size_t Server::expire(std::int64_t now) {
  std::size_t changed = 0;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto [when, key] = *deadlines_.begin();
    deadlines_.erase(deadlines_.begin());
    const Lease* l = store_.find(key);
    if (!l || deadline_of(*l) != when) continue;  // superseded by a later change
    Lease n = *l;
    if (n.state == BindingStatus::Active) {
      n.state = BindingStatus::Expired;  // RFC 8156 §5 arc (8)
      n.start_time_of_state = now;
      n.state_expiration_time = now;
      ++stats_.leases_expired;
    }
    if ((n.state == BindingStatus::Expired || n.state == BindingStatus::Released ||
         n.state == BindingStatus::Abandoned) &&
        std::max(n.state_expiration_time, policy_->free_at(n)) <= now) {
      n.state = policy_->free_state(n);  // arcs (4)+(5)/(6): the last client stays as a hint
      n.start_time_of_state = now;
      n.state_expiration_time = 0;
    }
    if (n == *l) continue;  // waiting for the partner's acknowledgement
    policy_->on_lease_changed(n, now);
    store_.put(n);
    schedule(n);
    ++changed;
  }
  return changed;
}

std::optional<std::int64_t> Server::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

}  // namespace failover6::server
