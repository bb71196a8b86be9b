// Live capture through libpcap: pcap_create + options + pcap_activate, then
// non-blocking pcap_dispatch in a loop that checks the stop flag between batches
// and waits in poll() for at most 100 ms: a stop request is seen within that time
// even when no traffic arrives.
#include "libcore/capture/live.hpp"

#include <pcap/pcap.h>

#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

namespace nl {
namespace {

struct LiveContext {
  const std::function<void(const Packet&)>* on_packet;
  const std::atomic<bool>* stop;
  pcap_t* handle;
  Packet pkt;
  bool nsec = false;
  int64_t count = 0;
  int64_t seen = 0;
};

void on_pcap_packet(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
  auto* c = reinterpret_cast<LiveContext*>(user);
  Packet& p = c->pkt;
  p.number = uint64_t(++c->seen);
  p.ts.sec = int64_t(h->ts.tv_sec);
  p.ts.nsec = c->nsec ? uint32_t(h->ts.tv_usec) : uint32_t(h->ts.tv_usec) * 1000u;
  p.ts.digits = c->nsec ? 9 : 6;
  p.caplen = h->caplen;
  p.origlen = h->len;
  p.data = Bytes(bytes, h->caplen);
  (*c->on_packet)(p);
  // pcap_breakloop is safe here: same thread, inside the dispatch.
  if ((c->count > 0 && c->seen >= c->count) || c->stop->load(std::memory_order_relaxed))
    pcap_breakloop(c->handle);
}

// Messages in the spirit of tcpdump's, with libpcap's detail in parentheses.
std::string activate_error(const std::string& dev, int rc, pcap_t* p) {
  std::string detail = pcap_geterr(p);
  std::string what;
  switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE: what = "No such device exists"; break;
    case PCAP_ERROR_PERM_DENIED: what = "you don't have permission to capture on that device"; break;
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      what = "you don't have permission to capture in promiscuous mode on that device";
      break;
    case PCAP_ERROR_IFACE_NOT_UP: what = "that device is not up"; break;
    case PCAP_ERROR_RFMON_NOTSUP: what = "that device doesn't support monitor mode"; break;
    case PCAP_ERROR: return dev + ": " + (detail.empty() ? "capture failed" : detail);
    default: what = pcap_statustostr(rc); break;
  }
  if (!detail.empty() && detail != what) what += " (" + detail + ")";
  return dev + ": " + what;
}

int64_t monotonic_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
  return int64_t(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

// Whether the device is up, looked at every 100 ms: libpcap goes on silently
// when a device taken down comes back, and a sensor's reader should know that
// packets were missed. Each change is told once.
class InterfaceWatch {
 public:
  InterfaceWatch(std::string dev, const std::function<void(const std::string&)>& notice)
      : dev_(std::move(dev)), notice_(notice), fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~InterfaceWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  void check() {
    if (fd_ < 0 || dev_.size() >= IFNAMSIZ || dev_ == "any") return;
    ifreq r{};
    std::memcpy(r.ifr_name, dev_.data(), dev_.size());
    if (::ioctl(fd_, SIOCGIFFLAGS, &r) != 0) return;  // gone: libpcap's error tells
    bool up = (r.ifr_flags & IFF_UP) && (r.ifr_flags & IFF_RUNNING);  // down, or no carrier
    if (up != up_ && notice_) notice_("capture on " + dev_ + ": " + (up ? "interface up again" : "interface down"));
    up_ = up;
  }

 private:
  std::string dev_;
  const std::function<void(const std::string&)>& notice_;
  int fd_;
  bool up_ = true;
};

struct HandleCloser {
  pcap_t* p;
  ~HandleCloser() {
    if (p) pcap_close(p);
  }
};

}  // namespace

bool live_capture(const LiveOptions& opt, const std::atomic<bool>& stop,
                  const std::function<void(const Packet&)>& on_packet, LiveStats& stats,
                  std::string& error, const std::function<void()>& on_idle) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::string dev = opt.interface;
  if (dev.empty()) {  // like tcpdump: the first device libpcap lists
    pcap_if_t* all = nullptr;
    if (pcap_findalldevs(&all, errbuf) != 0) {
      error = errbuf;
      return false;
    }
    if (all) dev = all->name;
    pcap_freealldevs(all);
    if (dev.empty()) {
      error = "no capture device found";
      return false;
    }
  }
  pcap_t* p = pcap_create(dev.c_str(), errbuf);
  if (!p) {
    error = dev + ": " + errbuf;
    return false;
  }
  HandleCloser closer{p};
  pcap_set_snaplen(p, opt.snaplen > 0 ? opt.snaplen : 262144);
  pcap_set_promisc(p, opt.promiscuous ? 1 : 0);
  // As tcpdump: a short timeout rather than immediate mode, which keeps libpcap
  // on the TPACKET_V3 ring (at 100-400 Mbps on a veth, immediate mode's V2 ring
  // dropped 5-63% of the packets where this dropped none; bench/RESULTS.md).
  pcap_set_timeout(p, 100);
  if (opt.immediate) pcap_set_immediate_mode(p, 1);
  if (opt.buffer_kib > 0) pcap_set_buffer_size(p, opt.buffer_kib * 1024);
  // Nanoseconds when the platform has them; otherwise microseconds.
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  int rc = pcap_activate(p);
  if (rc < 0) {
    error = activate_error(dev, rc, p);
    return false;
  }
  if (!opt.filter.empty()) {
    bpf_u_int32 net = 0, mask = PCAP_NETMASK_UNKNOWN;
    if (pcap_lookupnet(dev.c_str(), &net, &mask, errbuf) != 0) mask = PCAP_NETMASK_UNKNOWN;
    bpf_program prog{};
    if (pcap_compile(p, &prog, opt.filter.c_str(), 1, mask) != 0) {
      error = pcap_geterr(p);
      return false;
    }
    int frc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (frc != 0) {
      error = dev + ": " + pcap_geterr(p);
      return false;
    }
  }

