// failover6::fault::Process: a child process for process faults (kill -9, stop, continue).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace failover6::fault {

/// What to start: the command, its environment additions, where its output goes.
struct ProcessOptions {
  /// The command and its arguments; argv[0] is looked up in PATH.
  std::vector<std::string> argv;
  /// Variables set for the child ON TOP of this process's environment (a value replaces the
  /// inherited one), e.g. skew_env().
  std::map<std::string, std::string> env;
  /// File for stdout and stderr (created, appended to); empty: inherit this process's.
  std::string log;
  /// Network namespace to run in (via `ip netns exec NS`); empty: this one.
  std::string netns;
  /// Working directory; empty: this process's.
  std::string cwd;
};

/// A child started with posix_spawn, in its own process group, with default signal
/// dispositions and an empty signal mask (whatever the parent ignores or blocks), stdin from
/// /dev/null and no other file descriptor of this process than 0, 1 and 2 (the log).
/// Signals go to the child's process group, so helpers it started go with it.
///
/// Thread-safe: wait() may run in one thread while another calls kill() or pause(). A pid
/// is never signalled after it was reaped. When the child is found to have exited (by
/// alive(), returncode(), wait(), kill() ...), whatever is left of its process group is
/// killed (SIGKILL) before the child is reaped, while its pid cannot have been reused. The
/// destructor kills a live child and reaps it, so a Process never leaves a child behind.
///
/// Errors: the constructor throws std::invalid_argument for an empty argv or an environment
/// variable name that is empty or holds '=' (or a NUL anywhere) and
/// std::runtime_error naming the command when the log cannot be opened or the spawn fails
/// (e.g. no such program).
class Process {
 public:
  /// @brief Starts the child.
  explicit Process(const ProcessOptions& options);
  /// Kills (SIGKILL) and reaps a live child.
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// @brief The child's pid (still reported after it was reaped).
  pid_t pid() const { return pid_; }
  /// @brief True until the child has exited (a stopped child is alive).
  bool alive();
  /// @brief The exit status once reaped: the exit code, or -N for death by signal N.
  std::optional<int> returncode();

  /// @brief SIGKILL, then waits for the child and reaps it. Harmless once it has exited.
  void kill();
  /// @brief SIGTERM (and SIGCONT, in case it is stopped), waits up to @p timeout seconds,
  ///        then SIGKILL.
  /// @return the return code (see returncode()).
  int terminate(double timeout = 10);
  /// @brief SIGSTOP. @throws std::runtime_error when the child has exited.
  void pause();
  /// @brief SIGCONT. @throws std::runtime_error when the child has exited.
  void resume();
  /// @brief Waits up to @p timeout seconds (negative: without limit) for the child to exit.
  /// @return the return code, or nullopt when it is still running at the timeout.
  std::optional<int> wait(double timeout);
  /// @brief Sends signal @p sig to the child's process group.
  /// @return false when the child has already been reaped (nothing sent).
  bool signal(int sig);

 private:
  /// Reaps without blocking when the child has exited. Caller holds mutex_.
  void try_reap_locked();

  struct State;
  std::unique_ptr<State> state_;
  pid_t pid_ = -1;
  std::string command_;  ///< argv[0], for error texts.
};

/// Output of run_command().
struct CommandResult {
  int returncode = 0;  ///< As Process::returncode().
  std::string output;  ///< stdout and stderr together.
};

/// @brief Runs @p argv (PATH lookup) to completion with @p input on its stdin (a socket;
///        a command that does not read it all is fine: no SIGPIPE here).
/// @param timeout seconds before the command's process group is killed (its returncode is
///        then -9); it holds even when the command closed its output and kept running.
/// @throws std::runtime_error when it cannot be started.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = "",
                          double timeout = 30);

/// Where skew_env() looks for libfaketime (Debian's multiarch paths first).
extern const std::vector<std::string> FAKETIME_LIBRARY_PATHS;

/// @brief The environment additions that run a child with its wall clock @p seconds ahead
///        (negative: behind): LD_PRELOAD of libfaketime.so.1, FAKETIME="+Ns" / "-Ns", and
///        DONT_FAKE_MONOTONIC=1 so that only the wall clock (CLOCK_REALTIME, time(),
///        gettimeofday()) is skewed, not the timers that run on the monotonic clock.
/// @throws std::runtime_error naming the paths searched when libfaketime is not installed
///         (Debian package "faketime" or "libfaketime").
std::map<std::string, std::string> skew_env(double seconds);

}  // namespace failover6::fault
