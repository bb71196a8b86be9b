// The mail protocols of cred.hpp: POP3 (RFC 1939, RFC 5034 AUTH, RFC 2595 STLS),
// IMAP (RFC 9051 LOGIN, AUTHENTICATE, STARTTLS) and SMTP (RFC 5321, RFC 4954
// AUTH, RFC 3207 STARTTLS, RFC 3030 BDAT), with the mail transactions of SMTP.
#include <algorithm>

#include "libcore/proto/cred.hpp"
#include "libcore/proto/cred_handler.hpp"

namespace nl {

std::string smtp_path(std::string_view arg) {
  size_t lt = arg.find('<');
  if (lt != std::string_view::npos) {
    size_t gt = arg.find('>', lt);
    if (gt != std::string_view::npos) return std::string(arg.substr(lt + 1, gt - lt - 1));
  }
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  return std::string(arg.substr(0, arg.find(' ')));
}

bool parse_imap_command(std::string_view line, ImapCommand& c) {
  c = ImapCommand();
  size_t i = 0;
  auto skip_sp = [&] {
    while (i < line.size() && line[i] == ' ') ++i;
  };
  auto atom = [&] {
    size_t b = i;
    while (i < line.size() && line[i] != ' ') ++i;
    return line.substr(b, i - b);
  };
  c.tag.assign(atom());
  skip_sp();
  c.command = upper(atom());
  if (c.tag.empty() || c.command.empty()) return false;
  while (true) {
    skip_sp();
    if (i >= line.size()) break;
    std::string a;
    if (line[i] == '"') {
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        a += line[i];
      }
      if (i < line.size()) ++i;
    } else if (line[i] == '{') {
      // A literal the framer inlined: "{n}" CRLF and n bytes.
      size_t close = line.find('}', i);
      if (close == std::string_view::npos) {
        a.assign(atom());
      } else {
        uint64_t n = 0;
        for (size_t k = i + 1; k < close; ++k)
          if (line[k] >= '0' && line[k] <= '9') n = n * 10 + uint64_t(line[k] - '0');
        i = close + 1;
        if (i < line.size() && line[i] == '\r') ++i;
        if (i < line.size() && line[i] == '\n') ++i;
        size_t take = size_t(std::min<uint64_t>(n, line.size() - i));
        a.assign(line.substr(i, take));
        i += take;
      }
    } else {
      a.assign(atom());
    }
    c.args.push_back(std::move(a));
  }
  return true;
}

namespace {

CredOutcome reply_outcome(bool ok) { return ok ? CredOutcome::success : CredOutcome::failure; }

// --- POP3 --------------------------------------------------------------------------

class Pop3Handler : public CredLineHandler {
 public:
  explicit Pop3Handler(const Ctx& c) : CredLineHandler(c, CredProtocol::pop3) {}

  void on_line(Dir d, std::string_view line, const Timestamp& ts) override {
    if (d == Dir::c2s) return command(line, ts);
    if (multi_) {
      if (line == ".") multi_ = false;
      return;
    }
    bool ok = starts_with_ci(line, "+OK"), err = starts_with_ci(line, "-ERR");
    if (!ok && !err) {
      if (line.size() >= 1 && line[0] == '+' && sasl_) return;  // SASL challenge "+ ..."
      flag(CredAnomaly::malformed_reply);
      return;
    }
    std::string_view text = line.substr(ok ? 3 : 4);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    if (!answers_command(q_, greeted_)) return;
    Cmd c = std::move(q_.front());
    q_.pop_front();
    if (ok && c.multi) multi_ = true;
    if (c.k == K::user) {
      if (!c.a) return;                // a pipelined PASS took the attempt
      if (ok) user_ = std::move(c.a);  // PASS follows
      else decide(*c.a, false, line, text);
    } else if (c.k == K::login) {
      if (c.sasl) {
        sasl_ = false;
        sasl_x_.fill(*c.a);
      }
      decide(*c.a, ok, line, text);
      if (ok) done_ = true;  // TRANSACTION state: no login can follow
    } else if (c.k == K::stls && ok) {
      flush_user();
      upgraded_to_tls();
    }
  }

  void finish(EndReason) override {
    emit_unanswered(q_, [&](Cmd& c) {
      if (c.sasl) sasl_x_.fill(*c.a);
    });
    flush_user();
  }

 private:
  void on_skipped_line(Dir d) override {
    if (d == Dir::c2s && q_.size() < c_.o.max_pending) q_.push_back(Cmd{});
  }
  enum class K : uint8_t { other, user, login, stls };
  struct Cmd {
    K k = K::other;
    bool multi = false;  // +OK starts a multi-line answer
    bool sasl = false;
    std::optional<CredAttempt> a;
  };

