#include "libcore/cli/input.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nl {

LineReader::LineReader(int fd, std::string prefix, size_t max_line)
    : fd_(fd), buf_(std::move(prefix)), max_line_(max_line) {
  bytes_read_ = buf_.size();
}

LineReader::~LineReader() {
  if (fd_ > 0) ::close(fd_);
}

namespace {
constexpr size_t kReadSize = 1 << 18;  // a quarter of the 1 MiB pipe (cli::init)
}  // namespace

bool LineReader::fill() {
  if (eof_) return false;
  if (start_ > 0 && start_ >= buf_.size() / 2) {
    buf_.erase(0, start_);
    start_ = 0;
  }
  size_t old = buf_.size();
  buf_.resize(old + kReadSize);
  ssize_t n;
  do {
    n = ::read(fd_, buf_.data() + old, kReadSize);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    buf_.resize(old);
    error_ = std::strerror(errno);
    eof_ = true;
    return false;
  }
  buf_.resize(old + size_t(n));
  bytes_read_ += uint64_t(n);
  if (n == 0) eof_ = true;
  return n > 0;
}

LineReader::Status LineReader::next(std::string_view& line) {
  size_t scan = start_;
  bool skipping = false;
  for (;;) {
    size_t nl = buf_.find('\n', scan);
    if (nl != std::string::npos) {
      ++line_no_;
      if (skipping) {
        start_ = nl + 1;
        return Status::too_long;
      }
      line = std::string_view(buf_).substr(start_, nl - start_);
      start_ = nl + 1;
      return Status::line;
    }
    if (!skipping && buf_.size() - start_ > max_line_) {
      // Drop what we have of this line and keep looking for its end.
      skipping = true;
    }
    if (skipping) {
      buf_.clear();
      start_ = 0;
    }
    // fill() may move the unread bytes to the front: keep scan relative to start_.
    size_t scanned = buf_.size() - start_;
    bool more = fill();
    scan = start_ + scanned;
    if (!more) {
      if (!error_.empty()) return Status::error;
      if (skipping) {
        ++line_no_;
        return Status::too_long;
      }
      if (start_ < buf_.size()) {  // last line without a newline
        ++line_no_;
        line = std::string_view(buf_).substr(start_);
        start_ = buf_.size();
        return Status::line;
      }
      return Status::end;
    }
  }
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
  // Sniff: read up to 4 bytes (more if the first are whitespace) to choose.
  std::string prefix;
  char c[4096];
  while (prefix.size() < 4) {
    ssize_t n = ::read(fd, c, prefix.empty() ? 4 : 4 - prefix.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      in.error = std::strerror(errno);
      if (fd > 0) ::close(fd);
      return in;
    }
    if (n == 0) break;
    prefix.append(c, size_t(n));
  }
  if (prefix.empty()) {
    // An empty input is an empty stream of records, not an error.
    in.kind = StageInput::Kind::jsonl;
    in.lines = std::make_unique<LineReader>(fd, std::move(prefix));
    return in;
  }
  if (is_capture_magic(reinterpret_cast<const uint8_t*>(prefix.data()), prefix.size())) {
    if (name != "-") {
      ::close(fd);
      OpenResult r = open_capture(name);  // reopen by path to use mmap
      if (r.status != OpenStatus::ok) {
        in.error = r.message;
        return in;
      }
      in.capture = std::move(r.source);
    } else {
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
