#include "check/failover_leases.h"

namespace failover6::check {

namespace {

std::uint16_t status_of(const wire::Options& opts) {
  if (auto* s = wire::find_option<wire::StatusCodeOption>(opts)) return s->status;
  return 0;
}

void collect_ia(const wire::Options& ia_opts, IaType type, std::uint32_t iaid, std::uint16_t st,
                FailoverLeases& out) {
  const std::uint16_t ia_status = st ? st : status_of(ia_opts);
  for (const auto& o : ia_opts) {
    if (auto* a = o.as<wire::IaAddress>()) {
      std::uint16_t s = ia_status ? ia_status : status_of(a->options);
      out.leases.push_back({Resource{a->address, 128}, &a->options, s, type, iaid});
    } else if (auto* p = o.as<wire::IaPrefix>()) {
      std::uint16_t s = ia_status ? ia_status : status_of(p->options);
      out.leases.push_back({Resource::of(p->prefix, p->prefix_length), &p->options, s, type, iaid});
    }
  }
}

}  // namespace

FailoverLeases failover_leases(const wire::FailoverMessage& m) {
  FailoverLeases out;
  const std::uint16_t top = status_of(m.options);
  for (const auto& o : m.options) {
    if (auto* cd = o.as<wire::ClientData>()) {
      ++out.client_data;
      out.client_form = true;
      out.container = &cd->options;
      const std::uint16_t st = top ? top : status_of(cd->options);
      if (auto* c = wire::find_option<wire::ClientId>(cd->options)) out.client = &c->duid;
      for (const auto& io : cd->options) {
        if (auto* na = io.as<wire::IaNa>()) collect_ia(na->options, IaType::Na, na->iaid, st, out);
        else if (auto* ta = io.as<wire::IaTa>())
          collect_ia(ta->options, IaType::Ta, ta->iaid, st, out);
        else if (auto* pd = io.as<wire::IaPd>())
          collect_ia(pd->options, IaType::Pd, pd->iaid, st, out);
      }
    } else if (auto* p = o.as<wire::IaPrefix>()) {
      ++out.top_prefixes;
      std::uint16_t s = top ? top : status_of(p->options);
      out.leases.push_back({Resource::of(p->prefix, p->prefix_length), &p->options, s, {}, 0});
    }
  }
  return out;
}

std::int64_t failover_time_ns(std::uint32_t t, std::int64_t near_ns) {
  const std::int64_t near_s = near_ns / NS - wire::FAILOVER_EPOCH_UNIX;
  std::int64_t s = (near_s & ~std::int64_t{0xFFFFFFFF}) + t;
  if (s - near_s > (std::int64_t{1} << 31)) s -= std::int64_t{1} << 32;
  else if (near_s - s > (std::int64_t{1} << 31)) s += std::int64_t{1} << 32;
  return (s + wire::FAILOVER_EPOCH_UNIX) * NS;
}

}  // namespace failover6::check