  void command(std::string_view line, const Timestamp& ts) {
    if (sasl_ && !q_.empty() && q_.back().sasl) {
      sasl_x_.response(line);
      return;
    }
    std::string verb;
    std::string_view arg;
    split_command(line, verb, arg);
    Cmd c;
    if (verb == "USER") {
      flush_user();
      c.k = K::user;
      c.a = attempt("user_pass", ts);
      c.a->user.emplace(arg);
    } else if (verb == "PASS") {
      c.k = K::login;
      if (user_) {
        c.a = std::move(user_);
        user_.reset();
      } else if (!q_.empty() && q_.back().k == K::user && q_.back().a) {
        // Pipelined: USER's reply has not come yet; the attempt is PASS's now.
        c.a = std::move(q_.back().a);
        q_.back().a.reset();
      } else {
        c.a = attempt("user_pass", ts);
      }
      c.a->password_sent = true;
      c.a->password.assign(arg);
    } else if (verb == "APOP") {
      // APOP name digest: the digest is not the password.
      c.k = K::login;
      c.a = attempt("apop", ts);
      size_t sp = arg.rfind(' ');
      c.a->user.emplace(arg.substr(0, sp));
    } else if (verb == "AUTH" && !arg.empty()) {
      std::string mech;
      std::string_view ir;
      split_command(arg, mech, ir);
      c.k = K::login;
      c.sasl = true;
      sasl_ = true;
      sasl_x_.start(mech);
      if (!ir.empty()) sasl_x_.response(ir);
      c.a = attempt(sasl_x_.mechanism_name(), ts);
    } else if (verb == "STLS") {
      c.k = K::stls;
    } else if (verb == "CAPA" || verb == "AUTH" || verb == "RETR" || verb == "TOP" ||
               ((verb == "LIST" || verb == "UIDL") && arg.empty())) {
      c.multi = true;
    }
    queue_command(q_, std::move(c));
  }


  void decide(CredAttempt& a, bool ok, std::string_view line, std::string_view text) {
    a.outcome = reply_outcome(ok);
    a.reply_code = ok ? "+OK" : "-ERR";
    a.reply_text = reply_text(text);
    (void)line;
    emit(a);
  }

  void flush_user() {
    if (!user_) return;
    emit(*user_);
    user_.reset();
  }

  std::deque<Cmd> q_;
  std::optional<CredAttempt> user_;
  SaslExchange sasl_x_;
  bool sasl_ = false, greeted_ = false, multi_ = false;
};

// --- IMAP ----------------------------------------------------------------------------

class ImapHandler : public CredLineHandler {
 public:
  explicit ImapHandler(const Ctx& c) : CredLineHandler(c, CredProtocol::imap) {}

  void on_line(Dir d, std::string_view line, const Timestamp& ts) override {
    if (d == Dir::c2s) return client_line(line, ts);
    if (line.empty()) return;
    if (line[0] == '*' || line[0] == '+') return;  // untagged data, continuation requests
    ImapCommand r;
    if (!parse_imap_command(line, r)) {
      flag(CredAnomaly::malformed_reply);
      return;
    }
    auto it = std::find_if(q_.begin(), q_.end(), [&](const Cmd& c) { return c.tag == r.tag; });
    if (it == q_.end()) {
      if (r.command == "OK" || r.command == "NO" || r.command == "BAD") flag(CredAnomaly::unsolicited_reply);
      return;
    }
    Cmd c = std::move(*it);
    q_.erase(it);
    bool ok = r.command == "OK";
    if (c.a) {
      if (c.sasl) {
        sasl_x_.fill(*c.a);
        sasl_tag_.clear();
      }
      c.a->outcome = reply_outcome(ok);
      c.a->reply_code = r.command;
      std::string_view text = line.substr(std::min(line.size(), r.tag.size() + 1));
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      text.remove_prefix(std::min(text.size(), r.command.size()));
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      c.a->reply_text = reply_text(text);
      emit(*c.a);
      if (ok) done_ = true;  // authenticated: no login can follow
    } else if (c.starttls && ok) {
      upgraded_to_tls();
    }
  }

  void finish(EndReason) override {
    if (!partial_.empty()) {
      std::string l;
      l.swap(partial_);
      client_line(l, partial_ts_);
    }
    emit_unanswered(q_, [&](Cmd& c) {
      if (c.sasl) sasl_x_.fill(*c.a);
    });
  }

 protected:
  void on_raw(std::string_view b, const Timestamp&) override {
    if (partial_.size() + b.size() <= c_.o.max_line) partial_.append(b);
    else literal_over_ = true;
  }

