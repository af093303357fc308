#include "fault/udp_proxy.h"

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <stdexcept>

#include "fault/endpoint.h"
#include "fault/io_thread.h"

namespace failover6::fault {

namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct UdpProxy::Impl {
  /// The upstream socket of one downstream source.
  struct Upstream : std::enable_shared_from_this<Upstream> {
    explicit Upstream(asio::io_context& io) : sock(io) {}
    udp::socket sock;
    udp::endpoint source;
    std::chrono::steady_clock::time_point last_used;  ///< Last datagram either way.
    std::array<std::uint8_t, 65536> buf{};
  };

  Impl(const std::string& target_text, const std::string& listen_text, std::string proxy_name,
       double idle_seconds)
      : name(std::move(proxy_name)), worker(name), io(worker.io), down(io), sweeper(io) {
    if (!(idle_seconds > 0 && idle_seconds <= 86400))
      throw std::invalid_argument(name + ": idle_timeout " + std::to_string(idle_seconds) +
                                  " s is outside (0, 86400]");
    idle = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(idle_seconds));
    auto t = require_endpoint(target_text, "target");
    auto l = require_endpoint(listen_text, "listen");
    target = udp::endpoint(asio::ip::make_address(t.address), t.port);
    udp::endpoint le(asio::ip::make_address(l.address), l.port);
    boost::system::error_code ec;
    down.open(le.protocol(), ec);
    if (!ec) down.bind(le, ec);
    if (ec) throw std::runtime_error(name + ": cannot bind " + l.to_string() + ": " + ec.message());
    local = down.local_endpoint();
    events.push_back({unix_now(), "pass"});
    receive();
    sweep();
    // A handler must not throw (bad_alloc at worst); keep forwarding rather than terminate
    // the process from the io thread.
    worker.start([](const std::exception&) {});
  }

  /// Closes mappings idle longer than `idle`, a few times per idle period.
  void sweep() {
    auto period = std::clamp<std::chrono::steady_clock::duration>(
        idle / 4, std::chrono::milliseconds(10), std::chrono::seconds(5));
    sweeper.expires_after(period);
    sweeper.async_wait([this](boost::system::error_code ec) {
      if (ec || !down.is_open()) return;
      auto now = std::chrono::steady_clock::now();
      for (auto it = ups.begin(); it != ups.end();) {
        if (now - it->second->last_used >= idle) it = drop_mapping(it);
        else ++it;
      }
      sweep();
    });
  }

  using Map = std::map<udp::endpoint, std::shared_ptr<Upstream>>;

  /// Closes one mapping; @return the next.
  Map::iterator drop_mapping(Map::iterator it) {
    boost::system::error_code ec;
    it->second->sock.close(ec);  // its pending receive ends with operation_aborted
    ++stats.expired;
    return ups.erase(it);
  }

  void receive() {
    down.async_receive_from(asio::buffer(buf), sender, [this](boost::system::error_code ec, std::size_t n) {
      if (ec == asio::error::operation_aborted || !down.is_open()) return;
      if (!ec) forward(n);
      receive();
    });
  }

  void forward(std::size_t n) {
    if (blackholed) {
      ++stats.dropped;
      return;
    }
    auto it = ups.find(sender);
    if (it == ups.end()) {
      if (ups.size() >= MAX_SOURCES) {  // make room: the least recently used goes
        auto lru = ups.begin();
        for (auto i = ups.begin(); i != ups.end(); ++i)
          if (i->second->last_used < lru->second->last_used) lru = i;
        drop_mapping(lru);
      }
      auto u = std::make_shared<Upstream>(io);
      u->source = sender;
      boost::system::error_code ec;
      u->sock.open(target.protocol(), ec);
      if (!ec) u->sock.connect(target, ec);
      if (ec) {
        ++stats.send_errors;
        return;
      }
      it = ups.emplace(sender, u).first;
      ++stats.sources;
      reply_loop(u);
    }
    it->second->last_used = std::chrono::steady_clock::now();
    // Counted before sending, so a receiver never sees a datagram the counters miss.
    ++stats.to_target;
    stats.bytes_to_target += n;
    boost::system::error_code ec;
    it->second->sock.send(asio::buffer(buf.data(), n), 0, ec);
    if (ec) {
      --stats.to_target;
      stats.bytes_to_target -= n;
      ++stats.send_errors;
    }
  }

  void reply_loop(const std::shared_ptr<Upstream>& u) {
    u->sock.async_receive(asio::buffer(u->buf), [this, u](boost::system::error_code ec, std::size_t n) {
      if (ec == asio::error::operation_aborted || !u->sock.is_open()) return;
      if (!ec) {
        u->last_used = std::chrono::steady_clock::now();
        ++stats.from_target;
        stats.bytes_from_target += n;
        boost::system::error_code sec;
        down.send_to(asio::buffer(u->buf.data(), n), u->source, 0, sec);
        if (sec) {
          --stats.from_target;
          stats.bytes_from_target -= n;
          ++stats.send_errors;
        }
      }
      // Errors such as ECONNREFUSED (ICMP from a target not listening) are transient.
      reply_loop(u);
    });
  }

  void set_mode(bool black) {
    blackholed = black;
    events.push_back({unix_now(), black ? "blackhole" : "pass"});
  }

  UdpProxyStats snapshot() const {
    UdpProxyStats s = stats;
    s.mode = blackholed ? "blackhole" : "pass";
    s.open_sources = ups.size();
    return s;
  }

  std::string name;
  IoThread worker;  ///< Before every socket and timer: its io_context outlives them.
  asio::io_context& io;
  udp::socket down;
  asio::steady_timer sweeper;
  std::chrono::steady_clock::duration idle{};
  udp::endpoint target;
  udp::endpoint local;
  udp::endpoint sender;
  std::array<std::uint8_t, 65536> buf{};
  Map ups;
  bool blackholed = false;
  UdpProxyStats stats;
  std::vector<ProxyEvent> events;
};

UdpProxy::UdpProxy(const std::string& target, const std::string& listen, const std::string& name,
                   double idle_timeout)
    : impl_(std::make_unique<Impl>(target, listen, name, idle_timeout)) {}

UdpProxy::~UdpProxy() { close(); }

std::uint16_t UdpProxy::port() const { return impl_->local.port(); }

std::string UdpProxy::listen_address() const {
  return Endpoint{impl_->local.address().to_string(), impl_->local.port()}.to_string();
}

std::string UdpProxy::mode() const {
  return impl_->worker.peek([this] { return std::string(impl_->blackholed ? "blackhole" : "pass"); });
}

void UdpProxy::pass_through() {
  impl_->worker.call([this] { impl_->set_mode(false); });
}

void UdpProxy::blackhole() {
  impl_->worker.call([this] { impl_->set_mode(true); });
}

UdpProxyStats UdpProxy::stats() const {
  return impl_->worker.peek([this] { return impl_->snapshot(); });
}

std::vector<ProxyEvent> UdpProxy::events() const {
  return impl_->worker.peek([this] { return impl_->events; });
}

void UdpProxy::close() {
  auto& im = *impl_;
  im.worker.stop([&im] {
    boost::system::error_code ec;
    im.down.close(ec);
    im.sweeper.cancel();
    for (auto& [src, u] : im.ups) u->sock.close(ec);
    im.ups.clear();
  });
}

}  // namespace failover6::fault
