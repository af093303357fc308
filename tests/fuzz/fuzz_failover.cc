// libFuzzer target: the RFC 8156 failover message codec (decode_failover / encode_failover /
// encode_failover_framed), one unframed message per input.
//
// The oracle is check_failover_round_trip() in fuzz_support.h: an accepted input re-encodes
// to exactly the input octets, decodes again to an equal FailoverMessage, frames as its
// 2-octet length + itself, and passes OptionWalker. Seeds: tests/fuzz/corpus/failover
// (tests/fuzz/make_corpus.py).
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "wire/failover_message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  failover6::fuzz::g_accepted =
      failover6::fuzz::check_failover_round_trip(failover6::wire::ByteView(data, size));
  return 0;
}
