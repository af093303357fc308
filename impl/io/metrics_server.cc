#include "io/metrics_server.h"

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <stdexcept>

#include "io/metrics.h"

namespace failover6::io {

namespace asio = boost::asio;
using asio::ip::tcp;

class MetricsServer::Session : public std::enable_shared_from_this<MetricsServer::Session> {
 public:
  Session(tcp::socket sock, MetricsServer& owner)
      : sock_(std::move(sock)), timer_(sock_.get_executor()), owner_(owner) {}

  void start() {
    timer_.expires_after(std::chrono::seconds(TIMEOUT_SECONDS));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->close();
    });
    read();
  }

 private:
  void read() {
    sock_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](
                                                    const boost::system::error_code& ec,
                                                    std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    head_.append(chunk_.data(), n);
    bool complete = head_.find("\r\n\r\n") != std::string::npos ||
                    head_.find("\n\n") != std::string::npos;
    if (!complete && head_.size() <= MAX_REQUEST_HEAD && !ec) {
      read();
      return;
    }
    if (!complete && ec) {
      if (ec != asio::error::eof && ec != asio::error::operation_aborted)
        owner_.log_.log(Msg::F6D_METRICS_ERROR, ec.message());
      close();
      return;
    }
    response_ = http_response(head_, owner_.render_);
    asio::async_write(sock_, asio::buffer(response_),
                      [self = shared_from_this()](const boost::system::error_code& wec, std::size_t) {
                        if (wec) self->owner_.log_.log(Msg::F6D_METRICS_ERROR, wec.message());
                        self->close();
                      });
  }

  void close() {
    timer_.cancel();
    boost::system::error_code ignored;
    sock_.shutdown(tcp::socket::shutdown_both, ignored);
    sock_.close(ignored);
  }

  tcp::socket sock_;
  asio::steady_timer timer_;
  MetricsServer& owner_;
  std::array<char, 2048> chunk_{};
  std::string head_;
  std::string response_;
};

MetricsServer::MetricsServer(asio::io_context& io, config::Endpoint endpoint, Logger& log,
                             Render render)
    : io_(io), endpoint_(endpoint), log_(log), render_(std::move(render)), acceptor_(io) {}

MetricsServer::~MetricsServer() { stop(); }

bool MetricsServer::is_loopback(const wire::Address& a) {
  static const wire::Address LOOPBACK = wire::Address::from_string("::1");
  if (a == LOOPBACK) return true;
  for (int i = 0; i < 10; ++i)
    if (a.bytes[static_cast<std::size_t>(i)] != 0) return false;
  return a.bytes[10] == 0xff && a.bytes[11] == 0xff && a.bytes[12] == 127;
}

void MetricsServer::start() {
  const std::string name = endpoint_.to_string();
  if (!is_loopback(endpoint_.address))
    throw std::runtime_error("metrics endpoint " + name +
                             ": not a loopback address (the metrics endpoint is loopback only)");
  asio::ip::address_v6::bytes_type b;
  std::copy(endpoint_.address.bytes.begin(), endpoint_.address.bytes.end(), b.begin());
  tcp::endpoint ep(asio::ip::address_v6(b), endpoint_.port);
  boost::system::error_code ec;
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("metrics endpoint " + name + ": " + ec.message());
  log_.log(Msg::F6D_METRICS_LISTENING,
           "[" + endpoint_.address.to_string() + "]:" + std::to_string(port()));
  accept();
}

void MetricsServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) log_.log(Msg::F6D_METRICS_ERROR, "accept: " + ec.message());
    else std::make_shared<Session>(std::move(s), *this)->start();
    accept();
  });
}

void MetricsServer::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

std::uint16_t MetricsServer::port() const {
  boost::system::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? endpoint_.port : ep.port();
}

}  // namespace failover6::io
