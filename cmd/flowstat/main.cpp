// flowstat: flow statistics, one "flow" JSON line per flow when it ends (and
// "interval" summaries with --interval), from captures, pcap2pkt JSON Lines or a
// live interface. Record schema: libcore/flow/flow_record.hpp.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <string>
#include <vector>

#include "libcore/cli/common.hpp"
#include "libcore/cli/options.hpp"
#include "libcore/stage/packet_loop.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/flow/app_detect.hpp"
#include "libcore/flow/flow_record.hpp"
#include "libcore/proto/quic.hpp"
#include "libcore/flow/table.hpp"
#include "libcore/interrupt.hpp"
#include "libcore/reasm/datagrams.hpp"

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

class OutputSink : public nl::FlowSink {
 public:
  OutputSink(nl::cli::Output& out, nl::FlowRecordOptions opt) : out_(out), opt_(opt) {}
  void flow(const nl::Flow& f, nl::FlowEnd reason, bool partial) override {
    nl::write_flow_record(out_.buffer(), f, reason, partial, opt_);
    out_.maybe_flush();
  }
  void interval(const nl::IntervalStats& s) override {
    if (capture_) {  // live: the kernel's counts since the last interval record
      nl::IntervalCapture c{capture_->received - last_.received, capture_->dropped - last_.dropped,
                            capture_->if_dropped - last_.if_dropped};
      last_ = *capture_;
      nl::write_interval_record(out_.buffer(), s, opt_, &c);
    } else {
      nl::write_interval_record(out_.buffer(), s, opt_);
    }
    out_.maybe_flush();
  }
  // Live capture: counts kept current by the capture loop.
  void set_capture(const nl::LiveStats* s) { capture_ = s; }

 private:
  nl::cli::Output& out_;
  nl::FlowRecordOptions opt_;
  const nl::LiveStats* capture_ = nullptr;
  nl::LiveStats last_;
};

}  // namespace

