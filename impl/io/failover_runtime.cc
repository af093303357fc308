#include "io/failover_runtime.h"

#include <chrono>
#include <utility>

#include "io/messages.h"
#include "wire/failover_message.h"

namespace failover6::io {

namespace {

/// The catalogue id of an endpoint notice (the endpoint is sans-IO and names them as text).
Msg notice_id(const std::string& id) {
  static const std::map<std::string, Msg> ids{
      {"F6D_FAILOVER_COMM_OK", Msg::F6D_FAILOVER_COMM_OK},
      {"F6D_FAILOVER_COMM_FAILED", Msg::F6D_FAILOVER_COMM_FAILED},
      {"F6D_FAILOVER_SKEW", Msg::F6D_FAILOVER_SKEW},
      {"F6D_FAILOVER_CONNECT_REJECTED", Msg::F6D_FAILOVER_CONNECT_REJECTED},
      {"F6D_FAILOVER_DISCONNECT", Msg::F6D_FAILOVER_DISCONNECT},
      {"F6D_FAILOVER_UPDATE_REJECTED", Msg::F6D_FAILOVER_UPDATE_REJECTED},
      {"F6D_FAILOVER_UPDREQ", Msg::F6D_FAILOVER_UPDREQ},
      {"F6D_FAILOVER_STATE_CORRUPT", Msg::F6D_FAILOVER_STATE_CORRUPT},
      {"F6D_FAILOVER_PARTNER_DOWN_WHILE_CONNECTED",
       Msg::F6D_FAILOVER_PARTNER_DOWN_WHILE_CONNECTED},
  };
  auto it = ids.find(id);
  return it == ids.end() ? Msg::F6D_FAILOVER_UNEXPECTED : it->second;
}

}  // namespace

FailoverRuntime::FailoverRuntime(boost::asio::io_context& io, const config::Config& config,
                                 lease::LeaseStore& store, Logger& log, Clock clock)
    : io_(io), config_(config), store_(store), log_(log), clock_(std::move(clock)) {
  std::int64_t now = clock_();
  std::vector<failover::Endpoint*> eps;
  for (const auto& rel : config_.failover6.relationships) {
    auto r = std::make_unique<Relationship>();
    Relationship* raw = r.get();
    failover::EndpointHooks hooks;
    hooks.put = [this](const lease::Lease& l) {
      store_.put(l);
      if (server_) server_->notice(l);
    };
    hooks.reschedule = [this](const lease::Lease& l) {
      if (server_) server_->notice(l);
    };
    hooks.on_transition = [this, name = rel.name](const failover::Transition& t) {
      log_.log(Msg::F6D_FAILOVER_STATE, name, failover::to_string(t.from),
               failover::to_string(t.to), t.reason);
    };
    hooks.on_notice = [this, name = rel.name](const failover::Notice& n) { on_notice(name, n); };
    r->endpoint = std::make_unique<failover::Endpoint>(rel, config_, store_, hooks, now);
    r->timer = std::make_unique<boost::asio::steady_timer>(io_);
    PartnerLink::Callbacks cb;
    cb.on_up = [this, raw] { on_up(*raw); };
    cb.on_frame = [this, raw](wire::ByteView b) { on_frame(*raw, b); };
    cb.on_down = [this, raw](const std::string& why) { on_down(*raw, why); };
    r->link = std::make_unique<PartnerLink>(io_, rel, log_, cb);
    eps.push_back(r->endpoint.get());
    rels_.push_back(std::move(r));
  }
  router_ = std::make_unique<failover::PolicyRouter>(std::move(eps));
}

FailoverRuntime::~FailoverRuntime() {
  for (auto& [k, l] : listeners_) l->stop();
  for (auto& r : rels_) {
    r->timer->cancel();
    r->link->stop();
  }
}

void FailoverRuntime::attach(server::Server& server, WhenDurable when_durable) {
  server_ = &server;
  when_durable_ = std::move(when_durable);
}

void FailoverRuntime::start() {
  for (auto& r : rels_) {
    const auto& rel = r->link->relationship();
    if (!r->link->is_primary()) {
      std::string key = rel.this_server.to_string();
      auto& l = listeners_[key];
      if (!l) l = std::make_unique<PartnerListener>(io_, rel.this_server, log_);
      l->add(*r->link);
    }
  }
  for (auto& [k, l] : listeners_) l->start();
  for (auto& r : rels_) {
    r->link->start();
    settle(*r);
  }
}

void FailoverRuntime::stop() {
  if (stopped_) return;
  stopped_ = true;
  std::int64_t now = clock_();
  for (auto& r : rels_) {
    r->endpoint->shutdown(now);
    // The DISCONNECT goes out directly: the store is flushed by the caller next.
    for (auto& m : r->endpoint->take_outbox()) r->link->send(wire::encode_failover_framed(m));
    r->endpoint->take_close_request();
    r->timer->cancel();
  }
  for (auto& [k, l] : listeners_) l->stop();
  for (auto& r : rels_) r->link->stop();
}

void FailoverRuntime::after_batch(std::int64_t now) {
  for (auto& r : rels_) {
    r->endpoint->poll(now);
    settle(*r);
  }
}

void FailoverRuntime::on_up(Relationship& r) {
  ++r.epoch;
  std::int64_t now = clock_();
  r.endpoint->on_connected(now);
  settle(r);
}

void FailoverRuntime::on_frame(Relationship& r, wire::ByteView bytes) {
  std::int64_t now = clock_();
  auto m = wire::decode_failover(bytes);
  if (!m) {
    log_.log(Msg::F6D_FAILOVER_BAD_FRAME, r.endpoint->name(), m.error().message);
    r.link->close("undecodable failover message");
    ++r.epoch;
    r.endpoint->on_disconnected(now, "undecodable failover message");
    settle(r);
    return;
  }
  r.endpoint->on_message(*m, now);
  settle(r);
}

void FailoverRuntime::on_down(Relationship& r, const std::string& reason) {
  ++r.epoch;
  std::int64_t now = clock_();
  r.endpoint->on_disconnected(now, reason);
  settle(r);
}

void FailoverRuntime::settle(Relationship& r) {
  auto out = r.endpoint->take_outbox();
  auto close = r.endpoint->take_close_request();
  if (!out.empty() || close) {
    // RFC 8156 §7.5.2 / §8.1: what a BNDREPLY acknowledges and what a STATE reports is
    // durable before it leaves.
    auto send = [this, &r, epoch = r.epoch, out = std::move(out), close = std::move(close)] {
      if (stopped_ || epoch != r.epoch) return;  // made for a connection that is gone
      for (const auto& m : out) r.link->send(wire::encode_failover_framed(m));
      if (close) {
        r.link->close(*close);
        ++r.epoch;
      }
    };
    if (when_durable_) {
      when_durable_(std::move(send));
    } else {
      store_.commit();
      send();
    }
  }
  arm(r);
}

void FailoverRuntime::arm(Relationship& r) {
  auto deadline = r.endpoint->next_deadline();
  if (!deadline || stopped_) return;
  if (r.armed_for && *r.armed_for <= *deadline) return;  // an earlier wake-up is pending
  r.armed_for = deadline;
  std::int64_t wait = std::max<std::int64_t>(0, *deadline - clock_());
  // Times are whole seconds: a deadline already due is retried shortly, never in a busy loop.
  r.timer->expires_after(wait == 0 ? std::chrono::milliseconds(200)
                                   : std::chrono::milliseconds(wait * 1000));
  r.timer->async_wait([this, &r](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    r.armed_for.reset();
    std::int64_t now = clock_();
    r.endpoint->on_timer(now);
    settle(r);
  });
}

void FailoverRuntime::on_notice(const std::string&, const failover::Notice& n) {
  log_.log(notice_id(n.id), n.text);
}

nlohmann::json FailoverRuntime::status(std::int64_t now) const {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& r : rels_) {
    nlohmann::json j = r->endpoint->status(now);
    PartnerLink::Status s = r->link->status();
    j["connection"] = {{"connected", s.connected},
                       {"partner", s.partner},
                       {"session", s.session},
                       {"connect-attempts", s.connect_attempts},
                       {"connections", s.connections},
                       {"last-error", s.last_error},
                       {"frames-in", s.frames_in},
                       {"frames-out", s.frames_out}};
    a.push_back(std::move(j));
  }
  return a;
}

std::optional<std::string> FailoverRuntime::partner_down(const std::string& name,
                                                         std::int64_t now) {
  bool found = false;
  std::string errors;
  for (auto& r : rels_) {
    if (!name.empty() && r->endpoint->name() != name) continue;
    found = true;
    auto err = r->endpoint->partner_down(now);
    log_.log(Msg::F6D_FAILOVER_PARTNER_DOWN_COMMAND, r->endpoint->name(),
             err ? *err : std::string("now PARTNER-DOWN"));
    if (err) errors += (errors.empty() ? "" : "; ") + r->endpoint->name() + ": " + *err;
    settle(*r);
  }
  if (!found) return "no relationship named \"" + name + "\"";
  if (!errors.empty()) return errors;
  return std::nullopt;
}

std::vector<const failover::Endpoint*> FailoverRuntime::endpoints() const {
  std::vector<const failover::Endpoint*> out;
  for (const auto& r : rels_) out.push_back(r->endpoint.get());
  return out;
}

}  // namespace failover6::io
