#include "gen/generator.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "gen/link_transport.h"
#include "trace/pcap_writer.h"

namespace failover6::gen {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint16_t RELAY_PORT = 547;
constexpr unsigned BATCH = 64;

std::int64_t since(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

sockaddr_in6 to_sockaddr(const ServerEndpoint& e) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(e.port);
  std::memcpy(&sa.sin6_addr, e.address.bytes.data(), 16);
  return sa;
}

/// The UDP socket and its batched send/receive.
class Socket {
 public:
  Socket(const wire::Address& bind_to, std::uint16_t port) {
    fd_ = ::socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket(AF_INET6): ") + std::strerror(errno));
    int size = 8 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    std::memcpy(&sa.sin6_addr, bind_to.bytes.data(), 16);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      int e = errno;
      ::close(fd_);
      throw std::runtime_error("bind([" + bind_to.to_string() + "]:" + std::to_string(port) +
                               "): " + std::strerror(e));
    }
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

double percentile(std::vector<std::uint32_t>& v, double q) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) ;
  k = std::clamp<std::size_t>(k, 1, v.size()) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

nlohmann::json type_counts(const std::array<std::uint64_t, 256>& a) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t t = 0; t < a.size(); ++t)
    if (a[t]) j[wire::to_string(static_cast<wire::MessageType>(t))] = a[t];
  return j;
}

}  // namespace

std::string ServerEndpoint::to_string() const {
  return "[" + address.to_string() + "]:" + std::to_string(port);
}

std::optional<ServerEndpoint> parse_endpoint(std::string_view text) {
  ServerEndpoint e;
  std::string_view addr = text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    addr = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6) return std::nullopt;
      unsigned port = 0;
      for (char ch : rest.substr(1)) {
        if (ch < '0' || ch > '9') return std::nullopt;
        port = port * 10 + static_cast<unsigned>(ch - '0');
      }
      if (port == 0 || port > 65535) return std::nullopt;
      e.port = static_cast<std::uint16_t>(port);
    }
  }
  auto a = wire::Address::parse(addr);
  if (!a) return std::nullopt;
  e.address = *a;
  return e;
}