  LiveContext ctx;
  ctx.on_packet = &on_packet;
  ctx.stop = &stop;
  ctx.handle = p;
  ctx.nsec = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  ctx.count = opt.count;
  ctx.pkt.linktype = uint32_t(pcap_datalink(p));
  ctx.pkt.interface = -1;

  // Non-blocking dispatch plus our own poll(): libpcap's blocking read keeps
  // waiting past the timeout when no packet comes (Linux TPACKET), which would
  // leave a stop request unanswered on an idle interface.
  if (pcap_setnonblock(p, 1, errbuf) != 0) {
    error = dev + ": " + errbuf;
    return false;
  }
  const int sfd = pcap_get_selectable_fd(p);
  stats.opened = true;
  auto refresh = [&] {
    pcap_stat ps{};
    if (pcap_stats(p, &ps) == 0) {
      stats.received = ps.ps_recv;
      stats.dropped = ps.ps_drop;
      stats.if_dropped = ps.ps_ifdrop;
    }
  };
  int64_t refreshed = 0;
  InterfaceWatch watch(dev, opt.notice);
  bool ok = true;
  while (!stop.load(std::memory_order_relaxed)) {
    int want = opt.count > 0 ? int(std::min<int64_t>(opt.count - ctx.seen, 1 << 30)) : -1;
    int n = pcap_dispatch(p, want, on_pcap_packet, reinterpret_cast<u_char*>(&ctx));
    if (int64_t now = monotonic_ms(); now - refreshed >= 100) {
      refreshed = now;
      refresh();
      watch.check();
    }
    if (n == PCAP_ERROR) {
      error = dev + ": " + pcap_geterr(p);
      ok = false;
      break;
    }
    if (opt.count > 0 && ctx.seen >= opt.count) break;
    if (n == 0) {
      if (sfd >= 0) {
        pollfd pfd{sfd, POLLIN, 0};
        ::poll(&pfd, 1, 100);  // EINTR (a signal setting `stop`) just ends the wait
      } else {
        ::usleep(10000);
      }
      if (on_idle) on_idle();
    }
  }
  refresh();
  return ok;
}

}  // namespace nl
