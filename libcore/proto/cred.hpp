// Clear-text logins over the monologue pieces of one TCP session: one attempt
// per login with what the server answered. Protocols are found by content, not
// port (docs/schema.md, type "cred", gives the rules):
//   line protocols (cred_mail.cpp, cred.cpp): FTP USER/PASS, POP3 USER/PASS,
//     APOP and AUTH, IMAP LOGIN and AUTHENTICATE, SMTP AUTH (and the senders and
//     recipients of each mail transaction), Telnet login prompts;
//   HTTP Basic and Digest: the requests of the HTTP parser (http.hpp);
//   binary (cred_db.cpp): LDAP simple bind, PostgreSQL and MySQL startup.
// A session that upgrades to TLS (STARTTLS, STLS, AUTH TLS, SSLRequest) ends
// there. Buffers are bounded: lines by max_line, binary messages by max_message,
// commands awaiting their reply by max_pending.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libcore/reasm/session.hpp"

namespace nl {

// Per-record anomalies: stable snake_case names, one bit each in this order.
#define NETLINES_CRED_ANOMALIES(X)                                         \
  /* a line longer than max_line: the rest skipped, never held */          \
  X(line_too_long)                                                         \
  /* a line with NUL or other control bytes where text belongs: skipped */ \
  X(binary_line)                                                           \
  /* bytes missing in the stream: the direction stops */                  \
  X(gap)                                                                   \
  /* the session ended before the server answered the login */            \
  X(no_reply)                                                              \
  /* a server reply with no command waiting for it */                     \
  X(unsolicited_reply)                                                     \
  /* commands beyond max_pending awaiting replies: not kept */             \
  X(pipeline_overflow)                                                     \
  /* SASL or Basic credentials that are not base64 */                     \
  X(bad_base64)                                                            \
  /* a binary message (BER, PostgreSQL, MySQL) off its grammar */          \
  X(bad_message)                                                           \
  /* a binary message longer than max_message: the direction stops */     \
  X(message_too_large)                                                     \
  /* a reply off the grammar (no code, no +OK/-ERR, no tag) */            \
  X(malformed_reply)                                                       \
  /* more RCPT TO addresses than max_rcpt: counted, not kept */            \
  X(too_many_recipients)

namespace detail::cred {  // apart from the HTTP bits: some names are the same
enum CredAnomalyBit : uint32_t {
#define NETLINES_CRED_ANOMALY_BIT(name) name,
  NETLINES_CRED_ANOMALIES(NETLINES_CRED_ANOMALY_BIT)
#undef NETLINES_CRED_ANOMALY_BIT
};
}  // namespace detail::cred
enum class CredAnomaly : uint32_t {
#define NETLINES_CRED_ANOMALY(name) name = 1u << detail::cred::CredAnomalyBit::name,
  NETLINES_CRED_ANOMALIES(NETLINES_CRED_ANOMALY)
#undef NETLINES_CRED_ANOMALY
};
void cred_anomaly_names(uint32_t bits, std::vector<const char*>& out);
const char* cred_anomaly_name(CredAnomaly a);

enum class CredProtocol : uint8_t { ftp, pop3, imap, smtp, http, telnet, ldap, postgresql, mysql };
const char* cred_protocol_name(CredProtocol p);

enum class CredOutcome : uint8_t { unknown, success, failure };
const char* cred_outcome_name(CredOutcome o);

// One login attempt.
struct CredAttempt {
  CredProtocol protocol = CredProtocol::ftp;
  std::string mechanism;              // docs/schema.md lists them (user_pass, plain, basic, ...)
  std::optional<std::string> user;
  bool password_sent = false;         // a clear-text password was on the wire
  std::string password;               // its bytes (the record shows them only on request)
  CredOutcome outcome = CredOutcome::unknown;
  std::optional<std::string> reply_code, reply_text;  // the answer that decided the outcome
  Timestamp ts;                       // the piece that carried the credentials
  uint64_t attempt_no = 0;            // 0-based within the session
  uint32_t anomalies = 0;

  bool has(CredAnomaly a) const { return anomalies & uint32_t(a); }
};

// One SMTP mail transaction (MAIL FROM to the end of DATA, RSET or the session).
struct SmtpTransaction {
  Timestamp ts;                       // MAIL FROM's piece
  uint64_t tx_no = 0;                 // 0-based within the session
  std::optional<std::string> helo;    // the latest HELO/EHLO/LHLO argument
  std::optional<std::string> auth_user;  // user of a successful AUTH before it
  std::optional<std::string> mail_from;  // the path inside <> (or the argument as sent)
  std::vector<std::string> rcpt_to;   // in order (capped at max_rcpt)
  uint32_t rcpt_rejected = 0;         // RCPT TO answered 4xx/5xx
  bool data = false;                  // DATA or BDAT sent
  CredOutcome outcome = CredOutcome::unknown;  // the final reply to the message
  std::optional<std::string> reply_code, reply_text;
  bool reset = false;                 // ended by RSET
  uint32_t anomalies = 0;
};

struct CredOptions {
  bool show_secrets = false;          // passwords in the records
  uint32_t max_line = 8192;           // a command or reply line (IMAP literals included)
  uint32_t max_message = 65536;       // a binary message (BER, PostgreSQL, MySQL)
  uint32_t max_pending = 64;          // commands awaiting their reply
  uint32_t max_rcpt = 100;            // RCPT TO kept per transaction
  uint32_t max_reply_text = 512;      // bytes of reply text kept
};

struct CredStats {
  uint64_t sessions = 0;              // sessions given to a parser
  uint64_t recognized = 0;            // sessions found to speak one of the protocols
  uint64_t attempts = 0;              // login attempts emitted
  uint64_t successes = 0, failures = 0;
  uint64_t smtp_transactions = 0;
  uint64_t tls_upgrades = 0;          // sessions that went on in TLS
  uint64_t lines_too_long = 0, binary_lines = 0;
  uint64_t pipeline_overflow = 0;
  uint64_t bytes_ignored = 0;         // bytes after a direction or the session stopped

