#include "cli/finish_hooks.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

#include "cli/notify_url.h"
#include "cli/run_parts.h"
#include "cli/stop_signals.h"

extern char** environ;

namespace reelq {

namespace {

using SteadyClock = std::chrono::steady_clock;

// In the child, between fork and exec: only async-signal-safe calls. The hook gets the JSON on its
// stdin, writes to reelq's stderr (reelq's stdout may be JSON lines), leads a process group of its
// own (so a timeout kills what it started too), and holds none of reelq's files (the queue, the
// run lock).
[[noreturn]] void exec_hook(int stdin_fd, const char* command, char* const* envp) {
  setpgid(0, 0);
  dup2(stdin_fd, 0);
  dup2(2, 1);
  close_range(3, ~0U, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);  // reelq ignores it; the hook's own pipelines expect the default
  const char* argv[] = {"sh", "-c", command, nullptr};
  execve("/bin/sh", const_cast<char* const*>(argv), envp);
  _exit(127);
}

// Waits for `pid` until `deadline`, or until a Ctrl-C (the hook leads its own process group, so
// the terminal's signal reaches only reelq); kills its process group then. The wait status, or -1
// when killed.
int wait_or_kill(pid_t pid, SteadyClock::time_point deadline) {
  int status = 0;
  const int stops = stop_requests().load();
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (SteadyClock::now() >= deadline || stop_requests().load() > stops) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);  // in case it ended before setpgid ran
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status;
}

// Starts the hook with the report on its stdin; its pid, or -1 (said on `err`) when it cannot start.
pid_t start_command(const FinishHooks& hooks, const FinishReport& report, const std::vector<std::string>& keys,
                    std::ostream& err) {
  // Everything allocated before fork: after it, in the child, only async-signal-safe calls.
  // The webhook's URL is a secret like the key (its path or password is what lets one post): no
  // variable that holds it reaches the hook, whatever its name.
  std::vector<std::string> secrets = keys;
  if (!hooks.notify_url.empty()) {
    secrets.push_back(hooks.notify_url);
  }
  std::vector<std::string> env = hook_environment(environ, secrets, finish_variables(report));
  std::vector<char*> envp;
  for (auto& e : env) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    fmt::print(err, "reelq: --on-finish: cannot start the command: {}\n", std::strerror(errno));
    return -1;
  }
  pid_t pid = fork();
  if (pid == 0) {
    exec_hook(fds[0], hooks.on_finish.c_str(), envp.data());
  }
  close(fds[0]);
  if (pid < 0) {
    close(fds[1]);
    fmt::print(err, "reelq: --on-finish: cannot start the command: {}\n", std::strerror(errno));
    return -1;
  }
  // Far below a pipe's buffer, so this never waits on a hook that does not read; one that exits
  // first makes it fail with EPIPE (SIGPIPE is ignored), which is fine.
  std::string json = finish_json(report) + "\n";
  [[maybe_unused]] ssize_t n = write(fds[1], json.data(), json.size());
  close(fds[1]);
  return pid;
}

// Waits for the hook until `deadline` (killing it then) and says on `err` how it ended, if badly.
void finish_command(pid_t pid, SteadyClock::time_point deadline, int timeout_s, std::ostream& err) {
  const int stops = stop_requests().load();
  int status = wait_or_kill(pid, deadline);
  if (status == -1) {
    fmt::print(err, "reelq: --on-finish: the command was still running after {} and was killed\n",
               stop_requests().load() > stops ? "a stop" : fmt::format("{} s", timeout_s));
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    fmt::print(err, "reelq: --on-finish: the command exited with status {}\n", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    fmt::print(err, "reelq: --on-finish: the command was ended by signal {}\n", WTERMSIG(status));
  }
}

// POSTs the report; a server that has not answered by `deadline`, or by a stop, is abandoned
// (abort_calls).
void notify(const FinishHooks& hooks, const FinishReport& report, SteadyClock::time_point deadline, std::ostream& err) {
  auto target = parse_notify_url(hooks.notify_url);
  if (!target) {  // checked when the run started; kept for a caller that did not
    fmt::print(err, "reelq: {}\n", target.error().message);
    return;
  }
  auto transport = make_transport(hooks.ca_file);
  HttpRequest request{"POST", target->url, {{"Content-Type", "application/json"}}, finish_json(report), ""};
  if (!target->authorization.empty()) {
    request.headers.emplace_back("Authorization", target->authorization);
  }
  HttpResponse response;
  std::thread sender([&] { response = transport->send(request); });
  bool timed_out = false;
  // The transport's own timeouts are longer than a hook's; wake every 20 ms to keep ours.
  std::atomic<bool> done = false;
  const int stops = stop_requests().load();
  std::thread watch([&] {
    while (!done && SteadyClock::now() < deadline && stop_requests().load() == stops) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!done) {
      timed_out = true;
      transport->abort_calls();
    }
  });
  sender.join();
  done = true;
  watch.join();
  const std::string& origin = target->origin;
  if (timed_out) {
    fmt::print(err, "reelq: --notify: {} did not answer {}; abandoned\n", origin,
               stop_requests().load() > stops ? "before a stop" : fmt::format("within {} s", hooks.timeout_s));
  } else if (response.wire != WireOutcome::answered) {
    fmt::print(err, "reelq: --notify: {}: {}\n", origin, without_secrets(response.error, hooks.notify_url));
  } else if (response.status < 200 || response.status > 299) {
    fmt::print(err, "reelq: --notify: {} answered HTTP {}\n", origin, response.status);
  }
}

}  // namespace

Status check_finish_hooks(const FinishHooks& hooks) {
  if (hooks.notify_url.empty()) {
    return ok_status();
  }
  auto target = parse_notify_url(hooks.notify_url);
  if (!target) {
    return target.error();
  }
  return ok_status();
}

void run_finish_hooks(const FinishHooks& hooks, const FinishReport& report, const std::vector<std::string>& keys,
                      std::ostream& err) {
  // One deadline for both, run side by side: a hook that hangs neither holds the webhook back nor
  // doubles the wait (a trial waited for one, then the other).
  const auto deadline = SteadyClock::now() + std::chrono::seconds(hooks.timeout_s);
  // The hook is forked before the webhook's threads exist: a fork copies only the calling thread,
  // and a lock another thread held would stay held in the child.
  pid_t pid = -1;
  std::ostringstream hook_err;  // each one's lines apart, written once both are done
  if (!hooks.on_finish.empty()) {
    pid = start_command(hooks, report, keys, hook_err);
  }
  std::ostringstream notify_err;
  std::thread sender;
  if (!hooks.notify_url.empty()) {
    sender = std::thread([&] { notify(hooks, report, deadline, notify_err); });
  }
  if (pid > 0) {
    finish_command(pid, deadline, hooks.timeout_s, hook_err);
  }
  if (sender.joinable()) {
    sender.join();
  }
  err << hook_err.str() << notify_err.str();
}

}  // namespace reelq
