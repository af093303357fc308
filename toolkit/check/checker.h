// failover6::check::Checker: the interface every invariant checker implements.
#pragma once

#include <cstdint>
#include <string>

#include "check/events.h"
#include "check/types.h"

namespace failover6::check {

/// Names and addresses of the servers seen, shared by the checkers for their messages.
class ServerNames {
 public:
  virtual ~ServerNames() = default;
  /// @return a short printable name for @p s, e.g. "server 00:02:00:00:09:bf:66:36:2d:61".
  virtual std::string name(ServerIx s) const = 0;
};

/// One invariant, checked over a stream of events in capture-time order. Each checker keeps
/// only what live bindings and open transactions need (memory does not grow with the file),
/// counts what it checked and reports each violation to the sink as soon as it is proven.
///
/// The default hooks ignore the event; a checker overrides the ones it needs.
class Checker {
 public:
  /// @brief A checker called @p name (the DESIGN.md invariant name), reporting to @p sink.
  Checker(std::string name, ViolationSink sink) : name_(std::move(name)), sink_(std::move(sink)) {}
  virtual ~Checker() = default;
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  /// @brief A client transmission.
  virtual void on_client(const ClientTx&) {}
  /// @brief A server's ADVERTISE or REPLY.
  virtual void on_reply(const ServerReply&) {}
  /// @brief A lease ended in the client's view.
  virtual void on_lease_end(const LeaseEnd&) {}
  /// @brief Something on a failover connection.
  virtual void on_failover(const FailoverEvent&) {}
  /// @brief Capture time advanced to @p now_ns (called at least every few seconds of capture
  ///        time while packets arrive): expire state, prove time-based violations.
  virtual void on_tick([[maybe_unused]] std::int64_t now_ns) {}
  /// @brief End of the capture at @p end_ns: settle everything still open.
  virtual void finish([[maybe_unused]] std::int64_t end_ns) {}

  /// @return the invariant's name.
  const std::string& name() const { return name_; }
  /// @return how many facts were checked (leases, transactions, messages, ...).
  std::uint64_t checked() const { return checked_; }
  /// @return how many violations were reported.
  std::uint64_t violations() const { return violations_; }
  /// @return false when the capture held nothing this invariant applies to (e.g. mclt-bound
  ///         without a failover stream); note() says why.
  bool applicable() const { return applicable_; }
  /// @return a short remark for the report ("" when none).
  const std::string& note() const { return note_; }

  /// @brief Server names for messages (optional; indices are printed otherwise).
  void set_names(const ServerNames* names) { names_ = names; }

 protected:
  /// @brief Reports @p v (its invariant field is filled in).
  void report(Violation v) {
    ++violations_;
    v.invariant = name_;
    if (sink_) sink_(std::move(v));
  }
  /// @return the printable name of server @p s.
  std::string server_name(ServerIx s) const {
    if (s == NO_SERVER) return "unknown server";
    return names_ ? names_->name(s) : "server#" + std::to_string(s);
  }

  std::uint64_t checked_ = 0;  ///< see checked()
  bool applicable_ = true;     ///< see applicable()
  std::string note_;           ///< see note()

 private:
  std::string name_;
  ViolationSink sink_;
  std::uint64_t violations_ = 0;
  const ServerNames* names_ = nullptr;
};

}  // namespace failover6::check
