#include "fault/partner_proxy.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>
#include <set>
#include <stdexcept>

#include "fault/endpoint.h"
#include "fault/io_thread.h"
#include "trace/packet.h"
#include "trace/pcap_writer.h"

namespace failover6::fault {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string_view to_string(ProxyMode mode) {
  switch (mode) {
    case ProxyMode::Pass: return "pass";
    case ProxyMode::Blackhole: return "blackhole";
    case ProxyMode::Refuse: return "refuse";
    case ProxyMode::Delay: return "delay";
    case ProxyMode::OneWay: return "one-way";
  }
  return "?";
}

std::string_view to_string(LinkDirection direction) {
  return direction == LinkDirection::ToTarget ? "to-target" : "from-target";
}

std::optional<LinkDirection> parse_direction(std::string_view text) {
  if (text == "to-target") return LinkDirection::ToTarget;
  if (text == "from-target") return LinkDirection::FromTarget;
  return std::nullopt;
}

namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

wire::Address to_wire(const asio::ip::address& a) {
  wire::Address w;
  auto v6 = a.is_v6() ? a.to_v6() : asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4());
  w.bytes = v6.to_bytes();
  return w;
}

/// Bytes read from one side, waiting for their delivery time.
struct Chunk {
  Clock::time_point due;
  std::vector<std::uint8_t> data;
};

}  // namespace

struct PartnerProxy::Impl {
  struct Conn;