 private:
  struct Cmd {
    std::string tag;
    bool sasl = false, starttls = false;
    std::optional<CredAttempt> a;
  };

  // A line that ends in a literal's announcement goes on after the literal's bytes.
  void client_line(std::string_view line, const Timestamp& ts) {
    if (partial_.empty()) partial_ts_ = ts;
    if (!sasl_tag_.empty()) {
      // The client's answers to AUTHENTICATE continuations.
      sasl_x_.response(line);
      return;
    }
    if (line.size() >= 3 && line.back() == '}') {
      size_t open = line.rfind('{');
      if (open != std::string_view::npos && open + 1 < line.size() - 1) {
        uint64_t n = 0;
        bool digits = true;
        for (size_t k = open + 1; k + 1 < line.size(); ++k) {
          if (line[k] == '+' && k + 2 == line.size()) break;  // LITERAL+
          if (line[k] < '0' || line[k] > '9' || n > (1u << 30)) digits = false;
          else n = n * 10 + uint64_t(line[k] - '0');
        }
        if (digits) {
          if (partial_.size() + line.size() + 2 > c_.o.max_line) {
            flag(CredAnomaly::line_too_long);
            literal_over_ = true;
          } else {
            partial_.append(line);
            partial_ += "\r\n";
          }
          raw_wanted_ = n;
          return;
        }
      }
    }
    std::string whole;
    if (!partial_.empty()) {
      whole.swap(partial_);
      whole.append(line);
      line = whole;
    }
    if (literal_over_) {
      literal_over_ = false;
      flag(CredAnomaly::line_too_long);
      return;
    }
    command(line, partial_ts_);
  }

  void command(std::string_view line, const Timestamp& ts) {
    ImapCommand c;
    if (!parse_imap_command(line, c)) return;
    Cmd q;
    q.tag = c.tag;
    if (c.command == "LOGIN") {
      q.a = attempt("login", ts);
      if (!c.args.empty()) q.a->user = c.args[0];
      if (c.args.size() >= 2) {
        q.a->password_sent = true;
        q.a->password = c.args[1];
      }
    } else if (c.command == "AUTHENTICATE" && !c.args.empty()) {
      q.sasl = true;
      sasl_tag_ = c.tag;
      sasl_x_.start(c.args[0]);
      if (c.args.size() >= 2) sasl_x_.response(c.args[1]);  // SASL-IR (RFC 4959)
      q.a = attempt(sasl_x_.mechanism_name(), ts);
    } else if (c.command == "STARTTLS") {
      q.starttls = true;
    }
    queue_command(q_, std::move(q));
  }


  std::deque<Cmd> q_;
  std::string partial_;
  Timestamp partial_ts_;
  bool literal_over_ = false;
  std::string sasl_tag_;
  SaslExchange sasl_x_;
};

// --- SMTP ------------------------------------------------------------------------------

class SmtpHandler : public CredNumericReplyHandler {
 public:
  explicit SmtpHandler(const Ctx& c) : CredNumericReplyHandler(c, CredProtocol::smtp) {}

  void on_line(Dir d, std::string_view line, const Timestamp& ts) override {
    if (d == Dir::c2s) return client_line(line, ts);
    server_line(line, /*any_text_inside=*/false);
  }

  void finish(EndReason) override {
    emit_unanswered(q_, [&](Cmd& c) {
      if (c.k == K::auth) sasl_x_.fill(*c.a);
    });
    end_tx();
  }

 protected:
  void on_raw(std::string_view, const Timestamp&) override {}  // BDAT chunk bytes

 private:
  void on_skipped_line(Dir d) override {
    if (d == Dir::c2s && !in_data_) queue_command(q_, Cmd{});
  }
  enum class K : uint8_t { other, helo, auth, starttls, mail, rcpt, data_cmd, data, bdat, bdat_last, rset };
  struct Cmd {
    K k = K::other;
    std::optional<CredAttempt> a;
  };

