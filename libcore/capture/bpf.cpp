// BPF filters on packets read from files and pipes: libpcap compiles the expression
// for a "dead" handle of the packet's link type and pcap_offline_filter runs it.
#include <pcap/pcap.h>

#include "libcore/capture/live.hpp"

namespace nl {

struct BpfFilter::Impl {
  pcap_t* dead = nullptr;
  bpf_program prog{};
  bool compiled = false;
  ~Impl() {
    if (compiled) pcap_freecode(&prog);
    if (dead) pcap_close(dead);
  }
};

BpfFilter::~BpfFilter() = default;

namespace {
// Files carry LINKTYPE_ values; pcap_open_dead wants DLT_ values. They differ only
// for a few (tcpdump.org/linktypes.html); raw IP is the one met in practice.
int dlt_for_linktype(uint32_t lt) {
  if (lt == linktype::raw || lt == linktype::raw_dlt12 || lt == linktype::raw_dlt14) return DLT_RAW;
  return int(lt);
}
}  // namespace

std::unique_ptr<BpfFilter> BpfFilter::compile(const std::string& expr, uint32_t linktype,
                                              uint32_t snaplen, std::string& error) {
  auto impl = std::make_unique<Impl>();
  // The snap length is what a matching program returns: it must not be 0.
  impl->dead = pcap_open_dead(dlt_for_linktype(linktype), snaplen ? int(snaplen) : 262144);
  if (!impl->dead) {
    error = "cannot create a BPF compiler handle";
    return nullptr;
  }
  if (pcap_compile(impl->dead, &impl->prog, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    error = pcap_geterr(impl->dead);
    return nullptr;
  }
  impl->compiled = true;
  std::unique_ptr<BpfFilter> f(new BpfFilter());
  f->impl_ = std::move(impl);
  return f;
}

bool BpfFilter::matches(const Packet& pkt) const {
  pcap_pkthdr h{};
  h.ts.tv_sec = time_t(pkt.ts.sec);
  h.ts.tv_usec = suseconds_t(pkt.ts.nsec / 1000);
  h.caplen = pkt.caplen;
  h.len = pkt.origlen;
  return pcap_offline_filter(&impl_->prog, &h, pkt.data.data()) != 0;
}

bool BpfFilterSet::matches(const Packet& pkt, std::string& error) {
  for (auto& [lt, f] : filters_) {
    if (lt != pkt.linktype) continue;
    if (!f) {
      // Compiled before and failed: say so again, the caller decides what to do.
      for (auto& [elt, msg] : errors_)
        if (elt == lt) error = msg;
      return false;
    }
    return f->matches(pkt);
  }
  // At most a handful of link types per input; each is compiled once.
  auto f = BpfFilter::compile(expr_, pkt.linktype, 0, error);
  bool ok = f && f->matches(pkt);
  if (!f) errors_.emplace_back(pkt.linktype, error);
  filters_.emplace_back(pkt.linktype, std::move(f));
  return ok;
}

bool BpfFilterSet::check(std::string& error) {
  return BpfFilter::compile(expr_, linktype::ethernet, 0, error) != nullptr;
}

}  // namespace nl
