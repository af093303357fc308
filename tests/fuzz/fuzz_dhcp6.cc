// libFuzzer target: the DHCPv6 message codec (decode_message / encode_message).
//
// For every input the decoder accepts, re-encoding must give back exactly the input octets
// (message.h promises this), decoding those again must give an equal Message, and the result
// must pass OptionWalker (fuzz_support.h). Rejected inputs must carry a well-formed
// DecodeError. Seeds: tests/fuzz/corpus/dhcp6 (tests/fuzz/make_corpus.py).
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "wire/message.h"

namespace {

using failover6::fuzz::encode_or_fail;
using failover6::fuzz::fail;
using failover6::fuzz::hex_prefix;
namespace wire = failover6::wire;

void run(wire::ByteView input) {
  auto decoded = wire::decode_message(input);
  if (!decoded) {
    failover6::fuzz::check_error(decoded.error(), input, "decode_message");
    failover6::fuzz::verdict(false, &decoded.error());
    return;
  }
  failover6::fuzz::verdict(true);
  const wire::Message& m = *decoded;

  wire::Bytes again = encode_or_fail([&] { return wire::encode_message(m); }, input,
                                     "encode_message");
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end()))
    fail("encode_message(decode_message(x)) != x",
         "input:   " + hex_prefix(input) + "\nencoded: " + hex_prefix(again));

  auto redecoded = wire::decode_message(again);
  if (!redecoded)
    fail("decode_message(encode_message(m)) failed",
         "error: " + redecoded.error().to_string() + "\ninput: " + hex_prefix(input));
  if (!(*redecoded == m)) fail("decode_message(encode_message(m)) != m", hex_prefix(input));

  // Encoders patch option lengths by absolute position: appending to a non-empty buffer must
  // not disturb what was there nor change the octets written.
  wire::Bytes appended{0x5A, 0xA5};
  encode_or_fail([&] { wire::encode_message(m, appended); }, input, "encode_message(m, out)");
  if (appended.size() != input.size() + 2 || appended[0] != 0x5A || appended[1] != 0xA5 ||
      !std::equal(appended.begin() + 2, appended.end(), input.begin(), input.end()))
    fail("encode_message(m, out) did not append exactly x to a non-empty buffer",
         "input: " + hex_prefix(input) + "\nout:   " + hex_prefix(appended));

  // The relay accessors walk the same nesting the decoder bounded.
  int depth = m.relay_depth();
  if (depth < 0 || depth > wire::MAX_RELAY_DEPTH)
    fail("relay_depth() outside 0..MAX_RELAY_DEPTH", std::to_string(depth));
  const wire::Message& inner = m.innermost();
  if ((depth == 0) != (&inner == &m) || (depth > 0 && m.relayed() == nullptr))
    fail("innermost() / relayed() disagree with relay_depth()", hex_prefix(input));

  failover6::fuzz::OptionWalker(input).message(m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  run(wire::ByteView(data, size));
  return 0;
}
