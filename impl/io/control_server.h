// failover6::io::ControlServer: the unix-socket transport of the JSON control API
// (Dhcp6.control-socket); the commands themselves are control_commands.h.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <nlohmann/json.hpp>

#include "io/control_commands.h"
#include "io/logger.h"

namespace failover6::io {

/// Accepts control connections on a unix stream socket: one JSON request per connection,
/// answered with one JSON response (followed by a newline), then the server closes the
/// connection, as Kea's control channel does.
///
/// A request is complete as soon as the bytes received parse as one JSON value, or when the
/// client shuts down its sending side; what is not valid JSON by then gets result 1 naming
/// the parse error. Limits: MAX_REQUEST octets and TIMEOUT per connection. Not thread-safe:
/// runs on the io_context thread, as the handler does.
class ControlServer {
 public:
  /// Answers one parsed request (handle_control over the live state, in the daemon).
  using Handler = std::function<ControlOutcome(const nlohmann::json& request)>;

  static constexpr std::size_t MAX_REQUEST = 1 << 20;
  static constexpr int TIMEOUT_SECONDS = 10;

  /// @param path the socket path; a stale socket file there is replaced
  /// @param on_shutdown called after the answer to a successful "shutdown" was written
  ControlServer(boost::asio::io_context& io, std::string path, Logger& log, Handler handler,
                std::function<void()> on_shutdown);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  /// @brief Binds and listens (creating the socket's directory if needed).
  /// A socket file left by a server that died is replaced; one a live process listens on is not.
  /// @throws std::runtime_error naming the path: too long for a unix socket, directory not
  /// creatable, a non-socket file in the way, another process listening, bind failure.
  void start();
  /// @brief Stops accepting and removes the socket file. Connections in progress finish.
  void stop();

  const std::string& path() const { return path_; }

 private:
  class Session;
  void accept();

  boost::asio::io_context& io_;
  std::string path_;
  Logger& log_;
  Handler handler_;
  std::function<void()> on_shutdown_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  bool started_ = false;
};

}  // namespace failover6::io
