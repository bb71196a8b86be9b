#include "libcore/cli/progress.hpp"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>

#include "libcore/cli/common.hpp"

namespace nl::cli {
namespace {

constexpr int64_t kTtyIntervalNs = 250'000'000;     // redraw at most 4 times a second
constexpr int64_t kPlainIntervalNs = 1'000'000'000;  // a plain line at most once a second

Progress* g_active = nullptr;  // the one whose line error() must clear

int64_t now_ns() {
  timespec ts{};
#ifdef CLOCK_MONOTONIC_COARSE
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
  clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
  return int64_t(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    off += size_t(n);
  }
}

// Size of a regular file; 0 when unknown (pipe, terminal, missing).
uint64_t regular_size(const std::string& name) {
  struct stat st;
  int r = name == "-" ? ::fstat(0, &st) : ::stat(name.c_str(), &st);
  if (r != 0 || !S_ISREG(st.st_mode)) return 0;
  return uint64_t(st.st_size);
}

bool is_regular(const std::string& name) {
  struct stat st;
  int r = name == "-" ? ::fstat(0, &st) : ::stat(name.c_str(), &st);
  return r == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::string format_bytes(uint64_t n) {
  static const char* const kUnits[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
  if (n < 1000) return std::to_string(n) + " B";
  double v = double(n);
  int u = -1;
  while (v >= 999.5 && u < 5) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  // Three significant digits; rounding up may reach the next unit ("999.7 kB" -> "1.00 MB").
  if (v < 9.995) std::snprintf(buf, sizeof buf, "%.2f %s", v, kUnits[u]);
  else if (v < 99.95) std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  else std::snprintf(buf, sizeof buf, "%.0f %s", v, kUnits[u]);
  return buf;
}

std::string format_rate(double bytes_per_second) {
  if (!(bytes_per_second >= 0) || !std::isfinite(bytes_per_second)) return "-- B/s";
  if (bytes_per_second >= 1.8e19) return format_bytes(UINT64_MAX) + "/s";
  return format_bytes(uint64_t(bytes_per_second + 0.5)) + "/s";
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) return "--:--";
  if (seconds >= 100.0 * 3600) return ">99:59:59";
  uint64_t s = uint64_t(seconds + 0.5);
  char buf[32];
  if (s < 3600) std::snprintf(buf, sizeof buf, "%u:%02u", unsigned(s / 60), unsigned(s % 60));
  else std::snprintf(buf, sizeof buf, "%u:%02u:%02u", unsigned(s / 3600), unsigned(s / 60 % 60), unsigned(s % 60));
  return buf;
}

std::string format_progress(const ProgressState& s) {
  std::string out = s.name;
  if (s.input_count > 1)
    out += " (" + std::to_string(s.input_index + 1) + "/" + std::to_string(s.input_count) + ")";
  out += ": " + format_bytes(s.bytes);
  if (s.total) {
    uint64_t pct = s.bytes >= s.total ? 100 : uint64_t(double(s.bytes) * 100 / double(s.total));
    out += " / " + format_bytes(s.total) + " (" + std::to_string(pct) + "%)";
  }
  if (s.packets || !s.records) out += ", " + std::to_string(s.packets) + (s.packets == 1 ? " packet" : " packets");
  if (s.records) out += ", " + std::to_string(s.records) + (s.records == 1 ? " record" : " records");
  double rate = s.elapsed > 0 ? double(s.all_bytes ? s.all_bytes : s.bytes) / s.elapsed : -1;
  out += ", " + format_rate(rate);
  if (s.final) {
    out += ", " + format_duration(s.elapsed) + " elapsed";
  } else if (s.total) {
    double left = s.bytes >= s.total ? 0 : rate > 0 ? double(s.total - s.bytes) / rate : -1;
    out += ", " + format_duration(left) + " left";
  }
  return out;
}

Progress::Progress(ProgressMode mode, const std::vector<std::string>& inputs, bool live) {
  if (live || mode == ProgressMode::off) return;
  tty_ = ::isatty(2) == 1;
  if (mode == ProgressMode::automatic && (!tty_ || ::isatty(1) == 1)) return;
  std::vector<std::string> names = inputs;
  if (names.empty()) names.push_back("-");
  bool all_regular = true;
  sizes_.reserve(names.size());
  for (const std::string& n : names) {
    sizes_.push_back(regular_size(n));
    all_regular = all_regular && is_regular(n);
  }
  if (mode == ProgressMode::automatic && !all_regular) return;
  active_ = true;
  total_known_ = all_regular;
  for (uint64_t s : sizes_) total_ += s;
  if (tty_) {
    winsize ws{};
    if (::ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) width_ = ws.ws_col;
    g_active = this;
    set_status_line_hook(&Progress::clear_hook, ::isatty(1) == 1);
  }
  interval_ns_ = tty_ ? kTtyIntervalNs : kPlainIntervalNs;
  start_ns_ = last_ns_ = now_ns();
}

Progress::~Progress() {
  if (!active_) return;
  finish();
}

void Progress::clear_hook() {
  Progress* p = g_active;
  if (!p || !p->drawn_) return;
  p->drawn_ = false;
  write_all(2, "\r\x1b[K");
}

void Progress::begin_input(size_t index, const std::string& shown) {
  if (!active_) return;
  index_ = index;
  name_ = shown;
  cur_bytes_ = 0;
  // On a terminal, show at once which input is being read.
  if (tty_) draw(false);
}

void Progress::end_input(size_t index, uint64_t bytes_read) {
  if (!active_) return;
  if (index < sizes_.size()) done_ += sizes_[index];
  read_done_ += bytes_read;
  cur_bytes_ = 0;
}

ProgressState Progress::state(bool final) const {
  ProgressState s;
  s.name = name_;
  s.input_index = index_;
  s.input_count = sizes_.size();
  uint64_t cur = cur_bytes_;
  if (total_known_) {
    s.bytes = done_ + cur;
    s.total = total_;
  } else if (final) {
    s.bytes = read_done_;  // all inputs; their total was not known
  } else {
    // Some size unknown: this input's bytes only, of its size if known.
    s.bytes = cur;
    s.total = index_ < sizes_.size() ? sizes_[index_] : 0;
    s.all_bytes = read_done_ + cur;
  }
  s.packets = packets_;
  s.records = records_;
  s.elapsed = double(now_ns() - start_ns_) / 1e9;
  s.final = final;
  return s;
}

void Progress::maybe_update() {
  int64_t now = now_ns();
  if (now - last_ns_ < interval_ns_) return;
  last_ns_ = now;
  draw(false);
}

void Progress::draw(bool final) {
  std::string text = program() + ": " + format_progress(state(final));
  if (tty_) {
    // Longer than the terminal is wide, the line would wrap and "\r" not redraw it.
    if (width_ > 1 && text.size() > width_ - 1) text.resize(width_ - 1);
    write_all(2, "\r" + text + "\x1b[K");
    drawn_ = true;
  } else {
    write_all(2, text + "\n");
  }
}

void Progress::finish() {
  if (!active_ || finished_) return;
  finished_ = true;
  if (tty_) {
    clear_hook();
    set_status_line_hook(nullptr, false);
    g_active = nullptr;
  } else {
    draw(true);
  }
}

}  // namespace nl::cli
