#include "check/timeline.h"

#include <algorithm>

namespace failover6::check {

using wire::MessageType;

namespace {

/// Requests are forgotten this long after they were sent (answered or not).
constexpr std::int64_t REQUEST_TTL_NS = 300 * NS;

bool from_client(MessageType t) {
  switch (t) {
    case MessageType::Solicit: case MessageType::Request: case MessageType::Confirm:
    case MessageType::Renew: case MessageType::Rebind: case MessageType::Release:
    case MessageType::Decline: case MessageType::InformationRequest:
      return true;
    default:
      return false;
  }
}

template <class F>
void for_each_ia(const wire::Options& opts, F&& f) {
  for (const auto& o : opts) {
    if (auto* na = o.as<wire::IaNa>()) f(IaType::Na, na->iaid, na->t1, na->t2, na->options);
    else if (auto* ta = o.as<wire::IaTa>()) f(IaType::Ta, ta->iaid, 0U, 0U, ta->options);
    else if (auto* pd = o.as<wire::IaPd>()) f(IaType::Pd, pd->iaid, pd->t1, pd->t2, pd->options);
  }
}

template <class F>
void for_each_lease(const wire::Options& ia_opts, F&& f) {
  for (const auto& o : ia_opts) {
    if (auto* a = o.as<wire::IaAddress>()) f(Lease{Resource{a->address, 128}, a->preferred, a->valid});
    else if (auto* p = o.as<wire::IaPrefix>())
      f(Lease{Resource::of(p->prefix, p->prefix_length), p->preferred, p->valid});
  }
}

}  // namespace

const char* entry_kind_name(TimelineEntry::Kind k) {
  switch (k) {
    case TimelineEntry::Kind::Granted: return "granted";
    case TimelineEntry::Kind::Extended: return "extended";
    case TimelineEntry::Kind::Released: return "released";
    case TimelineEntry::Kind::Declined: return "declined";
    case TimelineEntry::Kind::Withdrawn: return "withdrawn";
    case TimelineEntry::Kind::Expired: return "expired";
  }
  return "?";
}

const char* end_kind_name(EndKind k) {
  switch (k) {
    case EndKind::Released: return "released";
    case EndKind::Declined: return "declined";
    case EndKind::ZeroLifetime: return "withdrawn (valid lifetime 0)";
    case EndKind::Expired: return "expired";
  }
  return "?";
}

Timeline::Timeline(std::vector<Checker*> checkers, EntryHook hook)
    : checkers_(std::move(checkers)), hook_(std::move(hook)) {
  for (auto* c : checkers_) c->set_names(this);
}

ServerIx Timeline::server(const wire::Duid& duid) {
  auto it = server_ix_.find(DuidView{duid.raw, 0, 0});
  if (it != server_ix_.end()) return it->second;
  const auto ix = static_cast<ServerIx>(servers_.size());
  server_ix_.emplace(duid, ix);
  servers_.push_back(duid);
  return ix;
}

std::string Timeline::name(ServerIx s) const {
  if (s >= servers_.size()) return "unknown server";
  return "server " + servers_[s].to_string();
}

void Timeline::emit(TimelineEntry::Kind k, std::int64_t t, FrameRef ref, const ClientKey& c,
                    const HeldLease& h, std::uint32_t valid) {
  if (!hook_) return;
  hook_(TimelineEntry{k, t, ref, c, h.resource, h.server, valid, h.end_ns});
}

void Timeline::on_message(const wire::Message& m, std::int64_t time_ns, FrameRef ref,
                          const wire::Address& src) {
  auto* cid = m.find<wire::ClientId>();
  if (!cid) return;  // nothing to pair or to key a lease by
  if (from_client(m.type)) client_message(m, cid->duid, time_ns, ref);
  else if (m.type == MessageType::Reply || m.type == MessageType::Advertise)
    server_message(m, cid->duid, time_ns, ref, src);
}

void Timeline::client_message(const wire::Message& m, const wire::Duid& client, std::int64_t t,
                              FrameRef ref) {
  ClientTx tx;
  tx.time_ns = t;
  tx.ref = ref;
  tx.client = client;
  tx.xid = m.transaction_id;
  tx.type = m.type;
  if (auto* sid = m.find<wire::ServerId>()) tx.server = server(sid->duid);
  const DuidView tv{client.raw, m.transaction_id, 0};
  auto it = requests_.find(tv);
  const bool fresh = it == requests_.end();
  if (fresh) it = requests_.emplace(TxKey{client, m.transaction_id}, Request{}).first;
  Request& r = it->second;
  if (fresh || r.type != m.type) r = Request{m.type, t, ref, {}};
  const bool ends = m.type == MessageType::Release || m.type == MessageType::Decline;
  for_each_ia(m.options, [&](IaType ia, std::uint32_t iaid, std::uint32_t, std::uint32_t,
                             const wire::Options& opts) {
    const DuidView kv{client.raw, iaid, static_cast<std::uint8_t>(ia)};
    if (ends && r.named.empty())
      for_each_lease(opts, [&](const Lease& l) {
        r.named.emplace_back(ClientKey{client, ia, iaid}, l.resource);
      });
    if (m.type == MessageType::Renew || m.type == MessageType::Rebind) {
      auto h = leases_.find(kv);
      if (h != leases_.end())
        for (const auto& l : h->second) tx.leases_end_ns = std::max(tx.leases_end_ns, l.end_ns);
    }
  });
  if (ends && r.named.size() > 0) {
    // Keep only the first copy's list (retransmissions name the same leases).
    std::sort(r.named.begin(), r.named.end(), [](const auto& a, const auto& b) {
      return a.second < b.second;
    });
  }
  for (auto* c : checkers_) c->on_client(tx);
}

void Timeline::server_message(const wire::Message& m, const wire::Duid& client, std::int64_t t,
                              FrameRef ref, const wire::Address& src) {
  ServerReply r;
  r.time_ns = t;
  r.ref = ref;
  if (auto* sid = m.find<wire::ServerId>()) r.server = server(sid->duid);
  r.server_address = src;
  r.client = client;
  r.xid = m.transaction_id;
  r.type = m.type;
  const Request* req = nullptr;
  if (auto it = requests_.find(DuidView{client.raw, m.transaction_id, 0}); it != requests_.end()) {
    req = &it->second;
    r.request = req->type;
    r.request_ref = req->ref;
    r.request_time_ns = req->time_ns;
  }
  for_each_ia(m.options, [&](IaType ia, std::uint32_t iaid, std::uint32_t t1, std::uint32_t t2,
                             const wire::Options& opts) {
    IaResult res;
    res.client = ClientKey{client, ia, iaid};
    res.t1 = t1;
    res.t2 = t2;
    if (auto* st = wire::find_option<wire::StatusCodeOption>(opts)) res.status = st->status;
    for_each_lease(opts, [&](const Lease& l) { res.leases.push_back(l); });
    if (auto h = leases_.find(view(res.client)); h != leases_.end()) res.held = h->second;
    r.ias.push_back(std::move(res));
  });
  for (auto* c : checkers_) c->on_reply(r);
  if (m.type != MessageType::Reply) return;

  auto end_lease = [&](const ClientKey& key, const Resource& resource, EndKind kind) {
    auto h = leases_.find(view(key));
    if (h == leases_.end()) return;
    auto& v = h->second;
    auto it = std::find_if(v.begin(), v.end(), [&](const HeldLease& x) { return x.resource == resource; });
    if (it == v.end()) return;
    LeaseEnd e{t, ref, key, resource, it->server, kind};
    emit(kind == EndKind::Released   ? TimelineEntry::Kind::Released
         : kind == EndKind::Declined ? TimelineEntry::Kind::Declined
                                     : TimelineEntry::Kind::Withdrawn,
         t, ref, key, *it, 0);
    v.erase(it);
    --live_;
    if (v.empty()) leases_.erase(h);
    for (auto* c : checkers_) c->on_lease_end(e);
  };

  const MessageType rq = req ? req->type : MessageType::Request;
  if (rq == MessageType::Release || rq == MessageType::Decline) {
    for (const auto& [key, res] : req->named)
      end_lease(key, res, rq == MessageType::Release ? EndKind::Released : EndKind::Declined);
    return;
  }
  if (rq == MessageType::Confirm || rq == MessageType::InformationRequest) return;
  for (const auto& ia : r.ias)
    for (const auto& l : ia.leases) {
      if (l.valid == 0) {
        end_lease(ia.client, l.resource, EndKind::ZeroLifetime);
        continue;
      }
      auto li = leases_.find(view(ia.client));
      if (li == leases_.end()) li = leases_.emplace(ia.client, std::vector<HeldLease>{}).first;
      auto& v = li->second;
      auto it = std::find_if(v.begin(), v.end(), [&](const HeldLease& x) { return x.resource == l.resource; });
      const std::int64_t end = t + std::int64_t{l.valid} * NS;
      if (it == v.end()) {
        v.push_back(HeldLease{l.resource, r.server, end, ref, t});
        ++live_;
        emit(TimelineEntry::Kind::Granted, t, ref, ia.client, v.back(), l.valid);
      } else {
        *it = HeldLease{l.resource, r.server, end, ref, it->since_ns};
        emit(TimelineEntry::Kind::Extended, t, ref, ia.client, *it, l.valid);
      }
    }
}

void Timeline::tick(std::int64_t now_ns) {
  for (auto it = leases_.begin(); it != leases_.end();) {
    auto& v = it->second;
    for (auto l = v.begin(); l != v.end();) {
      if (l->end_ns > now_ns) {
        ++l;
        continue;
      }
      emit(TimelineEntry::Kind::Expired, l->end_ns, l->ref, it->first, *l, 0);
      LeaseEnd e{l->end_ns, l->ref, it->first, l->resource, l->server, EndKind::Expired};
      for (auto* c : checkers_) c->on_lease_end(e);
      l = v.erase(l);
      --live_;
    }
    it = v.empty() ? leases_.erase(it) : std::next(it);
  }
  std::erase_if(requests_, [&](const auto& kv) { return now_ns - kv.second.time_ns > REQUEST_TTL_NS; });
  for (auto* c : checkers_) c->on_tick(now_ns);
}

void Timeline::finish(std::int64_t end_ns) {
  tick(end_ns);
  for (auto* c : checkers_) c->finish(end_ns);
}

}  // namespace failover6::check
