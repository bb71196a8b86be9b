// tlssni: one JSON line per TLS ClientHello (SNI, ALPN, versions, ciphers, JA3,
// JA4) with the ServerHello's answer, from a capture or tcpflow-reasm output.
#include <string>

#include "libcore/cli/common.hpp"
#include "libcore/cli/session_loop.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/proto/tls_record.hpp"

int main(int argc, char** argv) {
  nl::cli::init(argc, argv, "tlssni");
  CLI::App app{"One JSON line (type \"tls\") per TLS ClientHello: SNI, ALPN, versions, cipher suites, extensions,\n"
               "JA3 and JA4, with the server's choice from the ServerHello. TLS is found by content, on any port.\n"
               "Reads captures, pcap2pkt output or tcpflow-reasm output ('-' or no FILE: stdin).",
               "tlssni"};
  nl::SessionLoopOptions opt;
  std::string time = "iso";
  bool stats = false, pass = false;
  app.add_option("FILE", opt.packets.inputs, "Inputs to read ('-' for standard input)");
  app.add_option("-f,--filter", opt.packets.filter, "BPF filter expression applied to every packet of a capture");
  app.add_option("-i,--interface", opt.packets.live.interface, "Capture live from this interface");
  app.add_option("--time", time, "Timestamps: iso (ISO 8601 UTC, default) or epoch");
  app.add_flag("--pass", pass, "Copy input records of other types (e.g. http, flow) to the output unchanged");
  app.add_flag("--strict", opt.packets.strict, "Stop at the first malformed input line");
  app.add_flag("--stats", stats, "Print counters on stderr at the end");
  nl::cli::add_progress_options(app, opt.packets.progress);
  nl::cli::add_version_flag(app);
  app.footer("Exit status: 0 on success, 1 if an input had problems, 2 on usage errors.");
  nl::cli::parse_or_exit(app, argc, argv);

  nl::TimeFormat tf;
  if (!nl::check_time_option(time, tf)) return nl::cli::kExitUsage;
  opt.packets.live.filter = opt.packets.filter;
  if (!nl::check_filter_option(opt.packets.filter)) return nl::cli::kExitUsage;
  nl::cli::Output& out = nl::cli::Output::stdout_();
  nl::TlsSessionSink sink([&](const nl::SessionView& s, const nl::TlsHandshakeResult& r) {
    nl::JsonWriter w(out.buffer());
    nl::write_tls_record(w, s, r, tf);
    out.buffer() += '\n';
    out.maybe_flush();
  });
  return nl::run_session_tool(opt, sink, out, pass, stats,
                              [&](nl::cli::Summary& s) { s.add_all("tls.", sink.stats().named()); });
}
