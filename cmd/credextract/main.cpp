// credextract: one JSON line per clear-text login attempt (FTP, POP3, IMAP, SMTP,
// HTTP Basic/Digest, Telnet, LDAP, PostgreSQL, MySQL) with the server's answer,
// and one per SMTP mail transaction; found by content on any port.
#include <string>

#include "libcore/cli/common.hpp"
#include "libcore/cli/options.hpp"
#include "libcore/cli/summary.hpp"
#include "libcore/proto/cred_record.hpp"
#include "libcore/proto/cred_session.hpp"
#include "libcore/stage/session_loop.hpp"

int main(int argc, char** argv) {
  nl::cli::init(argc, argv, "credextract");
  CLI::App app{"One JSON line (type \"cred\") per clear-text login attempt: FTP, POP3, IMAP, SMTP AUTH, HTTP\n"
               "Basic and Digest, Telnet prompts, LDAP binds, PostgreSQL and MySQL startup; the user, the\n"
               "mechanism and the outcome the server's reply gives. One line (type \"smtp\") per SMTP mail\n"
               "transaction. Protocols are found by content, on any port. Reads captures, pcap2pkt output or\n"
               "tcpflow-reasm output ('-' or no FILE: stdin).",
               "credextract"};
  nl::SessionLoopOptions opt;
  nl::CredOptions copt;
  bool summary = false;
  nl::cli::CaptureOptions co;
  nl::cli::add_capture_options(app, co, {.pass_help = nl::cli::kPassSessionsHelp});
  app.add_flag("--show-secrets", copt.show_secrets, "Include the clear-text passwords (otherwise only their length)");
  app.add_flag("--summary", summary,
               "Instead of the records: one line (type \"cred_summary\") per server, protocol and user at the end,\n"
               "with attempts, successes and failures");
  nl::cli::parse_or_exit(app, argc, argv, "an input had problems");

  if (!nl::cli::check_capture_options(co)) return nl::cli::kExitUsage;
  opt.packets.take(co);
  nl::TimeFormat tf = co.time;
  nl::cli::Output& out = nl::cli::Output::stdout_();
  nl::CredSummary sum;
  nl::CredSessionSink sink(
      copt,
      [&](const nl::SessionView& s, const nl::CredAttempt& a) {
        if (summary) return sum.add(s, a);
        nl::JsonWriter w(out.buffer());
        nl::write_cred_record(w, s, a, copt, tf);
        w.flush();
        out.buffer() += '\n';
        out.maybe_flush();
      },
      [&](const nl::SessionView& s, const nl::SmtpTransaction& t) {
        if (summary) return;
        nl::JsonWriter w(out.buffer());
        nl::write_smtp_record(w, s, t, tf);
        w.flush();
        out.buffer() += '\n';
        out.maybe_flush();
      });

  return nl::run_session_tool(
      opt, sink, out, co.pass, co.stats,
      [&](nl::cli::Summary& s) {
        s.add_all("cred.", sink.stats().named());
        if (summary) s.add_all("cred.", {{"summary_dropped", sum.dropped()}});
      },
      nullptr, [&] {
        if (summary) sum.write(out.buffer(), tf);
      });
}
