// failover6::wire::Reader and Writer: the bounds-checked cursor every parser reads through,
// and the growable buffer every encoder writes into.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "wire/address.h"

namespace failover6::wire {

/// Owned octets.
using Bytes = std::vector<std::uint8_t>;
/// Borrowed octets.
using ByteView = std::span<const std::uint8_t>;

/// A bounds-checked, read-only cursor over received octets (STYLE.md rule 4).
///
/// Every fetch checks the remaining length first and returns false, consuming nothing, when
/// the data is too short; nothing here indexes raw memory without that check. offset() is the
/// absolute position in the outermost buffer, so errors can name where the data went wrong
/// even inside nested options.
class Reader {
 public:
  /// @param data the octets to read; must outlive the Reader.
  /// @param base the absolute offset of data[0] in the outermost buffer (for error messages).
  explicit Reader(ByteView data, std::size_t base = 0) : data_(data), base_(base) {}

  /// @return octets not yet consumed.
  std::size_t remaining() const { return data_.size() - pos_; }
  /// @return true when everything was consumed.
  bool empty() const { return pos_ == data_.size(); }
  /// @return the absolute offset of the next octet to read.
  std::size_t offset() const { return base_ + pos_; }

  /// @brief Reads one big-endian unsigned integer of the given width. False if too short.
  bool u8(std::uint8_t& v) {
    if (remaining() < 1) return false;
    v = data_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (remaining() < 2) return false;
    v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  /// @brief Reads a 3-octet big-endian integer (DHCPv6 transaction-id).
  bool u24(std::uint32_t& v) {
    if (remaining() < 3) return false;
    v = (std::uint32_t{data_[pos_]} << 16) | (std::uint32_t{data_[pos_ + 1]} << 8) |
        data_[pos_ + 2];
    pos_ += 3;
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (remaining() < 4) return false;
    v = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
        (std::uint32_t{data_[pos_ + 2]} << 8) | data_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool u64(std::uint64_t& v) {
    std::uint32_t hi = 0;
    std::uint32_t lo = 0;
    if (remaining() < 8) return false;
    u32(hi);
    u32(lo);
    v = (std::uint64_t{hi} << 32) | lo;
    return true;
  }
  /// @brief Reads 16 octets as an IPv6 address.
  bool address(Address& a) {
    if (remaining() < 16) return false;
    std::memcpy(a.bytes.data(), data_.data() + pos_, 16);
    pos_ += 16;
    return true;
  }
  /// @brief Borrows the next @p n octets as a view into the buffer.
  bool view(std::size_t n, ByteView& out) {
    if (remaining() < n) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  /// @brief Copies the next @p n octets into @p out (replacing its content).
  bool bytes(std::size_t n, Bytes& out) {
    if (remaining() < n) return false;
    out.assign(data_.begin() + static_cast<std::ptrdiff_t>(pos_),
               data_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return true;
  }
  /// @brief Copies everything that remains into @p out.
  void rest(Bytes& out) { bytes(remaining(), out); }
  /// @brief Splits off the next @p n octets as their own Reader (precondition: n <= remaining()).
  Reader sub(std::size_t n) {
    Reader r(data_.subspan(pos_, n), base_ + pos_);
    pos_ += n;
    return r;
  }
  /// @return the octets not yet consumed, without consuming them.
  ByteView peek_rest() const { return data_.subspan(pos_); }

 private:
  ByteView data_;
  std::size_t pos_ = 0;
  std::size_t base_ = 0;
};

/// Thrown by encoders when a value cannot be put on the wire (an option body over 65535
/// octets, a domain name with an empty label, ...). The message names the field.
class EncodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Appends big-endian integers and octets to a Bytes buffer.
///
/// Option lengths are written as placeholders and patched when the option body is complete,
/// so nested options are encoded in one pass without computing sizes first.
class Writer {
 public:
  /// @param out the buffer to append to; must outlive the Writer.
  explicit Writer(Bytes& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void u24(std::uint32_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 16));
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v >> 32));
    u32(static_cast<std::uint32_t>(v));
  }
  void address(const Address& a) { out_.insert(out_.end(), a.bytes.begin(), a.bytes.end()); }
  void bytes(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void bytes(const std::string& s) { out_.insert(out_.end(), s.begin(), s.end()); }

  /// @brief Writes a 2-octet length placeholder.
  /// @return its position, for end_length().
  std::size_t begin_length() {
    std::size_t at = out_.size();
    u16(0);
    return at;
  }
  /// @brief Patches the placeholder at @p at with the number of octets written since it.
  /// @throws EncodeError naming @p what when that exceeds 65535.
  void end_length(std::size_t at, const char* what) {
    std::size_t n = out_.size() - at - 2;
    if (n > 0xFFFF)
      throw EncodeError(std::string(what) + ": " + std::to_string(n) +
                        " octets do not fit a 2-octet length");
    out_[at] = static_cast<std::uint8_t>(n >> 8);
    out_[at + 1] = static_cast<std::uint8_t>(n);
  }
  /// @return octets in the buffer (including what was there before this Writer).
  std::size_t size() const { return out_.size(); }

 private:
  Bytes& out_;
};

}  // namespace failover6::wire
