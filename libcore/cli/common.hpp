// What every binary shares: exit statuses, diagnostics on stderr in the form
// "tool: file: record N: message", a buffered stdout that ends quietly on a
// closed pipe and reports write errors. Option parsing: options.hpp.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace nl::cli {

constexpr int kExitOk = 0;
constexpr int kExitInput = 1;   // input problems, write errors
constexpr int kExitUsage = 2;
// And 128 + the signal number for a run that SIGHUP (129), SIGINT (130) or
// SIGTERM (143) stopped, after its end records, its output and its --stats
// (exit_status below, libcore/interrupt.hpp).

void set_program(std::string name);
const std::string& program();

// A line drawn on the terminal and redrawn in place (the progress line) registers
// how to clear it: error() clears it first, and Output::flush() too when
// before_stdout (stdout is that terminal). nullptr unregisters.
void set_status_line_hook(void (*clear)(), bool before_stdout);
void clear_status_line();

// Writes `text` to stderr as it is (no program name).
void write_stderr(const std::string& text);
// "tool: message" on stderr.
void error(std::string_view message);
// "tool: file: message" on stderr.
void error(std::string_view file, std::string_view message);
// "tool: file: record N: message" on stderr.
void error(std::string_view file, uint64_t record, std::string_view message);

// stdout through one large buffer. On EPIPE the process exits 0 at once, quietly
// (the reader is gone, as with `| head`); on any other write error it prints
// "tool: write error: ..." and exits 1.
class Output {
 public:
  static Output& stdout_();
  std::string& buffer() { return buf_; }
  // Call after each record: writes out once the buffer is large, or (live) once
  // its oldest record is a second old, or (line-buffered) at once.
  void maybe_flush() {
    if (buf_.size() >= kFlushAt || line_buffered_ || (live_ && due())) flush();
  }
  void flush();
  // Flush and close stdout, checking for errors (coreutils' close_stdout).
  void finish();

  // Live output, for a reader waiting on records as they happen: what is held is
  // written when the input goes idle (input_idle) and at least once a second
  // (maybe_flush, tick). Set by the stage runtime; a sensor's records then never
  // wait for 256 KiB of others.
  void set_live(bool on);
  void set_line_buffered(bool on) { line_buffered_ = on; }
  bool live() const { return live_; }
  // Live: the input has nothing more for now. Writes what is held, on the thread
  // that owns stdout only (a reading thread's idle wait is not a record boundary).
  void input_idle();
  // Live: writes what is held once it has waited a second (between packets that
  // make no record).
  void tick() {
    if (live_ && due()) flush();
  }

 private:
  static constexpr size_t kFlushAt = 1 << 18;
  bool due();  // live: records held for a second or more
  std::string buf_;
  bool live_ = false, line_buffered_ = false;
  int64_t held_since_ms_ = -1;  // coarse monotonic ms of the oldest record held; -1: none
};

// Installs SIGPIPE=ignore (so EPIPE is seen as an error code), the handlers of
// SIGINT, SIGTERM and SIGHUP (catch_stop_signals) and the program name.
void init(int argc, char** argv, std::string name);

// What main returns: `status`, or when a signal cut the run short, 128 + the
// signal number after "tool: interrupted" on stderr. Call last, after --stats.
int exit_status(int status);

}  // namespace nl::cli

namespace nl::cli {
// "1048576", "64k", "1M", "2G" (binary multiples). False on anything else.
bool parse_size(const std::string& s, uint64_t& out);
}  // namespace nl::cli