  Impl(const std::string& target_text, const std::string& listen_text, const std::string& pcap,
       std::string proxy_name)
      : name(std::move(proxy_name)), worker(name), io(worker.io), acceptor(io), accept_retry(io) {
    auto t = require_endpoint(target_text, "target");
    auto l = require_endpoint(listen_text, "listen");
    target = tcp::endpoint(asio::ip::make_address(t.address), t.port);
    target_wire = to_wire(target.address());
    tcp::endpoint le(asio::ip::make_address(l.address), l.port);
    boost::system::error_code ec;
    acceptor.open(le.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(le, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error(name + ": cannot listen on " + l.to_string() + ": " + ec.message());
    local = acceptor.local_endpoint();
    if (!pcap.empty()) {
      try {
        writer = std::make_unique<trace::PcapWriter>(pcap);
      } catch (const std::exception& e) {
        throw std::runtime_error(name + ": " + e.what());
      }
    }
    events.push_back({unix_now(), "pass"});
    accept();
    worker.start([this](const std::exception& e) {
      // A handler must not throw; if one does, note it and keep the link running.
      if (stats.pcap_error.empty()) stats.pcap_error = std::string("io: ") + e.what();
    });
  }

  // ---- io thread ---------------------------------------------------------------------------

  /// One proxied connection: the accepted socket, the upstream one, two directions.
  struct Conn : std::enable_shared_from_this<Conn> {
    /// One direction of the connection: 0 toward the target, 1 back from it.
    struct Dir {
      explicit Dir(asio::io_context& io) : timer(io) {}
      std::array<std::uint8_t, 32768> buf{};
      std::deque<Chunk> queue;
      std::size_t held = 0;
      bool reading = false;
      bool paused = false;
      bool writing = false;
      bool timer_pending = false;
      bool eof = false;
      bool shut = false;
      std::uint32_t seq = 0;  ///< Next pcap sequence number of this direction.
      asio::steady_timer timer;
    };

    Conn(Impl& p, tcp::socket s)
        : px(p), down(std::move(s)), up(p.io), dirs{Dir(p.io), Dir(p.io)} {}

    tcp::socket& src(int d) { return d == 0 ? down : up; }
    tcp::socket& dst(int d) { return d == 0 ? up : down; }

    Impl& px;
    tcp::socket down;
    tcp::socket up;
    std::array<Dir, 2> dirs;
    bool has_up = false;     ///< An upstream connection is established.
    bool silent = false;     ///< Accepted during a blackhole: never gets an upstream one.
    /// Per direction: a fault dropped bytes (or the EOF) of it, so its stream has a hole.
    std::array<bool, 2> lost{};
    bool closed = false;
    wire::Address peer_wire;  ///< The connecting side's address, for the pcap.
    std::uint16_t peer_port = 0;
  };
  using ConnPtr = std::shared_ptr<Conn>;

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // Out of descriptors (EMFILE, ENFILE) or memory: the connection stays in the backlog
        // and accept fails again at once; retry a little later rather than spin.
        accept_retry.expires_after(std::chrono::milliseconds(50));
        accept_retry.async_wait([this](boost::system::error_code tec) {
          if (!tec && acceptor.is_open()) accept();
        });
        return;
      }
      on_accept(std::move(s));
      accept();
    });
  }

  void on_accept(tcp::socket s) {
    ++stats.connections;
    if (mode == ProxyMode::Refuse) {
      ++stats.refused;
      abort_socket(s);
      return;
    }
    auto c = std::make_shared<Conn>(*this, std::move(s));
    boost::system::error_code ec;
    auto remote = c->down.remote_endpoint(ec);
    if (ec) return;  // already gone
    c->down.set_option(tcp::no_delay(true), ec);
    c->peer_wire = to_wire(remote.address());
    c->peer_port = remote.port();
    conns.insert(c);
    ++stats.open_connections;
    if (mode == ProxyMode::Blackhole) {
      // A partition: the connection is accepted (the SYN got to some host) and stays silent.
      c->silent = true;
      read(c, 0);
      return;
    }
    c->up.async_connect(target, [this, c](boost::system::error_code cec) {
      if (c->closed) return;
      if (cec) {
        ++stats.connect_failures;
        abort_conn(c);
        return;
      }
      boost::system::error_code ignored;
      c->up.set_option(tcp::no_delay(true), ignored);
      c->has_up = true;
      std::uint32_t isn_c = static_cast<std::uint32_t>(stats.connections * 0x9E3779B1U);
      std::uint32_t isn_s = isn_c ^ 0x5A5A5A5AU;
      c->dirs[0].seq = isn_c + 1;
      c->dirs[1].seq = isn_s + 1;
      auto t = unix_now_ns();
      pcap_tcp(t, *c, 0, isn_c, 0, trace::TCP_SYN, {});
      pcap_tcp(t, *c, 1, isn_s, isn_c + 1, trace::TCP_SYN | trace::TCP_ACK, {});
      pcap_tcp(t, *c, 0, isn_c + 1, isn_s + 1, trace::TCP_ACK, {});
      read(c, 0);
      read(c, 1);
    });
  }

  /// Whether bytes of direction @p d are dropped now.
  bool dropping(const Conn& c, int d) const {
    if (!c.has_up) return true;
    if (mode == ProxyMode::Blackhole) return true;
    if (mode == ProxyMode::OneWay) return static_cast<int>(one_way_drop) == d;
    return false;
  }

  void read(const ConnPtr& c, int d) {
    auto& dir = c->dirs[d];
    if (c->closed || dir.reading || dir.eof) return;
    dir.reading = true;
    c->src(d).async_read_some(asio::buffer(dir.buf), [this, c, d](boost::system::error_code ec,
                                                                  std::size_t n) {
      auto& dr = c->dirs[d];
      dr.reading = false;
      if (c->closed) return;
      if (ec == asio::error::eof) {
        on_eof(c, d);
        return;
      }
      if (ec) {  // reset by the peer, or another error: the other side is reset too
        abort_conn(c);
        return;
      }
      if (dropping(*c, d)) {
        (d == 0 ? stats.dropped_to_target : stats.dropped_from_target) += n;
        c->lost[d] = true;
        read(c, d);
        return;
      }
      auto due = Clock::now();
      if (mode == ProxyMode::Delay) due += delay_duration;
      dr.queue.push_back(Chunk{due, std::vector<std::uint8_t>(dr.buf.begin(), dr.buf.begin() + static_cast<std::ptrdiff_t>(n))});
      dr.held += n;
      stats.held_bytes += n;
      write(c, d);
      if (dr.held >= MAX_HELD) dr.paused = true;
      else read(c, d);
    });
  }

  void on_eof(const ConnPtr& c, int d) {
    auto& dir = c->dirs[d];
    dir.eof = true;
    if (!c->has_up) {  // accepted during a blackhole and closed: nothing to pass on
      close_conn(c);
      return;
    }
    if (dropping(*c, d)) {  // the FIN is lost like the bytes
      c->lost[d] = true;
      return;
    }
    maybe_shut(c, d);
  }

  /// Closes the sending half toward the destination of @p d once its queue is delivered.
  void maybe_shut(const ConnPtr& c, int d) {
    auto& dir = c->dirs[d];
    if (!dir.eof || dir.shut || dir.writing || !dir.queue.empty()) return;
    dir.shut = true;
    boost::system::error_code ec;
    c->dst(d).shutdown(tcp::socket::shutdown_send, ec);
    pcap_tcp(unix_now_ns(), *c, d, dir.seq, c->dirs[1 - d].seq, trace::TCP_FIN | trace::TCP_ACK, {});
    ++dir.seq;
    if (c->dirs[0].shut && c->dirs[1].shut) close_conn(c);
  }

  void write(const ConnPtr& c, int d) {
    auto& dir = c->dirs[d];
    if (c->closed || dir.writing || dir.timer_pending || dir.queue.empty()) return;
    auto& front = dir.queue.front();
    if (front.due > Clock::now()) {
      dir.timer_pending = true;
      dir.timer.expires_at(front.due);
      dir.timer.async_wait([this, c, d](boost::system::error_code) {
        c->dirs[d].timer_pending = false;
        write(c, d);
      });
      return;
    }
    dir.writing = true;
    asio::async_write(c->dst(d), asio::buffer(front.data),
                      [this, c, d](boost::system::error_code ec, std::size_t n) {
                        auto& dr = c->dirs[d];
                        dr.writing = false;
                        if (c->closed) return;
                        if (ec) {
                          abort_conn(c);
                          return;
                        }
                        auto& chunk = dr.queue.front();
                        pcap_data(*c, d, chunk.data);
                        (d == 0 ? stats.bytes_to_target : stats.bytes_from_target) += n;
                        dr.held -= n;
                        stats.held_bytes -= n;
                        dr.queue.pop_front();
                        if (dr.paused && dr.held < MAX_HELD / 2) {
                          dr.paused = false;
                          read(c, d);
                        }
                        if (dr.queue.empty()) maybe_shut(c, d);
                        else write(c, d);
                      });
  }

  static void abort_socket(tcp::socket& s) {
    boost::system::error_code ec;
    if (!s.is_open()) return;
    s.set_option(asio::socket_base::linger(true, 0), ec);  // close() then sends RST
    s.close(ec);
  }

  /// Resets both sides of @p c (RST) and forgets it.
  void abort_conn(const ConnPtr& c) {
    if (c->closed) return;
    if (c->has_up) {
      auto t = unix_now_ns();
      for (int d = 0; d < 2; ++d)
        if (!c->dirs[d].shut)
          pcap_tcp(t, *c, d, c->dirs[d].seq, c->dirs[1 - d].seq, trace::TCP_RST | trace::TCP_ACK, {});
    }
    abort_socket(c->down);
    abort_socket(c->up);
    forget(c);
  }

  /// Closes @p c gracefully (both halves already shut, or nothing to pass on).
  void close_conn(const ConnPtr& c) {
    if (c->closed) return;
    boost::system::error_code ec;
    c->down.close(ec);
    c->up.close(ec);
    forget(c);
  }

  void forget(const ConnPtr& c) {
    c->closed = true;
    for (auto& dir : c->dirs) {
      dir.timer.cancel();
      stats.held_bytes -= dir.held;
      dir.held = 0;
      dir.queue.clear();
    }
    if (conns.erase(c) > 0) --stats.open_connections;
  }

  /// Resets every open connection; @return how many.
  std::size_t reset_all() {
    auto all = conns;
    for (const auto& c : all) abort_conn(c);
    stats.resets += all.size();
    return all.size();
  }

  /// Sets the mode, then resets every connection that would now deliver a stream with a hole.
  void set_mode(ProxyMode m, std::string event) {
    mode = m;
    events.push_back({unix_now(), std::move(event)});
    reset_damaged();
  }

  /// Whether @p c must be reset under the current mode: delivery resumed in a direction
  /// that lost bytes (or its EOF), or the link is no longer a partition and @p c is silent
  /// (accepted during a blackhole, it has no upstream connection and never carries a byte).
  /// A connection whose upstream connect is still pending has lost nothing.
  bool damaged(const Conn& c) const {
    if (c.silent) return mode != ProxyMode::Blackhole;
    for (int d = 0; d < 2; ++d)
      if (c.lost[d] && !dropping(c, d)) return true;
    return false;
  }

  /// Resets (RST both ways) every connection damaged() under the current mode. TCP delivers
  /// every byte in order or the connection dies, so no receiver ever sees a hole.
  void reset_damaged() {
    std::vector<ConnPtr> victims;
    for (const auto& c : conns)
      if (damaged(*c)) victims.push_back(c);
    for (const auto& c : victims) abort_conn(c);
    stats.resets += victims.size();
  }

  void do_pass() {
    set_mode(ProxyMode::Pass, "pass");  // resets the damaged connections
    auto now = Clock::now();
    for (const auto& c : conns) {
      for (int d = 0; d < 2; ++d) {
        auto& dir = c->dirs[d];
        for (auto& chunk : dir.queue) chunk.due = std::min(chunk.due, now);
        if (dir.timer_pending) dir.timer.cancel();  // its handler calls write()
      }
    }
  }

  // ---- pcap ----------------------------------------------------------------------------------

  void pcap_tcp(std::int64_t t, const Conn& c, int d, std::uint32_t seq, std::uint32_t ack,
                std::uint8_t flags, std::span<const std::uint8_t> payload) {
    if (!writer) return;
    try {
      if (d == 0)
        writer->write_tcp(t, c.peer_wire, c.peer_port, target_wire, target.port(), seq, ack, flags, payload);
      else
        writer->write_tcp(t, target_wire, target.port(), c.peer_wire, c.peer_port, seq, ack, flags, payload);
      ++stats.pcap_packets;
    } catch (const std::exception& e) {
      stats.pcap_error = e.what();
      writer.reset();
    }
  }

  void pcap_data(Conn& c, int d, const std::vector<std::uint8_t>& data) {
    auto t = unix_now_ns();
    constexpr std::size_t MAX_SEGMENT = 60000;
    for (std::size_t off = 0; off < data.size(); off += MAX_SEGMENT) {
      auto n = std::min(MAX_SEGMENT, data.size() - off);
      pcap_tcp(t, c, d, c.dirs[d].seq, c.dirs[1 - d].seq, trace::TCP_PSH | trace::TCP_ACK,
               std::span<const std::uint8_t>(data).subspan(off, n));
      c.dirs[d].seq += static_cast<std::uint32_t>(n);
    }
  }

  ProxyStats snapshot() const {
    ProxyStats s = stats;
    s.mode = std::string(to_string(mode));
    if (mode == ProxyMode::Delay) s.delay_seconds = delay_seconds;
    if (mode == ProxyMode::OneWay) s.drop = std::string(to_string(one_way_drop));
    return s;
  }

  void shutdown_all() {
    boost::system::error_code ec;
    acceptor.close(ec);
    accept_retry.cancel();
    auto all = conns;
    for (const auto& c : all) {
      if (c->has_up) {
        auto t = unix_now_ns();
        for (int d = 0; d < 2; ++d)
          if (!c->dirs[d].shut) {
            pcap_tcp(t, *c, d, c->dirs[d].seq, c->dirs[1 - d].seq, trace::TCP_FIN | trace::TCP_ACK, {});
            c->dirs[d].shut = true;
          }
      }
      c->down.shutdown(tcp::socket::shutdown_both, ec);
      c->up.shutdown(tcp::socket::shutdown_both, ec);
      close_conn(c);
    }
  }

  std::string name;
  IoThread worker;  ///< Before every socket and timer: its io_context outlives them.
  asio::io_context& io;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;  ///< Retries accept after it failed (EMFILE).
  tcp::endpoint target;
  wire::Address target_wire;
  tcp::endpoint local;
  std::unique_ptr<trace::PcapWriter> writer;

  // Io-thread state (read directly only after the thread ended).
  ProxyMode mode = ProxyMode::Pass;
  double delay_seconds = 0;
  Clock::duration delay_duration{};
  LinkDirection one_way_drop = LinkDirection::ToTarget;
  std::set<ConnPtr> conns;
  ProxyStats stats;
  std::vector<ProxyEvent> events;
};

