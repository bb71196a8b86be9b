// The progress line on stderr for long runs over files: bytes read of total,
// packets (or records for JSON Lines input), rate, time left.
//
// When it shows (--progress / --no-progress override; live capture never):
//   auto  stderr is a terminal, stdout is not, and every input is a regular file
//         (so in `pcap2pkt big.pcap | tcpflow-reasm | httpextract` only the first
//         stage, which knows its total, draws; the others read pipes).
//   on    always. On a terminal: one line redrawn with "\r...\x1b[K", cleared at
//         the end. Otherwise: a plain line at most once a second and one at the end.
//   off   never.
// Cost when not shown: one null-pointer test per packet. When shown: a counter per
// packet and a coarse clock read every 1024 packets.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nl::cli {

enum class ProgressMode { automatic, on, off };

// What a progress line says; the pure part, tested on its own.
struct ProgressState {
  std::string name;           // display name of the current input
  size_t input_index = 0;     // 0-based, of input_count
  size_t input_count = 1;
  uint64_t bytes = 0;         // read so far (of all inputs when total covers all)
  uint64_t total = 0;         // 0: unknown
  uint64_t all_bytes = 0;     // read of all inputs, for the rate; 0: same as bytes
  uint64_t packets = 0;
  uint64_t records = 0;       // JSON Lines input
  double elapsed = 0;         // seconds
  bool final = false;         // the line after the end: elapsed time instead of time left
};

// "999 B", "1.00 kB", "12.3 MB", "123 MB", "1.20 GB" (decimal units, 3 significant digits).
std::string format_bytes(uint64_t n);
// "12.3 MB/s"; "-- B/s" when the rate is unknown (no time elapsed).
std::string format_rate(double bytes_per_second);
// "0:05", "12:34", "1:02:03"; "--:--" when unknown (negative or not finite); ">99:59:59" beyond.
std::string format_duration(double seconds);
// The whole line without program name or terminal controls, e.g.
// "big.pcap: 120 MB / 1.20 GB (10%), 123456 packets, 85.3 MB/s, 0:12 left".
std::string format_progress(const ProgressState& s);

class Progress {
 public:
  // `inputs` as given (empty: stdin). Decides whether to show; when not, active() is false.
  Progress(ProgressMode mode, const std::vector<std::string>& inputs, bool live);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool active() const { return active_; }
  // Before reading input `index`.
  void begin_input(size_t index, const std::string& shown);
  // After input `index` ends (also when it failed to open or broke off), with the
  // bytes read from it.
  void end_input(size_t index, uint64_t bytes_read);
  // One packet or one JSON line read; `bytes_read`: of the current input so far.
  void packet(uint64_t bytes_read) {
    cur_bytes_ = bytes_read;
    ++packets_;
    if ((++ticks_ & 1023) == 0) maybe_update();
  }
  void record(uint64_t bytes_read) {
    cur_bytes_ = bytes_read;
    ++records_;
    if ((++ticks_ & 1023) == 0) maybe_update();
  }
  // After the last input: clears the terminal line, or prints the last plain line.
  void finish();

 private:
  void maybe_update();
  void draw(bool final);
  ProgressState state(bool final) const;
  static void clear_hook();

  bool active_ = false;
  bool tty_ = false;
  bool drawn_ = false;        // a line is on the terminal now
  bool finished_ = false;
  size_t width_ = 0;          // terminal columns; 0: unknown
  std::vector<uint64_t> sizes_;  // per input; 0: unknown
  bool total_known_ = false;  // every input's size known up front
  uint64_t total_ = 0;
  uint64_t done_ = 0;         // sizes of the inputs already finished
  uint64_t read_done_ = 0;    // bytes read of the inputs already finished
  size_t index_ = 0;
  std::string name_;
  uint64_t cur_bytes_ = 0;    // read of the current input
  uint64_t packets_ = 0, records_ = 0, ticks_ = 0;
  int64_t start_ns_ = 0, last_ns_ = 0, interval_ns_ = 0;
};

}  // namespace nl::cli
