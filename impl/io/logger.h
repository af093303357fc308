// failover6::io::Logger: writes catalogue messages (messages.h) to the outputs configured in
// Dhcp6.loggers.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "io/messages.h"

namespace failover6::io {

/// @return the severity named @p name ("FATAL", "ERROR", "WARN", "INFO", "DEBUG"), or nullopt.
std::optional<Severity> parse_severity(std::string_view name);

/// The process's log.
///
/// Each line is `<UTC time> <SEVERITY> [failover6d/<pid>] <ID> <text>`, e.g.
/// `2026-03-01T10:00:00.123Z INFO  [failover6d/4242] F6D_STARTED failover6d 0.1.0 started: ...`,
/// the id and text coming from the catalogue. A message is written to every output whose
/// severity admits it; outputs are flushed after each line so a crash loses nothing logged.
///
/// Configuration (Kea's "loggers"): the entries named "failover6d" or "failover6d.<anything>"
/// apply; an entry's output is "stdout", "stderr", "syslog" or a file path (appended to). With
/// no such entry the log goes to stdout at INFO. Not thread-safe: one owner thread (the
/// daemon has only one).
class Logger {
 public:
  /// A destination for formatted lines (without the trailing newline).
  using Sink = std::function<void(Severity, std::string_view line)>;

  /// @brief A logger per Dhcp6.loggers @p loggers. A file that cannot be opened is replaced
  /// by stderr and reported with F6D_LOG_OUTPUT_ERROR.
  explicit Logger(const std::vector<config::Logger>& loggers);
  /// @brief A logger writing lines at @p threshold or more severe to @p sink (for tests).
  Logger(Severity threshold, Sink sink);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  /// @brief Logs catalogue message @p id, its text formatted with @p args.
  ///
  /// A format error (wrong argument count) is not fatal: the line then carries the raw
  /// catalogue text and the error.
  template <class... Args>
  void log(Msg id, const Args&... args) {
    const MessageInfo& m = message(id);
    if (!enabled(m.severity)) return;
    std::string text;
    try {
      text = fmt::format(fmt::runtime(m.format), args...);
    } catch (const std::exception& e) {
      text = std::string(m.format) + " (log format error: " + e.what() + ")";
    }
    write(m, text);
  }

  /// @return true when some output takes messages of severity @p s.
  bool enabled(Severity s) const { return s <= threshold_; }

 private:
  struct Output;
  void write(const MessageInfo& m, const std::string& text);

  std::vector<std::unique_ptr<Output>> outputs_;
  Severity threshold_ = Severity::Fatal;  ///< the least severe level any output takes
  int pid_ = 0;
};

}  // namespace failover6::io
