// Shared by the fuzz targets and replay_main.cc: how a target reports a broken invariant, how
// it tells the replay program whether an input was accepted, and the round-trip oracles that
// more than one target runs.
//
// Everything here is header-only so that each target stays one .cc file that links either with
// libFuzzer (clang, -fsanitize=fuzzer) or with replay_main.cc (any compiler).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "wire/buffer.h"
#include "wire/duid.h"
#include "wire/expected.h"
#include "wire/failover_message.h"
#include "wire/message.h"

namespace failover6::fuzz {

/// Set by the target for each input: true when the codec accepted it (the decode succeeded;
/// for fuzz_frames, every complete frame decoded). replay_main.cc counts these.
inline bool g_accepted = false;
/// When true (replay -v), the target stores why an input was rejected in g_reason.
inline bool g_explain = false;
/// The DecodeError text of the last rejected input, filled only when g_explain is set.
inline std::string g_reason;

/// @brief Records the verdict for the current input (see g_accepted).
inline void verdict(bool accepted, const wire::DecodeError* why = nullptr) {
  g_accepted = accepted;
  if (g_explain) g_reason = why != nullptr ? why->to_string() : std::string();
}

/// @return lowercase hex of at most the first @p max octets of @p b, "..." when cut.
inline std::string hex_prefix(wire::ByteView b, std::size_t max = 96) {
  std::string s = wire::to_hex(b.first(b.size() < max ? b.size() : max));
  if (b.size() > max) s += "...";
  return s;
}

/// @brief Reports a broken invariant on stderr and stops the process with a trap, which
/// libFuzzer records as a crash (and writes the input to its artifact directory).
/// @param what the invariant, e.g. "encode_message(decode_message(x)) != x".
/// @param detail anything that helps reading the report (hex of the octets involved).
[[noreturn]] inline void fail(std::string_view what, const std::string& detail) {
  std::fprintf(stderr, "\n*** fuzz invariant broken: %.*s\n%s\n", static_cast<int>(what.size()),
               what.data(), detail.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

/// @brief Runs @p encode, turning an exception into fail(): the codec promises that everything
/// it decoded re-encodes, so an EncodeError here is a codec bug.
/// @return what @p encode returns.
template <class Encode>
decltype(auto) encode_or_fail(Encode encode, wire::ByteView input, const char* name) {
  try {
    return encode();
  } catch (const std::exception& e) {
    fail(std::string(name) + " threw on a decoded value",
         std::string("exception: ") + e.what() + "\ninput: " + hex_prefix(input));
  }
}

/// @brief Checks the DecodeError contract: the offset lies inside the input (or at its end)
/// and the message says something.
inline void check_error(const wire::DecodeError& e, wire::ByteView input, const char* name) {
  if (e.offset > input.size() || e.message.empty())
    fail(std::string(name) + " returned a malformed DecodeError",
         "error: " + e.to_string() + "\ninput size " + std::to_string(input.size()) +
             ": " + hex_prefix(input));
}

/// @brief Walks every option of a decoded message, relays and containers included, and checks
/// the text contracts the rest of the project relies on: each DUID prints and parses back
/// (Duid::to_string / from_string), each address does (Address::to_string / parse), each option
/// code and message type survives its name table (option_name / parse_option_code, to_string /
/// parse_message_type). Also runs Duid::describe() and the status / state name tables, which
/// print data straight from the wire.
class OptionWalker {
 public:
  /// @param input the fuzz input, only for fail() reports.
  explicit OptionWalker(wire::ByteView input) : input_(input) {}

  void message(const wire::Message& m) {
    message_type(m.type);
    if (m.is_relay()) {
      address(m.link_address);
      address(m.peer_address);
    }
    options(m.options);
  }
  void message(const wire::FailoverMessage& m) {
    message_type(m.type);
    options(m.options);
  }

 private:
  void options(const wire::Options& opts) {
    for (const auto& o : opts) {
      std::uint16_t code = o.code();
      auto parsed = wire::parse_option_code(wire::option_name(code));
      if (!parsed || *parsed != code)
        fail("parse_option_code(option_name(c)) != c",
             "code " + std::to_string(code) + " name '" + wire::option_name(code) +
                 "'\ninput: " + hex_prefix(input_));
      std::visit([this](const auto& v) { option(v); }, o.value);
    }
  }

  template <class T>
  void option(const T& v) {
    if constexpr (requires { v.duid; }) duid(v.duid);
    if constexpr (requires { v.address; }) address(v.address);
    if constexpr (requires { v.peer_address; }) address(v.peer_address);
    if constexpr (requires { v.prefix; }) address(v.prefix);
    if constexpr (requires { v.message; }) {
      if constexpr (std::is_same_v<decltype(v.message), const wire::Box<wire::Message>>)
        message(*v.message);
    }
    if constexpr (requires { v.status; }) sink_ += wire::status_name(v.status).size();
    if constexpr (requires { v.servers; })
      for (const auto& a : v.servers) address(a);
    if constexpr (requires { v.options; }) {
      if constexpr (std::is_same_v<std::decay_t<decltype(v.options)>, wire::Options>)
        options(v.options);
    }
    if constexpr (std::is_same_v<T, wire::FBindingStatus>)
      sink_ += wire::binding_status_name(v.value).size();
    if constexpr (std::is_same_v<T, wire::FServerState>)
      sink_ += wire::server_state_name(v.value).size();
  }

  void message_type(wire::MessageType t) {
    auto parsed = wire::parse_message_type(wire::to_string(t));
    if (!parsed || *parsed != t)
      fail("parse_message_type(to_string(t)) != t",
           "type " + std::to_string(static_cast<unsigned>(t)) + "\ninput: " + hex_prefix(input_));
  }

  void duid(const wire::Duid& d) {
    sink_ += d.describe().size();
    wire::Duid back;
    try {
      back = wire::Duid::from_string(d.to_string());
    } catch (const std::exception& e) {
      fail("Duid::from_string(d.to_string()) threw",
           std::string(e.what()) + "\ninput: " + hex_prefix(input_));
    }
    if (!(back == d))
      fail("Duid::from_string(d.to_string()) != d", "duid " + d.to_string());
  }

  void address(const wire::Address& a) {
    auto back = wire::Address::parse(a.to_string());
    if (!back || !(*back == a))
      fail("Address::parse(a.to_string()) != a", "address " + a.to_string());
  }

  wire::ByteView input_;
  std::size_t sink_ = 0;  ///< keeps the printing calls from being optimised away
};

/// @brief The failover oracle, shared by fuzz_failover and fuzz_frames.
///
/// When decode_failover(@p input) succeeds: encode_failover gives back exactly @p input (also
/// when appended to a non-empty buffer), decoding that again gives an equal FailoverMessage,
/// and encode_failover_framed gives the 2-octet length followed by @p input; the decoded
/// options pass OptionWalker. When the decode fails, the DecodeError is well formed.
/// @return whether the input was accepted.
inline bool check_failover_round_trip(wire::ByteView input) {
  auto decoded = wire::decode_failover(input);
  if (!decoded) {
    check_error(decoded.error(), input, "decode_failover");
    if (g_explain) g_reason = decoded.error().to_string();
    return false;
  }
  const wire::FailoverMessage& m = *decoded;
  OptionWalker(input).message(m);
  wire::Bytes again = encode_or_fail([&] { return wire::encode_failover(m); }, input,
                                     "encode_failover");
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end()))
    fail("encode_failover(decode_failover(x)) != x",
         "input:   " + hex_prefix(input) + "\nencoded: " + hex_prefix(again));

  auto redecoded = wire::decode_failover(again);
  if (!redecoded)
    fail("decode_failover(encode_failover(m)) failed",
         "error: " + redecoded.error().to_string() + "\ninput: " + hex_prefix(input));
  if (!(*redecoded == m))
    fail("decode_failover(encode_failover(m)) != m", "input: " + hex_prefix(input));

  wire::Bytes appended{0xA5};
  encode_or_fail([&] { wire::encode_failover(m, appended); }, input, "encode_failover(m, out)");
  if (appended.size() != input.size() + 1 || appended[0] != 0xA5 ||
      !std::equal(appended.begin() + 1, appended.end(), input.begin(), input.end()))
    fail("encode_failover(m, out) did not append exactly x to a non-empty buffer",
         "input: " + hex_prefix(input) + "\nout:   " + hex_prefix(appended));

  if (input.size() <= 0xFFFF) {
    wire::Bytes framed = encode_or_fail([&] { return wire::encode_failover_framed(m); }, input,
                                        "encode_failover_framed");
    bool ok = framed.size() == input.size() + 2 && framed[0] == (input.size() >> 8) &&
              framed[1] == (input.size() & 0xFF) &&
              std::equal(framed.begin() + 2, framed.end(), input.begin(), input.end());
    if (!ok)
      fail("encode_failover_framed(m) != length(x) + x",
           "input:  " + hex_prefix(input) + "\nframed: " + hex_prefix(framed));
  }
  return true;
}

}  // namespace failover6::fuzz
