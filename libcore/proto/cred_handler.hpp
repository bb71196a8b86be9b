// Inside cred.hpp's session parser: the handler every protocol implements, the
// line framer the text protocols share, the SASL exchange (POP3, IMAP, SMTP) and
// the factories of the handlers (cred.cpp, cred_mail.cpp, cred_db.cpp).
#pragma once
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "libcore/proto/cred.hpp"

namespace nl {

// Bytes of one direction, in stream order (a piece, or the head replayed).
struct CredChunk {
  Dir dir = Dir::c2s;
  std::string_view data;
  Timestamp ts;
  uint64_t gap_before = 0;
};

class CredSessionParser::Handler {
 public:
  struct Ctx {
    const CredOptions& o;
    const EmitCred& cred;
    const EmitSmtp& smtp;
    CredStats& st;
  };
  Handler(const Ctx& c, CredProtocol p) : c_(c), proto_(p) {}
  virtual ~Handler() = default;
  virtual void feed(const CredChunk& c) = 0;
  virtual void finish(EndReason r) = 0;

  CredProtocol protocol() const { return proto_; }
  bool done() const { return done_; }

 protected:
  CredAttempt attempt(std::string mechanism, const Timestamp& ts);
  void emit(CredAttempt& a);          // adds the anomalies seen since the last record
  void flag(CredAnomaly a) { pending_ |= uint32_t(a); }
  uint32_t take_anomalies() {
    uint32_t a = pending_;
    pending_ = 0;
    return a;
  }
  void upgraded_to_tls();             // the rest is TLS: done
  std::string reply_text(std::string_view t) const;  // capped
  // Queues a command until its reply. Past max_pending the pipeline overflows: the
  // command is flagged, counted and its attempt written without a reply.
  template <class Cmd>
  void queue_command(std::deque<Cmd>& q, Cmd&& c) {
    if (q.size() >= c_.o.max_pending) {
      flag(CredAnomaly::pipeline_overflow);
      ++c_.st.pipeline_overflow;
      if (c.a) emit(*c.a);
      return;
    }
    q.push_back(std::move(c));
  }
  // Whether a server's reply answers the first queued command: not the greeting
  // (a reply before any command, once) nor one nothing asked for (flagged).
  template <class Cmd>
  bool answers_command(const std::deque<Cmd>& q, bool& greeted) {
    bool greeting = !greeted && q.empty();
    greeted = true;
    if (greeting) return false;
    if (q.empty()) {
      flag(CredAnomaly::unsolicited_reply);
      return false;
    }
    return true;
  }
  // At the end: an attempt still waiting for its reply is written, flagged no_reply.
  void emit_unanswered(std::optional<CredAttempt>& a) {
    if (!a) return;
    a->anomalies |= uint32_t(CredAnomaly::no_reply);
    emit(*a);
    a.reset();
  }
  // The same for the commands of a queue, after `before(cmd)` completes each.
  template <class Cmd, class Before>
  void emit_unanswered(std::deque<Cmd>& q, Before&& before) {
    for (Cmd& c : q)
      if (c.a) {
        before(c);
        emit_unanswered(c.a);
      }
    q.clear();
  }

  Ctx c_;
  CredProtocol proto_;
  bool done_ = false;
  uint32_t pending_ = 0;              // anomalies for the next record
  uint64_t next_attempt_ = 0;
};

// Text protocols: lines ended by LF (CR dropped), capped at max_line; a client
// line may ask for raw bytes to follow (IMAP literals, SMTP BDAT).
class CredLineHandler : public CredSessionParser::Handler {
 public:
  using Handler::Handler;
  void feed(const CredChunk& c) override;

 protected:
  virtual void on_line(Dir d, std::string_view line, const Timestamp& ts) = 0;
  // Raw bytes the client sends next (not lines); on_raw gets them.
  uint64_t raw_wanted_ = 0;
  virtual void on_raw(std::string_view, const Timestamp&) {}
  // A line not handed on (too long, binary): a command still takes a reply.
  virtual void on_skipped_line(Dir) {}
  void stop_direction(Dir d) { side(d).stopped = true; }

 private:
  struct Side {
    std::string line;
    bool skipping = false;            // the rest of an over-long line
    bool stopped = false;
    uint32_t junk_run = 0;            // binary lines in a row
  };
  Side& side(Dir d) { return d == Dir::c2s ? c_side_ : s_side_; }
  void line_done(Dir d, Side& s, const Timestamp& ts);
  Side c_side_, s_side_;
};

// FTP and SMTP: the server answers in numeric replies, a line "code text" or lines
// "code-text" ended by "code text" (RFC 959 4.2, RFC 5321 4.2.1); reply() gets each
// whole reply with its first line's text.
class CredNumericReplyHandler : public CredLineHandler {
 public:
  using CredLineHandler::CredLineHandler;

 protected:
  // A server line. `any_text_inside`: inside a multi-line reply a line without the
  // code is no anomaly (FTP); otherwise every line that is no reply is one (SMTP).
  void server_line(std::string_view line, bool any_text_inside);
  virtual void reply(uint16_t code, std::string text) = 0;

 private:
  bool multi_ = false;
  uint16_t multi_code_ = 0;
  std::string multi_text_;
};

// One SASL exchange (RFC 4422) after AUTH / AUTHENTICATE: the client's
// responses, base64 lines, give the user (and the password of PLAIN and LOGIN).
struct SaslExchange {
  std::string mechanism;              // upper case as sent
  int responses = 0;                  // client lines taken
  bool cancelled = false;             // "*"
  bool bad_base64 = false;
  std::optional<std::string> user;
  bool password_sent = false;
  std::string password;
  void start(std::string_view mech);
  void response(std::string_view b64);  // one client line (or the initial response)
  std::string mechanism_name() const;   // "plain", "login", "cram_md5", ...
  void fill(CredAttempt& a) const;      // the user, password and anomalies found
};

// Shared by the line protocols.
std::string upper(std::string_view s);
bool starts_with_ci(std::string_view s, std::string_view prefix);
bool is_binary_line(std::string_view line);

using HandlerPtr = std::unique_ptr<CredSessionParser::Handler>;
HandlerPtr make_ftp_handler(const CredSessionParser::Handler::Ctx& c);
HandlerPtr make_pop3_handler(const CredSessionParser::Handler::Ctx& c);
HandlerPtr make_imap_handler(const CredSessionParser::Handler::Ctx& c);
HandlerPtr make_smtp_handler(const CredSessionParser::Handler::Ctx& c);
HandlerPtr make_http_handler(const CredSessionParser::Handler::Ctx& c);
HandlerPtr make_telnet_handler(const CredSessionParser::Handler::Ctx& c);
HandlerPtr make_ldap_handler(const CredSessionParser::Handler::Ctx& c);
HandlerPtr make_postgresql_handler(const CredSessionParser::Handler::Ctx& c);
HandlerPtr make_mysql_handler(const CredSessionParser::Handler::Ctx& c);

}  // namespace nl