PartnerProxy::PartnerProxy(const std::string& target, const std::string& listen,
                           const std::string& pcap, const std::string& name)
    : impl_(std::make_unique<Impl>(target, listen, pcap, name)) {}

PartnerProxy::~PartnerProxy() {
  try {
    close();
  } catch (...) {  // NOLINT(bugprone-empty-catch): the destructor cannot report
  }
}

std::uint16_t PartnerProxy::port() const { return impl_->local.port(); }

std::string PartnerProxy::listen_address() const {
  return Endpoint{impl_->local.address().to_string(), impl_->local.port()}.to_string();
}

const std::string& PartnerProxy::name() const { return impl_->name; }

ProxyMode PartnerProxy::mode() const {
  return impl_->worker.peek([this] { return impl_->mode; });
}

void PartnerProxy::pass_through() {
  impl_->worker.call([this] { impl_->do_pass(); });
}

void PartnerProxy::blackhole() {
  impl_->worker.call([this] { impl_->set_mode(ProxyMode::Blackhole, "blackhole"); });
}

std::size_t PartnerProxy::reset() {
  return impl_->worker.call([this] {
    impl_->events.push_back({unix_now(), "reset"});
    auto n = impl_->reset_all();
    if (impl_->mode != ProxyMode::Pass) impl_->do_pass();
    return n;
  });
}

