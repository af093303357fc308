// failover6::io::MetricsServer: the loopback HTTP endpoint serving GET /metrics
// (Failover6.metrics); the text and the HTTP exchange are metrics.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "config/config.h"
#include "io/logger.h"

namespace failover6::io {

/// A minimal HTTP/1.1 server: one request per connection, answered by http_response(), then
/// closed. Loopback only: Prometheus scrapes through a local agent or an SSH tunnel, and
/// nothing here is meant to face a network. Not thread-safe: runs on the io_context thread.
class MetricsServer {
 public:
  /// Produces the exposition text (render_metrics over the live state, in the daemon).
  using Render = std::function<std::string()>;

  static constexpr std::size_t MAX_REQUEST_HEAD = 8192;
  static constexpr int TIMEOUT_SECONDS = 5;

  MetricsServer(boost::asio::io_context& io, config::Endpoint endpoint, Logger& log, Render render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// @return true for ::1, ::ffff:127.0.0.0/104 (IPv4 loopback mapped) and the endpoint
  /// checks this before binding.
  static bool is_loopback(const wire::Address& a);

  /// @brief Binds and listens.
  /// @throws std::runtime_error naming the endpoint when it is not loopback or cannot be bound.
  void start();
  /// @brief Stops accepting.
  void stop();
  /// @return the bound port (useful when the configured port was 0).
  std::uint16_t port() const;

 private:
  class Session;
  void accept();

  boost::asio::io_context& io_;
  config::Endpoint endpoint_;
  Logger& log_;
  Render render_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace failover6::io
