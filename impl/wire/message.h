// failover6::wire::Message: a DHCPv6 client/server or relay message (RFC 8415 §8, §9), with
// its decoder and encoder.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/address.h"
#include "wire/buffer.h"
#include "wire/constants.h"
#include "wire/expected.h"
#include "wire/options.h"

namespace failover6::wire {

/// A DHCPv6 message as carried over UDP.
///
/// Client/server messages (RFC 8415 §8) use `type`, `transaction_id` and `options`. Relay
/// messages (RELAY-FORW, RELAY-REPL, RFC 8415 §9) use `type`, `hop_count`, `link_address`,
/// `peer_address` and `options`; the relayed message is the RelayMsg option among them. The
/// fields a form does not use are zero and are neither encoded nor decoded.
struct Message {
  MessageType type = MessageType::Solicit;
  std::uint32_t transaction_id = 0;  ///< 24 bits (RFC 8415 §8)
  std::uint8_t hop_count = 0;        ///< relay only
  Address link_address;              ///< relay only
  Address peer_address;              ///< relay only
  Options options;

  /// @return true for RELAY-FORW and RELAY-REPL.
  bool is_relay() const { return wire::is_relay(type); }
  /// @return the message inside this relay message's RelayMsg option, or nullptr.
  const Message* relayed() const;
  /// @return the client/server message at the bottom of any relay nesting (this if none).
  const Message& innermost() const;
  /// @return the number of relay layers around the innermost message.
  int relay_depth() const;
  /// @return the first option of type T, or nullptr.
  template <class T>
  const T* find() const {
    return find_option<T>(options);
  }
  friend bool operator==(const Message&, const Message&) = default;
};

/// @brief Decodes one DHCPv6 message (the UDP payload).
///
/// Never reads outside @p data and never throws for malformed input: a malformed message
/// yields a DecodeError naming the absolute offset and what was wrong. Relay messages are
/// decoded recursively (at most MAX_RELAY_DEPTH levels). Message types 24..35 (RFC 8156) are
/// not DHCPv6-over-UDP messages; use decode_failover() for them. The result re-encodes to the
/// same octets for every input it accepts.
Expected<Message> decode_message(ByteView data);

/// @brief Appends the wire form of @p m to @p out.
/// @throws EncodeError when an option or name cannot be encoded (lengths over 65535, bad names).
void encode_message(const Message& m, Bytes& out);

/// @brief Returns the wire form of @p m. @throws EncodeError as encode_message().
Bytes encode_message(const Message& m);

}  // namespace failover6::wire
