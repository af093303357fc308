// failover6::wire::FailoverMessage: an RFC 8156 failover message (§5.2), the 2-octet TCP
// framing (§5.1, RFC 5460 §5.1), and a sans-IO frame splitter for the TCP byte stream.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "wire/buffer.h"
#include "wire/constants.h"
#include "wire/expected.h"
#include "wire/options.h"

namespace failover6::wire {

/// A message on the failover TCP connection: msg-type(1) transaction-id(3) sent-time(4)
/// options (RFC 8156 §5.2).
///
/// STARTTLS (23) and the REPLY (7) that answers it come from RFC 7653 and RFC 8156 does not
/// say whether they carry sent-time (PROTOCOL.md ambiguity A7). failover6 sends them WITH
/// sent-time, like every other message on the connection (§5.2 defines one header for the
/// failover TCP connection), and accepts either form: `has_sent_time` records which one was
/// received so that the message re-encodes byte for byte.
struct FailoverMessage {
  MessageType type = MessageType::Contact;
  std::uint32_t transaction_id = 0;  ///< 24 bits
  std::uint32_t sent_time = 0;       ///< seconds since 2000-01-01 UTC, mod 2^32
  bool has_sent_time = true;         ///< false only for a STARTTLS/REPLY without it
  Options options;

  template <class T>
  const T* find() const {
    return find_option<T>(options);
  }
  friend bool operator==(const FailoverMessage&, const FailoverMessage&) = default;
};

/// @brief Decodes one failover message (without its 2-octet length prefix).
///
/// Accepts message types 24..35 with sent-time, and 23 (STARTTLS) and 7 (REPLY) with or
/// without it. Any other type is an error naming it. Never reads outside @p data.
Expected<FailoverMessage> decode_failover(ByteView data);

/// @brief Appends the message (unframed) to @p out. @throws EncodeError.
void encode_failover(const FailoverMessage& m, Bytes& out);
/// @brief Returns the message (unframed). @throws EncodeError.
Bytes encode_failover(const FailoverMessage& m);
/// @brief Returns the message with its 2-octet length prefix, ready for the TCP stream.
/// @throws EncodeError when the message exceeds 65535 octets.
Bytes encode_failover_framed(const FailoverMessage& m);

/// @return seconds since 2000-01-01 UTC mod 2^32 for a Unix time in seconds (RFC 8156 §3).
constexpr std::uint32_t to_failover_time(std::int64_t unix_seconds) {
  return static_cast<std::uint32_t>(unix_seconds - FAILOVER_EPOCH_UNIX);
}

/// Splits the failover TCP byte stream into messages by their 2-octet length prefix.
///
/// Sans-IO: feed() whatever octets arrived (any split, including one octet at a time), then
/// pop frames with next(). A frame is one message body, without the length prefix.
class FrameSplitter {
 public:
  /// @brief Appends received octets.
  void feed(ByteView data);
  /// @brief Takes the next complete frame.
  /// @return the frame's octets, or nullopt when no complete frame is buffered.
  std::optional<Bytes> next();
  /// @return octets buffered that do not yet form a complete frame.
  std::size_t pending() const { return buf_.size() - pos_; }

 private:
  Bytes buf_;
  std::size_t pos_ = 0;
};

}  // namespace failover6::wire
