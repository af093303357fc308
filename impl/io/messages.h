// failover6::io: the catalogue of failover6d log messages (STYLE.md "Log messages as a catalogue
// of ids"), in the manner of Kea's *.mes files.
//
// Every line failover6d logs starts with one of these ids, so operators can grep for an id and
// look it up here. Each entry gives the id, its severity, the fmt-style text ({} placeholders,
// filled in order) and an explanation: what happened, and what, if anything, to do about it.
//
// The order of MESSAGES must follow the order of the Msg enumerators (checked at compile
// time), each entry's name must spell its enumerator, and every id must be used by impl/io or
// impl/daemon (both checked by tests/unit/io/test_messages.cc, as Kea's check-messages.py does).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace failover6::io {

/// Log severities, most severe first, spelled as Kea's "loggers" severity values.
enum class Severity : std::uint8_t { Fatal, Error, Warn, Info, Debug };

/// @return "FATAL", "ERROR", "WARN", "INFO" or "DEBUG".
constexpr std::string_view to_string(Severity s) {
  constexpr std::array<std::string_view, 5> NAMES{"FATAL", "ERROR", "WARN", "INFO", "DEBUG"};
  return NAMES[static_cast<std::size_t>(s)];
}

/// The message ids. Keep in the order of MESSAGES below.
enum class Msg : std::uint16_t {
  F6D_STARTED,
  F6D_CONFIG_CHECKED,
  F6D_STARTUP_FAILED,
  F6D_DATA_DIRECTORY_ERROR,
  F6D_JOURNAL_OPENED,
  F6D_JOURNAL_CREATED,
  F6D_JOURNAL_TORN_TAIL,
  F6D_JOURNAL_ERROR,
  F6D_MEMORY_STORE,
  F6D_SERVER_DUID,
  F6D_SERVER_DUID_GENERATED,
  F6D_LISTENING,
  F6D_INTERFACE_LISTENING,
  F6D_SOCKET_ERROR,
  F6D_RECEIVE_ERROR,
  F6D_SEND_ERROR,
  F6D_COMMIT_FAILED,
  F6D_HANDLER_ERROR,
  F6D_LEASES_EXPIRED,
  F6D_COMPACTED,
  F6D_COMPACT_FAILED,
  F6D_CONTROL_LISTENING,
  F6D_CONTROL_ERROR,
  F6D_CONTROL_COMMAND,
  F6D_METRICS_LISTENING,
  F6D_METRICS_ERROR,
  F6D_SIGNAL_SHUTDOWN,
  F6D_SIGHUP_IGNORED,
  F6D_SHUTDOWN_COMMAND,
  F6D_SHUTDOWN,
  F6D_FINAL_COMMIT_FAILED,
  F6D_LOG_OUTPUT_ERROR,
  F6D_RECEIVE_BUFFER_SMALL,
  F6D_PARTNER_LISTENING,
  F6D_PARTNER_CONNECTED,
  F6D_PARTNER_CONNECT_FAILED,
  F6D_PARTNER_REFUSED,
  F6D_TLS_HANDSHAKE_FAILED,
  F6D_PARTNER_CLOSED,
  F6D_PARTNER_ACCEPT_ERROR,
  F6D_FAILOVER_STATE,
  F6D_FAILOVER_COMM_OK,
  F6D_FAILOVER_COMM_FAILED,
  F6D_FAILOVER_SKEW,
  F6D_FAILOVER_CONNECT_REJECTED,
  F6D_FAILOVER_DISCONNECT,
  F6D_FAILOVER_UPDATE_REJECTED,
  F6D_FAILOVER_UPDREQ,
  F6D_FAILOVER_UNEXPECTED,
  F6D_FAILOVER_STATE_CORRUPT,
  F6D_FAILOVER_PARTNER_DOWN_WHILE_CONNECTED,
  F6D_FAILOVER_BAD_FRAME,
  F6D_FAILOVER_PARTNER_DOWN_COMMAND,
  Count_,
};

