#include "io/partner_channel.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace failover6::io {

std::string_view to_string(IoStatus s) {
  switch (s) {
    case IoStatus::Done: return "Done";
    case IoStatus::NeedRead: return "NeedRead";
    case IoStatus::NeedWrite: return "NeedWrite";
    case IoStatus::Closed: return "Closed";
    case IoStatus::Failed: return "Failed";
  }
  return "?";
}

IoResult PlainChannel::try_read(std::span<std::uint8_t> into) {
  for (;;) {
    ssize_t n = ::recv(fd_, into.data(), into.size(), 0);
    if (n > 0) return {IoStatus::Done, static_cast<std::size_t>(n)};
    if (n == 0) {
      error_ = "the partner closed the connection";
      return {IoStatus::Closed, 0};
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::NeedRead, 0};
    error_ = std::string("receive: ") + std::strerror(errno);
    return {IoStatus::Failed, 0};
  }
}

IoResult PlainChannel::try_write(wire::ByteView from) {
  for (;;) {
    ssize_t n = ::send(fd_, from.data(), from.size(), MSG_NOSIGNAL);
    if (n > 0) return {IoStatus::Done, static_cast<std::size_t>(n)};
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return {IoStatus::NeedWrite, 0};
    error_ = std::string("send: ") + (n == 0 ? "no progress" : std::strerror(errno));
    return {IoStatus::Failed, 0};
  }
}

}  // namespace failover6::io
