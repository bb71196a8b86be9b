// The session parser (protocol detection by content), the pieces the handlers
// share (line framing, SASL), and the FTP, Telnet and HTTP handlers.
#include "libcore/proto/cred.hpp"

#include <algorithm>
#include <cstring>

#include "libcore/json/writer.hpp"
#include "libcore/proto/cred_handler.hpp"
#include "libcore/proto/http.hpp"

namespace nl {

namespace {
const char* const kAnomalyNames[] = {
#define NETLINES_CRED_ANOMALY_NAME(name) #name,
    NETLINES_CRED_ANOMALIES(NETLINES_CRED_ANOMALY_NAME)
#undef NETLINES_CRED_ANOMALY_NAME
};
constexpr size_t kAnomalyCount = sizeof(kAnomalyNames) / sizeof(kAnomalyNames[0]);
}  // namespace

void cred_anomaly_names(uint32_t bits, std::vector<const char*>& out) {
  for (size_t i = 0; i < kAnomalyCount; ++i)
    if (bits & (1u << i)) out.push_back(kAnomalyNames[i]);
}

const char* cred_anomaly_name(CredAnomaly a) {
  for (size_t i = 0; i < kAnomalyCount; ++i)
    if (uint32_t(a) == (1u << i)) return kAnomalyNames[i];
  return "unknown";
}

const char* cred_protocol_name(CredProtocol p) {
  switch (p) {
    case CredProtocol::ftp: return "ftp";
    case CredProtocol::pop3: return "pop3";
    case CredProtocol::imap: return "imap";
    case CredProtocol::smtp: return "smtp";
    case CredProtocol::http: return "http";
    case CredProtocol::telnet: return "telnet";
    case CredProtocol::ldap: return "ldap";
    case CredProtocol::postgresql: return "postgresql";
    case CredProtocol::mysql: return "mysql";
  }
  return "unknown";
}

const char* cred_outcome_name(CredOutcome o) {
  switch (o) {
    case CredOutcome::success: return "success";
    case CredOutcome::failure: return "failure";
    case CredOutcome::unknown: return "unknown";
  }
  return "unknown";
}

std::vector<std::pair<const char*, uint64_t>> CredStats::named() const {
  return {{"sessions", sessions},
          {"recognized", recognized},
          {"attempts", attempts},
          {"successes", successes},
          {"failures", failures},
          {"smtp_transactions", smtp_transactions},
          {"tls_upgrades", tls_upgrades},
          {"lines_too_long", lines_too_long},
          {"binary_lines", binary_lines},
          {"pipeline_overflow", pipeline_overflow},
          {"bytes_ignored", bytes_ignored}};
}

// --- pure pieces ----------------------------------------------------------------

std::string upper(std::string_view s) {
  std::string o(s);
  for (char& c : o)
    if (c >= 'a' && c <= 'z') c = char(c - 32);
  return o;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i], b = prefix[i];
    if (a >= 'a' && a <= 'z') a = char(a - 32);
    if (b >= 'a' && b <= 'z') b = char(b - 32);
    if (a != b) return false;
  }
  return true;
}

bool is_binary_line(std::string_view line) {
  for (unsigned char c : line)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  return false;
}

