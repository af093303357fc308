#include "fault/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace failover6::fault {

namespace {

using Clock = std::chrono::steady_clock;

/// Owns a file descriptor.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

std::string errno_text(int err) { return std::strerror(err); }

/// Spawns @p argv with the given fds as 0, 1, 2 (-1: inherit) in its own process group.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& envv,
            int in_fd, int out_fd, int err_fd, const std::string& cwd) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  if (in_fd >= 0) posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
  else posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (out_fd >= 0) posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  // Nothing else of this process (the proxies' sockets, a Python test's files) leaks into the
  // child: a daemon that inherited a proxy's listening socket would keep it accepting.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETPGROUP);
  std::vector<char*> av;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  std::vector<char*> ev;
  for (const auto& e : envv) ev.push_back(const_cast<char*>(e.c_str()));
  ev.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, av[0], &fa, &attr, av.data(), ev.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    throw std::runtime_error("cannot start '" + argv[0] + "': " + errno_text(rc) +
                             (cwd.empty() ? "" : " (cwd " + cwd + ")"));
  return pid;
}

std::vector<std::string> environment(const std::map<std::string, std::string>& extra) {
  for (const auto& [k, v] : extra) {
    if (k.empty() || k.find_first_of(std::string("=\0", 2)) != std::string::npos)
      throw std::invalid_argument("environment variable name '" + k +
                                  "' is empty or holds '=' or NUL");
    if (v.find('\0') != std::string::npos)
      throw std::invalid_argument("environment variable " + k + " holds a NUL character");
  }
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos && extra.count(kv.substr(0, eq)) > 0) continue;
    out.push_back(std::move(kv));
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

int pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

struct Process::State {
  std::mutex mutex;
  bool reaped = false;
  int returncode = 0;
  Fd pidfd;  ///< Readable when the child exits; -1 when pidfd_open is unavailable.
};

Process::Process(const ProcessOptions& options) : state_(std::make_unique<State>()) {
  if (options.argv.empty() || options.argv.front().empty())
    throw std::invalid_argument("Process: argv is empty");
  std::vector<std::string> argv;
  if (!options.netns.empty()) argv = {"ip", "netns", "exec", options.netns};
  argv.insert(argv.end(), options.argv.begin(), options.argv.end());
  command_ = options.argv.front();
  Fd log;
  if (!options.log.empty()) {
    log.fd = ::open(options.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log.fd < 0)
      throw std::runtime_error("Process '" + command_ + "': cannot open log " + options.log + ": " +
                               errno_text(errno));
  }
  pid_ = spawn(argv, environment(options.env), -1, log.fd, log.fd, options.cwd);
  state_->pidfd.fd = pidfd_open(pid_);
}

Process::~Process() {
  try {
    kill();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing to report from a destructor
  }
}

void Process::try_reap_locked() {
  if (state_->reaped) return;
  // Look first without reaping: while the child is a zombie its pid, and so its process
  // group id, cannot be reused, so what is left of its group (helpers it started) can be
  // killed safely before the reap.
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
      info.si_pid == pid_)
    ::kill(-pid_, SIGKILL);
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    state_->reaped = true;
    state_->returncode = decode_status(status);
    state_->pidfd.reset();
  } else if (r < 0 && errno == ECHILD) {  // reaped by someone else (a SIGCHLD handler)
    state_->reaped = true;
    state_->returncode = -1;
    state_->pidfd.reset();
  }
}

bool Process::alive() {
  std::lock_guard lock(state_->mutex);
  try_reap_locked();
  return !state_->reaped;
}

std::optional<int> Process::returncode() {
  std::lock_guard lock(state_->mutex);
  try_reap_locked();
  if (!state_->reaped) return std::nullopt;
  return state_->returncode;
}

bool Process::signal(int sig) {
  std::lock_guard lock(state_->mutex);
  try_reap_locked();
  if (state_->reaped) return false;
  // The group first (the child leads it); the pid alone if it left its group.
  if (::kill(-pid_, sig) != 0) ::kill(pid_, sig);
  return true;
}

