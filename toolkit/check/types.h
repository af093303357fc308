// failover6::check common types: where a message was seen, who a client is, what a lease is,
// and the violations the invariant checkers report.
#pragma once

#include <cstdint>
#include <algorithm>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wire/address.h"
#include "wire/duid.h"

namespace failover6::check {

/// Nanoseconds in a second, for the capture-time arithmetic of the checkers.
inline constexpr std::int64_t NS = 1'000'000'000;

/// Where a message was seen: the index of its capture file in the list given to the checker,
/// and its 1-based frame number in that file (tshark's frame.number). Printed "file:frame".
struct FrameRef {
  std::uint32_t file = 0;     ///< index into the list of capture files
  std::uint64_t frame = 0;    ///< 1-based record number; 0 means "unknown"
  friend bool operator==(const FrameRef&, const FrameRef&) = default;
};

/// The IA types a lease can belong to (the option codes of RFC 8415 §21.4, §21.5, §21.21).
enum class IaType : std::uint8_t { Na = 3, Ta = 4, Pd = 25 };

/// @return "IA_NA", "IA_TA" or "IA_PD".
std::string_view ia_name(IaType t);

/// One client identity association: the unit that holds leases (DUID + IA type + IAID).
struct ClientKey {
  wire::Duid duid;
  IaType ia = IaType::Na;
  std::uint32_t iaid = 0;
  friend bool operator==(const ClientKey&, const ClientKey&) = default;
  /// @return "DUID IA_NA/IAID", e.g. "00:03:00:01:02:00:00:00:00:01 IA_NA/1".
  std::string to_string() const;
};

/// Hash of octets (a fast 64-bit mix, 8 octets at a time).
std::size_t bytes_hash(std::span<const std::uint8_t> b) noexcept;
/// Hash of a DUID's octets.
std::size_t duid_hash(const wire::Duid& d) noexcept;

/// A client transaction or IA named without copying the DUID: the key type of heterogeneous
/// (transparent) lookups in the checkers' hash maps.
struct DuidView {
  std::span<const std::uint8_t> duid;
  std::uint32_t a = 0;  ///< xid, or IAID
  std::uint8_t b = 0;   ///< IA type (0 when unused)
}; 

/// Hash of (DUID octets, a, b) as DuidView names them.
inline std::size_t view_hash(const DuidView& v) noexcept {
  return bytes_hash(v.duid) ^ (std::size_t{v.a} * 0x9E3779B97F4A7C15ULL) ^ v.b;
}

/// @return the view of @p k (IAID and IA type).
inline DuidView view(const ClientKey& k) {
  return {k.duid.raw, k.iaid, static_cast<std::uint8_t>(k.ia)};
}

/// Transparent hash functor for ClientKey (also takes a DuidView).
struct ClientKeyHash {
  using is_transparent = void;
  std::size_t operator()(const ClientKey& k) const noexcept { return view_hash(view(k)); }
  std::size_t operator()(const DuidView& v) const noexcept { return view_hash(v); }
};

/// Transparent equality for ClientKey and DuidView.
struct ClientKeyEq {
  using is_transparent = void;
  static bool same(const DuidView& x, const DuidView& y) {
    return x.a == y.a && x.b == y.b && std::equal(x.duid.begin(), x.duid.end(), y.duid.begin(), y.duid.end());
  }
  bool operator()(const ClientKey& x, const ClientKey& y) const { return x == y; }
  bool operator()(const ClientKey& x, const DuidView& y) const { return same(view(x), y); }
  bool operator()(const DuidView& x, const ClientKey& y) const { return same(x, view(y)); }
};

/// Transparent hash functor for Duid (also takes a DuidView with a = b = 0).
struct DuidHash {
  using is_transparent = void;
  std::size_t operator()(const wire::Duid& d) const noexcept { return view_hash({d.raw, 0, 0}); }
  std::size_t operator()(const DuidView& v) const noexcept { return view_hash(v); }
};

/// Transparent equality for Duid and DuidView.
struct DuidEq {
  using is_transparent = void;
  bool operator()(const wire::Duid& x, const wire::Duid& y) const { return x == y; }
  bool operator()(const wire::Duid& x, const DuidView& y) const {
    return ClientKeyEq::same({x.raw, 0, 0}, y);
  }
  bool operator()(const DuidView& x, const wire::Duid& y) const {
    return ClientKeyEq::same(x, {y.raw, 0, 0});
  }
};

/// A (DUID, xid) transaction key, hashed and compared like DuidView{duid, xid, 0}.
struct TxKey {
  wire::Duid duid;
  std::uint32_t xid = 0;
  friend bool operator==(const TxKey&, const TxKey&) = default;
};

/// Transparent hash functor for TxKey.
struct TxKeyHash {
  using is_transparent = void;
  std::size_t operator()(const TxKey& k) const noexcept { return view_hash({k.duid.raw, k.xid, 0}); }
  std::size_t operator()(const DuidView& v) const noexcept { return view_hash(v); }
};

/// Transparent equality for TxKey and DuidView.
struct TxKeyEq {
  using is_transparent = void;
  bool operator()(const TxKey& x, const TxKey& y) const { return x == y; }
  bool operator()(const TxKey& x, const DuidView& y) const {
    return ClientKeyEq::same({x.duid.raw, x.xid, 0}, y);
  }
  bool operator()(const DuidView& x, const TxKey& y) const {
    return ClientKeyEq::same(x, {y.duid.raw, y.xid, 0});
  }
};

/// An address (length 128) or a delegated prefix (length < 128 normally; a /128 prefix is
/// treated as the address it covers). The bits past the length are zero.
struct Resource {
  wire::Address prefix;
  std::uint8_t length = 128;
  friend bool operator==(const Resource&, const Resource&) = default;
  friend auto operator<=>(const Resource&, const Resource&) = default;
  /// @return true when this and @p o share at least one address (one contains the other).
  bool overlaps(const Resource& o) const;
  /// @return "2001:db8::1" for an address, "2001:db8:8000::/56" for a prefix.
  std::string to_string() const;
  /// @return the resource @p a / @p len with the host bits cleared.
  static Resource of(const wire::Address& a, std::uint8_t len);
};

/// Hash functor for Resource.
struct ResourceHash {
  std::size_t operator()(const Resource& r) const noexcept {
    return wire::AddressHash{}(r.prefix) ^ r.length;
  }
};

/// One lease as a server sent it to a client in an IA of a REPLY.
struct Lease {
  Resource resource;
  std::uint32_t preferred = 0;
  std::uint32_t valid = 0;  ///< seconds; 0 ends the lease
};

/// A small index for the servers seen in the capture (interned SERVERID DUIDs).
using ServerIx = std::uint32_t;
/// No server (e.g. a client message without SERVERID).
inline constexpr ServerIx NO_SERVER = 0xFFFFFFFF;

/// One broken invariant, with the evidence that proves it.
struct Violation {
  std::string invariant;              ///< the DESIGN.md name, e.g. "no-duplicate-assignment"
  std::int64_t time_ns = 0;           ///< capture time of the message that completed the proof
  std::string detail;                 ///< one human-readable sentence naming clients and leases
  std::vector<std::string> clients;   ///< ClientKey::to_string() (or DUIDs) involved
  std::vector<std::string> leases;    ///< Resource::to_string() involved
  std::vector<std::string> servers;   ///< server names involved
  std::vector<std::uint32_t> transactions;  ///< client transaction ids (24 bits) involved
  std::vector<FrameRef> frames;       ///< the frames that prove it
};

/// Receives the violations of every checker (the report, or a test's vector).
using ViolationSink = std::function<void(Violation&&)>;

/// @return "2026-11-27T21:53:34.123456Z" for a capture time.
std::string iso_time(std::int64_t ns);

/// @return seconds with three decimals, e.g. "12.500".
std::string seconds(std::int64_t ns);

}  // namespace failover6::check