GeneratorResult run_generator(const GeneratorOptions& options, std::ostream& progress) {
  const bool link_mode = !options.link.empty();
  if (link_mode && !options.servers.empty())
    throw std::invalid_argument("link mode sends to ff02::1:2 on " + options.link +
                                ": no server is given with it");
  if (!link_mode && options.servers.empty())
    throw std::invalid_argument("at least one --server is needed");
  if (!(options.time_scale > 0) || !std::isfinite(options.time_scale))
    throw std::invalid_argument("time scale must be a positive number");
  if (!(options.rate >= 0) || !std::isfinite(options.rate))
    throw std::invalid_argument("rate must be a non-negative number");
  if (!(options.duration_s > 0) || !std::isfinite(options.duration_s))
    throw std::invalid_argument("duration must be a positive number of seconds");

  const double scale = options.time_scale;
  FleetConfig fc = options.fleet;
  fc.servers = link_mode ? 1 : static_cast<std::uint32_t>(options.servers.size());
  if (link_mode) {  // directly attached clients: no relays
    fc.relays = 0;
    fc.relay_depth = 0;
  }
  fc.start = 0;
  fc.start_interval =
      options.rate > 0 ? static_cast<Duration>(std::llround(1e9 * scale / options.rate)) : 0;
  Fleet fleet(fc);

  std::vector<sockaddr_in6> servers;
  for (const auto& s : options.servers) servers.push_back(to_sockaddr(s));
  std::optional<LinkInterface> link;
  std::optional<LinkSocket> link_sock;
  std::optional<Socket> relay_sock;
  if (link_mode) {
    link = find_link(options.link);
    link_sock.emplace(*link);
    servers.push_back(link_sock->multicast_destination());
  } else {
    relay_sock.emplace(options.bind, options.bind_port);
  }
  const int fd = link_mode ? link_sock->fd() : relay_sock->fd();
  std::vector<wire::Address> responders;  // link mode: who answered, in order of first answer
  std::unique_ptr<trace::PcapWriter> pcap;
  if (!options.pcap.empty()) pcap = std::make_unique<trace::PcapWriter>(options.pcap);

  GeneratorResult res;
  res.clients = fc.clients;
  res.time_scale = scale;
  res.pcap = options.pcap;
  for (const auto& s : options.servers) res.servers.push_back(s.to_string());
  if (link) {
    res.link = link->name;
    res.source = link->link_local.to_string();
  }

  const auto wall0 = Clock::now();
  const std::int64_t epoch0 = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  auto proto = [&](Clock::time_point t) -> Time {
    return static_cast<Time>(static_cast<double>(since(wall0, t)) * scale);
  };
  auto wall_of = [&](Time p) -> Clock::time_point {
    if (p == NEVER) return Clock::time_point::max();
    return wall0 + std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(p) / scale));
  };
  auto stamp = [&](Clock::time_point t) { return epoch0 + since(wall0, t); };

  std::vector<Datagram> out;
  std::vector<mmsghdr> msgs(BATCH);
  std::vector<iovec> iovs(BATCH);
  std::vector<sockaddr_in6> addrs(BATCH);
  std::vector<std::array<std::uint8_t, 2048>> bufs(BATCH);

  auto flush = [&]() {
    std::size_t done = 0;
    const auto t = Clock::now();
    while (done < out.size()) {
      unsigned n = static_cast<unsigned>(std::min<std::size_t>(BATCH, out.size() - done));
      for (unsigned k = 0; k < n; ++k) {
        Datagram& d = out[done + k];
        iovs[k] = {d.payload.data(), d.payload.size()};
        msgs[k] = {};
        // Link mode: one destination, the multicast group (d.server is ALL_SERVERS).
        msgs[k].msg_hdr.msg_name = &servers[link_mode ? 0 : d.server];
        msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_in6);
        msgs[k].msg_hdr.msg_iov = &iovs[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
      }
      int sent = ::sendmmsg(fd, msgs.data(), n, 0);
      if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
          pollfd p{fd, POLLOUT, 0};
          ::poll(&p, 1, 10);
          if (!(p.revents & POLLOUT)) {  // still full: drop one, as a lossy link would
            ++res.send_errors;
            ++done;
          }
          continue;
        }
        ++res.send_errors;  // e.g. ECONNREFUSED from an earlier ICMP error: drop this one
        ++done;
        continue;
      }
      for (int k = 0; k < sent; ++k) {
        const Datagram& d = out[done + static_cast<std::size_t>(k)];
        if (pcap && link_mode)
          pcap->write_udp(stamp(t), link->link_local, CLIENT_PORT,
                          all_dhcp_relay_agents_and_servers(), SERVER_PORT, d.payload);
        else if (pcap)
          pcap->write_udp(stamp(t), fleet.relay(d.relay).source(), RELAY_PORT,
                          options.servers[d.server].address, options.servers[d.server].port,
                          d.payload);
      }
      res.datagrams_sent += static_cast<std::uint64_t>(sent);
      done += static_cast<std::size_t>(sent);
    }
    out.clear();
  };

  auto receive = [&]() {
    for (int round = 0; round < 16; ++round) {
      for (unsigned k = 0; k < BATCH; ++k) {
        iovs[k] = {bufs[k].data(), bufs[k].size()};
        msgs[k] = {};
        msgs[k].msg_hdr.msg_name = &addrs[k];
        msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_in6);
        msgs[k].msg_hdr.msg_iov = &iovs[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
      }
      int n = ::recvmmsg(fd, msgs.data(), BATCH, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;
      const auto t = Clock::now();
      const Time now = proto(t);
      for (int k = 0; k < n; ++k) {
        const sockaddr_in6& from = addrs[static_cast<std::size_t>(k)];
        if (link_mode) {
          // Any server on the link may answer; the socket only gets unicasts to our
          // link-local address port 546. All are server 0 to the fleet: the clients tell
          // servers apart by SERVERID and multicast everything.
          wire::Address src;
          std::memcpy(src.bytes.data(), &from.sin6_addr, 16);
          if (std::find(responders.begin(), responders.end(), src) == responders.end() &&
              responders.size() < 64)
            responders.push_back(src);
          ++res.datagrams_received;
          wire::ByteView payload(bufs[static_cast<std::size_t>(k)].data(),
                                 msgs[static_cast<std::size_t>(k)].msg_len);
          fleet.on_datagram(0, payload, now, out);
          if (pcap)
            pcap->write_udp(stamp(t), src, ntohs(from.sin6_port), link->link_local, CLIENT_PORT,
                            payload);
          if (!out.empty()) flush();
          continue;
        }
        std::size_t s = 0;
        for (; s < servers.size(); ++s)
          if (std::memcmp(&from.sin6_addr, &servers[s].sin6_addr, 16) == 0 &&
              from.sin6_port == servers[s].sin6_port)
            break;
        if (s == servers.size()) continue;  // not from a server of ours
        ++res.datagrams_received;
        wire::ByteView payload(bufs[static_cast<std::size_t>(k)].data(),
                               msgs[static_cast<std::size_t>(k)].msg_len);
        std::uint32_t relay = 0;
        fleet.on_datagram(static_cast<std::uint8_t>(s), payload, now, out, &relay);
        if (pcap)
          pcap->write_udp(stamp(t), options.servers[s].address, options.servers[s].port,
                          fleet.relay(relay).source(), RELAY_PORT, payload);
        if (!out.empty()) flush();
      }
      if (n < static_cast<int>(BATCH)) return;
    }
  };

  // The live view for other threads: about every 100 ms (clients_bound scans every client).
  auto next_publish = wall0;
  auto publish = [&](Clock::time_point t, bool running) {
    if (!options.live) return;
    const auto& st = fleet.stats();
    GeneratorSnapshot s;
    s.running = running;
    s.elapsed_s = static_cast<double>(since(wall0, t)) / 1e9;
    s.clients = fc.clients;
    s.clients_bound = fleet.clients_bound(proto(t));
    s.clients_informed = fleet.clients_informed();
    s.leases_changed = fleet.leases_changed();
    s.exchanges = st.exchanges;
    s.retransmissions = st.retransmissions;
    s.failures = st.failures;
    s.datagrams_sent = res.datagrams_sent;
    s.datagrams_received = res.datagrams_received;
    s.send_errors = res.send_errors;
    options.live->publish(s);
    next_publish = t + std::chrono::milliseconds(100);
  };
  publish(wall0, true);

  const auto end = wall0 + std::chrono::nanoseconds(static_cast<std::int64_t>(options.duration_s * 1e9));
  auto next_report = wall0 + std::chrono::seconds(1);
  std::uint64_t last_exchanges = 0;
  auto last_report = wall0;
  bool releasing = false;
  auto next_check = wall0;
  auto release_end = end;
  auto finish = [&](Clock::time_point t) {
    return t >= (releasing ? release_end : end) || (options.stop && options.stop->load());
  };
  while (true) {
    auto t = Clock::now();
    if (!releasing && t >= end && options.release_at_end) {
      releasing = true;
      release_end = t + std::chrono::seconds(5);
      fleet.release_all(proto(t), out);
      flush();
    }
    if (finish(t)) break;
    fleet.on_timer(proto(t), out);
    if (!out.empty()) flush();
    receive();
    t = Clock::now();
    if (t >= next_report) {
      const auto& st = fleet.stats();
      double dt = static_cast<double>(since(last_report, t)) / 1e9;
      if (options.progress) {
        progress << "generate: " << std::fixed;
        progress.precision(1);
        progress << static_cast<double>(since(wall0, t)) / 1e9 << " s  bound "
                 << fleet.clients_bound(proto(t)) << "/" << fc.clients << "  exchanges/s ";
        progress.precision(0);
        progress << static_cast<double>(st.exchanges - last_exchanges) / std::max(dt, 1e-3)
                 << "  retransmissions " << st.retransmissions << "  failures " << st.failures
                 << '\n'
                 << std::flush;
      }
      last_exchanges = st.exchanges;
      last_report = t;
      next_report = t + std::chrono::seconds(1);
    }
    if (options.live && t >= next_publish) publish(t, true);
    // The end conditions scan every client: at most every 20 ms.
    const bool check = t >= next_check;
    if (check) next_check = t + std::chrono::milliseconds(20);
    if (check && options.stop_when_bound && !releasing &&
        fleet.clients_bound(proto(t)) + fleet.clients_informed() == fc.clients) {
      if (!options.release_at_end) break;
      releasing = true;
      release_end = t + std::chrono::seconds(5);
      fleet.release_all(proto(t), out);
      flush();
    }
    if (check && releasing) {
      bool all = true;
      for (std::size_t i = 0; i < fleet.size() && all; ++i)
        all = fleet.client(i).state() == ClientState::Released;
      if (all) break;
    }
    // Sleep until the next deadline, the next report, the end, or a datagram.
    auto wake = std::min({wall_of(fleet.next_deadline()), next_report, releasing ? release_end : end});
    if (options.live) wake = std::min(wake, next_publish);
    if (options.stop_when_bound || releasing) wake = std::min(wake, next_check);
    auto wait_ns = since(Clock::now(), wake);
    if (wait_ns > 0) {
      timespec ts{static_cast<time_t>(wait_ns / 1'000'000'000), static_cast<long>(wait_ns % 1'000'000'000)};
      pollfd p{fd, POLLIN, 0};
      ::ppoll(&p, 1, &ts, nullptr);
    }
  }
  const auto t_end = Clock::now();
  res.stats = fleet.stats();
  res.clients_bound = fleet.clients_bound(proto(t_end));
  res.clients_informed = fleet.clients_informed();
  res.leases_changed = fleet.leases_changed();
  res.wall_s = static_cast<double>(since(wall0, t_end)) / 1e9;
  publish(t_end, false);
  if (link_mode)
    for (const auto& a : responders) res.servers.push_back(a.to_string());
  if (pcap) {
    pcap->close();
    res.pcap_packets = pcap->packets();
  }
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  res.max_rss_kib = ru.ru_maxrss;
  return res;
}

