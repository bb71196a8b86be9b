// dnsextract: one JSON line per DNS transaction (the query and its response, every
// record rendered by type), over UDP and TCP, found by content, from a capture,
// pcap2pkt output or tcpflow-reasm output.
#include <cmath>
#include <string>

#include "libcore/cli/common.hpp"
#include "libcore/cli/options.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/proto/dns_record.hpp"
#include "libcore/stage/session_loop.hpp"

int main(int argc, char** argv) {
  nl::cli::init(argc, argv, "dnsextract");
  CLI::App app{"One JSON line (type \"dns\") per DNS transaction: the query and its response paired by flow,\n"
               "id and question, with flags, rcode, every record (rdata rendered by type, EDNS), rtt and\n"
               "anomalies. DNS over UDP and TCP is found by content, on any port (mDNS and LLMNR too).\n"
               "Reads captures, pcap2pkt output or tcpflow-reasm output ('-' or no FILE: stdin).",
               "dnsextract"};
  nl::SessionLoopOptions opt;
  nl::DnsOptions dopt;
  nl::cli::CaptureOptions co;
  double timeout = 5;
  nl::cli::add_capture_options(app, co, {.pass_help = nl::cli::kPassSessionsHelp});
  app.add_option("--timeout", timeout,
                 "Seconds of capture time a query waits for its response before it is written\n"
                 "unanswered (default 5)")
      ->check(CLI::Range(0.000001, 1e6));
  app.add_option("--max-pending", dopt.max_pending,
                 "Queries waiting for a response, at most; past it the oldest is written (evicted)\n"
                 "(default 20000)")
      ->check(CLI::Range(size_t(1), size_t(1) << 30));
  app.add_option("--max-pending-per-flow", dopt.max_pending_per_flow,
                 "Queries waiting in one flow, at most (default 256)")
      ->check(CLI::Range(size_t(1), size_t(1) << 30));
  nl::cli::parse_or_exit(app, argc, argv, "an input had problems");

  if (!nl::cli::check_capture_options(co)) return nl::cli::kExitUsage;
  opt.packets.take(co);
  dopt.timeout_nsec = int64_t(std::llround(timeout * 1e9));
  nl::TimeFormat tf = co.time;
  nl::cli::Output& out = nl::cli::Output::stdout_();
  nl::DnsSink sink(
      [&](const std::string& ids, const nl::DnsTransaction& tx) {
        nl::JsonWriter w(out.buffer());
        nl::write_dns_record(w, ids, tx, tf);
        w.flush();
        out.buffer() += '\n';
        out.maybe_flush();
      },
      dopt);
  return nl::run_session_tool(opt, sink, out, co.pass, co.stats,
                              [&](nl::cli::Summary& s) { s.add_all("dns.", sink.stats().named()); }, &sink);
}