  void client_line(std::string_view line, const Timestamp& ts) {
    if (in_data_) {
      if (line == ".") {
        in_data_ = false;
        queue_command(q_, Cmd{K::data, std::nullopt});  // the message's final reply
      }
      return;
    }
    if (sasl_) {
      sasl_x_.response(line);
      return;
    }
    std::string verb;
    std::string_view arg;
    split_command(line, verb, arg);
    Cmd c;
    if (verb == "EHLO" || verb == "HELO" || verb == "LHLO") {
      c.k = K::helo;
      helo_.emplace(arg);
    } else if (verb == "AUTH" && !arg.empty()) {
      std::string mech;
      std::string_view ir;
      split_command(arg, mech, ir);
      sasl_x_.start(mech);
      if (!ir.empty()) sasl_x_.response(ir);
      sasl_ = true;
      c.k = K::auth;
      c.a = attempt(sasl_x_.mechanism_name(), ts);
    } else if (verb == "STARTTLS") {
      c.k = K::starttls;
    } else if (verb == "MAIL" && starts_with_ci(arg, "FROM:")) {
      end_tx();
      tx_.emplace();
      tx_->ts = ts;
      tx_->tx_no = next_tx_++;
      tx_->helo = helo_;
      tx_->auth_user = auth_user_;
      tx_->mail_from = smtp_path(arg.substr(5));
      c.k = K::mail;
    } else if (verb == "RCPT" && starts_with_ci(arg, "TO:")) {
      if (tx_) {
        if (tx_->rcpt_to.size() < c_.o.max_rcpt) tx_->rcpt_to.push_back(smtp_path(arg.substr(3)));
        else tx_->anomalies |= uint32_t(CredAnomaly::too_many_recipients);
      }
      c.k = K::rcpt;
    } else if (verb == "DATA") {
      if (tx_) tx_->data = true;
      c.k = K::data_cmd;  // the content follows a 354
    } else if (verb == "BDAT") {
      // BDAT size [LAST]: size bytes of the message follow at once.
      std::string n;
      std::string_view rest;
      split_command(arg, n, rest);
      uint64_t size = 0;
      for (char ch : n)
        if (ch >= '0' && ch <= '9' && size < (uint64_t(1) << 50)) size = size * 10 + uint64_t(ch - '0');
      raw_wanted_ = size;
      if (tx_) tx_->data = true;
      c.k = starts_with_ci(rest, "LAST") ? K::bdat_last : K::bdat;
    } else if (verb == "RSET") {
      if (tx_) tx_->reset = true;
      end_tx();
      c.k = K::rset;
    }
    queue_command(q_, std::move(c));
  }

  void reply(uint16_t code, std::string text) override {
    if (code == 334) {  // AUTH continuation (or, first of all, an odd greeting)
      greeted_ = true;
      return;
    }
    if (!answers_command(q_, greeted_)) return;
    if (q_.front().k == K::data_cmd) {
      q_.pop_front();
      if (code == 354) {
        in_data_ = true;  // the client's lines are the message now, up to "."
      } else if (tx_) {   // DATA refused
        tx_->outcome = CredOutcome::failure;
        tx_->reply_code = std::to_string(code);
        tx_->reply_text = std::move(text);
        end_tx();
      }
      return;
    }
    Cmd c = std::move(q_.front());
    q_.pop_front();
    bool ok = code < 400;
    switch (c.k) {
      case K::auth:
        sasl_ = false;
        sasl_x_.fill(*c.a);
        c.a->outcome = reply_outcome(ok);
        c.a->reply_code = std::to_string(code);
        c.a->reply_text = std::move(text);
        if (ok && c.a->user) auth_user_ = c.a->user;
        emit(*c.a);
        break;
      case K::starttls:
        if (code == 220) {
          end_tx();
          upgraded_to_tls();
        }
        break;
      case K::mail:
        if (!ok && tx_) {
          tx_->outcome = CredOutcome::failure;
          tx_->reply_code = std::to_string(code);
          tx_->reply_text = std::move(text);
        }
        break;
      case K::rcpt:
        if (!ok && tx_) ++tx_->rcpt_rejected;
        break;
      case K::data:
      case K::bdat_last:
        if (tx_) {
          tx_->outcome = reply_outcome(ok);
          tx_->reply_code = std::to_string(code);
          tx_->reply_text = std::move(text);
          end_tx();
        }
        break;
      default: break;
    }
  }


  void end_tx() {
    if (!tx_) return;
    ++c_.st.smtp_transactions;
    c_.smtp(*tx_);
    tx_.reset();
  }

  std::deque<Cmd> q_;
  SaslExchange sasl_x_;
  bool sasl_ = false, greeted_ = false, in_data_ = false;
  std::optional<std::string> helo_, auth_user_;
  std::optional<SmtpTransaction> tx_;
  uint64_t next_tx_ = 0;
};

}  // namespace

HandlerPtr make_pop3_handler(const CredSessionParser::Handler::Ctx& c) { return std::make_unique<Pop3Handler>(c); }
HandlerPtr make_imap_handler(const CredSessionParser::Handler::Ctx& c) { return std::make_unique<ImapHandler>(c); }
HandlerPtr make_smtp_handler(const CredSessionParser::Handler::Ctx& c) { return std::make_unique<SmtpHandler>(c); }

}  // namespace nl
