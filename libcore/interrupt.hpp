// Stopping a run on SIGINT, SIGTERM and SIGHUP. The first such signal asks the run
// to stop: readers stop reading (a blocking read on a pipe or stdin wakes up), the
// stages end what is open with the reason `interrupted`, the output is flushed in
// whole records, --stats is printed and the binary exits 128 + the signal number.
// A second signal ends the process at once, though not in the middle of a line
// that stdout is being written when avoidable (see begin_stdout_write).
//
// The handlers are async-signal-safe: they store to lock-free atomics, write one
// byte to a pipe that readers poll beside their input, and reset or re-raise.
// Checking for a stop is one relaxed atomic load.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <cstddef>

namespace nl {

namespace interrupt_detail {
extern std::atomic<int> g_signal;    // the first stop signal, 0 while none came
extern std::atomic<bool> g_stop;     // g_signal != 0, as the flag live capture polls
}  // namespace interrupt_detail

// Installs the handlers (sigaction, without SA_RESTART: a blocking read or write
// returns EINTR). Once per process, before any thread starts.
void catch_stop_signals();

// A stop was asked for (a first signal came). One relaxed load.
inline bool stop_requested() { return interrupt_detail::g_stop.load(std::memory_order_relaxed); }
// The flag itself, for code that takes a std::atomic<bool> to poll (live capture).
inline const std::atomic<bool>& stop_flag() { return interrupt_detail::g_stop; }
// The signal that asked for the stop, 0 if none.
inline int stop_signal() { return interrupt_detail::g_signal.load(std::memory_order_relaxed); }

// Live capture runs until a signal: there the stop is its normal end, not an
// interruption. After this call interrupted() stays false.
void stop_is_normal_end();
// The run was cut short by a signal: open sessions and flows end with the
// reason `interrupted` and the binary exits 128 + stop_signal().
bool interrupted();

// read(2) that gives up once a stop is asked for: returns -1 with errno EINTR
// then (and only then; other EINTRs are retried). While the handlers are
// installed it waits in poll() beside the handlers' wake-up pipe, so a read
// blocked on an idle pipe wakes up whichever thread the signal went to.
ssize_t read_unless_stopped(int fd, void* buf, size_t n);
// Called by read_unless_stopped before it waits for an input that has no data
// yet (live output: write the records held). nullptr: none.
void set_before_block_hook(void (*hook)());

// Output::flush brackets its write(2)s with these. A second signal that comes
// meanwhile does not kill the process at once: stdout_write_should_end() then
// returns its exit status (128 + signal) and the writer completes the line it
// is in, then exits with it, or after a second if the line cannot be written
// (stdout's reader stopped reading; SIGALRM). A third signal kills at once.
void begin_stdout_write();
void end_stdout_write();
int stdout_write_should_end();

}  // namespace nl
