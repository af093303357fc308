// Sample values of every option type and every message type, shared by the wire unit tests.
#pragma once

#include <vector>

#include "wire/failover_message.h"
#include "wire/message.h"

namespace failover6::wire::testing {

/// One instance of every OptionVariant alternative, with non-default field values.
std::vector<Option> every_option();

/// A REQUEST with CLIENTID, SERVERID, ELAPSED_TIME, ORO, IA_NA(IAADDR), IA_PD(IAPREFIX).
Message sample_request();

/// @p depth RELAY-FORW layers around sample_request() (depth 0 returns the request itself).
Message relayed(Message inner, int depth);

/// A BNDUPD in client form carrying one IA_NA lease and one IA_PD lease (RFC 8156 §7.4).
FailoverMessage sample_bndupd();

/// @return @p hex (spaces allowed) as octets; aborts the test on bad hex.
Bytes hex(const char* text);

}  // namespace failover6::wire::testing
