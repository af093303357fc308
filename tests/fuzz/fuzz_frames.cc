// libFuzzer target: the failover TCP framing (FrameSplitter) and the messages it yields.
//
// Input layout (all of it chosen by the fuzzer, so chunking is explored like data):
//
//   control(1)  chunk-sizes(n)  stream...
//
//   control bits 0-3  n, the number of chunk-size octets that follow (0..15)
//   control bits 4-6  repeat - 1: the stream is fed `repeat` (1..8) times in a row, so that
//                     inputs of a few KiB still drive the splitter past its 4096-octet
//                     compaction threshold
//   control bit 7     lazy drain: pop frames only after every second feed (and at the end)
//                     instead of after every feed
//   chunk size v      v < 0xF0: v octets (0 is an empty feed); else (v - 0xEF) * 256 octets.
//                     The sizes are used in a cycle; when they are all 0, or n is 0, the
//                     whole stream goes in one feed.
//
// Oracle: the frames popped equal, in order, the frames a straight reading of the whole
// stream finds (2-octet length + body, RFC 5460 §5.1), whatever the chunking; afterwards
// next() has nothing more and consumed + pending() == stream size. Each distinct frame popped
// then goes through check_failover_round_trip() (fuzz_support.h); the input counts as accepted
// when it held at least one frame and every frame decoded. Seeds: tests/fuzz/corpus/frames.
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "fuzz_support.h"
#include "wire/failover_message.h"

namespace {

using failover6::fuzz::fail;
using failover6::fuzz::hex_prefix;
namespace wire = failover6::wire;

/// The frames of @p stream read front to back, and the octets left over after them.
struct Reference {
  std::vector<wire::ByteView> frames;
  std::size_t consumed = 0;
};

Reference split_reference(wire::ByteView stream) {
  Reference ref;
  while (stream.size() - ref.consumed >= 2) {
    std::size_t n = (std::size_t{stream[ref.consumed]} << 8) | stream[ref.consumed + 1];
    if (stream.size() - ref.consumed - 2 < n) break;
    ref.frames.push_back(stream.subspan(ref.consumed + 2, n));
    ref.consumed += 2 + n;
  }
  return ref;
}

std::size_t chunk_size(std::uint8_t v) {
  return v < 0xF0 ? v : static_cast<std::size_t>(v - 0xEF) * 256;
}

void run(wire::ByteView input) {
  failover6::fuzz::verdict(false);
  if (input.empty()) return;
  std::uint8_t control = input[0];
  std::size_t n_sizes = control & 0x0F;
  std::size_t repeat = ((control >> 4) & 0x07) + 1;
  bool lazy = (control & 0x80) != 0;
  if (input.size() < 1 + n_sizes) return;
  wire::ByteView sizes = input.subspan(1, n_sizes);
  wire::ByteView once = input.subspan(1 + n_sizes);

  wire::Bytes stream;
  stream.reserve(once.size() * repeat);
  for (std::size_t i = 0; i < repeat; ++i) stream.insert(stream.end(), once.begin(), once.end());
  Reference ref = split_reference(stream);

  std::size_t cycle = 0;
  for (auto v : sizes) cycle += chunk_size(v);

  wire::FrameSplitter splitter;
  bool all_ok = !ref.frames.empty();
  // A repeated stream repeats its frames; decoding the same octets twice tells nothing new.
  std::unordered_set<std::string_view> checked;
  std::size_t popped = 0;
  std::size_t consumed = 0;
  auto drain = [&] {
    while (auto frame = splitter.next()) {
      if (popped >= ref.frames.size())
        fail("FrameSplitter produced more frames than the stream holds",
             "frame " + std::to_string(popped) + ": " + hex_prefix(*frame) +
                 "\ninput: " + hex_prefix(input));
      wire::ByteView want = ref.frames[popped];
      if (!std::equal(frame->begin(), frame->end(), want.begin(), want.end()))
        fail("FrameSplitter frame differs from the stream's",
             "frame " + std::to_string(popped) + "\ngot:  " + hex_prefix(*frame) +
                 "\nwant: " + hex_prefix(want) + "\ninput: " + hex_prefix(input));
      consumed += 2 + frame->size();
      ++popped;
      std::string_view key(reinterpret_cast<const char*>(want.data()), want.size());
      if (checked.insert(key).second)
        all_ok = failover6::fuzz::check_failover_round_trip(*frame) && all_ok;
    }
  };

  std::size_t fed = 0;
  std::size_t feeds = 0;
  std::size_t next_size = 0;
  while (fed < stream.size()) {
    std::size_t len = stream.size() - fed;
    if (cycle != 0) {
      len = std::min(len, chunk_size(sizes[next_size]));
      next_size = (next_size + 1) % sizes.size();
    }
    splitter.feed(wire::ByteView(stream).subspan(fed, len));
    fed += len;
    ++feeds;
    if (!lazy || feeds % 2 == 0) drain();
  }
  drain();

  if (popped != ref.frames.size() || consumed != ref.consumed)
    fail("FrameSplitter produced fewer frames than the stream holds",
         std::to_string(popped) + " of " + std::to_string(ref.frames.size()) +
             " frames\ninput: " + hex_prefix(input));
  if (consumed + splitter.pending() != stream.size())
    fail("framed octets consumed + pending() != octets fed",
         std::to_string(consumed) + " + " + std::to_string(splitter.pending()) +
             " != " + std::to_string(stream.size()) + "\ninput: " + hex_prefix(input));

  failover6::fuzz::g_accepted = all_ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  run(failover6::wire::ByteView(data, size));
  return 0;
}
