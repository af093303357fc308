// A stand-in for libFuzzer's main(): runs one fuzz target (linked in beside this file) over
// every file in the given files and directories, so the seed corpus and the regression inputs
// are checked by ctest in every build, with any compiler and with or without sanitizers.
//
// Usage: fuzz_replay_<target> [-v] [--seeds] PATH... [--any PATH...]
//   PATH     a file, or a directory searched recursively (dot-files are skipped)
//   --seeds  the inputs under the following paths are seeds with a known verdict: a file whose
//            name starts with "reject-" must be rejected by the codec (the malformed-input
//            policy at its boundaries), every other file must be accepted
//   --any    the inputs under the following paths may be accepted or rejected (the default);
//            they must only not crash, which is what the target checks
//   -v       print each input with its verdict, and the DecodeError of rejected ones
//
// A broken invariant stops the process inside the target (fuzz_support.h fail()); a signal
// handler and the ASan error hook print which input was running first. Exit status: 0 when
// every input ran and every seed got its expected verdict, 1 when one did not, 2 on a usage or
// file error.
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

/// The input being run, for the crash reporters (fixed storage: read from a signal handler).
char g_current[4096] = "";

void say_current() {
  static constexpr char PREFIX[] = "\nreplay: crashed while running ";
  ssize_t rc = ::write(STDERR_FILENO, PREFIX, sizeof(PREFIX) - 1);
  rc = ::write(STDERR_FILENO, g_current, std::strlen(g_current));
  rc = ::write(STDERR_FILENO, "\n", 1);
  (void)rc;
}

struct sigaction g_previous[32];

/// Names the input, then puts the previous handler back and returns: a fault re-executes into
/// that handler (the sanitizer's, or the default one), abort() raises again.
void on_signal(int sig) {
  say_current();
  sigaction(sig, &g_previous[sig], nullptr);
}

void install_crash_reporter() {
  for (int sig : {SIGILL, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP}) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, &g_previous[sig]);
  }
}

/// What an input's verdict must be.
enum class Expect { Any, Accept, Reject };

struct Input {
  fs::path path;
  Expect expect = Expect::Any;
};

Expect expectation(const fs::path& p, bool seeds) {
  if (!seeds) return Expect::Any;
  return p.filename().string().starts_with("reject-") ? Expect::Reject : Expect::Accept;
}

bool collect(const fs::path& root, bool seeds, std::vector<Input>& out) {
  std::error_code ec;
  if (fs::is_regular_file(root, ec)) {
    out.push_back({root, expectation(root, seeds)});
    return true;
  }
  if (!fs::is_directory(root, ec)) {
    std::fprintf(stderr, "replay: %s: not a file or directory\n", root.c_str());
    return false;
  }
  std::vector<Input> found;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->path().filename().string().starts_with(".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) found.push_back({it->path(), expectation(it->path(), seeds)});
  }
  if (ec) {
    std::fprintf(stderr, "replay: %s: %s\n", root.c_str(), ec.message().c_str());
    return false;
  }
  std::sort(found.begin(), found.end(),
            [](const Input& a, const Input& b) { return a.path < b.path; });
  out.insert(out.end(), found.begin(), found.end());
  return true;
}

bool read_file(const fs::path& p, std::vector<std::uint8_t>& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

/// Called by AddressSanitizer before it prints a report (a weak hook in its runtime).
extern "C" void __asan_on_error() { say_current(); }

int main(int argc, char** argv) {
  std::string name = fs::path(argv[0]).filename().string();
  std::vector<Input> inputs;
  bool seeds = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-v") {
      failover6::fuzz::g_explain = true;
    } else if (arg == "--seeds") {
      seeds = true;
    } else if (arg == "--any") {
      seeds = false;
    } else if (arg == "-h" || arg == "--help") {
      std::printf("usage: %s [-v] [--seeds] PATH... [--any PATH...]\n", name.c_str());
      return 0;
    } else if (!collect(arg, seeds, inputs)) {
      return 2;
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "%s: no inputs (usage: %s [-v] [--seeds] PATH... [--any PATH...])\n",
                 name.c_str(), name.c_str());
    return 2;
  }

  install_crash_reporter();
  std::size_t accepted = 0;
  std::vector<std::string> wrong_verdicts;
  std::vector<std::uint8_t> data;
  for (const auto& in : inputs) {
    std::snprintf(g_current, sizeof(g_current), "%s", in.path.c_str());
    if (!read_file(in.path, data)) {
      std::fprintf(stderr, "%s: cannot read %s\n", name.c_str(), in.path.c_str());
      return 2;
    }
    failover6::fuzz::g_accepted = false;
    failover6::fuzz::g_reason.clear();
    LLVMFuzzerTestOneInput(data.data(), data.size());
    bool ok = failover6::fuzz::g_accepted;
    accepted += ok ? 1 : 0;
    if ((in.expect == Expect::Accept && !ok) || (in.expect == Expect::Reject && ok))
      wrong_verdicts.push_back(std::string(ok ? "accepted" : "rejected") + " " +
                               in.path.string());
    if (failover6::fuzz::g_explain)
      std::printf("%-8s %6zu  %s%s%s\n", ok ? "accept" : "reject", data.size(),
                  in.path.c_str(), ok || failover6::fuzz::g_reason.empty() ? "" : "  -- ",
                  ok ? "" : failover6::fuzz::g_reason.c_str());
  }
  std::printf("%s: %zu inputs, %zu accepted, %zu rejected\n", name.c_str(), inputs.size(),
              accepted, inputs.size() - accepted);
  for (const auto& w : wrong_verdicts)
    std::printf("%s: FAIL: seed %s (a seed named reject-* must be rejected, any other "
                "accepted)\n", name.c_str(), w.c_str());
  return wrong_verdicts.empty() ? 0 : 1;
}
