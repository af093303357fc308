#include "io/partner_listener.h"

#include <algorithm>
#include <stdexcept>

#include "wire/failover_message.h"

namespace failover6::io {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

/// "alpha, beta" for logs.
std::string names(const std::vector<PartnerLink*>& links) {
  std::string out;
  for (const auto* l : links) out += (out.empty() ? "" : ", ") + l->name();
  return out.empty() ? "-" : out;
}

bool same_address(const asio::ip::address& a, const wire::Address& b) {
  if (!a.is_v6()) return false;
  auto bytes = a.to_v6().to_bytes();
  return std::equal(bytes.begin(), bytes.end(), b.bytes.begin());
}

}  // namespace

PartnerListener::PartnerListener(asio::io_context& io, config::Endpoint endpoint, Logger& log,
                                 Options options)
    : io_(io),
      endpoint_(endpoint),
      name_(endpoint.to_string()),
      log_(log),
      opt_(options),
      acceptor_(io),
      port_(endpoint.port) {}

PartnerListener::~PartnerListener() {
  *alive_ = false;
  stop();
}

void PartnerListener::add(PartnerLink& link) {
  const auto& r = link.relationship();
  if (link.is_primary())
    throw std::invalid_argument("relationship '" + r.name +
                                "' is a primary: only secondaries accept connections");
  if (r.this_server.address != endpoint_.address ||
      (endpoint_.port != 0 && r.this_server.port != endpoint_.port))
    throw std::invalid_argument("relationship '" + r.name + "' listens on " +
                                r.this_server.to_string() + ", not on " + name_);
  if (std::find(links_.begin(), links_.end(), &link) == links_.end()) links_.push_back(&link);
}

void PartnerListener::remove(PartnerLink& link) {
  links_.erase(std::remove(links_.begin(), links_.end(), &link), links_.end());
}

void PartnerListener::start() {
  if (acceptor_.is_open()) return;
  tcp::endpoint ep = to_tcp(endpoint_);
  boost::system::error_code ec;
  std::string step = "open";
  acceptor_.open(ep.protocol(), ec);
  if (!ec) {
    step = "set SO_REUSEADDR on";
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    step = "bind";
    acceptor_.bind(ep, ec);
  }
  if (!ec) {
    step = "listen on";
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    throw std::runtime_error("cannot " + step + " the failover socket " + name_ + ": " +
                             ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  name_ = to_string(tcp::endpoint(ep.address(), port_));
  log_.log(Msg::F6D_PARTNER_LISTENING, name_, names(links_));
  accept();
}

void PartnerListener::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [raw, conn] : pending) conn->close();
}

void PartnerListener::accept() {
  std::weak_ptr<bool> alive = alive_;
  acceptor_.async_accept([this, alive](const boost::system::error_code& ec, tcp::socket socket) {
    if (alive.expired() || ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // EMFILE and the like: log, and keep accepting (the next connection may succeed).
      log_.log(Msg::F6D_PARTNER_ACCEPT_ERROR, name_, ec.message());
    } else {
      on_accept(std::move(socket));
    }
    accept();
  });
}

std::vector<PartnerLink*> PartnerListener::candidates(const asio::ip::address& a) const {
  std::vector<PartnerLink*> out;
  for (auto* l : links_)
    if (same_address(a, l->relationship().peer.address)) out.push_back(l);
  return out;
}

void PartnerListener::on_accept(tcp::socket socket) {
  ++accepted_;
  boost::system::error_code ec;
  tcp::endpoint remote = socket.remote_endpoint(ec);
  std::string from = ec ? "[?]" : to_string(remote);
  auto close_now = [&](const std::string& why) {
    ++refused_;
    log_.log(Msg::F6D_PARTNER_REFUSED, from, name_, why);
    boost::system::error_code ignored;
    socket.close(ignored);
  };
  if (ec) return close_now("cannot read the partner's address: " + ec.message());
  auto links = candidates(remote.address());
  if (links.empty())
    return close_now("no secondary relationship has partner address " +
                     remote.address().to_string());
  if (pending_.size() >= opt_.max_pending)
    return close_now(std::to_string(pending_.size()) + " connections already in set-up");
  PartnerLink* first = links.front();
  auto conn = PartnerConnection::create(std::move(socket), PartnerSide::Secondary,
                                        first->tls_context());
  PartnerConnection* raw = conn.get();
  pending_.emplace(raw, conn);
  PartnerConnection::Handlers h;
  h.on_ready = [this, raw] {
    // Set-up done: now wait for the CONNECT that names the relationship.
    if (auto it = pending_.find(raw); it != pending_.end())
      it->second->set_deadline(opt_.setup_timeout,
                               "no CONNECT within " + std::to_string(opt_.setup_timeout.count()) +
                                   " ms after set-up");
  };
  h.on_frame = [this, raw](wire::ByteView m) { dispatch(raw, m); };
  h.on_closed = [this, raw, rels = names(links)](CloseCause cause, const std::string& reason) {
    auto it = pending_.find(raw);
    if (it == pending_.end()) return;
    std::string peer = it->second->remote();
    pending_.erase(it);
    ++refused_;
    if (cause == CloseCause::TlsFailed || cause == CloseCause::TlsRefused)
      log_.log(Msg::F6D_TLS_HANDSHAKE_FAILED, rels, peer, reason);
    else if (cause == CloseCause::RefusedPartner)
      log_.log(Msg::F6D_PARTNER_REFUSED, peer, name_, reason);
    else
      log_.log(Msg::F6D_PARTNER_CLOSED, rels, peer, reason + " (before the relationship was known)");
  };
  conn->start(std::move(h), opt_.setup_timeout);
}

void PartnerListener::refuse(PartnerConnection* conn, const std::string& reason) {
  auto it = pending_.find(conn);
  if (it == pending_.end()) return;
  auto keep = it->second;
  pending_.erase(it);
  ++refused_;
  log_.log(Msg::F6D_PARTNER_REFUSED, keep->remote(), name_, reason);
  keep->close();
}

void PartnerListener::dispatch(PartnerConnection* conn, wire::ByteView first) {
  auto it = pending_.find(conn);
  if (it == pending_.end()) return;
  auto m = wire::decode_failover(first);
  if (!m) return refuse(conn, "the first message is undecodable: " + m.error().to_string());
  if (m->type != wire::MessageType::Connect)
    return refuse(conn, "the first message must be CONNECT (31), got " + wire::to_string(m->type) +
                            " (" + std::to_string(static_cast<int>(m->type)) + ")");
  auto links = candidates(conn->remote_endpoint().address());
  PartnerLink* chosen = nullptr;
  if (const auto* n = m->find<wire::FRelationshipName>()) {
    for (auto* l : links)
      if (l->name() == n->name) chosen = l;
    if (chosen == nullptr)
      return refuse(conn, "CONNECT names relationship '" + n->name +
                              "', which is not a secondary relationship with this partner (" +
                              names(links) + ")");
  } else if (links.size() == 1) {
    chosen = links.front();
  } else {
    return refuse(conn, "CONNECT has no OPTION_F_RELATIONSHIP_NAME but " +
                            std::to_string(links.size()) +
                            " relationships share this partner address (" + names(links) + ")");
  }
  auto keep = it->second;
  pending_.erase(it);
  if (!chosen->adopt(keep, wire::Bytes(first.begin(), first.end()))) {
    ++refused_;
    log_.log(Msg::F6D_PARTNER_REFUSED, keep->remote(), name_,
             "relationship '" + chosen->name() + "' is stopped");
    keep->close();
  }
}

}  // namespace failover6::io
