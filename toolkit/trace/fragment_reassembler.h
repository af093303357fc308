// failover6::trace::FragmentReassembler: rebuilds IPv6 datagrams from fragments (RFC 8200 §4.5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "wire/address.h"

namespace failover6::trace {

/// Sans-IO reassembly of IPv6 fragments, keyed by (source, destination, identification).
///
/// Fragments may arrive in any order. Policy for the awkward cases, chosen to match what a
/// receiving host (Linux, RFC 5722) would have accepted, so a trace shows what the endpoint
/// saw:
/// - an exact duplicate (same offset and length) is ignored; the first copy wins;
/// - any other overlap, a second "last fragment" that disagrees on the total length, data
///   beyond a known total length, or more than MAX_FRAGMENTS_PER_SET fragments drop the
///   whole set (add() returns Overlap once); later fragments with the same key are absorbed
///   silently until the set's timeout;
/// - a set not completed within `timeout_ns` of capture time after its first fragment is
///   dropped as incomplete; so is the oldest set when a new one would exceed `max_sets`, and
///   every pending set at finish().
///
/// Only the fragmentable part is reassembled: the result is the payload that follows the
/// fragment header, to be parsed starting with next_header(). Memory is bounded by
/// max_sets × 64 KiB, and buffers are reused, so the steady state does not allocate.
class FragmentReassembler {
 public:
  /// Outcome of add().
  enum class Result : std::uint8_t {
    Held,       ///< Stored (or absorbed); the datagram is not complete yet.
    Complete,   ///< This fragment completed a datagram: see datagram() and next_header().
    Malformed,  ///< Bad geometry: non-final fragment not a multiple of 8 octets, or the
                ///< datagram would exceed 65535 octets. Counted by the caller.
    Overlap,    ///< This fragment overlapped another one: the set was dropped.
  };

  /// Most fragments accepted in one set; bounds the per-fragment overlap scan.
  static constexpr std::size_t MAX_FRAGMENTS_PER_SET = 1024;

  /// @brief A reassembler holding at most @p max_sets pending sets (at least 1), each kept
  ///        at most @p timeout_ns of capture time.
  FragmentReassembler(std::size_t max_sets, std::int64_t timeout_ns);

  /// @brief Adds one fragment.
  /// @param src, dst    addresses from the IPv6 header.
  /// @param id          identification from the fragment header.
  /// @param offset      fragment offset in octets (the header's 13-bit field × 8).
  /// @param more        the M flag.
  /// @param next_header the fragment header's next-header field (kept from offset 0).
  /// @param data        the fragment's data (after the fragment header).
  /// @param time_ns     capture time, for expiry.
  /// @return what happened; on Complete, datagram() is valid until the next add() or
  ///         finish().
  Result add(const wire::Address& src, const wire::Address& dst, std::uint32_t id,
             std::uint32_t offset, bool more, std::uint8_t next_header,
             std::span<const std::uint8_t> data, std::int64_t time_ns);

  /// @brief The datagram completed by the last add() that returned Complete.
  std::span<const std::uint8_t> datagram() const { return done_; }

  /// @brief Next-header value of the first fragment of that datagram: the protocol of the
  ///        first header in datagram().
  std::uint8_t next_header() const { return done_next_header_; }

  /// @brief Drops every pending set (end of capture), counting them as incomplete.
  void finish();

  /// @brief Sets dropped incomplete so far (timeout, eviction, finish()).
  std::uint64_t incomplete() const { return incomplete_; }

  /// @brief Sets dropped for overlapping fragments so far.
  std::uint64_t overlapping() const { return overlapping_; }

  /// @brief Sets currently pending.
  std::size_t pending() const;

 private:
  /// One pending datagram. Slots are reused, so their vectors keep their capacity.
  struct Slot {
    bool in_use = false;
    bool poisoned = false;  ///< Dropped for overlap; absorbs later fragments.
    wire::Address src;
    wire::Address dst;
    std::uint32_t id = 0;
    std::int64_t first_ns = 0;  ///< Capture time of the first fragment seen.
    std::uint32_t total = 0;    ///< Datagram length, known once the last fragment came.
    bool have_last = false;
    bool have_first = false;       ///< The offset-0 fragment arrived.
    std::uint8_t next_header = 0;  ///< From the offset-0 fragment.
    std::uint32_t received = 0;    ///< Octets stored (no overlaps, so this sums ranges).
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;  ///< [begin, end) stored.
    std::vector<std::uint8_t> buf;  ///< Reassembly buffer, grown to the highest end seen.
  };

  Slot* find(const wire::Address& src, const wire::Address& dst, std::uint32_t id);
  Slot& allocate(std::int64_t time_ns);
  void expire(std::int64_t time_ns);
  void release(Slot& s);

  std::vector<Slot> slots_;            ///< max_sets slots, some in use.
  std::int64_t timeout_ns_;            ///< Lifetime of a pending set.
  std::vector<std::uint8_t> done_;     ///< Last completed datagram.
  std::uint8_t done_next_header_ = 0;  ///< Its first next-header value.
  std::uint64_t incomplete_ = 0;       ///< Sets dropped incomplete.
  std::uint64_t overlapping_ = 0;      ///< Sets dropped for overlap.
};

}  // namespace failover6::trace
