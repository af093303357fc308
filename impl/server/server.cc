// RFC 8415 §18.3 server behaviour. Each client message is processed into a reply in a Context;
// IA handling is shared by every message type through one function per IA kind.
#include "server/server.h"
#include "server/context.h"

#include <algorithm>

namespace failover6::server {

using wire::MessageType;
using wire::StatusCode;

namespace {

constexpr const char* DROP_NAMES[] = {"malformed",  "not-for-servers", "missing-client-id",
                                      "bad-server-id", "no-subnet", "not-responsive",
                                      "nothing-to-confirm"};

bool is_multicast(const wire::Address& a) { return a.bytes[0] == 0xff; }

wire::StatusCodeOption status(StatusCode c, std::string text) {
  return wire::StatusCodeOption{static_cast<std::uint16_t>(c), std::move(text)};
}

bool requested(const wire::Message& m, std::uint16_t code) {
  const auto* oro = m.find<wire::OptionRequest>();
  return oro && std::find(oro->codes.begin(), oro->codes.end(), code) != oro->codes.end();
}

}  // namespace

const char* to_string(DropReason r) { return DROP_NAMES[static_cast<int>(r)]; }


Server::Server(const config::Config& config, wire::Duid server_duid, lease::LeaseStore& store,
               Policy* policy)
    : config_(config), duid_(std::move(server_duid)), store_(store), policy_(policy) {
  if (policy_ == nullptr) {
    own_policy_ = std::make_unique<StandalonePolicy>();
    policy_ = own_policy_.get();
  }
  store_.for_each([&](const lease::Lease& l) { schedule(l); });
}

std::int64_t Server::deadline_of(const lease::Lease& l) const {
  using wire::BindingStatus;
  switch (l.state) {
    case BindingStatus::Active:
      return policy_->active_until(l);
    case BindingStatus::Abandoned:
    case BindingStatus::Expired:
    case BindingStatus::Released:
      return std::max(l.state_expiration_time, policy_->free_at(l));
    default:
      return Policy::NEVER;
  }
}

void Server::schedule(const lease::Lease& l) {
  std::int64_t when = deadline_of(l);
  if (when != Policy::NEVER) deadlines_.insert({when, l.key});
}

void Server::notice(const lease::Lease& l) { schedule(l); }

void Server::put(Context& ctx, lease::Lease l) {
  policy_->on_lease_changed(l, ctx.now);
  store_.put(l);
  schedule(l);
  ctx.changed = true;
}

const config::Subnet* Server::select_subnet(const wire::Message& outer, const Datagram& d) const {
  const auto& subnets = config_.dhcp6.subnets;
  if (outer.is_relay()) {
    // The relay nearest the client describes the client's link (RFC 8415 §13.1).
    const wire::Message* nearest = &outer;
    while (const wire::Message* r = nearest->relayed()) {
      if (!r->is_relay()) break;
      nearest = r;
    }
    if (const auto* iid = nearest->find<wire::InterfaceId>())
      for (const auto& s : subnets)
        if (!s.interface_id.empty() && s.interface_id == iid->data) return &s;
    for (const auto& s : subnets)
      if (std::find(s.relay_addresses.begin(), s.relay_addresses.end(), nearest->link_address) !=
          s.relay_addresses.end())
        return &s;
    for (const auto& s : subnets)
      if (s.subnet.contains(nearest->link_address)) return &s;
    return nullptr;
  }
  for (const auto& s : subnets)
    if (!d.interface.empty() && s.interface == d.interface) return &s;
  for (const auto& s : subnets)
    if (s.subnet.contains(d.src)) return &s;
  return nullptr;
}

Result Server::handle(const Datagram& d, std::int64_t now) {
  Result result;
  ++stats_.received;
  auto drop = [&](DropReason r) {
    ++stats_.dropped[static_cast<int>(r)];
    result.dropped = r;
    return result;
  };
  auto decoded = wire::decode_message(d.payload);
  if (!decoded) return drop(DropReason::Malformed);
  const wire::Message& outer = *decoded;
  if (outer.type == MessageType::RelayRepl) return drop(DropReason::NotForServers);
  const wire::Message& in = outer.innermost();
  ++stats_.received_by_type[wire::to_string(in.type)];
  switch (in.type) {
    case MessageType::Solicit:
    case MessageType::Request:
    case MessageType::Confirm:
    case MessageType::Renew:
    case MessageType::Rebind:
    case MessageType::Release:
    case MessageType::Decline:
    case MessageType::InformationRequest:
      break;
    default:
      return drop(DropReason::NotForServers);
  }
  // RFC 8415 §16: identity options each message must or must not carry.
  const auto* cid = in.find<wire::ClientId>();
  const auto* sid = in.find<wire::ServerId>();
  bool ours = sid && sid->duid == duid_;
  switch (in.type) {
    case MessageType::InformationRequest:
      if (sid && !ours) return drop(DropReason::BadServerId);
      break;
    case MessageType::Solicit:
    case MessageType::Confirm:
    case MessageType::Rebind:
      if (!cid) return drop(DropReason::MissingClientId);
      if (sid) return drop(DropReason::BadServerId);
      break;
    default:
      if (!cid) return drop(DropReason::MissingClientId);
      if (!ours) return drop(DropReason::BadServerId);
  }
  Context ctx{d, outer, in, nullptr, now, {}, false};
  ctx.subnet = select_subnet(outer, d);
  if (!ctx.subnet && in.type != MessageType::InformationRequest)
    return drop(DropReason::NoSubnet);
  if (!policy_->may_answer(in.type, ours, ctx.subnet ? ctx.subnet->id : 0, now))
    return drop(DropReason::NotResponsive);

  bool rapid = in.type == MessageType::Solicit && in.find<wire::RapidCommit>() &&
               ctx.subnet->rapid_commit;
  ctx.reply.type = in.type == MessageType::Solicit && !rapid ? MessageType::Advertise
                                                            : MessageType::Reply;
  ctx.reply.transaction_id = in.transaction_id;
  if (cid) ctx.reply.options.emplace_back(*cid);
  ctx.reply.options.emplace_back(wire::ServerId{duid_});
  if (rapid) ctx.reply.options.emplace_back(wire::RapidCommit{});

  // RFC 8415 §18.3.2 etc.: a direct client that unicasts to a server which sent no UNICAST
  // option is told to use multicast.
  bool direct_unicast = !outer.is_relay() && !d.interface.empty() && !is_multicast(d.dst);
  if (direct_unicast && (in.type == MessageType::Request || in.type == MessageType::Renew ||
                         in.type == MessageType::Release || in.type == MessageType::Decline)) {
    ctx.reply.options.emplace_back(status(StatusCode::UseMulticast, "use multicast"));
  } else if (in.type == MessageType::Confirm) {
    if (!confirm(ctx)) return drop(DropReason::NothingToConfirm);
  } else {
    process(ctx);
  }
  add_config_options(ctx);
  result.needs_commit = ctx.changed;

  // Wrap the reply in RELAY-REPL layers mirroring the RELAY-FORW chain (RFC 8415 §19.3),
  // echoing each relay's INTERFACE_ID.
  std::vector<const wire::Message*> relays;
  for (const wire::Message* m = &outer; m->is_relay(); m = m->relayed()) {
    relays.push_back(m);
    if (!m->relayed()) break;
  }
  wire::Message out = std::move(ctx.reply);
  ++stats_.sent_by_type[wire::to_string(out.type)];
  for (auto it = relays.rbegin(); it != relays.rend(); ++it) {
    wire::Message r;
    r.type = MessageType::RelayRepl;
    r.hop_count = (*it)->hop_count;
    r.link_address = (*it)->link_address;
    r.peer_address = (*it)->peer_address;
    if (const auto* iid = (*it)->find<wire::InterfaceId>()) r.options.emplace_back(*iid);
    r.options.emplace_back(wire::RelayMsg{std::move(out)});
    out = std::move(r);
  }
  Outbound ob;
  ob.dst = d.src;
  ob.dport = d.sport;
  ob.interface = d.interface;
  wire::encode_message(out, ob.payload);
  result.reply = std::move(ob);
  return result;
}

void Server::add_config_options(Context& ctx) {
  const wire::Options& opts = ctx.subnet ? ctx.subnet->options : config_.dhcp6.options;
  for (const auto& o : opts) {
    std::uint16_t code = o.code();
    // SOL_MAX_RT and INFORMATION_REFRESH_TIME go only where RFC 8415 §21.23-24 puts them.
    if (code == static_cast<std::uint16_t>(wire::OptionCode::InformationRefreshTime) &&
        ctx.in.type != MessageType::InformationRequest)
      continue;
    if (requested(ctx.in, code) || code == static_cast<std::uint16_t>(wire::OptionCode::SolMaxRt))
      ctx.reply.options.push_back(o);
  }
  if (ctx.reply.type == MessageType::Advertise && ctx.subnet && ctx.subnet->preference != 0)
    ctx.reply.options.emplace_back(wire::Preference{ctx.subnet->preference});
}

bool Server::confirm(Context& ctx) {
  // RFC 8415 §18.3.3: Success when every address is on the link, NotOnLink otherwise; no
  // reply at all when the message carries no address.
  bool any = false;
  bool all_on_link = true;
  auto check = [&](const wire::Options& ia_opts) {
    for (const auto* a : wire::find_options<wire::IaAddress>(ia_opts)) {
      any = true;
      all_on_link = all_on_link && ctx.subnet->subnet.contains(a->address);
    }
  };
  for (const auto* na : wire::find_options<wire::IaNa>(ctx.in.options)) check(na->options);
  for (const auto* ta : wire::find_options<wire::IaTa>(ctx.in.options)) check(ta->options);
  if (!any) return false;
  ctx.reply.options.emplace_back(all_on_link
                                     ? status(StatusCode::Success, "all addresses on link")
                                     : status(StatusCode::NotOnLink, "not on link"));
  return true;
}

}  // namespace failover6::server
