// flowstat: flow statistics, one "flow" JSON line per flow when it ends (and
// "interval" summaries with --interval), from captures, pcap2pkt JSON Lines or a
// live interface. Record schema: libcore/flow/flow_record.hpp.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <string>
#include <unordered_map>
#include <vector>

#include "libcore/cli/common.hpp"
#include "libcore/cli/packet_loop.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/flow/flow_record.hpp"
#include "libcore/flow/table.hpp"
#include "libcore/reasm/defrag.hpp"

namespace {

int64_t to_nsec(double seconds) { return int64_t(std::llround(seconds * 1e9)); }

// Seconds: positive (or, with zero_ok, non-negative) and at most ~30 years, so ns fit int64.
CLI::Validator seconds(bool zero_ok) {
  return CLI::Validator(
      [zero_ok](std::string& s) -> std::string {
        double v = 0;
        try {
          size_t pos = 0;
          v = std::stod(s, &pos);
          if (pos != s.size()) return "expected a number of seconds, got '" + s + "'";
        } catch (...) {
          return "expected a number of seconds, got '" + s + "'";
        }
        if (!(v > 0 || (zero_ok && v == 0)) || v > 1e9)
          return std::string(zero_ok ? "must be 0 or more" : "must be more than 0") + " seconds (and at most 1e9)";
        return {};
      },
      "SECONDS");
}

// Frame bytes of the fragments of each datagram in progress, so a reassembled
// datagram's link_bytes is what its fragments took on the wire (every fragment
// repeats the link framing and an IP header). Bounded like the defragmenter
// (30 s, 4096 datagrams); a datagram forgotten here falls back to an estimate.
class FragmentFrameBytes {
 public:
  void add(const nl::Packet& p, const nl::Decoded& d) {
    int64_t now = p.ts.total_nsec();
    if (map_.size() >= kMax) {
      std::erase_if(map_, [now](const auto& e) { return now - e.second.first_nsec > kTimeout; });
      if (map_.size() >= kMax) map_.clear();
    }
    Entry& e = map_[key(d)];
    if (e.bytes == 0) e.first_nsec = now;
    e.bytes += p.origlen;
  }
  // The frame bytes of the datagram `d` (its last fragment) completed; 0 if unknown.
  uint64_t take(const nl::Decoded& d) {
    auto it = map_.find(key(d));
    if (it == map_.end()) return 0;
    uint64_t b = it->second.bytes;
    map_.erase(it);
    return b;
  }

 private:
  static constexpr size_t kMax = 4096;
  static constexpr int64_t kTimeout = 30'000'000'000LL;
  struct Entry {
    uint64_t bytes = 0;
    int64_t first_nsec = 0;
  };
  // FNV-1a over what identifies a datagram (RFC 791 / RFC 8200: src, dst, id; plus the VLAN).
  static uint64_t key(const nl::Decoded& d) {
    uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](const uint8_t* b, size_t n) {
      for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ULL;
    };
    uint8_t head[7] = {d.ip.version, uint8_t(d.ip.id >> 24), uint8_t(d.ip.id >> 16), uint8_t(d.ip.id >> 8),
                       uint8_t(d.ip.id), uint8_t(d.outer_vlan() >> 8), uint8_t(d.outer_vlan())};
    mix(head, sizeof head);
    mix(d.ip.src.bytes, d.ip.src.size());
    mix(d.ip.dst.bytes, d.ip.dst.size());
    return h;
  }
  std::unordered_map<uint64_t, Entry> map_;
};

class OutputSink : public nl::FlowSink {
 public:
  OutputSink(nl::cli::Output& out, nl::FlowRecordOptions opt) : out_(out), opt_(opt) {}
  void flow(const nl::Flow& f, nl::FlowEnd reason, bool partial) override {
    nl::write_flow_record(out_.buffer(), f, reason, partial, opt_);
    out_.maybe_flush();
  }
  void interval(const nl::IntervalStats& s) override {
    nl::write_interval_record(out_.buffer(), s, opt_);
    out_.maybe_flush();
  }

 private:
  nl::cli::Output& out_;
  nl::FlowRecordOptions opt_;
};

}  // namespace

