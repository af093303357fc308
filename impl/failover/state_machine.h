// failover6::failover state machine: the endpoint-state transitions of RFC 8156 §8
// (PROTOCOL.md §4.1) as a pure function, so that the transition table is a test row for row
// (STYLE.md rule 6) and the Endpoint has one way to change state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "failover/types.h"
#include "wire/constants.h"

namespace failover6::failover {

using State = wire::ServerState;

/// @return "NORMAL", "COMMUNICATIONS-INTERRUPTED", ... (RFC 8156 spelling).
std::string to_string(State s);
/// @return the state spelled as RFC 8156 does, or nullopt for anything else.
std::optional<State> state_from_string(const std::string& s);

/// What can happen to an endpoint (the columns of PROTOCOL.md §4.1).
enum class EventKind : std::uint8_t {
  CommOk,              ///< the handshake completed (CONNECT, CONNECTREPLY, STATE both ways)
  PartnerState,        ///< a STATE from the partner while communications are OK
  CommFail,            ///< TCP lost, keepalive expired or DISCONNECT received
  UpdDone,             ///< UPDDONE answering our UPDREQ/UPDREQALL
  RecoverWaitExpired,  ///< RECOVER-WAIT's TIME-OF-FAILURE + MCLT passed
  OperatorPartnerDown, ///< `failover6 ctl partner-down`
  AutoPartnerDown,     ///< the auto-partner-down timer expired in COMMUNICATIONS-INTERRUPTED
  StartupExpired,      ///< the STARTUP timer expired with no contact
};

/// @return "comm-ok", "partner-state", ...
const char* to_string(EventKind k);

/// One event. `partner` is the partner's reported state for CommOk and PartnerState.
struct Event {
  EventKind kind = EventKind::CommFail;
  std::optional<State> partner;
};

/// What the endpoint must do besides changing state.
enum class Action : std::uint8_t {
  None,
  SendUpdReq,  ///< RECOVER with a partner in a state that can answer; POTENTIAL-CONFLICT
               ///< secondary when the primary reports CONFLICT-DONE
};

/// The outcome of one event: the next state (equal to the current one when it stays) and an
/// action. `chained` is set when the rule says "go to X, then apply X's rule for the same
/// partner state" (NORMAL seeing an unexpected partner state).
struct Step {
  State next;
  Action action = Action::None;
  bool chained = false;
  /// Why (for the F6D_FAILOVER_STATE log line), e.g. "partner PARTNER-DOWN".
  std::string reason;
};

/// @brief The transition of PROTOCOL.md §4.1 for @p role in @p current on @p ev.
/// STARTUP's CommOk is handled by resolve_startup(), not here (it needs the stored data);
/// for STARTUP this function only handles StartupExpired (returning STARTUP: the caller picks
/// the previous state). Events a state has no rule for leave it unchanged.
Step next_state(Role role, State current, const Event& ev);

/// @brief RFC 8156 §8.3.2 step 2: the state a server restarts towards, given the state it had
/// stored (a communications-OK state becomes its communications-failed successor:
/// NORMAL and CONFLICT-DONE → COMMUNICATIONS-INTERRUPTED, POTENTIAL-CONFLICT →
/// RESOLUTION-INTERRUPTED). No stored state (first boot) gives RECOVER for either role (A1:
/// §8.3.2 step 1 rather than §8.2's PARTNER-DOWN for the primary, so that a new server never
/// serves before it has learnt its partner's bindings).
State previous_state_at_boot(std::optional<State> stored);

/// @brief STARTUP on communications OK (§8.3.2): the state to enter. CURRENT = @p previous,
/// except when the partner is in PARTNER-DOWN: RECOVER if the partner entered it after
/// @p last_operating (we were down while it took over), POTENTIAL-CONFLICT if before (both
/// may have served).
State resolve_startup(State previous, std::optional<State> partner,
                      std::int64_t partner_start_time, std::int64_t last_operating);

/// Responsiveness of a state (RFC 8156 §8 table).
enum class Responsiveness : std::uint8_t { Unresponsive, RenewResponsive, Responsive };

/// @return how a server of @p role in @p s answers clients (A3: RECOVER-DONE is
/// renew-responsive, as the text says, not unresponsive as Figure 6 shows).
Responsiveness responsiveness(Role role, State s);

/// @return true for states in which communications with the partner are normally OK and
/// BNDUPDs flow freely: NORMAL and CONFLICT-DONE.
bool is_synchronised(State s);

}  // namespace failover6::failover