/// One catalogue entry.
struct MessageInfo {
  Msg id;
  std::string_view name;         ///< the id as logged, e.g. "F6D_STARTED"
  Severity severity;             ///< the severity it is logged at
  std::string_view format;       ///< fmt text, "{}" per argument
  std::string_view explanation;  ///< for the operator: what happened and what to do
};

/// The catalogue.
inline constexpr MessageInfo MESSAGES[] = {
    {Msg::F6D_STARTED, "F6D_STARTED", Severity::Info,
     "failover6d {} started: pid {}, config {}",
     "The server finished starting: its lease store is open, its sockets are bound and it "
     "answers clients from now on. The arguments are the version, the process id and the "
     "configuration file."},
    {Msg::F6D_CONFIG_CHECKED, "F6D_CONFIG_CHECKED", Severity::Info,
     "configuration {} is valid",
     "`failover6d --check-config` found no error in the file; the server was not started."},
    {Msg::F6D_STARTUP_FAILED, "F6D_STARTUP_FAILED", Severity::Fatal,
     "startup failed: {}",
     "The server could not start and exits with status 1. The text says which resource "
     "(socket, file, directory) failed and why; fix it and start the server again."},
    {Msg::F6D_DATA_DIRECTORY_ERROR, "F6D_DATA_DIRECTORY_ERROR", Severity::Fatal,
     "cannot create data-directory {}: {}",
     "Dhcp6.data-directory does not exist and could not be created. Check the path and the "
     "permissions of its parent directory."},
    {Msg::F6D_JOURNAL_OPENED, "F6D_JOURNAL_OPENED", Severity::Info,
     "lease journal {} opened: {} records replayed, {} leases, {} octets",
     "The lease journal was read at startup; every lease it holds is in memory again."},
    {Msg::F6D_JOURNAL_CREATED, "F6D_JOURNAL_CREATED", Severity::Info,
     "lease journal {} created",
     "No lease journal existed at the configured path, so an empty one was created. Expected "
     "at the first start; at a later start it means the journal was removed or the path in "
     "Dhcp6.lease-database.name changed, and every lease granted before is forgotten."},
    {Msg::F6D_JOURNAL_TORN_TAIL, "F6D_JOURNAL_TORN_TAIL", Severity::Warn,
     "lease journal {}: {}",
     "The last record of the lease journal was incomplete, as a crash in the middle of a "
     "write leaves it, and was cut off. No client was told about a lease in that record: a "
     "REPLY is only sent after its record is durable. No action is needed unless this repeats "
     "without crashes, which would point at the storage."},
    {Msg::F6D_JOURNAL_ERROR, "F6D_JOURNAL_ERROR", Severity::Fatal,
     "lease journal cannot be used: {}",
     "The lease journal is unreadable, not a journal, or damaged before its last record, so "
     "the server refuses to start rather than serve with leases silently missing. The text "
     "names the file and the offset. Restore the journal from a backup, or move it aside to "
     "start empty (clients then get new leases)."},
    {Msg::F6D_MEMORY_STORE, "F6D_MEMORY_STORE", Severity::Warn,
     "lease-database persist is false: leases are kept in memory only and are lost at exit",
     "Dhcp6.lease-database.persist is false. Useful for tests; a production server loses "
     "every lease when it stops and may then hand out addresses clients still use."},
    {Msg::F6D_SERVER_DUID, "F6D_SERVER_DUID", Severity::Info,
     "server DUID {} ({}, {})",
     "The DUID this server sends in SERVERID, how it is built, and where it came from: the "
     "configuration (Dhcp6.server-id.identifier) or the lease store (generated at an earlier "
     "start)."},
    {Msg::F6D_SERVER_DUID_GENERATED, "F6D_SERVER_DUID_GENERATED", Severity::Info,
     "generated server DUID {} ({}); {}",
     "Dhcp6.server-id has no identifier and no DUID was stored, so one was generated. With a "
     "persistent lease store it is stored there and kept across restarts; otherwise the next "
     "start generates another one and clients will see a different server."},
    {Msg::F6D_LISTENING, "F6D_LISTENING", Severity::Info,
     "listening for DHCPv6 on {}",
     "A Failover6.listen socket is bound. Relays and clients reach the server there."},
    {Msg::F6D_INTERFACE_LISTENING, "F6D_INTERFACE_LISTENING", Severity::Info,
     "listening for DHCPv6 on interface {} (index {}): [::]:547, joined ff02::1:2",
     "A Dhcp6.interfaces-config interface is served: a socket bound to port 547 on that "
     "interface has joined All_DHCP_Relay_Agents_and_Servers, so directly attached clients "
     "reach the server."},
    {Msg::F6D_SOCKET_ERROR, "F6D_SOCKET_ERROR", Severity::Fatal,
     "cannot open DHCPv6 socket {}: {}",
     "A listening socket could not be opened, bound or configured: the address is not local, "
     "the port is in use, or port 547 and interface binding need privileges (root or "
     "CAP_NET_BIND_SERVICE and CAP_NET_RAW). The server does not start."},
    {Msg::F6D_RECEIVE_ERROR, "F6D_RECEIVE_ERROR", Severity::Warn,
     "receive error on {}: {}",
     "Reading a datagram failed for a reason other than an empty queue. The datagram is lost "
     "and the server goes on; clients retransmit."},
    {Msg::F6D_SEND_ERROR, "F6D_SEND_ERROR", Severity::Warn,
     "cannot send {} octets to [{}]:{}: {}",
     "A reply could not be handed to the kernel (no route, full socket buffer, ...). The "
     "reply is dropped, as UDP would drop it; the client retransmits. Leases it granted are "
     "already durable."},
    {Msg::F6D_COMMIT_FAILED, "F6D_COMMIT_FAILED", Severity::Error,
     "lease store commit failed, {} replies withheld: {}",
     "Making a batch of lease changes durable failed (a write or fsync error). The replies "
     "that granted or extended those leases were not sent, so no client believes in a lease "
     "that a crash could lose; clients retransmit and the next commit retries. Check the "
     "disk holding the lease journal."},
    {Msg::F6D_HANDLER_ERROR, "F6D_HANDLER_ERROR", Severity::Error,
     "processing a datagram from [{}]:{} failed: {}",
     "The server core threw while processing one datagram. That datagram gets no answer; "
     "the server goes on with the next. This is a bug: please report it with the text."},
    {Msg::F6D_LEASES_EXPIRED, "F6D_LEASES_EXPIRED", Severity::Debug,
     "{} leases reached the end of their state",
     "Leases whose valid lifetime or hold time ended moved to their next binding state "
     "(ACTIVE to EXPIRED, then FREE, ...), and the change was committed."},
    {Msg::F6D_COMPACTED, "F6D_COMPACTED", Severity::Info,
     "lease journal compacted: {} -> {} octets, {} leases",
     "The periodic compaction (Dhcp6.lease-database.lfc-interval) rewrote the journal as one "
     "record per live lease."},
    {Msg::F6D_COMPACT_FAILED, "F6D_COMPACT_FAILED", Severity::Error,
     "lease journal compaction failed: {}",
     "Rewriting the journal failed; the old journal stays in place and keeps growing, and "
     "the next period tries again. Check free space in the journal's directory."},
    {Msg::F6D_CONTROL_LISTENING, "F6D_CONTROL_LISTENING", Severity::Info,
     "control API on unix socket {}",
     "The JSON control socket (Dhcp6.control-socket) accepts commands; `failover6 ctl` is "
     "its client."},
    {Msg::F6D_CONTROL_ERROR, "F6D_CONTROL_ERROR", Severity::Warn,
     "control socket {}: {}",
     "A control connection failed (the client went away, sent more than the size limit, or "
     "nothing within the time limit). Only that connection is affected."},
    {Msg::F6D_CONTROL_COMMAND, "F6D_CONTROL_COMMAND", Severity::Debug,
     "control command '{}': result {}",
     "A control command was answered with the given result (0 success, 1 error)."},
    {Msg::F6D_METRICS_LISTENING, "F6D_METRICS_LISTENING", Severity::Info,
     "Prometheus metrics on http://{}/metrics",
     "Failover6.metrics is configured: the counters are served in the Prometheus text "
     "format."},
    {Msg::F6D_METRICS_ERROR, "F6D_METRICS_ERROR", Severity::Warn,
     "metrics endpoint: {}",
     "A metrics HTTP connection failed; only that scrape is affected."},
    {Msg::F6D_SIGNAL_SHUTDOWN, "F6D_SIGNAL_SHUTDOWN", Severity::Info,
     "received {}: shutting down",
     "SIGTERM or SIGINT: the server stops reading datagrams, finishes the batch in progress, "
     "commits the lease store and exits with status 0."},
    {Msg::F6D_SIGHUP_IGNORED, "F6D_SIGHUP_IGNORED", Severity::Warn,
     "received SIGHUP: ignored, failover6d does not reload its configuration",
     "failover6d reads its configuration at startup only. To apply a changed configuration, "
     "check it with --check-config and restart the server."},
    {Msg::F6D_SHUTDOWN_COMMAND, "F6D_SHUTDOWN_COMMAND", Severity::Info,
     "shutdown requested through the control API",
     "A 'shutdown' control command was received; the server shuts down as on SIGTERM."},
    {Msg::F6D_SHUTDOWN, "F6D_SHUTDOWN", Severity::Info,
     "shut down: {} leases in store, {} datagrams received, {} replies sent",
     "The server stopped cleanly: every lease change is durable."},
    {Msg::F6D_FINAL_COMMIT_FAILED, "F6D_FINAL_COMMIT_FAILED", Severity::Error,
     "lease store commit at shutdown failed: {}",
     "The last commit before exit failed. Changes not committed were never confirmed to a "
     "client (see F6D_COMMIT_FAILED), so no promised lease is lost, but the exit status is 1."},
    {Msg::F6D_LOG_OUTPUT_ERROR, "F6D_LOG_OUTPUT_ERROR", Severity::Error,
     "cannot open log output {}: {}; logging to stderr instead",
     "A file named in Dhcp6.loggers output_options could not be opened for appending."},
    {Msg::F6D_RECEIVE_BUFFER_SMALL, "F6D_RECEIVE_BUFFER_SMALL", Severity::Warn,
     "receive buffer of DHCPv6 socket {} is {} octets, less than the {} asked for",
     "The kernel capped the socket's receive buffer (SO_RCVBUF) at net.core.rmem_max, and the "
     "process may not exceed it (SO_RCVBUFFORCE needs CAP_NET_ADMIN). Bursts of requests "
     "that arrive while the server is busy may then be dropped by the kernel. Raise "
     "net.core.rmem_max (sysctl) or run with CAP_NET_ADMIN."},
    {Msg::F6D_PARTNER_LISTENING, "F6D_PARTNER_LISTENING", Severity::Info,
     "listening for failover partners on {} (relationships: {})",
     "The failover TCP socket of the secondary-role relationships named is bound; their "
     "primaries connect to it (RFC 8156 §6.1)."},
    {Msg::F6D_PARTNER_CONNECTED, "F6D_PARTNER_CONNECTED", Severity::Info,
     "relationship {}: connection with partner {} is up ({})",
     "The partner connection is ready: TCP is connected and, in secure mode, STARTTLS was "
     "agreed and the TLS handshake checked the partner's certificate. The last argument is "
     "\"insecure\" or the TLS version, cipher and partner certificate. The failover "
     "protocol (CONNECT, CONNECTREPLY, STATE) starts now."},
    {Msg::F6D_PARTNER_CONNECT_FAILED, "F6D_PARTNER_CONNECT_FAILED", Severity::Warn,
     "relationship {}: cannot connect to partner {}: {}; next attempt in {} ms",
     "The primary could not open the TCP connection to its partner (the partner is down, "
     "not listening yet, unreachable, or a firewall drops the connection). It keeps trying "
     "with a growing delay (up to 30 s). Check that the secondary runs and that its "
     "failover address and port match this relationship's peer."},
    {Msg::F6D_PARTNER_REFUSED, "F6D_PARTNER_REFUSED", Severity::Warn,
     "refused failover connection from {} on {}: {}",
     "This server dropped an incoming partner connection: the address is no secondary "
     "relationship's peer, the partner did not start with STARTTLS although the relationship "
     "is secure (or asked for TLS although it is insecure), or its first message was not a "
     "CONNECT naming one of the relationships with that partner. Check both servers' "
     "relationship names, addresses and tls/insecure settings."},
    {Msg::F6D_TLS_HANDSHAKE_FAILED, "F6D_TLS_HANDSHAKE_FAILED", Severity::Warn,
     "relationship {}: TLS with partner {} failed: {}",
     "Secure mode could not be established: the partner refused STARTTLS "
     "(TLSConnectionRefused), or the TLS handshake failed. The reason names the certificate "
     "problem (unknown CA, expired, hostname mismatch with tls peer-name, no certificate) "
     "or the alert the partner sent. The connection is closed; the primary retries after its "
     "longest back-off. Check ca-file, cert-file and peer-name on both servers."},
    {Msg::F6D_PARTNER_CLOSED, "F6D_PARTNER_CLOSED", Severity::Warn,
     "relationship {}: connection with partner {} closed: {}",
     "The partner connection ended: the partner closed it or restarted, a socket error, a "
     "set-up step timed out, or the failover layer closed it (the reason says which). The "
     "primary reconnects after its back-off; the secondary waits for the primary."},
    {Msg::F6D_PARTNER_ACCEPT_ERROR, "F6D_PARTNER_ACCEPT_ERROR", Severity::Warn,
     "failover socket {}: accept failed: {}",
     "Accepting a partner connection failed, typically because the process ran out of file "
     "descriptors. The listener keeps accepting."},
    {Msg::F6D_FAILOVER_STATE, "F6D_FAILOVER_STATE", Severity::Info,
     "relationship {}: {} -> {} ({})",
     "The failover endpoint changed state (RFC 8156 §8). The arguments are the relationship, the old and new state and the reason (partner state, communications failed, UPDDONE, operator command, timer). Every transition is recorded in the lease store and sent to the partner in a STATE message."},
    {Msg::F6D_FAILOVER_COMM_OK, "F6D_FAILOVER_COMM_OK", Severity::Info,
     "{}",
     "The failover handshake completed (CONNECT, CONNECTREPLY, STATE both ways): communications with the partner are OK and binding updates flow."},
    {Msg::F6D_FAILOVER_COMM_FAILED, "F6D_FAILOVER_COMM_FAILED", Severity::Warn,
     "{}",
     "Communications with the partner failed: the connection closed, nothing arrived for the keepalive time, or the partner sent DISCONNECT. A server in NORMAL goes to COMMUNICATIONS-INTERRUPTED and keeps serving, with lifetimes capped by the MCLT. The primary reconnects by itself. If the partner is really down for long, consider `failover6 ctl partner-down`."},
    {Msg::F6D_FAILOVER_SKEW, "F6D_FAILOVER_SKEW", Severity::Error,
     "{}",
     "The partner's clock differs from ours by more than 5 s (RFC 8156 §7.1): the CONNECT is rejected with ExcessiveTimeSkew, or the connection is closed. Synchronise both clocks (NTP)."},
    {Msg::F6D_FAILOVER_CONNECT_REJECTED, "F6D_FAILOVER_CONNECT_REJECTED", Severity::Error,
     "{}",
     "A CONNECT was rejected (by us or by the partner): unsupported version, a relationship name or MCLT that differs, clock skew. The text gives the reason. Fix the configuration of one of the partners; the primary keeps retrying."},
    {Msg::F6D_FAILOVER_DISCONNECT, "F6D_FAILOVER_DISCONNECT", Severity::Warn,
     "{}",
     "We sent DISCONNECT to the partner and closed the connection, for the reason given (shutdown, protocol error, skew, configuration conflict)."},
    {Msg::F6D_FAILOVER_UPDATE_REJECTED, "F6D_FAILOVER_UPDATE_REJECTED", Severity::Debug,
     "{}",
     "The partner rejected a binding update (BNDREPLY with a status code): OutdatedBindingInformation when its data is newer (it will send its own), AddressInUse when it has the lease for another client. The text names the lease and the status. Logged at DEBUG: conflict resolution after a partition rejects many updates by design; status counts them (updates-rejected-by-partner)."},
    {Msg::F6D_FAILOVER_UPDREQ, "F6D_FAILOVER_UPDREQ", Severity::Info,
     "{}",
     "The partner asked for binding updates (UPDREQ: what it has not acknowledged; UPDREQALL: everything, after losing its storage). We send them and then UPDDONE."},
    {Msg::F6D_FAILOVER_UNEXPECTED, "F6D_FAILOVER_UNEXPECTED", Severity::Warn,
     "{}",
     "A failover message arrived that makes no sense now (an unknown transaction, a message type we do not take); it is ignored."},
    {Msg::F6D_FAILOVER_STATE_CORRUPT, "F6D_FAILOVER_STATE_CORRUPT", Severity::Error,
     "{}",
     "The failover state recorded in the lease store cannot be read; the endpoint starts as if new (RECOVER, asking the partner for everything)."},
    {Msg::F6D_FAILOVER_PARTNER_DOWN_WHILE_CONNECTED, "F6D_FAILOVER_PARTNER_DOWN_WHILE_CONNECTED", Severity::Warn,
     "{}",
     "The operator put the relationship in PARTNER-DOWN although the partner is connected. The partner will see our PARTNER-DOWN state and go to POTENTIAL-CONFLICT."},
    {Msg::F6D_FAILOVER_BAD_FRAME, "F6D_FAILOVER_BAD_FRAME", Severity::Warn,
     "relationship {}: undecodable failover message from the partner ({}); closing the connection",
     "A message from the partner could not be decoded; the connection is closed and (on the primary) reopened. Probably an interoperability problem: capture the partner link and check it with `failover6 decode`."},
    {Msg::F6D_FAILOVER_PARTNER_DOWN_COMMAND, "F6D_FAILOVER_PARTNER_DOWN_COMMAND", Severity::Warn,
     "relationship {}: partner-down by operator command: {}",
     "The operator ran `failover6 ctl partner-down`. The result follows."},
};

static_assert(std::size(MESSAGES) == static_cast<std::size_t>(Msg::Count_),
              "every Msg needs one MESSAGES entry");

namespace detail {
/// @return true when MESSAGES[i].id == i for every i (the table follows the enum).
constexpr bool catalogue_in_order() {
  for (std::size_t i = 0; i < std::size(MESSAGES); ++i)
    if (static_cast<std::size_t>(MESSAGES[i].id) != i) return false;
  return true;
}
}  // namespace detail
static_assert(detail::catalogue_in_order(), "MESSAGES must follow the order of Msg");

/// @return the catalogue entry of @p id.
constexpr const MessageInfo& message(Msg id) { return MESSAGES[static_cast<std::size_t>(id)]; }

}  // namespace failover6::io