int main(int argc, char** argv) {
  nl::cli::init(argc, argv, "flowstat");
  CLI::App app{"Flow statistics: one JSON line (type \"flow\") per bidirectional flow of any IP protocol,\n"
               "written when the flow ends (FIN/RST, idle timeout, table full, end of input), with packet\n"
               "and byte counts per direction at link, IP, transport and payload level, Zeek conn_state and\n"
               "history, an application label and the Community ID. Reads pcap/pcapng files in order (one\n"
               "continuous stream), standard input ('-' or no FILE), pcap2pkt JSON Lines, or a live interface.",
               "flowstat"};
  nl::PacketLoopOptions loop;
  loop.accept_pkt_jsonl = true;
  loop.need_payload = false;  // counts come from lengths; payload only feeds app labels
  std::string time = "iso", local;
  bool stats = false, no_promisc = false, dedup = false, no_defrag = false, no_partial = false;
  double tcp_timeout = 300, udp_timeout = 60, icmp_timeout = 60, other_timeout = 60, close_grace = 5;
  double interval = 0, dedup_window = 0.05;
  size_t max_flows = 262144;
  app.add_option("FILE", loop.inputs, "Capture files or pcap2pkt JSON Lines to read ('-' for standard input)");
  app.add_option("-f,--filter", loop.filter, "BPF filter expression (tcpdump syntax), for files and live capture");
  app.add_option("-i,--interface", loop.live.interface, "Capture live from this interface instead of reading files");
  app.add_option("-s,--snaplen", loop.live.snaplen, "Live capture: bytes to capture per packet")->check(CLI::Range(1, 262144));
  app.add_flag("-p,--no-promisc", no_promisc, "Live capture: do not put the interface into promiscuous mode");
  app.add_option("-c,--count", loop.live.count, "Live capture: stop after this many packets")->check(CLI::NonNegativeNumber);
  app.add_option("--time", time, "Timestamps: iso (ISO 8601 UTC, default) or epoch (seconds since 1970)");
  app.add_flag("--checksums", loop.decode.verify_checksums, "Verify checksums (a bad TCP checksum adds 'C' to the history)");
  app.add_option("--tcp-timeout", tcp_timeout, "Seconds without packets after which a TCP flow ends (default 300, as Zeek)")
      ->check(seconds(false));
  app.add_option("--udp-timeout", udp_timeout, "Idle seconds for UDP flows (default 60)")->check(seconds(false));
  app.add_option("--icmp-timeout", icmp_timeout, "Idle seconds for ICMP/ICMPv6 flows (default 60)")->check(seconds(false));
  app.add_option("--other-timeout", other_timeout, "Idle seconds for other IP protocols (default 60)")->check(seconds(false));
  app.add_option("--close-grace", close_grace, "Seconds a TCP flow is kept after FIN both ways or RST, for late packets (default 5)")
      ->check(seconds(true));
  app.add_option("--max-flows", max_flows, "Most flows held at once (default 262144); from 90% on, short emergency\n"
                                           "timeouts apply; at the cap the least recently seen flow is written (reason evicted)")
      ->check(CLI::Range(size_t(1), size_t(1) << 28));
  app.add_option("--interval", interval, "Every SECONDS of capture time, write an \"interval\" summary record and\n"
                                         "partial \"flow\" records (reason interval) of long-lived flows")
      ->check(seconds(true));
  app.add_flag("--no-partial", no_partial, "With --interval: write the interval summaries only, no partial flow records");
  app.add_option("--local", local, "CIDR[,CIDR...]: local networks; flows get direction inbound/outbound/internal/external");
  app.add_flag("--dedup", dedup, "Drop frames that repeat an IP packet seen within --dedup-window (mirror-port copies;\n"
                                 "TTL/hop limit and IPv4 header checksum ignored)");
  app.add_option("--dedup-window", dedup_window, "Seconds within which a repeat counts as a duplicate (default 0.05)")
      ->check(seconds(true));
  app.add_flag("--no-defrag", no_defrag, "Count IP fragments as packets of their own instead of reassembling them");
  app.add_flag("--strict", loop.strict, "Stop at the first malformed input line");
  app.add_flag("--stats", stats, "Print a summary on stderr at the end: packets, flows by end reason, limits hit");
  nl::cli::add_progress_options(app, loop.progress);
  nl::cli::add_version_flag(app);
  app.footer("Exit status: 0 on success, 1 if an input could not be read completely, 2 on usage errors.");
  nl::cli::parse_or_exit(app, argc, argv);

  nl::FlowRecordOptions ropt;
  if (!nl::check_time_option(time, ropt.time)) return nl::cli::kExitUsage;
  nl::LocalNets nets;
  if (!local.empty()) {
    std::string err;
    if (!nets.parse(local, err) || nets.empty()) {
      nl::cli::error("--local: " + (err.empty() ? std::string("no network given") : err));
      return nl::cli::kExitUsage;
    }
  }
  if (interval > 0 && interval < 0.001) {
    nl::cli::error("--interval: must be at least 0.001 seconds");
    return nl::cli::kExitUsage;
  }
  loop.live.promiscuous = !no_promisc;
  loop.live.filter = loop.filter;
  if (!nl::check_filter_option(loop.filter)) return nl::cli::kExitUsage;

  nl::FlowTableOptions topt;
  topt.tcp_timeout = to_nsec(tcp_timeout);
  topt.udp_timeout = to_nsec(udp_timeout);
  topt.icmp_timeout = to_nsec(icmp_timeout);
  topt.other_timeout = to_nsec(other_timeout);
  topt.close_grace = to_nsec(close_grace);
  topt.max_flows = max_flows;
  topt.interval = to_nsec(interval);
  topt.interval_partial_flows = !no_partial;
  topt.local = nets.empty() ? nullptr : &nets;

  nl::cli::Output& out = nl::cli::Output::stdout_();
  OutputSink sink(out, ropt);
  nl::FlowTable table(topt, sink);
  nl::FrameDedup dd(to_nsec(dedup_window));
  nl::Defragmenter defrag;
  FragmentFrameBytes frag_bytes;
  nl::Reassembled whole;
  nl::Decoded wd;
  uint64_t reassembled = 0;

  nl::DecodeStats dstats;
  nl::LiveStats lstats;
  nl::PacketLoopHandlers h;
  h.packet = [&](const nl::Packet& p, nl::Decoded& d) {
    if (dedup && dd.duplicate(p, d)) return;
    if (!no_defrag && d.ip.fragment) {
      // A datagram counts once, when its last missing fragment arrives.
      frag_bytes.add(p, d);
      if (!defrag.feed(p, d, whole)) return;
      uint64_t frames = frag_bytes.take(d);
      ++reassembled;
      wd = nl::Decoded{};
      nl::decode_ip(whole.bytes(), wd, loop.decode);
      wd.linktype = d.linktype;
      wd.n_vlan = d.n_vlan;
      for (int i = 0; i < d.n_vlan; ++i) wd.vlan[i] = d.vlan[i];
      nl::Packet rp = p;
      rp.ts = whole.ts;
      // Link bytes: the fragments' frames as they were on the wire; if those were
      // forgotten, the datagram plus this fragment's framing and IP header per fragment.
      if (frames == 0) {
        uint32_t framing = p.origlen > d.ip.total_len ? p.origlen - d.ip.total_len : 0;
        uint64_t payload = whole.datagram.size() > wd.ip.header_len ? whole.datagram.size() - wd.ip.header_len : 0;
        frames = payload + uint64_t(framing + d.ip.header_len) * whole.fragments;
      }
      rp.origlen = uint32_t(std::min<uint64_t>(frames, UINT32_MAX));
      table.add(rp, wd);
      return;
    }
    table.add(p, d);
  };
  h.idle = [&] { out.flush(); };
  // Live capture on a quiet interface: flows (and intervals) would otherwise only end
  // when the next packet comes. Once a second of wall time, advance the table's clock
  // to now minus a 1 s margin (packets still in the kernel buffer carry slightly older
  // timestamps; they must not count as time running backwards), and flush.
  int64_t last_tick = 0;
  h.live_idle = [&] {
    if (table.stats().packets == 0) return;
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t ns = int64_t(now.tv_sec) * 1000000000LL + now.tv_nsec;
    if (ns - last_tick < 1000000000LL) return;
    last_tick = ns;
    int64_t at = ns - 1000000000LL;
    table.advance(nl::Timestamp{at / 1000000000LL, uint32_t(at % 1000000000LL), 9});
    out.flush();
  };
  int status = nl::run_packet_loop(loop, h, dstats, &lstats);
  table.finish();
  out.finish();
  if (!loop.live.interface.empty()) {
    nl::cli::error(std::to_string(lstats.received) + " packets received by filter, " +
                   std::to_string(lstats.dropped) + " dropped by kernel, " +
                   std::to_string(lstats.if_dropped) + " dropped by interface");
  }
  if (stats) {
    nl::cli::Summary s;
    dstats.describe(s.text());
    const nl::FlowTableStats& ts = table.stats();
    if (dedup) s.add("dedup_dropped", dd.dropped());
    if (!no_defrag) s.add("defrag.datagrams_reassembled", reassembled).add_all("defrag.", defrag.stats().named());
    s.add("flow_packets", ts.packets).add("non_ip", ts.non_ip);
    if (no_defrag) s.add("fragments_unreassembled", ts.fragments);
    s.add("ts_backwards", ts.ts_backwards).add("flows", ts.flows_created);
    for (int r = 0; r < 5; ++r) s.add(std::string("flows_ended.") + nl::flow_end_name(nl::FlowEnd(r)), ts.ended[r]);
    s.add("partial_records", ts.ended[size_t(nl::FlowEnd::interval)])
        .add("emergency_expired", ts.emergency_expired)
        .add("port_reuse", ts.port_reuse)
        .add("max_live_flows", ts.max_live);
    if (interval > 0) s.add("interval_src_unattributed_packets", ts.interval_src_unattributed_packets);
    s.print();
  }
  return status;
}