bool parse_numeric_reply(std::string_view line, NumericReply& r) {
  if (line.size() < 3) return false;
  for (int i = 0; i < 3; ++i)
    if (line[i] < '0' || line[i] > '9') return false;
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return false;
  r.code = uint16_t((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
  r.more = line.size() > 3 && line[3] == '-';
  r.text = line.size() > 4 ? line.substr(4) : std::string_view();
  return true;
}

void split_command(std::string_view line, std::string& verb, std::string_view& arg) {
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  size_t sp = line.find(' ');
  verb = upper(line.substr(0, sp));
  arg = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  while (!arg.empty() && (arg.back() == ' ' || arg.back() == '\t')) arg.remove_suffix(1);
}

bool parse_sasl_plain(std::string_view d, std::string& user, std::string& password) {
  size_t a = d.find('\0');
  if (a == std::string_view::npos) return false;
  size_t b = d.find('\0', a + 1);
  if (b == std::string_view::npos) return false;
  std::string_view authz = d.substr(0, a), authc = d.substr(a + 1, b - a - 1);
  user.assign(authc.empty() ? authz : authc);
  password.assign(d.substr(b + 1));
  return true;
}

// --- SASL -------------------------------------------------------------------------

void SaslExchange::start(std::string_view mech) {
  *this = SaslExchange();
  mechanism = upper(mech);
}

void SaslExchange::fill(CredAttempt& a) const {
  a.user = user;
  a.password_sent = password_sent;
  a.password = password;
  if (bad_base64) a.anomalies |= uint32_t(CredAnomaly::bad_base64);
}

void SaslExchange::response(std::string_view b64) {
  ++responses;
  if (b64 == "*") {
    cancelled = true;
    return;
  }
  std::string d;
  if (b64 == "=") b64 = {};  // an empty initial response (RFC 4954)
  if (!decode_base64(b64, d)) {
    bad_base64 = true;
    return;
  }
  if (mechanism == "PLAIN") {
    std::string u, p;
    if (responses == 1 && parse_sasl_plain(d, u, p)) {
      user = u;
      password_sent = true;
      password = p;
    } else if (responses == 1 && d.empty()) {
      --responses;  // "=": the credentials follow in the next response
    }
  } else if (mechanism == "LOGIN") {
    // The server asks Username: then Password: (the challenges are not checked:
    // some servers send other words).
    if (responses == 1) user = d;
    else if (responses == 2) {
      password_sent = true;
      password = d;
    }
  } else if (mechanism == "CRAM-MD5") {
    // "user hexdigest" (RFC 2195): the digest is not the password.
    size_t sp = d.rfind(' ');
    if (responses == 1 && sp != std::string::npos) user = d.substr(0, sp);
  } else if (mechanism.rfind("SCRAM-", 0) == 0 && responses == 1) {
    // client-first-message "n,,n=user,r=nonce" (RFC 5802); "=2C" and "=3D" escape , and =.
    size_t n = d.find(",n=");
    if (n != std::string::npos) {
      size_t e = d.find(',', n + 3);
      std::string u = d.substr(n + 3, e == std::string::npos ? std::string::npos : e - n - 3);
      std::string out;
      for (size_t i = 0; i < u.size(); ++i) {
        if (u.compare(i, 3, "=2C") == 0) out += ',', i += 2;
        else if (u.compare(i, 3, "=3D") == 0) out += '=', i += 2;
        else out += u[i];
      }
      user = out;
    }
  }
}

std::string SaslExchange::mechanism_name() const {
  std::string m;
  for (char c : mechanism) m += (c == '-') ? '_' : (c >= 'A' && c <= 'Z' ? char(c + 32) : c);
  return m.empty() ? "sasl" : m;
}

// --- handler base and line framing ------------------------------------------------

CredAttempt CredSessionParser::Handler::attempt(std::string mechanism, const Timestamp& ts) {
  CredAttempt a;
  a.protocol = proto_;
  a.mechanism = std::move(mechanism);
  a.ts = ts;
  a.attempt_no = next_attempt_++;
  return a;
}

void CredSessionParser::Handler::emit(CredAttempt& a) {
  a.anomalies |= take_anomalies();
  ++c_.st.attempts;
  if (a.outcome == CredOutcome::success) ++c_.st.successes;
  if (a.outcome == CredOutcome::failure) ++c_.st.failures;
  c_.cred(a);
}

void CredSessionParser::Handler::upgraded_to_tls() {
  ++c_.st.tls_upgrades;
  done_ = true;
}

std::string CredSessionParser::Handler::reply_text(std::string_view t) const {
  if (t.size() > c_.o.max_reply_text) t = t.substr(0, c_.o.max_reply_text);
  return std::string(t);
}

void CredNumericReplyHandler::server_line(std::string_view line, bool any_text_inside) {
  NumericReply r;
  if (!parse_numeric_reply(line, r)) {
    if (!multi_ || !any_text_inside) flag(CredAnomaly::malformed_reply);
    return;
  }
  if (multi_) {
    if (r.code != multi_code_ || r.more) return;
    multi_ = false;
    return reply(multi_code_, std::move(multi_text_));
  }
  if (r.more) {
    multi_ = true;
    multi_code_ = r.code;
    multi_text_ = reply_text(r.text);
    return;
  }
  reply(r.code, reply_text(r.text));
}

void CredLineHandler::feed(const CredChunk& c) {
  Side& s = side(c.dir);
  if (s.stopped || done_) {
    c_.st.bytes_ignored += c.data.size();
    return;
  }
  if (c.gap_before) {
    // Where the next line starts is not known: this direction ends here.
    flag(CredAnomaly::gap);
    s.stopped = true;
    c_.st.bytes_ignored += c.data.size();
    return;
  }
  std::string_view b = c.data;
  while (!b.empty() && !done_ && !s.stopped) {
    if (c.dir == Dir::c2s && raw_wanted_ > 0) {
      size_t n = size_t(std::min<uint64_t>(raw_wanted_, b.size()));
      raw_wanted_ -= n;
      on_raw(b.substr(0, n), c.ts);
      b.remove_prefix(n);
      continue;
    }
    const void* lf = std::memchr(b.data(), '\n', b.size());
    size_t n = lf ? size_t(static_cast<const char*>(lf) - b.data()) : b.size();
    if (!s.skipping) {
      if (s.line.size() + n > c_.o.max_line) {
        flag(CredAnomaly::line_too_long);
        ++c_.st.lines_too_long;
        s.skipping = true;
        s.line.clear();
      } else {
        s.line.append(b.data(), n);
      }
    }
    if (!lf) break;
    b.remove_prefix(n + 1);
    if (s.skipping) {
      s.skipping = false;
      on_skipped_line(c.dir);
      continue;
    }
    line_done(c.dir, s, c.ts);
  }
  if (done_ || s.stopped) c_.st.bytes_ignored += b.size();
}

void CredLineHandler::line_done(Dir d, Side& s, const Timestamp& ts) {
  std::string line;
  line.swap(s.line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (is_binary_line(line)) {
    flag(CredAnomaly::binary_line);
    ++c_.st.binary_lines;
    // Junk without end: not a line protocol any more.
    if (++s.junk_run >= 16) s.stopped = true;
    on_skipped_line(d);
    return;
  }
  s.junk_run = 0;
  on_line(d, line, ts);
}

// --- FTP (RFC 959, RFC 4217 AUTH TLS) ---------------------------------------------

namespace {

class FtpHandler : public CredNumericReplyHandler {
 public:
  explicit FtpHandler(const Ctx& c) : CredNumericReplyHandler(c, CredProtocol::ftp) {}

  void on_line(Dir d, std::string_view line, const Timestamp& ts) override {
    if (d == Dir::c2s) return command(line, ts);
    server_line(line, /*any_text_inside=*/true);
  }

  void finish(EndReason) override {
    emit_unanswered(q_, [](Cmd&) {});
    flush_user(CredOutcome::unknown);
  }

 protected:
  void on_skipped_line(Dir d) override {
    if (d == Dir::c2s && q_.size() < c_.o.max_pending) q_.push_back(Cmd{});
  }

 private:
  enum class K : uint8_t { other, user, pass, auth_tls };
  struct Cmd {
    K k = K::other;
    std::optional<CredAttempt> a;
  };

  void command(std::string_view line, const Timestamp& ts) {
    std::string verb;
    std::string_view arg;
    split_command(line, verb, arg);
    Cmd c;
    if (verb == "USER") {
      flush_user(CredOutcome::unknown);
      c.k = K::user;
      CredAttempt a = attempt("user_pass", ts);
      a.user.emplace(arg);
      c.a = std::move(a);
    } else if (verb == "PASS") {
      c.k = K::pass;
      CredAttempt a;
      if (user_) {
        a = std::move(*user_);
        user_.reset();
      } else if (!q_.empty() && q_.back().k == K::user && q_.back().a) {
        // Pipelined: USER's reply has not come yet; the attempt is PASS's now.
        a = std::move(*q_.back().a);
        q_.back().a.reset();
      } else {
        a = attempt("user_pass", ts);
      }
      a.password_sent = true;
      a.password.assign(arg);
      c.a = std::move(a);
    } else if (verb == "AUTH" && (starts_with_ci(arg, "TLS") || starts_with_ci(arg, "SSL"))) {
      c.k = K::auth_tls;
    }
    queue_command(q_, std::move(c));
  }

  void reply(uint16_t code, std::string text) override {
    if (code < 200) return;  // preliminary: the final reply follows
    if (!answers_command(q_, greeted_)) return;
    Cmd c = std::move(q_.front());
    q_.pop_front();
    auto decide = [&](CredAttempt& a, CredOutcome o) {
      a.outcome = o;
      a.reply_code = std::to_string(code);
      a.reply_text = std::move(text);
      emit(a);
    };
    switch (c.k) {
      case K::user:
        if (!c.a) break;  // a pipelined PASS took the attempt
        if (code == 331 || code == 332) user_ = std::move(c.a);  // the password follows
        else decide(*c.a, code < 400 ? CredOutcome::success : CredOutcome::failure);
        break;
      case K::pass:
        decide(*c.a, code < 300 ? CredOutcome::success : code < 400 ? CredOutcome::unknown : CredOutcome::failure);
        break;
      case K::auth_tls:
        if (code == 234) {
          flush_user(CredOutcome::unknown);
          upgraded_to_tls();
        }
        break;
      case K::other: break;
    }
  }

  // A user the server accepted and that no PASS followed.
  void flush_user(CredOutcome o) {
    if (!user_) return;
    user_->outcome = o;
    emit(*user_);
    user_.reset();
  }

  std::deque<Cmd> q_;
  std::optional<CredAttempt> user_;
  bool greeted_ = false;
};

// --- Telnet (RFC 854): login and password prompts ----------------------------------
//
// Reliable only where the server asks in words: a client line typed after a
// prompt ending in "login:", "username:" or "user:" is the user, one after
// "password:" the password. What the server says next decides: words of refusal
// or a new login prompt are a failure, "last login" or a shell prompt a success.

class TelnetHandler : public CredSessionParser::Handler {
 public:
  explicit TelnetHandler(const Ctx& c) : Handler(c, CredProtocol::telnet) {}

  void feed(const CredChunk& c) override {
    if (done_) {
      c_.st.bytes_ignored += c.data.size();
      return;
    }
    if (c.gap_before) flag(CredAnomaly::gap);
    for (unsigned char b : c.data) {
      IacState& st = c.dir == Dir::c2s ? c_iac_ : s_iac_;
      if (!strip(st, b)) continue;
      if (c.dir == Dir::c2s) client_byte(char(b), c.ts);
      else server_byte(char(b));
    }
    if (open_) judge();
  }

  void finish(EndReason) override {
    if (open_) {
      if (!server_answered_) open_->anomalies |= uint32_t(CredAnomaly::no_reply);
      emit(*open_);
      open_.reset();
    }
  }

 private:
  enum class IacState : uint8_t { data, iac, opt, sb, sb_iac };
  // True when b is data (IAC sequences removed, IAC IAC kept as one 0xff).
  static bool strip(IacState& s, unsigned char b) {
    switch (s) {
      case IacState::data:
        if (b == 255) {
          s = IacState::iac;
          return false;
        }
        return true;
      case IacState::iac:
        if (b == 255) {
          s = IacState::data;
          return true;
        }
        s = b == 250 ? IacState::sb : (b >= 251 ? IacState::opt : IacState::data);
        return false;
      case IacState::opt: s = IacState::data; return false;
      case IacState::sb: if (b == 255) s = IacState::sb_iac; return false;
      case IacState::sb_iac: s = b == 240 ? IacState::data : IacState::sb; return false;
    }
    return false;
  }

  void server_byte(char b) {
    if (b == '\0') return;
    screen_ += b;
    if (screen_.size() > 512) screen_.erase(0, screen_.size() - 256);
    if (open_) {
      answer_ += b;
      server_answered_ = true;
      if (answer_.size() > 1024) answer_.erase(0, answer_.size() - 512);
    }
  }

  void client_byte(char b, const Timestamp& ts) {
    if (b == '\r' || b == '\n') {
      if (typing_) line_done(ts);
      return;
    }
    if (b == '\0') return;
    if (!typing_) {
      typing_ = true;
      prompt_ = prompt_kind(screen_);
      line_ts_ = ts;
    }
    if (b == 0x08 || b == 0x7f) {
      if (!input_.empty()) input_.pop_back();
      return;
    }
    if (input_.size() < 256) input_ += b;
  }

  enum class Prompt : uint8_t { none, user, password };
  static Prompt prompt_kind(std::string_view screen) {
    while (!screen.empty() && (screen.back() == ' ' || screen.back() == '\t')) screen.remove_suffix(1);
    size_t nl = screen.find_last_of("\r\n");
    std::string low;
    for (char c : screen.substr(nl == std::string_view::npos ? 0 : nl + 1))
      low += (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
    auto ends = [&](std::string_view w) { return low.size() >= w.size() && low.compare(low.size() - w.size(), w.size(), w) == 0; };
    if (ends("password:") || ends("passcode:")) return Prompt::password;
    if (ends("login:") || ends("username:") || ends("user name:") || ends("user:")) return Prompt::user;
    return Prompt::none;
  }

  void line_done(const Timestamp& ts) {
    typing_ = false;
    std::string in;
    in.swap(input_);
    Prompt p = prompt_;
    screen_.clear();
    if (p == Prompt::user) {
      if (open_) {  // a new login before the last one was judged
        emit(*open_);
        open_.reset();
      }
      user_ = in;
    } else if (p == Prompt::password && !open_) {
      CredAttempt a = attempt("login_prompt", line_ts_);
      (void)ts;
      if (user_) a.user = *user_;
      a.password_sent = true;
      a.password = std::move(in);
      open_ = std::move(a);
      answer_.clear();
      server_answered_ = false;
      user_.reset();
    }
  }

  // The server's words after the password.
  void judge() {
    std::string low;
    for (char c : answer_) low += (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
    static const char* const kFail[] = {"incorrect", "failed", "failure", "invalid", "denied", "bad password",
                                        "authentication error", "login:", "username:"};
    if (low.find("last login") != std::string::npos || low.find("welcome") != std::string::npos)
      return decide(CredOutcome::success);
    for (const char* w : kFail)
      if (low.find(w) != std::string::npos) return decide(CredOutcome::failure);
    std::string_view t = low;
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    if (!t.empty() && std::strchr("$#>%", t.back()) && t.find_first_of("\r\n") != std::string_view::npos)
      return decide(CredOutcome::success);
  }

  void decide(CredOutcome o) {
    std::string_view t = answer_;
    while (!t.empty() && (t.front() == '\r' || t.front() == '\n' || t.front() == ' ')) t.remove_prefix(1);
    size_t nl = t.find_first_of("\r\n");
    open_->outcome = o;
    open_->reply_text = reply_text(t.substr(0, nl));
    emit(*open_);
    open_.reset();
  }

  IacState c_iac_ = IacState::data, s_iac_ = IacState::data;
  std::string screen_, input_, answer_;
  bool typing_ = false, server_answered_ = false;
  Prompt prompt_ = Prompt::none;
  Timestamp line_ts_;
  std::optional<std::string> user_;
  std::optional<CredAttempt> open_;
};

// --- HTTP Basic and Digest: the requests of the HTTP parser --------------------------

class HttpHandler : public CredSessionParser::Handler {
 public:
  explicit HttpHandler(const Ctx& c)
      : Handler(c, CredProtocol::http),
        parser_(hopt(), [this](const HttpTransaction& t) { on_tx(t); }) {}

  void feed(const CredChunk& c) override {
    if (parser_.done()) {
      done_ = true;
      c_.st.bytes_ignored += c.data.size();
      return;
    }
    MonologuePiece p;
    p.dir = c.dir;
    p.gap_before = c.gap_before;
    p.first_ts = p.last_ts = c.ts;
    p.data = as_bytes(c.data);
    p.last = true;
    parser_.feed(p);
  }
  void finish(EndReason r) override { parser_.finish(r); }

 private:
  static const HttpOptions& hopt() {
    static const HttpOptions o = [] {
      HttpOptions h;
      h.body.mode = BodyMode::none;
      h.body.decode = false;  // logins are in the headers: inflating bodies would only cost time
      h.max_headers = 0;  // the credentials are read as the headers go by: none need keeping
      return h;
    }();
    return o;
  }

  void on_tx(const HttpTransaction& t) {
    if (!t.request.present) return;
    if (t.request.authorization) credentials(t, *t.request.authorization, "");
    if (t.request.proxy_authorization) credentials(t, *t.request.proxy_authorization, "proxy_");
  }

  void credentials(const HttpTransaction& t, const HttpAuth& auth, std::string_view prefix) {
    std::string scheme;
    for (char ch : auth.scheme) scheme += (ch >= 'A' && ch <= 'Z') ? char(ch + 32) : ch;
    if (scheme != "basic" && scheme != "digest") return;  // Bearer, NTLM, ...: no user in the clear
    CredAttempt a = attempt(std::string(prefix) + scheme, t.request.start);
    a.user = auth.user;
    if (auth.bad_base64) a.anomalies |= uint32_t(CredAnomaly::bad_base64);
    if (auth.password) {
      a.password_sent = true;
      a.password = *auth.password;
    }
    if (t.response.present && t.response.status) {
      uint16_t s = t.response.status;
      a.outcome = (s == 401 || s == 407) ? CredOutcome::failure
                  : s < 400               ? CredOutcome::success
                                          : CredOutcome::unknown;
      a.reply_code = std::to_string(s);
      if (t.response.reason) a.reply_text = reply_text(*t.response.reason);
    } else {
      a.anomalies |= uint32_t(CredAnomaly::no_reply);
    }
    emit(a);
  }

  HttpSessionParser parser_;
};

}  // namespace

HandlerPtr make_ftp_handler(const CredSessionParser::Handler::Ctx& c) { return std::make_unique<FtpHandler>(c); }
HandlerPtr make_telnet_handler(const CredSessionParser::Handler::Ctx& c) {
  return std::make_unique<TelnetHandler>(c);
}
HandlerPtr make_http_handler(const CredSessionParser::Handler::Ctx& c) { return std::make_unique<HttpHandler>(c); }

// --- detection ------------------------------------------------------------------------

namespace {

enum class Verdict : uint8_t { more, none, found };

bool is_http_method(std::string_view m) {
  static const char* const kMethods[] = {"GET",      "HEAD",  "POST",  "PUT",    "DELETE", "OPTIONS",
                                         "PATCH",    "TRACE", "CONNECT", "PROPFIND", "PROPPATCH", "MKCOL",
                                         "COPY",     "MOVE",  "LOCK",  "UNLOCK", "REPORT", "SEARCH"};
  for (const char* x : kMethods)
    if (m == x) return true;
  return false;
}

std::string_view first_line(std::string_view h, bool& whole) {
  size_t lf = h.find('\n');
  whole = lf != std::string_view::npos;
  std::string_view l = h.substr(0, lf);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  return l;
}

uint32_t be32(std::string_view b, size_t i) {
  return uint32_t(uint8_t(b[i])) << 24 | uint32_t(uint8_t(b[i + 1])) << 16 | uint32_t(uint8_t(b[i + 2])) << 8 |
         uint8_t(b[i + 3]);
}

// The protocol of a session from the first bytes of each side. client_first:
// the client spoke before the server.
Verdict detect_protocol(std::string_view c, std::string_view s, bool client_first, CredProtocol& out) {
  auto found = [&](CredProtocol p) {
    out = p;
    return Verdict::found;
  };
  if ((!c.empty() && uint8_t(c[0]) == 255) || (!s.empty() && uint8_t(s[0]) == 255)) {
    std::string_view x = !c.empty() && uint8_t(c[0]) == 255 ? c : s;
    if (x.size() < 2) return Verdict::more;
    return uint8_t(x[1]) >= 250 ? found(CredProtocol::telnet) : Verdict::none;
  }
  if (client_first && !c.empty()) {
    // Binary client-first protocols.
    if (uint8_t(c[0]) == 0x30) {
      // LDAPMessage: SEQUENCE { INTEGER id, [APPLICATION n] op }.
      if (c.size() < 8) return Verdict::more;
      size_t i = 1;
      uint8_t l = uint8_t(c[i++]);
      if (l & 0x80) i += l & 0x7f;
      if (i + 3 > c.size() || c[i] != 0x02) return Verdict::none;
      size_t idlen = uint8_t(c[i + 1]);
      if (idlen == 0 || idlen > 4 || i + 2 + idlen >= c.size()) return Verdict::none;
      uint8_t op = uint8_t(c[i + 2 + idlen]);
      return (op & 0xe0) == 0x60 || (op & 0xe0) == 0x40 ? found(CredProtocol::ldap) : Verdict::none;
    }
    if (c[0] == 0 && c.size() >= 1) {
      if (c.size() < 8) return Verdict::more;
      uint32_t len = be32(c, 0), code = be32(c, 4);
      if (len >= 8 && len <= 10000 && (code == kPgProtocol3 || code == kPgSslRequest || code == kPgGssRequest))
        return found(CredProtocol::postgresql);
      return Verdict::none;
    }
  }
  if (!client_first && !s.empty() && s.size() >= 5 && uint8_t(s[3]) == 0 && s[4] == 0x0a) {
    // MySQL Handshake v10: 3-byte length, sequence 0, protocol 10, version string.
    uint32_t len = uint8_t(s[0]) | uint32_t(uint8_t(s[1])) << 8 | uint32_t(uint8_t(s[2])) << 16;
    if (len >= 30 && len < 1024 && s.size() >= 6 && s[5] >= '0' && s[5] <= '9') return found(CredProtocol::mysql);
  }
  bool cw = false, sw = false;
  std::string_view cl = first_line(c, cw), sl = first_line(s, sw);
  std::string verb;
  std::string_view arg;
  split_command(cl, verb, arg);
  if (client_first && !c.empty()) {
    size_t sp = cl.find(' ');
    if (sp != std::string_view::npos && is_http_method(cl.substr(0, sp))) return found(CredProtocol::http);
    if (!cw && c.size() < 512) return Verdict::more;
  }
  if (!s.empty()) {
    if (!sw && s.size() < 512) return Verdict::more;
    if (is_binary_line(sl)) return Verdict::none;
    if (starts_with_ci(sl, "+OK")) return found(CredProtocol::pop3);
    if (starts_with_ci(sl, "* OK") || starts_with_ci(sl, "* PREAUTH")) return found(CredProtocol::imap);
    NumericReply r;
    if (parse_numeric_reply(sl, r) && r.code == 220) {
      std::string g = upper(sl);
      if (g.find("SMTP") != std::string::npos) return found(CredProtocol::smtp);
      if (g.find("FTP") != std::string::npos) return found(CredProtocol::ftp);
      if (!cw) return c.size() < 512 ? Verdict::more : Verdict::none;
      if (verb == "EHLO" || verb == "HELO" || verb == "LHLO") return found(CredProtocol::smtp);
      return found(CredProtocol::ftp);
    }
    if (!client_first) return Verdict::none;
  }
  // The client spoke first and the server has not answered yet (or the greeting
  // was not captured).
  if (!cw || is_binary_line(cl)) return cw ? Verdict::none : Verdict::more;
  if (verb == "EHLO" || verb == "HELO" || verb == "LHLO") return found(CredProtocol::smtp);
  if (verb == "APOP" || verb == "CAPA" || verb == "STLS") return found(CredProtocol::pop3);
  if (verb == "FEAT" || verb == "SYST" || verb == "OPTS") return found(CredProtocol::ftp);
  {
    std::string v2;
    std::string_view a2;
    split_command(arg, v2, a2);
    if (!verb.empty() && (v2 == "LOGIN" || v2 == "AUTHENTICATE" || v2 == "CAPABILITY" || v2 == "STARTTLS"))
      return found(CredProtocol::imap);
  }
  if (verb == "USER" || verb == "PASS" || verb == "AUTH") {
    // FTP or POP3: the reply tells.
    if (!sw) return s.size() < 512 ? Verdict::more : Verdict::none;
    if (starts_with_ci(sl, "+OK") || starts_with_ci(sl, "-ERR")) return found(CredProtocol::pop3);
    NumericReply r;
    if (parse_numeric_reply(sl, r)) return found(CredProtocol::ftp);
  }
  return Verdict::none;
}

}  // namespace

// --- the session parser ------------------------------------------------------------------

CredSessionParser::CredSessionParser(const CredOptions& opts, EmitCred cred, EmitSmtp smtp, CredStats* stats)
    : opts_(opts), emit_cred_(std::move(cred)), emit_smtp_(std::move(smtp)), stats_(stats ? stats : &local_stats_) {
  ++stats_->sessions;
}

CredSessionParser::~CredSessionParser() = default;

std::optional<CredProtocol> CredSessionParser::protocol() const {
  if (!handler_) return std::nullopt;
  return handler_->protocol();
}

namespace {
constexpr size_t kHeadCap = 1024;  // bytes kept per side while the protocol is unknown
}

void CredSessionParser::feed(const MonologuePiece& p) {
  if (done_) {
    stats_->bytes_ignored += p.data.size();
    return;
  }
  std::string_view data(reinterpret_cast<const char*>(p.data.data()), p.data.size());
  if (handler_) {
    handler_->feed(CredChunk{p.dir, data, p.first_ts, p.gap_before});
    if (handler_->done()) done_ = true;
    return;
  }
  if (p.gap_before && (c2s_head_.size() + s2c_head_.size()) == 0) {
    // The start was not captured: the session's first words are unknown.
    done_ = true;
    stats_->bytes_ignored += data.size();
    return;
  }
  detect(p);
}

void CredSessionParser::detect(const MonologuePiece& p) {
  std::string& head = p.dir == Dir::c2s ? c2s_head_ : s2c_head_;
  if (c2s_head_.empty() && s2c_head_.empty()) first_dir_c2s_ = p.dir == Dir::c2s;
  std::string_view data(reinterpret_cast<const char*>(p.data.data()), p.data.size());
  size_t before = head.size();
  head.append(data.substr(0, std::min(data.size(), kHeadCap - std::min(kHeadCap, head.size()))));
  CredProtocol proto{};
  Verdict v = p.gap_before ? Verdict::none : detect_protocol(c2s_head_, s2c_head_, first_dir_c2s_, proto);
  if (v == Verdict::more && (c2s_head_.size() >= kHeadCap || s2c_head_.size() >= kHeadCap)) v = Verdict::none;
  if (v == Verdict::more) {
    replay_.push_back({p.dir, p.first_ts, data.size()});
    return;
  }
  head.resize(before);  // the current piece is handed on whole below
  if (v == Verdict::none) {
    done_ = true;
    stats_->bytes_ignored += c2s_head_.size() + s2c_head_.size() + data.size();
    c2s_head_.clear();
    s2c_head_.clear();
    replay_.clear();
    return;
  }
  ++stats_->recognized;
  Handler::Ctx ctx{opts_, emit_cred_, emit_smtp_, *stats_};
  switch (proto) {
    case CredProtocol::ftp: handler_ = make_ftp_handler(ctx); break;
    case CredProtocol::pop3: handler_ = make_pop3_handler(ctx); break;
    case CredProtocol::imap: handler_ = make_imap_handler(ctx); break;
    case CredProtocol::smtp: handler_ = make_smtp_handler(ctx); break;
    case CredProtocol::http: handler_ = make_http_handler(ctx); break;
    case CredProtocol::telnet: handler_ = make_telnet_handler(ctx); break;
    case CredProtocol::ldap: handler_ = make_ldap_handler(ctx); break;
    case CredProtocol::postgresql: handler_ = make_postgresql_handler(ctx); break;
    case CredProtocol::mysql: handler_ = make_mysql_handler(ctx); break;
  }
  // The earlier pieces again in arrival order (each kept whole: a cut one would
  // have ended detection), then this one.
  size_t off[2] = {0, 0};
  for (const auto& r : replay_) {
    const std::string& h = r.dir == Dir::c2s ? c2s_head_ : s2c_head_;
    size_t& o = off[r.dir == Dir::c2s ? 0 : 1];
    if (!handler_->done()) handler_->feed(CredChunk{r.dir, std::string_view(h).substr(o, r.len), r.ts, 0});
    o += r.len;
  }
  if (!handler_->done()) handler_->feed(CredChunk{p.dir, data, p.first_ts, 0});
  c2s_head_.clear();
  s2c_head_.clear();
  replay_.clear();
  if (handler_->done()) done_ = true;
}

void CredSessionParser::finish(EndReason reason) {
  if (handler_) handler_->finish(reason);
  handler_.reset();
  done_ = true;
}

}  // namespace nl