  std::vector<std::pair<const char*, uint64_t>> named() const;
};

// --- Pure pieces the session parser is made of (unit-tested one by one) ------

// A numbered reply line (FTP, SMTP: "230 text", "250-more"). False if the line
// does not start with three digits followed by space, '-' or the end.
struct NumericReply {
  uint16_t code = 0;
  bool more = false;                  // '-': a multi-line reply goes on
  std::string_view text;
};
bool parse_numeric_reply(std::string_view line, NumericReply& r);

// A command line: its verb (upper-cased into `verb`) and the rest after one or
// more spaces.
void split_command(std::string_view line, std::string& verb, std::string_view& arg);

// SASL PLAIN (RFC 4616): authzid NUL authcid NUL passwd, already decoded. The
// user is authcid (authzid when authcid is empty). False without two NULs.
bool parse_sasl_plain(std::string_view decoded, std::string& user, std::string& password);

// IMAP: the tag and the command of a client line, and its arguments as atoms,
// quoted strings (escapes undone) or literals already inlined by the framer
// (RFC 9051 4.3). Returns false when the line has no tag and command.
struct ImapCommand {
  std::string tag, command;           // command upper-cased
  std::vector<std::string> args;
};
bool parse_imap_command(std::string_view line, ImapCommand& c);

// "MAIL FROM:<a@b> SIZE=1" -> "a@b" (the bracketed path, else the first word).
std::string smtp_path(std::string_view arg);

// PostgreSQL StartupMessage (length included): the user parameter. The code
// tells SSLRequest (80877103) and GSSENCRequest (80877104) apart.
struct PgStartup {
  uint32_t code = 0;
  std::optional<std::string> user, database;
};
bool parse_pg_startup(std::string_view msg, PgStartup& s);
inline constexpr uint32_t kPgProtocol3 = 196608, kPgSslRequest = 80877103, kPgGssRequest = 80877104,
                          kPgCancel = 80877102;

// MySQL HandshakeResponse41 (the packet payload after the 4-byte header). ssl:
// the short SSLRequest (CLIENT_SSL set, no user): TLS follows.
struct MysqlLogin {
  bool ssl = false;
  std::string user;
  uint64_t auth_len = 0;              // bytes of the scrambled auth response
  std::optional<std::string> plugin, database;
};
bool parse_mysql_login(std::string_view payload, MysqlLogin& m);

// LDAP (RFC 4511) over BER: a BindRequest's name and simple password, a
// BindResponse's result code and diagnostic message, an ExtendedRequest's name
// (StartTLS). One LDAPMessage, whole.
struct LdapMessage {
  uint64_t id = 0;
  uint8_t op = 0;                     // application tag number (0 bind request, 1 bind response, 23 extended)
  std::string name;                   // bind DN, or the extended request's OID
  bool simple = false;                // simple authentication (else SASL: mechanism in `mechanism`)
  std::string password, mechanism;
  std::optional<std::string> sasl_credentials;
  uint64_t result_code = 0;
  std::string diagnostic;
};
// Length of the BER element starting at data[0] (header included); 0 when more
// bytes are needed, SIZE_MAX when it cannot be BER.
size_t ber_element_size(std::string_view data);
bool parse_ldap_message(std::string_view msg, LdapMessage& m);

// --- The session parser -------------------------------------------------------

class CredSessionParser {
 public:
  using EmitCred = std::function<void(const CredAttempt&)>;
  using EmitSmtp = std::function<void(const SmtpTransaction&)>;
  // stats may be null; opts must outlive the parser.
  CredSessionParser(const CredOptions& opts, EmitCred cred, EmitSmtp smtp, CredStats* stats = nullptr);
  ~CredSessionParser();
  CredSessionParser(const CredSessionParser&) = delete;
  CredSessionParser& operator=(const CredSessionParser&) = delete;

  void feed(const MonologuePiece& p);
  void finish(EndReason reason);       // emits what is still pending
  bool done() const { return done_; }  // nothing more will be parsed (TLS, not a login protocol, stopped)
  std::optional<CredProtocol> protocol() const;

  // The handler of one protocol: cred.cpp, cred_mail.cpp, cred_db.cpp.
  class Handler;

 private:
  void detect(const MonologuePiece& p);

  const CredOptions& opts_;
  EmitCred emit_cred_;
  EmitSmtp emit_smtp_;
  CredStats local_stats_;
  CredStats* stats_;
  std::unique_ptr<Handler> handler_;
  struct HeadPiece {
    Dir dir;
    Timestamp ts;
    size_t len;
  };
  std::string c2s_head_, s2c_head_;   // first bytes, kept until the protocol is known
  std::vector<HeadPiece> replay_;     // the pieces they came in, in order
  bool first_dir_c2s_ = false;
  bool done_ = false;
};

}  // namespace nl