int main(int argc, char** argv) {
  nl::cli::init(argc, argv, "flowstat");
  // http3 needs a QUIC Initial decrypted: proto/ lends flow/ the probe.
  nl::set_app_quic_probe(&nl::quic_initial_offers_only_h3);
  CLI::App app{"Flow statistics: one JSON line (type \"flow\") per bidirectional flow of any IP protocol,\n"
               "written when the flow ends (FIN/RST, idle timeout, table full, end of input), with packet\n"
               "and byte counts per direction at link, IP, transport and payload level, Zeek conn_state and\n"
               "history, an application label and the Community ID. Reads pcap/pcapng files in order (one\n"
               "continuous stream), standard input ('-' or no FILE), pcap2pkt JSON Lines, or a live interface.",
               "flowstat"};
  nl::cli::CaptureOptions co;
  nl::PacketLoopOptions loop;
  loop.accept_pkt_jsonl = true;
  loop.need_payload = false;  // counts come from lengths; payload only feeds app labels
  std::string local;
  bool dedup = false, no_defrag = false, no_partial = false;
  double tcp_timeout = 300, udp_timeout = 60, icmp_timeout = 60, other_timeout = 60, close_grace = 5;
  double interval = 0, dedup_window = 0.05;
  size_t max_flows = 262144;
  nl::cli::add_capture_options(app, co, {.inputs_help = "Capture files or pcap2pkt JSON Lines to read ('-' for standard input)"});
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
  nl::cli::parse_or_exit(app, argc, argv, "an input could not be read completely");

  nl::FlowRecordOptions ropt;
  if (!nl::cli::check_capture_options(co)) return nl::cli::kExitUsage;
  loop.take(co);
  ropt.time = co.time;
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
  topt.empty_intervals = !loop.live.interface.empty();

  nl::cli::Output& out = nl::cli::Output::stdout_();
  OutputSink sink(out, ropt);
  nl::LiveStats lstats;
  if (!loop.live.interface.empty()) sink.set_capture(&lstats);
  nl::FlowTable table(topt, sink);
  nl::FrameDedup dd(to_nsec(dedup_window));
  nl::DatagramPath datagrams({.reassemble = !no_defrag, .decode = loop.decode});

  // Fragments of datagrams never rebuilt become port-less flows flagged
  // fragments_incomplete, so every frame's bytes are in some flow record.
  datagrams.on_dropped([&table, &co](const nl::DroppedDatagram& g) {
    if (nl::shard_of(g.src, g.dst, g.proto, co.shard.n) != co.shard.k) return table.advance(g.last);
    nl::IncompleteDatagram i;
    i.version = g.version;
    i.proto = g.proto;
    i.vlan = g.vlan;
    i.tagged = g.tagged;
    i.src = g.src;
    i.dst = g.dst;
    i.fragments = g.fragments;
    i.frame_bytes = g.frame_bytes;
    i.ip_bytes = g.ip_bytes;
    i.payload_bytes = g.payload_bytes;
    i.first = g.first;
    i.last = g.last;
    table.add_incomplete(i);
  });
  nl::DecodeStats dstats;
  nl::PacketLoopHandlers h;
  h.packet = [&](const nl::Packet& p, nl::Decoded& d) {
    if (dedup && dd.duplicate(p, d)) return;
    datagrams.feed(p, d, [&table](const nl::Packet& whole, const nl::Decoded& wd) { table.add(whole, wd); });
  };
  // --shard: the other shards' packets still move the clock that ends idle flows,
  // and their fragments are rebuilt as here, so that the defragmenter's bounds and
  // timeouts, and the clock its datagrams move, fall as in one whole run.
  h.other_shard = [&](const nl::Packet& p, nl::Decoded& d) {
    if ((d.ip.version != 4 && d.ip.version != 6) || (dedup && dd.duplicate(p, d))) return;
    datagrams.feed(p, d, [&table](const nl::Packet& whole, const nl::Decoded&) { table.advance(whole.ts); });
  };
  if (co.pass) h.other_line = [pass = nl::pass_lines(out)](std::string_view line, const std::string&, uint64_t) { pass(line); };
  h.idle = [&] { out.flush(); };
  // Live capture on a quiet interface: flows (and intervals) would otherwise only end
  // when the next packet comes. Every 250 ms of wall time, advance the table's clock
  // to now minus a 500 ms margin (packets not yet handed over, at most the capture's
  // 100 ms block timeout old, carry older timestamps; they must not count as time
  // running backwards), and flush: a flow ends within a second of its timeout. With
  // --interval from the start, so that empty intervals are written before any packet.
  int64_t last_tick = 0;
  h.live_idle = [&] {
    if (table.stats().packets == 0 && interval == 0) return;
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t ns = int64_t(now.tv_sec) * 1000000000LL + now.tv_nsec;
    if (ns - last_tick < 250000000LL) return;
    last_tick = ns;
    int64_t at = ns - 500000000LL;
    table.advance(nl::Timestamp{at / 1000000000LL, uint32_t(at % 1000000000LL), 9});
    out.flush();
  };
  int status = nl::run_packet_loop(loop, h, dstats, &lstats);
  datagrams.finish();
  table.finish(nl::interrupted() ? nl::FlowEnd::interrupted : nl::FlowEnd::eof);
  out.finish();
  return nl::finish_packet_tool(loop, status, co.stats, lstats, dstats, [&](nl::cli::Summary& s) {
    const nl::FlowTableStats& ts = table.stats();
    if (dedup) s.add("dedup_dropped", dd.dropped());
    if (!no_defrag)
      s.add("defrag.datagrams_reassembled", datagrams.stats().completed).add_all("defrag.", datagrams.stats().named());
    s.add("flow_packets", ts.packets).add("non_ip", ts.non_ip);
    if (!no_defrag)
      s.add("incomplete_datagrams", ts.incomplete_datagrams).add("incomplete_fragments", ts.incomplete_fragments);
    if (no_defrag) s.add("fragments_unreassembled", ts.fragments);
    s.add("ts_backwards", ts.ts_backwards).add("flows", ts.flows_created);
    for (int r = 0; r < 5; ++r) s.add(std::string("flows_ended.") + nl::flow_end_name(nl::FlowEnd(r)), ts.ended[r]);
    if (size_t n = ts.ended[size_t(nl::FlowEnd::interrupted)]) s.add("flows_ended.interrupted", n);
    s.add("partial_records", ts.ended[size_t(nl::FlowEnd::interval)])
        .add("emergency_expired", ts.emergency_expired)
        .add("port_reuse", ts.port_reuse)
        .add("max_live_flows", ts.max_live);
    if (interval > 0) s.add("interval_src_unattributed_packets", ts.interval_src_unattributed_packets);
  });
}
