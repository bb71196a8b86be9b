// httpextract: one JSON line per HTTP/1.x transaction (request, response, timings,
// bodies), found by content on any port, from a capture, pcap2pkt or tcpflow-reasm output.
#include <string>

#include "libcore/cli/common.hpp"
#include "libcore/cli/session_loop.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/proto/http_record.hpp"

int main(int argc, char** argv) {
  nl::cli::init(argc, argv, "httpextract");
  CLI::App app{"One JSON line (type \"http\") per HTTP/1.x transaction: request and response lines, headers,\n"
               "body sizes and hashes, timings. HTTP is found by content, on any port. Reads captures,\n"
               "pcap2pkt output or tcpflow-reasm output ('-' or no FILE: stdin).",
               "httpextract"};
  nl::SessionLoopOptions opt;
  nl::HttpOptions hopt;
  std::string time = "iso", body = "sha256";
  bool stats = false, pass = false, decode = false;
  uint64_t decode_cap = hopt.body.decode_cap;
  app.add_option("FILE", opt.packets.inputs, "Inputs to read ('-' for standard input)");
  app.add_option("-f,--filter", opt.packets.filter, "BPF filter expression applied to every packet of a capture");
  app.add_option("-i,--interface", opt.packets.live.interface, "Capture live from this interface");
  app.add_option("--body", body, "Bodies: none, sha256 (default), preview:N (first N bytes too), full (base64, capped)");
  app.add_flag("--decode", decode, "Also inflate gzip/deflate bodies and hash the decoded bytes");
  nl::cli::add_size_option(app, "--decode-cap", decode_cap, "Stop inflating a body after this many bytes (default 64M)");
  app.add_flag("--show-secrets", hopt.show_secrets, "Include the password of HTTP Basic authorization");
  app.add_option("--time", time, "Timestamps: iso (ISO 8601 UTC, default) or epoch");
  app.add_flag("--pass", pass, "Copy input records of other types (e.g. tls, flow) to the output unchanged");
  app.add_flag("--strict", opt.packets.strict, "Stop at the first malformed input line");
  app.add_flag("--stats", stats, "Print counters on stderr at the end");
  nl::cli::add_progress_options(app, opt.packets.progress);
  nl::cli::add_version_flag(app);
  app.footer("Exit status: 0 on success, 1 if an input had problems, 2 on usage errors.");
  nl::cli::parse_or_exit(app, argc, argv);

  nl::TimeFormat tf;
  if (!nl::check_time_option(time, tf)) return nl::cli::kExitUsage;
  if (!nl::parse_body_mode(body, hopt.body)) {
    nl::cli::error("--body: expected none, sha256, preview:N or full, got '" + body + "'");
    return nl::cli::kExitUsage;
  }
  hopt.body.decode = decode;
  hopt.body.decode_cap = decode_cap;
  opt.packets.live.filter = opt.packets.filter;
  if (!nl::check_filter_option(opt.packets.filter)) return nl::cli::kExitUsage;
  nl::cli::Output& out = nl::cli::Output::stdout_();
  nl::HttpSessionSink sink(hopt, [&](const nl::SessionView& s, const nl::HttpTransaction& t) {
    nl::JsonWriter w(out.buffer());
    nl::write_http_record(w, s, t, hopt, tf);
    out.buffer() += '\n';
    out.maybe_flush();
  });
  return nl::run_session_tool(opt, sink, out, pass, stats,
                              [&](nl::cli::Summary& s) { s.add_all("http.", sink.stats().named()); });
}
