#include "io/udp_io.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>
#include <system_error>

namespace failover6::io {

namespace asio = boost::asio;
using asio::ip::udp;

struct UdpIo::Socket {
  explicit Socket(asio::io_context& io) : sock(io) {}
  udp::socket sock;
  std::string name;       ///< "[::1]:5547" or "eth0" (for logs)
  std::string interface;  ///< the interface name for interface sockets, else ""
  std::uint16_t port = 0;
  bool ready = false;    ///< readable as far as we know
  bool waiting = false;  ///< an async_wait is pending
};

namespace {

[[noreturn]] void fail(const std::string& what, int err) {
  throw std::runtime_error(what + ": " + std::strerror(err));
}

void set_int(int fd, int level, int opt, int value, const std::string& what) {
  if (::setsockopt(fd, level, opt, &value, sizeof(value)) != 0) fail(what, errno);
}

const wire::Address ALL_DHCP_RELAY_AGENTS_AND_SERVERS = wire::Address::from_string("ff02::1:2");

bool needs_scope(const wire::Address& a) {
  // Link-local unicast fe80::/10 and link- or interface-local multicast need an interface.
  return (a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80) ||
         (a.bytes[0] == 0xff && ((a.bytes[1] & 0x0f) <= 2));
}

}  // namespace

UdpIo::UdpIo(asio::io_context& io, Logger& log) : io_(io), log_(log) {}

UdpIo::~UdpIo() { close(); }

void UdpIo::add_socket(std::unique_ptr<Socket> s) {
  s->sock.non_blocking(true);
  // SO_RCVBUFFORCE passes net.core.rmem_max when privileged; otherwise SO_RCVBUF is capped
  // there silently, so read back what was granted. Linux doubles the value for bookkeeping.
  const int fd = s->sock.native_handle();
  int want = RECEIVE_BUFFER;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
  int got = 0;
  socklen_t len = sizeof(got);
  if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 && got / 2 < RECEIVE_BUFFER)
    log_.log(Msg::F6D_RECEIVE_BUFFER_SMALL, s->name, got / 2, RECEIVE_BUFFER);
  sockets_.push_back(std::move(s));
}

void UdpIo::open_listen(const config::Endpoint& e) {
  const std::string name = e.to_string();
  auto s = std::make_unique<Socket>(io_);
  boost::system::error_code ec;
  s->sock.open(udp::v6(), ec);
  if (ec) throw std::runtime_error(name + ": " + ec.message());
  int fd = s->sock.native_handle();
  set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, name + ": IPV6_V6ONLY");
  set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, name + ": IPV6_RECVPKTINFO");
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(e.port);
  std::memcpy(&sa.sin6_addr, e.address.bytes.data(), 16);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0)
    fail(name + ": bind", errno);
  s->name = name;
  s->port = e.port;
  if (s->port == 0) {
    socklen_t len = sizeof(sa);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0) s->port = ntohs(sa.sin6_port);
  }
  log_.log(Msg::F6D_LISTENING, "[" + e.address.to_string() + "]:" + std::to_string(s->port));
  add_socket(std::move(s));
}

void UdpIo::open_interface(const std::string& spec) {
  const std::string ifname = spec.substr(0, spec.find('/'));
  unsigned index = ::if_nametoindex(ifname.c_str());
  if (index == 0) fail("interface " + ifname, errno);
  auto s = std::make_unique<Socket>(io_);
  boost::system::error_code ec;
  s->sock.open(udp::v6(), ec);
  if (ec) throw std::runtime_error("interface " + ifname + ": " + ec.message());
  int fd = s->sock.native_handle();
  const std::string what = "interface " + ifname;
  set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, what + ": SO_REUSEADDR");
  set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, what + ": IPV6_V6ONLY");
  set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, what + ": IPV6_RECVPKTINFO");
  // Several interface sockets share [::]:547; each sees only its own interface's traffic.
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
                   static_cast<socklen_t>(ifname.size())) != 0)
    fail(what + ": SO_BINDTODEVICE", errno);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(SERVER_PORT);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0)
    fail(what + ": bind [::]:547", errno);
  ipv6_mreq mreq{};
  std::memcpy(&mreq.ipv6mr_multiaddr, ALL_DHCP_RELAY_AGENTS_AND_SERVERS.bytes.data(), 16);
  mreq.ipv6mr_interface = index;
  if (::setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof(mreq)) != 0)
    fail(what + ": join ff02::1:2", errno);
  s->name = ifname;
  s->interface = ifname;
  s->port = SERVER_PORT;
  if_index_cache_[ifname] = index;
  log_.log(Msg::F6D_INTERFACE_LISTENING, ifname, index);
  add_socket(std::move(s));
}

