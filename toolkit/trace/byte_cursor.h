// failover6::trace::ByteCursor: bounds-checked reads of captured bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace failover6::trace {

/// A read-only cursor over captured bytes, in network byte order.
///
/// Every fetch checks the remaining length first and returns false, leaving the cursor where
/// it was, when the bytes are not there: a parser never indexes past the capture. It is the
/// only way the trace parsers look at bytes that came from a file (STYLE.md rule 4).
///
/// The cursor does not own the bytes; the span it was built from must outlive it. All
/// members are inline because the reader calls them several times per packet.
class ByteCursor {
 public:
  /// @brief A cursor at the start of @p bytes.
  explicit ByteCursor(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  /// @brief Octets not yet consumed.
  std::size_t remaining() const { return bytes_.size() - pos_; }

  /// @brief Octets consumed so far.
  std::size_t position() const { return pos_; }

  /// @brief The unconsumed octets (does not move the cursor).
  std::span<const std::uint8_t> rest() const { return bytes_.subspan(pos_); }

  /// @brief Reads one octet.
  /// @return false (cursor unchanged) when no octet is left.
  bool read_u8(std::uint8_t& out) {
    if (remaining() < 1) return false;
    out = bytes_[pos_];
    pos_ += 1;
    return true;
  }

  /// @brief Reads a big-endian 16-bit value.
  /// @return false (cursor unchanged) when fewer than 2 octets are left.
  bool read_u16(std::uint16_t& out) {
    if (remaining() < 2) return false;
    out = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return true;
  }

  /// @brief Reads a big-endian 32-bit value.
  /// @return false (cursor unchanged) when fewer than 4 octets are left.
  bool read_u32(std::uint32_t& out) {
    if (remaining() < 4) return false;
    out = (std::uint32_t{bytes_[pos_]} << 24) | (std::uint32_t{bytes_[pos_ + 1]} << 16) |
          (std::uint32_t{bytes_[pos_ + 2]} << 8) | std::uint32_t{bytes_[pos_ + 3]};
    pos_ += 4;
    return true;
  }

  /// @brief Reads a little-endian 32-bit value (BSD loopback headers in host order).
  /// @return false (cursor unchanged) when fewer than 4 octets are left.
  bool read_u32_le(std::uint32_t& out) {
    if (remaining() < 4) return false;
    out = (std::uint32_t{bytes_[pos_ + 3]} << 24) | (std::uint32_t{bytes_[pos_ + 2]} << 16) |
          (std::uint32_t{bytes_[pos_ + 1]} << 8) | std::uint32_t{bytes_[pos_]};
    pos_ += 4;
    return true;
  }

  /// @brief Returns the next @p n octets as a span and consumes them.
  /// @return false (cursor unchanged) when fewer than @p n octets are left.
  bool read_bytes(std::size_t n, std::span<const std::uint8_t>& out) {
    if (remaining() < n) return false;
    out = bytes_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

  /// @brief Consumes @p n octets without looking at them.
  /// @return false (cursor unchanged) when fewer than @p n octets are left.
  bool skip(std::size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

  /// @brief Looks at the octet @p offset positions ahead without consuming anything.
  /// @return false when that octet is not there.
  bool peek_u8(std::size_t offset, std::uint8_t& out) const {
    if (remaining() <= offset) return false;
    out = bytes_[pos_ + offset];
    return true;
  }

 private:
  std::span<const std::uint8_t> bytes_;  ///< The whole input.
  std::size_t pos_ = 0;                  ///< Octets consumed.
};

}  // namespace failover6::trace