void PartnerProxy::refuse() {
  impl_->worker.call([this] {
    impl_->set_mode(ProxyMode::Refuse, "refuse");
    impl_->reset_all();
  });
}

void PartnerProxy::delay(double seconds) {
  if (!(seconds >= 0 && seconds <= 3600))
    throw std::invalid_argument(impl_->name + ": delay " + std::to_string(seconds) +
                                " s is outside [0, 3600]");
  impl_->worker.call([this, seconds] {
    impl_->delay_seconds = seconds;
    impl_->delay_duration = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(seconds));
    impl_->set_mode(ProxyMode::Delay, "delay");
  });
}

void PartnerProxy::one_way(LinkDirection drop) {
  impl_->worker.call([this, drop] {
    impl_->one_way_drop = drop;
    impl_->set_mode(ProxyMode::OneWay, "one-way");
  });
}

void PartnerProxy::flush() {
  std::string error = impl_->worker.peek([this]() -> std::string {
    auto& im = *impl_;
    if (!im.writer) return {};  // none, or closed (close() resets it)
    try {
      im.writer->flush();
    } catch (const std::exception& e) {
      if (im.stats.pcap_error.empty()) im.stats.pcap_error = e.what();
      return e.what();
    }
    return {};
  });
  if (!error.empty()) throw std::runtime_error(impl_->name + ": pcap: " + error);
}

ProxyStats PartnerProxy::stats() const {
  return impl_->worker.peek([this] { return impl_->snapshot(); });
}

std::vector<ProxyEvent> PartnerProxy::events() const {
  return impl_->worker.peek([this] { return impl_->events; });
}

void PartnerProxy::close() {
  auto& im = *impl_;
  std::string error;
  // The writer is closed after the io thread ended and before the state is final for
  // stats() and events() of other threads (they read it directly from then on).
  bool stopped = im.worker.stop([&im] { im.shutdown_all(); },
                                [&] {
                                  error = im.stats.pcap_error;
                                  if (im.writer) {
                                    try {
                                      im.writer->close();
                                    } catch (const std::exception& e) {
                                      error = e.what();
                                    }
                                    im.writer.reset();
                                  }
                                  im.stats.pcap_error = error;
                                });
  if (stopped && !error.empty()) throw std::runtime_error(im.name + ": pcap: " + error);
}

}  // namespace failover6::fault
