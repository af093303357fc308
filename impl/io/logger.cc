#include "io/logger.h"

#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace failover6::io {

std::optional<Severity> parse_severity(std::string_view name) {
  for (auto s : {Severity::Fatal, Severity::Error, Severity::Warn, Severity::Info,
                 Severity::Debug})
    if (to_string(s) == name) return s;
  return std::nullopt;
}

struct Logger::Output {
  Severity threshold = Severity::Info;
  Sink sink;
};

namespace {

/// "2026-03-01T10:00:00.123Z"
std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", std::string_view(buf, n), ms % 1000);
}

Logger::Sink stream_sink(std::FILE* f, bool owned) {
  // The FILE is shared by copies of the sink, closed when the last one goes.
  std::shared_ptr<std::FILE> file(f, [owned](std::FILE* p) {
    if (owned) std::fclose(p);
  });
  return [file](Severity, std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), file.get());
    std::fputc('\n', file.get());
    std::fflush(file.get());
  };
}

Logger::Sink syslog_sink() {
  ::openlog("failover6d", LOG_PID, LOG_DAEMON);
  return [](Severity s, std::string_view line) {
    static constexpr int PRIORITY[] = {LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    ::syslog(PRIORITY[static_cast<int>(s)], "%.*s", static_cast<int>(line.size()), line.data());
  };
}

bool applies(const std::string& name) {
  return name == "failover6d" || name.rfind("failover6d.", 0) == 0;
}

}  // namespace

Logger::Logger(const std::vector<config::Logger>& loggers) : pid_(static_cast<int>(::getpid())) {
  std::vector<std::pair<std::string, std::string>> failed;  // output, reason
  for (const auto& l : loggers) {
    if (!applies(l.name)) continue;
    auto out = std::make_unique<Output>();
    out->threshold = parse_severity(l.severity).value_or(Severity::Info);
    if (l.output == "stdout") {
      out->sink = stream_sink(stdout, false);
    } else if (l.output == "stderr") {
      out->sink = stream_sink(stderr, false);
    } else if (l.output == "syslog" || l.output.rfind("syslog:", 0) == 0) {
      out->sink = syslog_sink();
    } else if (std::FILE* f = std::fopen(l.output.c_str(), "a")) {
      out->sink = stream_sink(f, true);
    } else {
      failed.emplace_back(l.output, std::strerror(errno));
      out->sink = stream_sink(stderr, false);
    }
    outputs_.push_back(std::move(out));
  }
  if (outputs_.empty()) {
    auto out = std::make_unique<Output>();
    out->sink = stream_sink(stdout, false);
    outputs_.push_back(std::move(out));
  }
  for (const auto& o : outputs_)
    if (o->threshold > threshold_) threshold_ = o->threshold;
  for (const auto& [output, reason] : failed) log(Msg::F6D_LOG_OUTPUT_ERROR, output, reason);
}

Logger::Logger(Severity threshold, Sink sink)
    : threshold_(threshold), pid_(static_cast<int>(::getpid())) {
  auto out = std::make_unique<Output>();
  out->threshold = threshold;
  out->sink = std::move(sink);
  outputs_.push_back(std::move(out));
}

Logger::~Logger() = default;

void Logger::write(const MessageInfo& m, const std::string& text) {
  std::string line = fmt::format("{} {:<5} [failover6d/{}] {} {}", utc_now(), to_string(m.severity),
                                 pid_, m.name, text);
  for (const auto& o : outputs_)
    if (m.severity <= o->threshold) o->sink(m.severity, line);
}

}  // namespace failover6::io
