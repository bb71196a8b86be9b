#include "libcore/cli/common.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <thread>

#include "libcore/interrupt.hpp"


namespace nl::cli {
namespace {
std::string g_program = "netlines";
void (*g_clear_status)() = nullptr;
bool g_clear_before_stdout = false;

}  // namespace

void write_stderr(const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(2, s.data() + off, s.size() - off);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    off += size_t(n);
  }
}

void set_status_line_hook(void (*clear)(), bool before_stdout) {
  g_clear_status = clear;
  g_clear_before_stdout = clear && before_stdout;
}
void clear_status_line() {
  if (g_clear_status) g_clear_status();
}

void set_program(std::string name) { g_program = std::move(name); }
const std::string& program() { return g_program; }

void error(std::string_view message) {
  clear_status_line();
  write_stderr(g_program + ": " + std::string(message) + "\n");
}
void error(std::string_view file, std::string_view message) {
  clear_status_line();
  write_stderr(g_program + ": " + std::string(file) + ": " + std::string(message) + "\n");
}
void error(std::string_view file, uint64_t record, std::string_view message) {
  clear_status_line();
  write_stderr(g_program + ": " + std::string(file) + ": record " + std::to_string(record) + ": " +
               std::string(message) + "\n");
}

Output& Output::stdout_() {
  static Output out;
  return out;
}

void Output::flush() {
  if (g_clear_before_stdout && !buf_.empty()) g_clear_status();
  // The buffer holds whole records: a second stop signal that comes while it is
  // written lets the line in flight finish (end_after_line) before the exit.
  begin_stdout_write();
  size_t off = 0;
  size_t end = buf_.size();
  while (off < end) {
    ssize_t n = ::write(1, buf_.data() + off, end - off);
    if (n < 0) {
      if (errno == EINTR) {
        n = 0;
      } else {
        end_stdout_write();
        if (errno == EPIPE) {  // reader closed the pipe: a normal end
          clear_status_line();
          std::_Exit(kExitOk);
        }
        error(std::string("write error: ") + std::strerror(errno));
        std::_Exit(kExitInput);
      }
    }
    off += size_t(n);
    if (int status = stdout_write_should_end(); status && end == buf_.size()) {
      // Up to the end of the line being written, if one is begun, then stop.
      if (off == 0 || buf_[off - 1] == '\n') std::_Exit(status);
      size_t nl = buf_.find('\n', off);
      end = nl == std::string::npos ? buf_.size() : nl + 1;
    }
  }
  end_stdout_write();
  if (int status = stdout_write_should_end()) std::_Exit(status);
  buf_.clear();
  held_since_ms_ = -1;
}

namespace {
int64_t coarse_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &t);  // vDSO, a few ns: fine per record
  return int64_t(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}
std::thread::id g_stdout_thread;
void on_input_blocks() { Output::stdout_().input_idle(); }
}  // namespace

bool Output::due() {
  if (buf_.empty()) return false;
  int64_t now = coarse_ms();
  if (held_since_ms_ < 0) held_since_ms_ = now;
  return now - held_since_ms_ >= 1000;
}

void Output::set_live(bool on) {
  live_ = on;
  held_since_ms_ = -1;
  g_stdout_thread = std::this_thread::get_id();
  // A read from a pipe that would wait first writes what is held.
  set_before_block_hook(on ? on_input_blocks : nullptr);
}

void Output::input_idle() {
  if (live_ && !buf_.empty() && std::this_thread::get_id() == g_stdout_thread) flush();
}

void Output::finish() {
  flush();
  if (::close(1) != 0 && errno != EBADF) {
    if (errno == EPIPE) {
      clear_status_line();
      std::_Exit(kExitOk);
    }
    error(std::string("write error: ") + std::strerror(errno));
    std::_Exit(kExitInput);
  }
}

namespace {

// Stages talk through pipes of 64 KiB by default: every fill wakes the reader and
// every drain the writer, which costs more than the copying on virtual machines.
// A 1 MiB pipe (the default limit for unprivileged processes) cuts that 16 times.
void grow_pipe(int fd) {
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) (void)::fcntl(fd, F_SETPIPE_SZ, 1 << 20);
}

// Monologue and body buffers of up to a few MiB come and go all the time. With
// glibc's defaults the larger ones are mmapped and unmapped, or the heap top is
// trimmed and grown again, so every reuse faults fresh pages in: 40k faults and
// about 8% of tcpflow-reasm's time on 2 GB of pkt lines (8k faults with these
// settings). Peak memory hardly moves (39 MiB; the caps bound what is held).
void keep_freed_memory() {
#ifdef M_MMAP_THRESHOLD
  (void)::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  (void)::mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

}  // namespace

void init(int, char**, std::string name) {
  set_program(std::move(name));
  keep_freed_memory();
  std::signal(SIGPIPE, SIG_IGN);
  catch_stop_signals();
  grow_pipe(0);
  grow_pipe(1);
}

}  // namespace nl::cli

namespace nl::cli {

int exit_status(int status) {
  if (!interrupted()) return status;
  error("interrupted");
  return 128 + stop_signal();
}

bool parse_size(const std::string& s, uint64_t& out) {
  if (s.empty()) return false;
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + uint64_t(s[i++] - '0');
  }
  if (i == 0) return false;
  int shift = 0;
  if (i < s.size()) {
    switch (s[i]) {
      case 'k': case 'K': shift = 10; break;
      case 'm': case 'M': shift = 20; break;
      case 'g': case 'G': shift = 30; break;
      default: return false;
    }
    ++i;
    if (i < s.size() && (s[i] == 'i' || s[i] == 'I')) ++i;
    if (i < s.size() && (s[i] == 'b' || s[i] == 'B')) ++i;
  }
  if (i != s.size()) return false;
  if (shift && v > (UINT64_MAX >> shift)) return false;
  out = v << shift;
  return true;
}

}  // namespace nl::cli
