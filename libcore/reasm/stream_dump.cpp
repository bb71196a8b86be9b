#include "libcore/reasm/stream_dump.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace nl {

namespace {

void endpoint(std::string& out, const IpAddress& a, uint16_t port) {
  char buf[64];
  if (a.family == 4) {
    std::snprintf(buf, sizeof buf, "%03u.%03u.%03u.%03u.%05u", a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3], port);
    out += buf;
  } else {
    append_ip(out, a);
    std::snprintf(buf, sizeof buf, ".%05u", port);
    out += buf;
  }
}

}  // namespace

StreamDumper::StreamDumper(std::string dir, bool threaded) : dir_(std::move(dir)) {
  if (threaded) {
    filling_ = std::make_unique<Batch>();
    batches_ = 1;
    thread_ = std::thread([this] { run(); });
  }
}

StreamDumper::~StreamDumper() {
  stop_thread();
  close_all();
}

void StreamDumper::stop_thread() {
  if (!thread_.joinable()) return;
  if (!filling_->ops.empty()) submit();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_.notify_one();
  thread_.join();
}

bool StreamDumper::write(const SessionView& s, const MonologuePiece& p) {
  if (!thread_.joinable()) return write_now(s.session_no, s.key, p.dir, p.offset, p.data);
  if (failed_.load(std::memory_order_acquire)) return false;
  Batch& b = *filling_;
  b.ops.push_back(Op{s.session_no, s.key, p.offset, b.bytes.size(), p.data.size(), p.dir, false});
  b.bytes.insert(b.bytes.end(), p.data.begin(), p.data.end());
  if (b.bytes.size() >= kBatchBytes || b.ops.size() >= kBatchOps) submit();
  return true;
}

bool StreamDumper::end(const SessionView& s) {
  if (!thread_.joinable()) return end_now(s.session_no);
  if (failed_.load(std::memory_order_acquire)) return false;
  filling_->ops.push_back(Op{s.session_no, FlowKey{}, 0, 0, 0, Dir::c2s, true});
  if (filling_->ops.size() >= kBatchOps) submit();
  return true;
}

void StreamDumper::flush() {
  if (thread_.joinable() && !filling_->ops.empty()) submit();
}

bool StreamDumper::finish() {
  stop_thread();  // everything queued is done: the files are this thread's again
  if (failed_.load()) return false;
  return finish_now();
}

void StreamDumper::submit() {
  std::unique_lock<std::mutex> lock(mutex_);
  full_.push_back(std::move(filling_));
  work_.notify_one();
  if (free_.empty() && batches_ >= kMaxBatches) returned_.wait(lock, [&] { return !free_.empty(); });
  if (!free_.empty()) {
    filling_ = std::move(free_.front());
    free_.pop_front();
  } else {
    filling_ = std::make_unique<Batch>();
    ++batches_;
  }
}

void StreamDumper::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] { return stop_ || !full_.empty(); });
    if (full_.empty()) return;  // stop_, and everything done
    std::unique_ptr<Batch> b = std::move(full_.front());
    full_.pop_front();
    lock.unlock();
    // After an error nothing more is written (error_ stays the first one).
    for (const Op& op : b->ops) {
      if (failed_.load(std::memory_order_relaxed)) break;
      bool ok = op.end ? end_now(op.session_no)
                       : write_now(op.session_no, op.key, op.dir, op.offset, Bytes(b->bytes.data() + op.at, op.len));
      if (!ok) failed_.store(true, std::memory_order_release);
    }
    b->ops.clear();
    b->bytes.clear();
    lock.lock();
    free_.push_back(std::move(b));
    returned_.notify_one();
  }
}

bool StreamDumper::write_now(uint64_t session_no, const FlowKey& key, Dir d, uint64_t offset, Bytes data) {
  Stream& st = streams_[session_no][int(d)];
  if (st.fd < 0) {
    // At the cap, close them all rather than keep an LRU: with few live sessions
    // this never happens, with many it costs what one open per piece would.
    if (open_ >= kMaxOpen && !close_all()) return false;
    st.fd = st.path.empty() ? create_unused(key, d, st.path)
                            : ::open(st.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (st.fd < 0) return fail(st.path);
    ++open_;
  }
  bool continues = offset == st.gathered_at + st.gathered.size();
  if (!st.gathered.empty() && (!continues || st.gathered.size() + data.size() > kGather) && !write_gathered(st))
    return false;
  if (data.size() >= kGather) return write_at(st, data, offset);
  if (st.gathered.empty()) st.gathered_at = offset;
  st.gathered.append(reinterpret_cast<const char*>(data.data()), data.size());
  return true;
}

bool StreamDumper::write_at(Stream& st, Bytes b, uint64_t offset) {
  size_t off = 0;
  while (off < b.size()) {
    ssize_t n = ::pwrite(st.fd, b.data() + off, b.size() - off, off_t(offset + off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      return fail(st.path);
    }
    off += size_t(n);
  }
  return true;
}

bool StreamDumper::write_gathered(Stream& st) {
  bool ok = write_at(st, as_bytes(st.gathered), st.gathered_at);
  st.gathered.clear();
  return ok;
}

bool StreamDumper::end_now(uint64_t session_no) {
  auto it = streams_.find(session_no);
  if (it == streams_.end()) return true;
  bool ok = close_stream(it->second[0]);
  ok = close_stream(it->second[1]) && ok;
  streams_.erase(it);
  return ok;
}

bool StreamDumper::finish_now() {
  bool ok = close_all();
  streams_.clear();
  return ok;
}

bool StreamDumper::fail(const std::string& path) {
  error_ = path + ": write error: " + std::strerror(errno);
  return false;
}

bool StreamDumper::close_stream(Stream& st) {
  if (st.fd < 0) return true;
  bool ok = st.gathered.empty() || write_gathered(st);
  int rc = ::close(st.fd);
  st.fd = -1;
  --open_;
  if (rc != 0 && ok) return fail(st.path);
  return ok;
}

bool StreamDumper::close_all() {
  bool ok = true;
  for (auto& [no, pair] : streams_)
    for (Stream& st : pair) ok = close_stream(st) && ok;
  return ok;
}

int StreamDumper::create_unused(const FlowKey& k, Dir d, std::string& path) const {
  std::string base = dir_ + "/";
  if (d == Dir::c2s) {
    endpoint(base, k.src, k.sport);
    base += '-';
    endpoint(base, k.dst, k.dport);
  } else {
    endpoint(base, k.dst, k.dport);
    base += '-';
    endpoint(base, k.src, k.sport);
  }
  // A reused 5-tuple (or an earlier run) gets c1, c2, ... as tcpflow does. O_EXCL
  // finds the free name in the open itself, without a stat per file.
  path = base;
  for (int i = 1;; ++i) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0 || errno != EEXIST) return fd;
    path.assign(base).append("c").append(std::to_string(i));
  }
}

}  // namespace nl
