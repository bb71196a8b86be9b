#include "libcore/interrupt.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace nl {

namespace interrupt_detail {
std::atomic<int> g_signal{0};
std::atomic<bool> g_stop{false};
}  // namespace interrupt_detail

namespace {

using interrupt_detail::g_signal;
using interrupt_detail::g_stop;

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
int g_wake[2] = {-1, -1};               // written once by the first signal, never drained
std::atomic<bool> g_normal_end{false};  // live capture: a signal is the way it ends
std::atomic<bool> g_in_stdout_write{false};
std::atomic<int> g_end_after_line{0};   // exit status once the line in flight is out
std::atomic<void (*)()> g_before_block{nullptr};

void default_handlers() {
  struct sigaction sa{};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int s : kSignals) ::sigaction(s, &sa, nullptr);
}

// The line in flight could not be written within the second: end anyway.
extern "C" void on_line_timeout(int) { ::_exit(g_end_after_line.load()); }

extern "C" void on_stop_signal(int sig) {
  int saved_errno = errno;
  int none = 0;
  if (g_signal.compare_exchange_strong(none, sig)) {
    g_stop.store(true);
    if (g_wake[1] >= 0) {
      char c = 1;
      (void)!::write(g_wake[1], &c, 1);
    }
    errno = saved_errno;
    return;
  }
  // A second signal: end now. The next one kills whatever happens.
  default_handlers();
  if (g_in_stdout_write.load()) {
    // stdout is being written: let the writer finish its line and exit, within
    // a second (a reader that stopped reading would leave the write blocked).
    g_end_after_line.store(128 + sig);
    struct sigaction sa{};
    sa.sa_handler = on_line_timeout;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGALRM, &sa, nullptr);
    ::alarm(1);
    errno = saved_errno;
    return;
  }
  ::raise(sig);  // delivered, with the default action, when this handler returns
  errno = saved_errno;
}

static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

}  // namespace

void catch_stop_signals() {
  if (g_wake[0] < 0 && ::pipe2(g_wake, O_CLOEXEC | O_NONBLOCK) != 0) g_wake[0] = g_wake[1] = -1;
  struct sigaction sa{};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : kSignals) sigaddset(&sa.sa_mask, s);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  for (int s : kSignals) {
    // A SIGHUP ignored when the process started (nohup) stays ignored. SIGINT and
    // SIGTERM are caught even then, as tcpdump does: a shell without job control
    // starts background jobs with SIGINT ignored, and `tool F & kill -INT $!` in a
    // script must still end the run cleanly.
    struct sigaction old{};
    if (s == SIGHUP && ::sigaction(s, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    ::sigaction(s, &sa, nullptr);
  }
}

void stop_is_normal_end() { g_normal_end.store(true); }

bool interrupted() { return stop_requested() && !g_normal_end.load(); }

void set_before_block_hook(void (*hook)()) { g_before_block.store(hook); }

ssize_t read_unless_stopped(int fd, void* buf, size_t n) {
  for (;;) {
    if (stop_requested()) {
      errno = EINTR;
      return -1;
    }
    if (auto hook = g_before_block.load(std::memory_order_relaxed)) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 0) == 0) hook();  // nothing to read yet: the input is idle
    }
    if (g_wake[0] >= 0) {
      pollfd p[2] = {{fd, POLLIN, 0}, {g_wake[0], POLLIN, 0}};
      int r = ::poll(p, 2, -1);
      if (r < 0 && errno != EINTR) return ::read(fd, buf, n);  // let read() report the problem
      if (r <= 0 || (p[0].revents == 0)) continue;         // woken by the pipe or a signal: look again
    }
    ssize_t got = ::read(fd, buf, n);
    if (got < 0 && errno == EINTR) continue;
    return got;
  }
}

void begin_stdout_write() { g_in_stdout_write.store(true); }
void end_stdout_write() { g_in_stdout_write.store(false); }
int stdout_write_should_end() { return g_end_after_line.load(std::memory_order_relaxed); }

}  // namespace nl