nlohmann::json snapshot_json(const GeneratorSnapshot& s) {
  return {{"running", s.running},
          {"elapsed_s", s.elapsed_s},
          {"clients", s.clients},
          {"clients_bound", s.clients_bound},
          {"clients_informed", s.clients_informed},
          {"leases_changed", s.leases_changed},
          {"exchanges", s.exchanges},
          {"retransmissions", s.retransmissions},
          {"failures", s.failures},
          {"datagrams_sent", s.datagrams_sent},
          {"datagrams_received", s.datagrams_received},
          {"send_errors", s.send_errors}};
}

nlohmann::json summary_json(const GeneratorResult& r) {
  using nlohmann::json;
  const auto& st = r.stats;
  std::vector<std::uint32_t> lat = st.latencies_us;
  // Latencies are measured in protocol time; the wall-clock value is that over the scale.
  auto ms = [&](double us) { return us / 1000.0 / r.time_scale; };
  double mx = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end());
  json latency = {{"p50", ms(percentile(lat, 0.50))},
                  {"p90", ms(percentile(lat, 0.90))},
                  {"p99", ms(percentile(lat, 0.99))},
                  {"max", ms(mx)}};
  json failures = json::object();
  for (std::size_t k = 0; k < st.failures_by_kind.size(); ++k)
    if (st.failures_by_kind[k])
      failures[std::string(to_string(static_cast<Failure>(k)))] = st.failures_by_kind[k];
  double secs = std::max(r.wall_s, 1e-9);
  return {{"clients", r.clients},
          {"servers", r.servers},
          {"duration_s", r.wall_s},
          {"time_scale", r.time_scale},
          {"exchanges", st.exchanges},
          {"rate", static_cast<double>(st.exchanges) / secs},
          {"sarr", st.sarr},
          {"sarr_rate", static_cast<double>(st.sarr) / secs},
          {"latency_ms", latency},
          {"clients_bound", r.clients_bound},
          {"clients_informed", r.clients_informed},
          {"leases_changed", r.leases_changed},
          {"retransmissions", st.retransmissions},
          {"failures", st.failures},
          {"failures_by_kind", failures},
          {"unmatched", st.unmatched},
          {"malformed", st.malformed},
          {"sent", type_counts(st.sent)},
          {"received", type_counts(st.received)},
          {"exchanges_by_request", type_counts(st.exchanges_by_request)},
          {"datagrams_sent", r.datagrams_sent},
          {"datagrams_received", r.datagrams_received},
          {"send_errors", r.send_errors},
          {"link", r.link.empty() ? json(nullptr) : json(r.link)},
          {"source", r.source.empty() ? json(nullptr) : json(r.source)},
          {"pcap", r.pcap.empty() ? json(nullptr) : json(r.pcap)},
          {"pcap_packets", r.pcap_packets},
          {"max_rss_kib", r.max_rss_kib}};
}

