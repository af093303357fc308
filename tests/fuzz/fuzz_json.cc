// libFuzzer target: the JSON form (wire/json.h) and the one-line descriptions (wire/describe.h)
// of every message the decoders accept: what `failover6 decode`, the Python package and the
// test fixtures see.
//
// Input layout: selector(1) message...; an even selector decodes the rest with
// decode_message, an odd one with decode_failover.
//
// Oracle, for an accepted message m:
//   - describe(m) runs (ASan/UBSan watch it);
//   - *_from_json(to_json(m)) == m: the JSON form is lossless as an object;
//   - through text as well: *_from_json(json::parse(to_json(m).dump())) == m. nlohmann's strict
//     dump() throws on strings that are not UTF-8 (a STATUS_CODE message or a relationship name
//     can hold any octets); such a message is dumped as the CLI does it, replacing the bad
//     octets, and then only has to parse back into a message that encodes.
// Seeds: tests/fuzz/corpus/json (tests/fuzz/make_corpus.py).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz_support.h"
#include "wire/describe.h"
#include "wire/failover_message.h"
#include "wire/json.h"
#include "wire/message.h"

namespace {

using failover6::fuzz::fail;
using failover6::fuzz::hex_prefix;
using nlohmann::json;
namespace wire = failover6::wire;

template <class M, class FromJson>
M from_json_or_fail(FromJson from_json, const json& j, const char* what, wire::ByteView input) {
  try {
    return from_json(j);
  } catch (const std::exception& e) {
    fail(std::string(what) + " threw on the JSON form of a decoded message",
         std::string("exception: ") + e.what() + "\njson: " +
             j.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 400) +
             "\ninput: " + hex_prefix(input));
  }
}

template <class M, class FromJson, class Encode>
void check(const wire::Expected<M>& decoded, FromJson from_json, Encode encode,
           wire::ByteView input) {
  if (!decoded) {
    failover6::fuzz::verdict(false, &decoded.error());
    return;
  }
  failover6::fuzz::verdict(true);
  const M& m = *decoded;
  volatile std::size_t sink = wire::describe(m).size();
  (void)sink;

  json j = to_json(m);
  M back = from_json_or_fail<M>(from_json, j, "*_from_json(to_json(m))", input);
  if (!(back == m))
    fail("*_from_json(to_json(m)) != m",
         "json: " + j.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 400) +
             "\ninput: " + hex_prefix(input));

  std::string text;
  bool strict = true;
  try {
    text = j.dump();
  } catch (const json::type_error&) {
    strict = false;  // a string that is not UTF-8; see the file comment
    text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  json parsed;
  try {
    parsed = json::parse(text);
  } catch (const std::exception& e) {
    fail("json::parse(to_json(m).dump()) threw",
         std::string(e.what()) + "\ntext: " + text.substr(0, 400));
  }
  M again = from_json_or_fail<M>(from_json, parsed, "*_from_json(parse(dump))", input);
  if (strict && !(again == m))
    fail("*_from_json(json::parse(to_json(m).dump())) != m",
         "text: " + text.substr(0, 400) + "\ninput: " + hex_prefix(input));
  if (!strict) failover6::fuzz::encode_or_fail([&] { return encode(again); }, input,
                                               "encode of the replaced-UTF-8 JSON round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  failover6::fuzz::verdict(false);
  if (size == 0) return 0;
  wire::ByteView body(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    check(wire::decode_message(body), wire::message_from_json,
          [](const wire::Message& m) { return wire::encode_message(m); }, body);
  } else {
    check(wire::decode_failover(body), wire::failover_from_json,
          [](const wire::FailoverMessage& m) { return wire::encode_failover(m); }, body);
  }
  return 0;
}
