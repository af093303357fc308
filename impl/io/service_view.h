// failover6::io::ServiceView: a read-only view of a running failover6d, the one input of the
// control commands (control_commands.h) and of the metrics (metrics.h), so both are pure
// functions that tests call with hand-made state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "io/batch_processor.h"
#include "lease/lease_store.h"
#include "server/server.h"
#include "wire/duid.h"

namespace failover6::io {

/// Facts about the lease journal, when the store is one.
struct JournalInfo {
  std::string path;
  std::uint64_t file_bytes = 0;  ///< size on disk
  std::uint64_t commits = 0;     ///< fdatasync calls since start
};

/// Everything the control API and the metrics report, borrowed from their owners for the
/// duration of one call.
struct ServiceView {
  const config::Config& config;
  const lease::LeaseStore& store;
  const server::Stats& server_stats;
  const BatchStats& io_stats;
  const wire::Duid& server_duid;
  std::int64_t pid = 0;
  std::int64_t started = 0;  ///< Unix seconds at startup
  std::int64_t now = 0;      ///< Unix seconds now
  std::optional<JournalInfo> journal;  ///< absent for a memory store
  /// The failover relationships' status objects ("name", "role", "state", "partner-state",
  /// ...; DESIGN.md "Contracts"): an empty array for a standalone server. The failover
  /// endpoint supplies them.
  nlohmann::json relationships = nlohmann::json::array();
};

}  // namespace failover6::io
