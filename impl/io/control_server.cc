#include "io/control_server.h"

#include <sys/stat.h>
#include <sys/un.h>

#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <stdexcept>

namespace failover6::io {

namespace asio = boost::asio;
using asio::local::stream_protocol;
using nlohmann::json;

class ControlServer::Session : public std::enable_shared_from_this<ControlServer::Session> {
 public:
  Session(stream_protocol::socket sock, ControlServer& owner)
      : sock_(std::move(sock)), timer_(sock_.get_executor()), owner_(owner) {}

  void start() {
    timer_.expires_after(std::chrono::seconds(TIMEOUT_SECONDS));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->answered_) return;
      self->owner_.log_.log(Msg::F6D_CONTROL_ERROR, self->owner_.path_,
                            "no complete request within " + std::to_string(TIMEOUT_SECONDS) + " s");
      self->finish_with_text();
    });
    read();
  }

 private:
  void read() {
    sock_.async_read_some(asio::buffer(chunk_),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    if (answered_) return;
    request_.append(chunk_.data(), n);
    if (request_.size() > MAX_REQUEST) {
      owner_.log_.log(Msg::F6D_CONTROL_ERROR, owner_.path_, "request larger than 1 MiB");
      respond({control_response(CONTROL_ERROR, "request larger than 1 MiB"), false});
      return;
    }
    if (json::accept(request_)) {
      answer(json::parse(request_));
      return;
    }
    if (ec) {  // EOF or error: what we have is all there is
      if (ec != asio::error::eof) {
        owner_.log_.log(Msg::F6D_CONTROL_ERROR, owner_.path_, ec.message());
        close();
        return;
      }
      finish_with_text();
      return;
    }
    read();
  }

  /// Answers whatever was received: a parse error (or nothing at all).
  void finish_with_text() {
    if (answered_) return;
    if (request_.find_first_not_of(" \t\r\n") == std::string::npos) {
      close();
      return;
    }
    std::string why;
    try {
      json ignored = json::parse(request_);
      (void)ignored;
      why = "incomplete request";
    } catch (const json::parse_error& e) {
      why = e.what();
    }
    respond({control_response(CONTROL_ERROR, "invalid JSON: " + why), false});
  }

  void answer(const json& request) {
    ControlOutcome out;
    try {
      out = owner_.handler_(request);
    } catch (const std::exception& e) {
      out = {control_response(CONTROL_ERROR, std::string("internal error: ") + e.what()), false};
    }
    std::string name = request.is_object() && request.contains("command") &&
                               request["command"].is_string()
                           ? request["command"].get<std::string>()
                           : "?";
    owner_.log_.log(Msg::F6D_CONTROL_COMMAND, name, out.response.value("result", -1));
    respond(std::move(out));
  }

  void respond(ControlOutcome out) {
    answered_ = true;
    timer_.cancel();
    shutdown_after_ = out.shutdown;
    response_ = out.response.dump() + "\n";
    asio::async_write(sock_, asio::buffer(response_),
                      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        if (ec)
                          self->owner_.log_.log(Msg::F6D_CONTROL_ERROR, self->owner_.path_,
                                                "writing the response: " + ec.message());
                        self->close();
                        if (self->shutdown_after_ && self->owner_.on_shutdown_)
                          self->owner_.on_shutdown_();
                      });
  }

  void close() {
    answered_ = true;
    timer_.cancel();
    boost::system::error_code ignored;
    sock_.shutdown(stream_protocol::socket::shutdown_both, ignored);
    sock_.close(ignored);
  }

  stream_protocol::socket sock_;
  asio::steady_timer timer_;
  ControlServer& owner_;
  std::array<char, 4096> chunk_{};
  std::string request_;
  std::string response_;
  bool answered_ = false;
  bool shutdown_after_ = false;
};

ControlServer::ControlServer(asio::io_context& io, std::string path, Logger& log, Handler handler,
                             std::function<void()> on_shutdown)
    : io_(io),
      path_(std::move(path)),
      log_(log),
      handler_(std::move(handler)),
      on_shutdown_(std::move(on_shutdown)),
      acceptor_(io) {}

ControlServer::~ControlServer() { stop(); }

void ControlServer::start() {
  namespace fs = std::filesystem;
  if (path_.size() >= sizeof(sockaddr_un::sun_path))
    throw std::runtime_error("control socket " + path_ + ": path longer than " +
                             std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " octets");
  fs::path p(path_);
  std::error_code fec;
  if (p.has_parent_path()) {
    fs::create_directories(p.parent_path(), fec);
    if (fec) throw std::runtime_error("control socket " + path_ + ": " + fec.message());
  }
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw std::runtime_error("control socket " + path_ + ": a file that is not a socket is in the way");
    // A socket file is either a live server's (refuse: two servers must not share it) or
    // the leftover of one that died (replace it).
    stream_protocol::socket probe(io_);
    boost::system::error_code pec;
    probe.connect(stream_protocol::endpoint(path_), pec);
    if (!pec)
      throw std::runtime_error("control socket " + path_ +
                               ": another process is listening on it (failover6d already running?)");
    fs::remove(p, fec);
  }
  boost::system::error_code ec;
  stream_protocol::endpoint ep(path_);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("control socket " + path_ + ": " + ec.message());
  ::chmod(path_.c_str(), 0600);  // control is for the server's own user
  started_ = true;
  log_.log(Msg::F6D_CONTROL_LISTENING, path_);
  accept();
}

void ControlServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, stream_protocol::socket s) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      log_.log(Msg::F6D_CONTROL_ERROR, path_, "accept: " + ec.message());
    } else {
      std::make_shared<Session>(std::move(s), *this)->start();
    }
    accept();
  });
}

void ControlServer::stop() {
  if (!started_) return;
  started_ = false;
  boost::system::error_code ec;
  acceptor_.close(ec);
  std::error_code fec;
  std::filesystem::remove(path_, fec);
}

}  // namespace failover6::io