std::optional<int> Process::wait(double timeout) {
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(std::max(timeout, 0.0)));
  while (true) {
    int fd = -1;
    {
      std::lock_guard lock(state_->mutex);
      try_reap_locked();
      if (state_->reaped) return state_->returncode;
      fd = state_->pidfd.fd;
    }
    int ms = 1000;
    if (timeout >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      ms = static_cast<int>(std::min<long long>(left + 1, 1000));
    }
    if (fd >= 0) {
      // Bounded poll: another thread may reap and close the fd meanwhile; the next round
      // then sees reaped.
      pollfd p{fd, POLLIN, 0};
      ::poll(&p, 1, std::min(ms, 100));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(ms, 5)));
    }
  }
}

void Process::kill() {
  if (signal(SIGKILL)) wait(-1);
}

int Process::terminate(double timeout) {
  if (signal(SIGTERM)) {
    signal(SIGCONT);
    if (auto rc = wait(timeout)) return *rc;
    kill();
  }
  return returncode().value_or(-1);
}

void Process::pause() {
  if (!signal(SIGSTOP)) throw std::runtime_error("Process '" + command_ + "' has exited");
}

void Process::resume() {
  if (!signal(SIGCONT)) throw std::runtime_error("Process '" + command_ + "' has exited");
}

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input,
                          double timeout) {
  if (argv.empty()) throw std::invalid_argument("run_command: argv is empty");
  int in_pipe[2];
  int out_pipe[2];
  // stdin is a socket pair so that writing to a child that stopped reading fails with EPIPE
  // (MSG_NOSIGNAL) instead of raising SIGPIPE in this process.
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pipe) != 0)
    throw std::runtime_error("socketpair: " + errno_text(errno));
  Fd in_r(in_pipe[0]);
  Fd in_w(in_pipe[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + errno_text(errno));
  Fd out_r(out_pipe[0]);
  Fd out_w(out_pipe[1]);
  pid_t pid = spawn(argv, environment({}), in_r.fd, out_w.fd, out_w.fd, "");
  in_r.reset();
  out_w.reset();
  ::shutdown(in_w.fd, SHUT_RD);
  ::fcntl(in_w.fd, F_SETFL, O_NONBLOCK);
  CommandResult result;
  std::size_t written = 0;
  if (input.empty()) in_w.reset();
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(timeout));
  bool killed = false;
  while (out_r.fd >= 0) {
    pollfd p[2] = {{out_r.fd, POLLIN, 0}, {in_w.fd, POLLOUT, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      ::kill(-pid, SIGKILL);  // its process group: helpers holding the output pipe too
      killed = true;
      break;
    }
    ::poll(p, in_w.fd >= 0 ? 2 : 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (in_w.fd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      auto n = ::send(in_w.fd, input.data() + written, input.size() - written,
                      MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = input.size();  // EPIPE
      if (written >= input.size()) in_w.reset();
    }
    if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      char buf[4096];
      auto n = ::read(out_r.fd, buf, sizeof buf);
      if (n > 0) result.output.append(buf, static_cast<std::size_t>(n));
      else if (n == 0 || (errno != EINTR && errno != EAGAIN)) out_r.reset();
    }
  }
  // The output may end before the child does (it closed stdout): the deadline still holds.
  int status = 0;
  while (!killed) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if (Clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (killed)
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  result.returncode = killed ? -SIGKILL : decode_status(status);
  return result;
}

const std::vector<std::string> FAKETIME_LIBRARY_PATHS = {
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/i386-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.so.1",
};

std::map<std::string, std::string> skew_env(double seconds) {
  if (!std::isfinite(seconds)) throw std::invalid_argument("skew_env: seconds must be finite");
  std::string lib;
  for (const auto& p : FAKETIME_LIBRARY_PATHS)
    if (::access(p.c_str(), R_OK) == 0) {
      lib = p;
      break;
    }
  if (lib.empty()) {
    std::string tried;
    for (const auto& p : FAKETIME_LIBRARY_PATHS) tried += (tried.empty() ? "" : ", ") + p;
    throw std::runtime_error("libfaketime.so.1 not found (install Debian's libfaketime); tried " +
                             tried);
  }
  std::ostringstream offset;
  offset.setf(std::ios::fixed);
  offset.precision(3);
  offset << std::fabs(seconds);
  std::string number = offset.str();  // "2.500": trailing zeros (and a bare dot) go
  number.erase(number.find_last_not_of('0') + 1);
  if (number.back() == '.') number.pop_back();
  offset.str("");
  return {{"LD_PRELOAD", lib}, {"FAKETIME", (seconds < 0 ? "-" : "+") + number + "s"}, {"DONT_FAKE_MONOTONIC", "1"}};
}

}  // namespace failover6::fault
