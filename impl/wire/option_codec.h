// Internal to impl/wire: the option-level decoder and encoder shared by the DHCPv6 and the
// failover message codecs. Not part of the public API.
#pragma once

#include <string>

#include "wire/buffer.h"
#include "wire/expected.h"
#include "wire/options.h"

namespace failover6::wire::detail {

/// Decoder state threaded through the recursion: the first error and the nesting depths.
struct DecodeContext {
  DecodeError error;
  int nesting = 0;      ///< options and relays currently open
  int relay_depth = 0;  ///< relay messages currently open

  /// @brief Records an error at @p offset and returns false (for `return ctx.fail(...)`).
  bool fail(std::size_t offset, std::string message) {
    error = DecodeError{offset, std::move(message)};
    return false;
  }
};

/// @brief Decodes TLV options until @p r is empty, appending to @p out.
/// @return false with ctx.error set on malformed input.
bool decode_options(Reader r, Options& out, DecodeContext& ctx);

/// @brief Decodes a DHCPv6 message (header + options) filling @p m; used for RELAY_MSG and
/// LQ_RELAY_DATA as well as the top level.
bool decode_message_into(Reader r, Message& m, DecodeContext& ctx);

/// @brief Appends @p opts in wire form.
void encode_options(const Options& opts, Writer& w);

/// @brief Appends the wire form of a DHCPv6 message (defined in message.cc).
void encode_message_into(const Message& m, Writer& w);

/// @brief Reads one domain name (RFC 1035 wire format, no compression) from @p r into its
/// presentation form. A name ends at the root label or, if @p allow_partial, at the end of
/// @p r (RFC 4704 partial names). @return false with ctx.error set when malformed.
bool decode_name(Reader& r, std::string& out, bool allow_partial, DecodeContext& ctx);

/// @brief Appends the wire form of a presentation-form name. @throws EncodeError naming
/// @p what when a label is empty or longer than 63 octets, or the name exceeds 255 octets.
void encode_name(const std::string& name, Writer& w, const char* what);

}  // namespace failover6::wire::detail