std::vector<std::string> UdpIo::expand_interfaces(const std::vector<std::string>& specs) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& spec : specs) {
    if (spec != "*") {
      if (seen.insert(spec.substr(0, spec.find('/'))).second) out.push_back(spec);
      continue;
    }
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) continue;
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
      unsigned flags = i->ifa_flags;
      if ((flags & IFF_LOOPBACK) != 0 || (flags & IFF_UP) == 0 || (flags & IFF_MULTICAST) == 0)
        continue;
      if (seen.insert(i->ifa_name).second) out.emplace_back(i->ifa_name);
    }
    ::freeifaddrs(list);
  }
  return out;
}

bool UdpIo::try_receive(ReceivedDatagram& out) {
  const std::size_t n = sockets_.size();
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t i = (next_ + k) % n;
    Socket& s = *sockets_[i];
    if (!s.ready || !s.sock.is_open()) continue;
    sockaddr_in6 from{};
    iovec iov{recv_buffer_.data(), recv_buffer_.size()};
    alignas(cmsghdr) std::uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo))];
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t got = ::recvmsg(s.sock.native_handle(), &msg, MSG_DONTWAIT);
    if (got < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err != EAGAIN && err != EWOULDBLOCK) {
        ++receive_errors_;
        log_.log(Msg::F6D_RECEIVE_ERROR, s.name, std::strerror(err));
      }
      // Back to waiting for readiness: an error that persists then cannot spin the loop.
      s.ready = false;
      continue;
    }
    next_ = i + 1;
    out.socket = i;
    out.buffer.assign(recv_buffer_.data(), recv_buffer_.data() + got);
    server::Datagram& d = out.datagram;
    std::memcpy(d.src.bytes.data(), &from.sin6_addr, 16);
    d.sport = ntohs(from.sin6_port);
    d.dst = wire::Address{};
    d.dport = s.port;
    d.interface = s.interface;
    d.payload = wire::ByteView(out.buffer);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo pi{};
        std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
        std::memcpy(d.dst.bytes.data(), &pi.ipi6_addr, 16);
      }
    }
    return true;
  }
  return false;
}

unsigned UdpIo::interface_index(const std::string& name) {
  auto it = if_index_cache_.find(name);
  if (it != if_index_cache_.end()) return it->second;
  unsigned index = ::if_nametoindex(name.c_str());
  if (index != 0) if_index_cache_[name] = index;
  return index;
}

bool UdpIo::send(const server::Outbound& o, std::size_t socket) {
  auto report = [&](int err) {
    log_.log(Msg::F6D_SEND_ERROR, o.payload.size(), o.dst.to_string(), o.dport,
             std::strerror(err));
    return false;
  };
  if (socket >= sockets_.size() || !sockets_[socket]->sock.is_open()) return report(EBADF);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_port = htons(o.dport);
  std::memcpy(&to.sin6_addr, o.dst.bytes.data(), 16);
  if (!o.interface.empty() && needs_scope(o.dst)) to.sin6_scope_id = interface_index(o.interface);
  ssize_t sent = ::sendto(sockets_[socket]->sock.native_handle(), o.payload.data(),
                          o.payload.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to),
                          sizeof(to));
  if (sent < 0) return report(errno);
  return true;
}

void UdpIo::arm(std::function<void()> on_ready) {
  for (auto& sp : sockets_) {
    Socket* s = sp.get();
    if (s->ready || s->waiting || !s->sock.is_open()) continue;
    s->waiting = true;
    s->sock.async_wait(udp::socket::wait_read, [s, on_ready](const boost::system::error_code& ec) {
      s->waiting = false;
      if (ec) return;  // closed
      s->ready = true;
      on_ready();
    });
  }
}

bool UdpIo::any_ready() const {
  for (const auto& s : sockets_)
    if (s->ready && s->sock.is_open()) return true;
  return false;
}

void UdpIo::close() {
  for (auto& s : sockets_) {
    boost::system::error_code ec;
    s->sock.close(ec);
    s->ready = false;
  }
}

std::uint16_t UdpIo::local_port(std::size_t i) const { return sockets_.at(i)->port; }

int UdpIo::receive_buffer(std::size_t i) const {
  int got = 0;
  socklen_t len = sizeof(got);
  if (::getsockopt(sockets_.at(i)->sock.native_handle(), SOL_SOCKET, SO_RCVBUF, &got, &len) != 0)
    return 0;
  return got;
}

}  // namespace failover6::io
