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

StreamDumper::~StreamDumper() { close_all(); }

bool StreamDumper::write(const SessionView& s, const MonologuePiece& p) {
  Stream& st = streams_[s.session_no][int(p.dir)];
  if (st.fd < 0) {
    // At the cap, close them all rather than keep an LRU: with few live sessions
    // this never happens, with many it costs what one open per piece would.
    if (open_ >= kMaxOpen && !close_all()) return false;
    st.fd = st.path.empty() ? create_unused(s.key, p.dir, st.path)
                            : ::open(st.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (st.fd < 0) return fail(st.path);
    ++open_;
  }
  bool continues = p.offset == st.gathered_at + st.gathered.size();
  if (!st.gathered.empty() && (!continues || st.gathered.size() + p.data.size() > kGather) && !write_gathered(st))
    return false;
  if (p.data.size() >= kGather) return write_at(st, p.data, p.offset);
  if (st.gathered.empty()) st.gathered_at = p.offset;
  st.gathered.append(reinterpret_cast<const char*>(p.data.data()), p.data.size());
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

bool StreamDumper::end(const SessionView& s) {
  auto it = streams_.find(s.session_no);
  if (it == streams_.end()) return true;
  bool ok = close_stream(it->second[0]);
  ok = close_stream(it->second[1]) && ok;
  streams_.erase(it);
  return ok;
}

bool StreamDumper::finish() {
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
