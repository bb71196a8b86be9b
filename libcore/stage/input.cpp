#include "libcore/stage/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "libcore/interrupt.hpp"
#include "libcore/cli/common.hpp"

namespace nl {

namespace {
// The whole 1 MiB pipe (cli::init) at once: the writer is woken once per MiB.
// Reading the pipe took 17.6% of a piped tcpflow-reasm's time in 256 KiB reads,
// 15.4% in 1 MiB reads (perf, pcap2pkt F | tcpflow-reasm).
constexpr size_t kReadSize = 1 << 20;
}  // namespace

LineReader::LineReader(int fd, std::string prefix, size_t max_line)
    : fd_(fd), read_size_(std::min(kReadSize, std::max<size_t>(max_line, 4096))), max_line_(max_line) {
  capacity_ = prefix.size() + read_size_;
  buf_ = std::make_unique_for_overwrite<char[]>(capacity_);
  std::memcpy(buf_.get(), prefix.data(), prefix.size());
  size_ = prefix.size();
  bytes_read_ = size_;
}

LineReader::~LineReader() {
  if (fd_ > 0) ::close(fd_);
}

bool LineReader::fill() {
  if (eof_) return false;
  // Unread bytes go to the front when that saves a copy later, and always before
  // the buffer grows: what it holds is then at most one line of max_line bytes
  // (next() stops buffering a longer one) and one read.
  if (start_ > 0 && (start_ >= size_ / 2 || size_ + read_size_ > capacity_)) {
    std::memmove(buf_.get(), buf_.get() + start_, size_ - start_);
    size_ -= start_;
    start_ = 0;
  }
  if (size_ + read_size_ > capacity_) {
    // Doubling, but once past half the most it can need (a line of max_line and
    // a read), straight to that: a step just below it would be copied into the
    // last one, both held at once (a 256 MiB buffer copied into 257 MiB).
    size_t most = max_line_ + read_size_;
    size_t grown = capacity_ * 2 > most / 2 ? most : capacity_ * 2;
    grown = std::max(grown, size_ + read_size_);
    auto bigger = std::make_unique_for_overwrite<char[]>(grown);
    std::memcpy(bigger.get(), buf_.get(), size_);
    buf_ = std::move(bigger);
    capacity_ = grown;
  }
  ssize_t n = read_unless_stopped(fd_, buf_.get() + size_, read_size_);
  if (n < 0 && errno == EINTR) {
    // A stop signal: the input ends here, and a line begun is not a line.
    eof_ = stopped_ = true;
    size_ = start_;
    return false;
  }
  if (n < 0) {
    error_ = std::strerror(errno);
    eof_ = true;
    return false;
  }
  size_ += size_t(n);
  bytes_read_ += uint64_t(n);
  if (n == 0) eof_ = true;
  return n > 0;
}

LineReader::Status LineReader::next(std::string_view& line) {
  size_t scan = start_;
  bool skipping = false;
  for (;;) {
    const auto* found = static_cast<const char*>(std::memchr(buf_.get() + scan, '\n', size_ - scan));
    if (found) {
      size_t nl = size_t(found - buf_.get());
      ++line_no_;
      if (skipping || nl - start_ > max_line_) {  // over the limit however it came in
        start_ = nl + 1;
        return Status::too_long;
      }
      line = view(start_, nl);
      start_ = nl + 1;
      return Status::line;
    }
    if (!skipping && size_ - start_ > max_line_) {
      // Drop what we have of this line and keep looking for its end.
      skipping = true;
    }
    if (skipping) {
      size_ = 0;
      start_ = 0;
    }
    // fill() may move the unread bytes to the front: keep scan relative to start_.
    size_t scanned = size_ - start_;
    bool more = fill();
    scan = start_ + scanned;
    if (!more) {
      if (!error_.empty()) return Status::error;
      if (stopped_) return Status::end;
      if (skipping) {
        ++line_no_;
        return Status::too_long;
      }
      if (size_ - start_ > max_line_) {
        start_ = size_;
        ++line_no_;
        return Status::too_long;
      }
      if (start_ < size_) {  // last line without a newline
        ++line_no_;
        line = view(start_, size_);
        start_ = size_;
        return Status::line;
      }
      return Status::end;
    }
  }
}

void LineProblems::report(const std::string& file, uint64_t line_no, const LineProblem& problem) {
  ++total_;
  ++by_kind_[problem.kind ? problem.kind : "other"];
  auto [it, first] = more_.try_emplace({file, problem.cause}, 0);
  if (first) {
    order_.push_back(it->first);
    cli::error(file, line_no, problem.message.empty() ? problem.cause : problem.message);
  } else {
    ++it->second;
  }
}

void LineProblems::finish() {
  for (const auto& key : order_) {
    uint64_t n = more_[key];
    if (n == 0) continue;
    cli::error(key.first, std::to_string(n) + (n == 1 ? " more line" : " more lines") +
                              " with the same problem (" + key.second + ")");
  }
  order_.clear();
  more_.clear();
}

LineProblem line_too_long_problem() {
  LineProblem p;
  p.set(line_problem::too_long, "line too long, skipped");
  return p;
}

std::string display_name(const std::string& name) { return name == "-" ? "(stdin)" : name; }

StageInput open_stage_input(const std::string& name, bool accept_jsonl) {
  StageInput in;
  in.name = name;
  int fd = 0;
  if (name != "-") {
    fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      in.error = std::strerror(errno);
      return in;
    }
  }
  // Sniff: read up to 4 bytes to choose.
  auto sniff = [&in](int from, std::string& prefix) {
    char c[4];
    while (prefix.size() < 4) {
      ssize_t n = read_unless_stopped(from, c, 4 - prefix.size());
      if (n < 0 && errno == EINTR) {  // a stop signal: an empty input
        prefix.clear();
        break;
      }
      if (n < 0) {
        in.error = std::strerror(errno);
        if (from > 0) ::close(from);
        return false;
      }
      if (n == 0) break;
      prefix.append(c, size_t(n));
    }
    return true;
  };
  std::string prefix;
  if (!sniff(fd, prefix)) return in;
  if (Compression z = compression_of(prefix); z != Compression::none) {
    // Read on through the inflating thread's pipe, and sniff what it gives.
    in.decompressor = std::make_unique<Decompressor>(fd, std::move(prefix), z);
    fd = in.decompressor->out_fd();
    if (fd < 0) {
      in.error = in.decompressor->error();
      return in;
    }
    prefix.clear();
    if (!sniff(fd, prefix)) return in;
  }
  if (prefix.empty()) {
    // An empty input is an empty stream of records, not an error.
    in.kind = StageInput::Kind::jsonl;
    in.lines = std::make_unique<LineReader>(fd, std::move(prefix));
    return in;
  }
  if (is_capture_magic(reinterpret_cast<const uint8_t*>(prefix.data()), prefix.size())) {
    struct stat st;
    if (name != "-" && !in.decompressor && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      ::close(fd);
      OpenResult r = open_capture(name);  // reopen by path to use mmap
      if (r.status != OpenStatus::ok) {
        in.error = r.message;
        return in;
      }
      in.capture = std::move(r.source);
    } else {
      // stdin, or a named pipe (`<(pcap2pkt ...)`): reopening would lose the bytes read.
      OpenResult r = open_capture_fd(fd, std::move(prefix));
      if (r.status != OpenStatus::ok) {
        in.error = r.message;
        return in;
      }
      in.capture = std::move(r.source);
    }
    in.kind = StageInput::Kind::capture;
    return in;
  }
  size_t i = 0;
  while (i < prefix.size() && (prefix[i] == ' ' || prefix[i] == '\t' || prefix[i] == '\n' || prefix[i] == '\r')) ++i;
  bool looks_json = i == prefix.size() || prefix[i] == '{';
  if (accept_jsonl && looks_json) {
    in.kind = StageInput::Kind::jsonl;
    in.lines = std::make_unique<LineReader>(fd, std::move(prefix));
    return in;
  }
  if (fd > 0) ::close(fd);
  in.error = accept_jsonl ? "not a pcap or pcapng file (nor JSON Lines)" : "not a pcap or pcapng file";
  return in;
}

}  // namespace nl
