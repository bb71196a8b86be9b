// tlssni: one JSON line per TLS ClientHello (SNI, ALPN, versions, ciphers, JA3,
// JA4) with the ServerHello's answer, from a capture or tcpflow-reasm output: in
// TCP streams (also after STARTTLS and its kin), QUIC Initial packets and DTLS.
#include <string>

#include "libcore/cli/common.hpp"
#include "libcore/cli/options.hpp"
#include "libcore/stage/session_loop.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/proto/dtls_session.hpp"
#include "libcore/proto/quic_session.hpp"
#include "libcore/proto/tls_record.hpp"

int main(int argc, char** argv) {
  nl::cli::init(argc, argv, "tlssni");
  CLI::App app{"One JSON line (type \"tls\") per TLS ClientHello: SNI, ALPN, versions, cipher suites, extensions,\n"
               "JA3 and JA4, with the server's choice from the ServerHello. TLS is found by content, on any port.\n"
               "Reads captures, pcap2pkt output or tcpflow-reasm output ('-' or no FILE: stdin).",
               "tlssni"};
  nl::SessionLoopOptions opt;
  nl::cli::CaptureOptions co;
  nl::cli::add_capture_options(app, co, {.pass_help = nl::cli::kPassSessionsHelp});
  nl::cli::parse_or_exit(app, argc, argv, "an input had problems");

  if (!nl::cli::check_capture_options(co)) return nl::cli::kExitUsage;
  opt.packets.take(co);
  nl::TimeFormat tf = co.time;
  nl::cli::Output& out = nl::cli::Output::stdout_();
  auto write = [&](const nl::SessionView& s, const nl::TlsHandshakeResult& r) {
    nl::JsonWriter w(out.buffer());
    nl::write_tls_record(w, s, r, tf);
    out.buffer() += '\n';
    out.maybe_flush();
  };
  nl::TlsSessionSink sink(write);
  // QUIC Initials and DTLS records arrive as UDP datagrams beside the TCP sessions.
  nl::QuicSink quic(write);
  nl::DtlsSink dtls(write);
  nl::TlsDatagramSink udp(quic, dtls);
  return nl::run_session_tool(
      opt, sink, out, co.pass, co.stats,
      [&](nl::cli::Summary& s) {
        s.add_all("tls.", sink.stats().named());
        s.add_all("quic.", quic.stats().named());
        s.add_all("dtls.", dtls.stats().named());
      },
      &udp);
}
