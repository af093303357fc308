// failover6::io server identity: which DUID failover6d sends in SERVERID (RFC 8415 §11), from
// the configuration, from the lease store's meta "server-duid", or generated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"
#include "wire/buffer.h"
#include "wire/duid.h"

namespace failover6::io {

/// The lease store meta key holding the generated server DUID (colon hex).
inline constexpr const char* SERVER_DUID_META = "server-duid";

/// The enterprise number of a generated DUID-EN when the configuration gives none: 32473,
/// the number IANA reserves for documentation and examples (RFC 5612).
inline constexpr std::uint32_t DEFAULT_ENTERPRISE = 32473;

/// Seconds between the Unix epoch and 2000-01-01 UTC, the DUID-LLT time base.
inline constexpr std::int64_t DUID_EPOCH = 946684800;

/// Where the chosen DUID came from.
enum class DuidSource : std::uint8_t {
  Config,     ///< Dhcp6.server-id.identifier
  Stored,     ///< the store's meta "server-duid", generated at an earlier start
  Generated,  ///< generated now
};
/// @return "configuration", "lease store" or "generated".
const char* to_string(DuidSource s);

/// The outcome of choose_server_duid().
struct DuidChoice {
  wire::Duid duid;
  DuidSource source = DuidSource::Generated;
  /// True when the caller must put_meta(SERVER_DUID_META, duid.to_string()) and commit, so the
  /// next start finds the same DUID.
  bool store = false;
};

/// What choose_server_duid() may draw on besides the configuration.
struct DuidInputs {
  std::optional<std::string> stored;          ///< the store's meta "server-duid", if any
  bool persistent = false;                    ///< the store survives restarts (a journal)
  std::int64_t now = 0;                       ///< Unix seconds (the LLT time)
  std::optional<wire::Bytes> hardware;        ///< a link-layer address (MAC), if one exists
  wire::Bytes random_identifier;              ///< fresh random octets for a generated DUID-EN
};

/// @brief Chooses the server DUID. Pure.
///
/// 1. Dhcp6.server-id with an identifier: built from the configuration (LLT: htype, time,
///    identifier; EN: enterprise-id, identifier; LL: htype, identifier). An LLT with time 0
///    takes the time of the stored DUID when that is the same LLT otherwise, else @p now, and
///    is stored so that restarts keep it.
/// 2. Otherwise a stored DUID of the configured type is reused.
/// 3. Otherwise one is generated: LLT or LL from @p in.hardware; EN (and LLT/LL when there is
///    no link-layer address) from the configured enterprise-id (else DEFAULT_ENTERPRISE) and
///    @p in.random_identifier. It is stored when server-id.persist is true and the store is
///    persistent.
DuidChoice choose_server_duid(const config::ServerId& cfg, const DuidInputs& in);

/// @return the link-layer address of the first non-loopback interface that has a non-zero
/// 6-octet one (getifaddrs), or nullopt.
std::optional<wire::Bytes> first_hardware_address();

/// @return @p n octets from the system's random source (std::random_device).
wire::Bytes random_octets(std::size_t n);

}  // namespace failover6::io
