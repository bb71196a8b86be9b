// httpextract: one JSON line per HTTP/1.x transaction (request, response, timings,
// bodies), found by content on any port, from a capture, pcap2pkt or tcpflow-reasm output.
#include <string>

#include "libcore/cli/common.hpp"
#include "libcore/cli/options.hpp"
#include "libcore/stage/session_loop.hpp"
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
  std::string body = "sha256";
  bool decode = false;
  uint64_t decode_cap = hopt.body.decode_cap;
  nl::cli::CaptureOptions co;
  nl::cli::add_capture_options(app, co, {.pass_help = nl::cli::kPassSessionsHelp});
  app.add_option("--body", body, "Bodies: none, sha256 (default), preview:N (first N bytes too), full (base64, capped)");
  app.add_flag("--decode", decode, "Also inflate gzip/deflate bodies and hash the decoded bytes");
  nl::cli::add_size_option(app, "--decode-cap", decode_cap, "Stop inflating a body after this many bytes (default 64M)");
  app.add_flag("--show-secrets", hopt.show_secrets, "Include the password of HTTP Basic authorization");
  nl::cli::parse_or_exit(app, argc, argv, "an input had problems");

  if (!nl::cli::check_capture_options(co)) return nl::cli::kExitUsage;
  opt.packets.take(co);
  nl::TimeFormat tf = co.time;
  if (!nl::parse_body_mode(body, hopt.body)) {
    nl::cli::error("--body: expected none, sha256, preview:N or full, got '" + body + "'");
    return nl::cli::kExitUsage;
  }
  hopt.body.decode = decode;
  hopt.body.decode_cap = decode_cap;
  nl::cli::Output& out = nl::cli::Output::stdout_();
  nl::HttpSessionSink sink(hopt, [&](const nl::SessionView& s, const nl::HttpTransaction& t) {
    nl::JsonWriter w(out.buffer());
    nl::write_http_record(w, s, t, hopt, tf);
    out.buffer() += '\n';
    out.maybe_flush();
  });
  return nl::run_session_tool(opt, sink, out, co.pass, co.stats,
                              [&](nl::cli::Summary& s) { s.add_all("http.", sink.stats().named()); });
}
