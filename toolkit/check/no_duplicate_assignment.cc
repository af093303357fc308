#include "check/no_duplicate_assignment.h"

#include <algorithm>

namespace failover6::check {

NoDuplicateAssignment::NoDuplicateAssignment(ViolationSink sink)
    : Checker("no-duplicate-assignment", std::move(sink)) {}

void NoDuplicateAssignment::on_reply(const ServerReply& r) {
  if (r.type != wire::MessageType::Reply) return;
  for (const auto& ia : r.ias)
    for (const auto& l : ia.leases) {
      if (l.valid == 0) end(ia.client, l.resource);
      else grant(r, ia.client, l);
    }
}

void NoDuplicateAssignment::on_lease_end(const LeaseEnd& e) { end(e.client, e.resource); }

void NoDuplicateAssignment::prune(Holders& hs, std::int64_t now_ns) {
  std::erase_if(hs, [&](const Holder& h) { return h.end_ns <= now_ns; });
}

void NoDuplicateAssignment::conflicts(const ServerReply& r, const ClientKey& c, const Lease& l,
                                      Holders& hs) {
  for (auto& h : hs) {
    if (h.client == c || h.end_ns <= r.time_ns) continue;
    // Report a pair once while the other holder's window stays the same.
    const auto gen = static_cast<std::uint64_t>(h.end_ns) ^ duid_hash(c.duid) ^ c.iaid;
    if (h.reported == gen) continue;
    h.reported = gen;
    Violation v;
    v.time_ns = r.time_ns;
    v.detail = server_name(r.server) + " granted " + l.resource.to_string() + " to " +
               c.to_string() + " (valid " + std::to_string(l.valid) + " s) at " +
               iso_time(r.time_ns) + " while " + h.resource.to_string() + " was valid for " +
               h.client.to_string() + " (granted by " + server_name(h.server) + ", valid until " +
               iso_time(h.end_ns) + ")";
    v.clients = {c.to_string(), h.client.to_string()};
    v.leases = {l.resource.to_string()};
    if (!(h.resource == l.resource)) v.leases.push_back(h.resource.to_string());
    v.servers = {server_name(r.server)};
    if (h.server != r.server) v.servers.push_back(server_name(h.server));
    v.frames = {r.ref, h.ref};
    report(std::move(v));
  }
}

void NoDuplicateAssignment::grant(const ServerReply& r, const ClientKey& c, const Lease& l) {
  ++checked_;
  const std::int64_t end_ns = r.time_ns + std::int64_t{l.valid} * NS;
  Holder mine{c, l.resource, r.server, r.time_ns, end_ns, r.ref, 0};
  Holders* own = nullptr;
  if (l.resource.length == 128) {
    auto& hs = addresses_[l.resource.prefix];
    prune(hs, r.time_ns);
    conflicts(r, c, l, hs);
    own = &hs;
    // A /128 delegated prefix elsewhere would overlap too.
    for (std::uint8_t len : prefix_lengths_) {
      auto it = prefixes_.find(Resource::of(l.resource.prefix, len));
      if (it != prefixes_.end()) conflicts(r, c, l, it->second);
    }
  } else {
    // Prefixes that contain this one: one candidate per length in use.
    for (std::uint8_t len : prefix_lengths_) {
      if (len >= l.resource.length) continue;
      auto it = prefixes_.find(Resource::of(l.resource.prefix, len));
      if (it != prefixes_.end()) conflicts(r, c, l, it->second);
    }
    // Prefixes inside this one (or equal): ordered by start address.
    Resource last = l.resource;
    for (int bit = l.resource.length; bit < 128; ++bit)
      last.prefix.bytes[static_cast<std::size_t>(bit / 8)] |=
          static_cast<std::uint8_t>(0x80U >> (bit % 8));
    last.length = 128;
    for (auto it = prefixes_.lower_bound(Resource{l.resource.prefix, 0});
         it != prefixes_.end() && !(last < it->first); ++it)
      if (it->first.length >= l.resource.length) conflicts(r, c, l, it->second);
    // Addresses inside the prefix are not looked for: addresses and prefixes come from
    // separate pools in every configuration the lab supports.
    auto& hs = prefixes_[l.resource];
    prune(hs, r.time_ns);
    own = &hs;
    if (std::find(prefix_lengths_.begin(), prefix_lengths_.end(), l.resource.length) ==
        prefix_lengths_.end())
      prefix_lengths_.push_back(l.resource.length);
  }
  auto it = std::find_if(own->begin(), own->end(), [&](const Holder& h) { return h.client == c; });
  if (it == own->end()) {
    own->push_back(std::move(mine));
  } else {
    if (it->end_ns <= r.time_ns) it->start_ns = r.time_ns;
    it->end_ns = end_ns;
    it->server = r.server;
    it->ref = r.ref;
  }
}

void NoDuplicateAssignment::end(const ClientKey& c, const Resource& res) {
  auto drop = [&](Holders& hs) {
    std::erase_if(hs, [&](const Holder& h) { return h.client == c; });
  };
  if (res.length == 128) {
    auto it = addresses_.find(res.prefix);
    if (it == addresses_.end()) return;
    drop(it->second);
    if (it->second.empty()) addresses_.erase(it);
  } else {
    auto it = prefixes_.find(res);
    if (it == prefixes_.end()) return;
    drop(it->second);
    if (it->second.empty()) prefixes_.erase(it);
  }
}

void NoDuplicateAssignment::on_tick(std::int64_t now_ns) {
  for (auto it = addresses_.begin(); it != addresses_.end();) {
    prune(it->second, now_ns);
    it = it->second.empty() ? addresses_.erase(it) : std::next(it);
  }
  for (auto it = prefixes_.begin(); it != prefixes_.end();) {
    prune(it->second, now_ns);
    it = it->second.empty() ? prefixes_.erase(it) : std::next(it);
  }
}

}  // namespace failover6::check