std::string summary_text(const GeneratorResult& r) {
  auto j = summary_json(r);
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(1);
  if (!r.link.empty())
    o << "link " << r.link << ": clients at " << r.source << ", answered by "
      << (r.servers.empty() ? std::string("no server") : r.servers.front())
      << (r.servers.size() > 1 ? " and " + std::to_string(r.servers.size() - 1) + " more" : "")
      << "\n";
  o << "clients " << r.clients << ", bound " << r.clients_bound << ", informed "
    << r.clients_informed << ", leases changed " << r.leases_changed << "\n";
  o << "exchanges " << r.stats.exchanges << " in " << r.wall_s << " s (" << j["rate"].get<double>()
    << "/s), SARR " << r.stats.sarr << " (" << j["sarr_rate"].get<double>() << "/s)\n";
  o.precision(3);
  const auto& l = j["latency_ms"];
  o << "latency ms p50 " << l["p50"].get<double>() << " p90 " << l["p90"].get<double>() << " p99 "
    << l["p99"].get<double>() << " max " << l["max"].get<double>() << "\n";
  o << "retransmissions " << r.stats.retransmissions << ", failures " << r.stats.failures
    << ", unmatched " << r.stats.unmatched << ", malformed " << r.stats.malformed
    << ", send errors " << r.send_errors << "\n";
  o << "sent";
  for (auto& [k, v] : j["sent"].items()) o << " " << k << " " << v.get<std::uint64_t>();
  o << "\nreceived";
  for (auto& [k, v] : j["received"].items()) o << " " << k << " " << v.get<std::uint64_t>();
  o << "\n";
  if (!r.pcap.empty()) o << "pcap " << r.pcap << ": " << r.pcap_packets << " packets\n";
  o << "peak RSS " << r.max_rss_kib / 1024 << " MiB\n";
  return o.str();
}

}  // namespace failover6::gen
