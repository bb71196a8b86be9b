// The binary protocols of cred.hpp: LDAP simple and SASL binds (RFC 4511 over
// BER), the PostgreSQL startup (protocol 3.0: StartupMessage, Authentication*,
// PasswordMessage, ErrorResponse) and the MySQL handshake (HandshakeV10,
// HandshakeResponse41, OK/ERR, AuthSwitchRequest).
#include <algorithm>
#include <functional>
#include <map>

#include "libcore/proto/cred.hpp"
#include "libcore/proto/cred_handler.hpp"

namespace nl {

// --- pure parsers ---------------------------------------------------------------------

bool parse_pg_startup(std::string_view m, PgStartup& s) {
  s = PgStartup();
  if (m.size() < 8) return false;
  auto u8 = [&](size_t i) { return uint32_t(uint8_t(m[i])); };
  uint32_t len = u8(0) << 24 | u8(1) << 16 | u8(2) << 8 | u8(3);
  if (len != m.size()) return false;
  s.code = u8(4) << 24 | u8(5) << 16 | u8(6) << 8 | u8(7);
  if (s.code != kPgProtocol3) return true;
  // key NUL value NUL ... NUL
  size_t i = 8;
  while (i < m.size() && m[i] != '\0') {
    size_t k = m.find('\0', i);
    if (k == std::string_view::npos) return false;
    size_t v = m.find('\0', k + 1);
    if (v == std::string_view::npos) return false;
    std::string_view key = m.substr(i, k - i), val = m.substr(k + 1, v - k - 1);
    if (key == "user") s.user.emplace(val);
    else if (key == "database") s.database.emplace(val);
    i = v + 1;
  }
  return true;
}

bool parse_mysql_login(std::string_view p, MysqlLogin& m) {
  m = MysqlLogin();
  if (p.size() < 32) return false;
  auto u8 = [&](size_t i) { return uint32_t(uint8_t(p[i])); };
  uint32_t caps = u8(0) | u8(1) << 8 | u8(2) << 16 | u8(3) << 24;
  constexpr uint32_t kProtocol41 = 0x200, kSsl = 0x800, kSecure = 0x8000, kWithDb = 0x8, kPluginAuth = 0x80000,
                     kLenencData = 0x200000;
  if (!(caps & kProtocol41)) return false;
  if (p.size() == 32) {
    m.ssl = (caps & kSsl) != 0;
    return m.ssl;
  }
  size_t i = 32;
  size_t nul = p.find('\0', i);
  if (nul == std::string_view::npos) return false;
  m.user.assign(p.substr(i, nul - i));
  i = nul + 1;
  if (i >= p.size()) return true;
  uint64_t alen = 0;
  if (caps & kLenencData) {
    uint8_t b = uint8_t(p[i++]);
    if (b < 0xfb) alen = b;
    else if (b == 0xfc && i + 2 <= p.size()) alen = u8(i) | u8(i + 1) << 8, i += 2;
    else if (b == 0xfd && i + 3 <= p.size()) alen = u8(i) | u8(i + 1) << 8 | u8(i + 2) << 16, i += 3;
    else return false;
  } else if (caps & kSecure) {
    alen = uint8_t(p[i++]);
  } else {
    size_t z = p.find('\0', i);
    alen = (z == std::string_view::npos ? p.size() : z) - i;
    if (alen + i > p.size()) return false;
    m.auth_len = alen;
    i += alen + 1;
    alen = 0;
  }
  if (alen) {
    if (i + alen > p.size()) return false;
    m.auth_len = alen;
    i += alen;
  }
  if ((caps & kWithDb) && i < p.size()) {
    size_t z = p.find('\0', i);
    if (z == std::string_view::npos) return true;
    m.database.emplace(p.substr(i, z - i));
    i = z + 1;
  }
  if ((caps & kPluginAuth) && i < p.size()) {
    size_t z = p.find('\0', i);
    m.plugin.emplace(p.substr(i, z == std::string_view::npos ? std::string_view::npos : z - i));
  }
  return true;
}

size_t ber_element_size(std::string_view d) {
  if (d.size() < 2) return 0;
  if ((uint8_t(d[0]) & 0x1f) == 0x1f) return SIZE_MAX;  // high tag numbers: not in LDAP
  uint8_t l = uint8_t(d[1]);
  if (l < 0x80) return 2 + size_t(l);
  size_t n = l & 0x7f;
  if (n == 0 || n > 4) return SIZE_MAX;  // indefinite length is not allowed in LDAP (RFC 4511 5.1)
  if (d.size() < 2 + n) return 0;
  uint64_t len = 0;
  for (size_t i = 0; i < n; ++i) len = len << 8 | uint8_t(d[2 + i]);
  return size_t(2 + n + len);
}

namespace {

// One BER element: tag, contents; advances `d`. False when `d` does not hold a whole one.
bool ber_next(std::string_view& d, uint8_t& tag, std::string_view& contents) {
  size_t n = ber_element_size(d);
  if (n == 0 || n == SIZE_MAX || n > d.size()) return false;
  tag = uint8_t(d[0]);
  size_t h = uint8_t(d[1]) < 0x80 ? 2 : 2 + (uint8_t(d[1]) & 0x7f);
  contents = d.substr(h, n - h);
  d.remove_prefix(n);
  return true;
}

uint64_t ber_uint(std::string_view c) {
  uint64_t v = 0;
  for (size_t i = 0; i < c.size() && i < 8; ++i) v = v << 8 | uint8_t(c[i]);
  return v;
}

}  // namespace

bool parse_ldap_message(std::string_view msg, LdapMessage& m) {
  m = LdapMessage();
  uint8_t tag;
  std::string_view seq, c;
  if (!ber_next(msg, tag, seq) || tag != 0x30) return false;
  if (!ber_next(seq, tag, c) || tag != 0x02) return false;
  m.id = ber_uint(c);
  std::string_view op;
  if (!ber_next(seq, tag, op)) return false;
  if ((tag & 0xc0) != 0x40) return false;  // APPLICATION class
  m.op = tag & 0x1f;
  switch (m.op) {
    case 0: {  // BindRequest: version, name, authentication
      if (!ber_next(op, tag, c) || tag != 0x02) return false;
      if (!ber_next(op, tag, c) || tag != 0x04) return false;
      m.name.assign(c);
      if (!ber_next(op, tag, c)) return false;
      if (tag == 0x80) {
        m.simple = true;
        m.password.assign(c);
      } else if (tag == 0xa3) {
        std::string_view mech;
        if (!ber_next(c, tag, mech) || tag != 0x04) return false;
        m.mechanism.assign(mech);
        std::string_view cred;
        if (ber_next(c, tag, cred) && tag == 0x04) m.sasl_credentials.emplace(cred);
      } else {
        return false;
      }
      return true;
    }
    case 1:     // BindResponse
    case 24: {  // ExtendedResponse: resultCode, matchedDN, diagnosticMessage, ...
      if (!ber_next(op, tag, c) || tag != 0x0a) return false;
      m.result_code = ber_uint(c);
      if (!ber_next(op, tag, c) || tag != 0x04) return false;
      if (!ber_next(op, tag, c) || tag != 0x04) return false;
      m.diagnostic.assign(c);
      return true;
    }
    case 23: {  // ExtendedRequest: requestName [0]
      if (!ber_next(op, tag, c) || tag != 0x80) return false;
      m.name.assign(c);
      return true;
    }
    default: return true;
  }
}

namespace {

// Whole messages out of one direction's bytes, in a buffer capped at max_message.
// size(buf) gives a message's length: 0 while unknown, SIZE_MAX for bytes off the grammar.
struct MessageFramer {
  std::string buf;
  uint64_t skip = 0;   // the rest of an over-large message
  bool stopped = false;
};

class BinaryHandler : public CredSessionParser::Handler {
 public:
  using Handler::Handler;

  void feed(const CredChunk& ch) override {
    MessageFramer& f = ch.dir == Dir::c2s ? cf_ : sf_;
    if (done_ || f.stopped) {
      c_.st.bytes_ignored += ch.data.size();
      return;
    }
    if (ch.gap_before) {
      flag(CredAnomaly::gap);
      f.stopped = true;
      c_.st.bytes_ignored += ch.data.size();
      return;
    }
    std::string_view d = ch.data;
    while (!d.empty() && !done_ && !f.stopped) {
      if (f.skip) {
        size_t n = size_t(std::min<uint64_t>(f.skip, d.size()));
        f.skip -= n;
        c_.st.bytes_ignored += n;
        d.remove_prefix(n);
        continue;
      }
      // Bytes up to what the buffer needs; most messages are whole in one piece.
      size_t take = std::min<size_t>(d.size(), size_t(c_.o.max_message) + 16 - std::min<size_t>(f.buf.size(), c_.o.max_message));
      f.buf.append(d.substr(0, take));
      d.remove_prefix(take);
      size_t used = 0;
      while (!done_ && !f.stopped) {
        std::string_view rest = std::string_view(f.buf).substr(used);
        size_t n = message_size(ch.dir, rest);
        if (n == SIZE_MAX) {
          flag(CredAnomaly::bad_message);
          f.stopped = true;
          break;
        }
        if (n == 0) break;
        if (n > c_.o.max_message) {
          flag(CredAnomaly::message_too_large);
          size_t have = std::min(n, rest.size());
          f.skip = n - have;
          used += have;
          continue;
        }
        if (n > rest.size()) break;
        on_message(ch.dir, rest.substr(0, n), ch.ts);
        used += n;
      }
      f.buf.erase(0, used);
    }
    if (done_ || f.stopped) c_.st.bytes_ignored += d.size();
  }

 protected:
  virtual size_t message_size(Dir d, std::string_view b) = 0;
  virtual void on_message(Dir d, std::string_view m, const Timestamp& ts) = 0;
  void stop(Dir d) { (d == Dir::c2s ? cf_ : sf_).stopped = true; }

  // Emits the open attempt, if any, and ends the session.
  void close(std::optional<CredAttempt>& a) {
    if (a) emit(*a);
    a.reset();
    done_ = true;
  }

 private:
  MessageFramer cf_, sf_;
};

// --- LDAP ---------------------------------------------------------------------------

const char* ldap_result_name(uint64_t code) {
  switch (code) {
    case 0: return "success";
    case 1: return "operationsError";
    case 2: return "protocolError";
    case 7: return "authMethodNotSupported";
    case 8: return "strongerAuthRequired";
    case 13: return "confidentialityRequired";
    case 14: return "saslBindInProgress";
    case 48: return "inappropriateAuthentication";
    case 49: return "invalidCredentials";
    case 50: return "insufficientAccessRights";
    case 51: return "busy";
    case 52: return "unavailable";
    case 53: return "unwillingToPerform";
    default: return nullptr;
  }
}

class LdapHandler : public BinaryHandler {
 public:
  explicit LdapHandler(const Ctx& c) : BinaryHandler(c, CredProtocol::ldap) {}

  void finish(EndReason) override {
    for (auto& [id, a] : binds_) {
      a.anomalies |= uint32_t(CredAnomaly::no_reply);
      emit(a);
    }
    binds_.clear();
  }

 protected:
  size_t message_size(Dir, std::string_view b) override {
    if (b.empty()) return 0;
    if (uint8_t(b[0]) != 0x30) return SIZE_MAX;
    return ber_element_size(b);
  }

  void on_message(Dir d, std::string_view msg, const Timestamp& ts) override {
    LdapMessage m;
    if (!parse_ldap_message(msg, m)) {
      flag(CredAnomaly::bad_message);
      return;
    }
    if (d == Dir::c2s) {
      if (m.op == 0) {
        auto it = binds_.find(m.id);
        if (it != binds_.end() && !m.simple) return;  // a later step of one SASL bind
        if (it != binds_.end()) {
          emit(it->second);
          binds_.erase(it);
        }
        if (binds_.size() >= c_.o.max_pending) {
          flag(CredAnomaly::pipeline_overflow);
          ++c_.st.pipeline_overflow;
          return;
        }
        std::string mech = m.simple ? "simple" : "sasl_" + upper(m.mechanism);
        if (!m.simple) {
          SaslExchange x;
          x.start(m.mechanism);
          mech = x.mechanism_name();
        }
        CredAttempt a = attempt(mech, ts);
        a.user = m.name;
        if (m.simple && !m.password.empty()) {
          a.password_sent = true;
          a.password = m.password;
        }
        binds_.emplace(m.id, std::move(a));
      } else if (m.op == 23 && m.name == "1.3.6.1.4.1.1466.20037") {
        starttls_id_ = m.id;
      }
      return;
    }
    if (m.op == 24 && starttls_id_ && *starttls_id_ == m.id) {
      if (m.result_code == 0) upgraded_to_tls();
      return;
    }
    if (m.op != 1) return;
    auto it = binds_.find(m.id);
    if (it == binds_.end()) {
      flag(CredAnomaly::unsolicited_reply);
      return;
    }
    if (m.result_code == 14) return;  // saslBindInProgress: the exchange goes on
    CredAttempt a = std::move(it->second);
    binds_.erase(it);
    a.outcome = m.result_code == 0 ? CredOutcome::success : CredOutcome::failure;
    a.reply_code = std::to_string(m.result_code);
    const char* name = ldap_result_name(m.result_code);
    if (!m.diagnostic.empty()) a.reply_text = reply_text(m.diagnostic);
    else if (name) a.reply_text = name;
    emit(a);
  }

 private:
  std::map<uint64_t, CredAttempt> binds_;  // by message id: emitted in order at the end
  std::optional<uint64_t> starttls_id_;
};

// --- PostgreSQL -------------------------------------------------------------------------

class PgHandler : public BinaryHandler {
 public:
  explicit PgHandler(const Ctx& c) : BinaryHandler(c, CredProtocol::postgresql) {}

  void finish(EndReason) override { emit_unanswered(a_); }

 protected:
  size_t message_size(Dir d, std::string_view b) override {
    if (d == Dir::s2c && await_ssl_) return b.empty() ? 0 : 1;
    bool typed = d == Dir::s2c || startup_done_;
    size_t h = typed ? 1 : 0;
    if (b.size() < h + 4) return 0;
    uint32_t len = uint32_t(uint8_t(b[h])) << 24 | uint32_t(uint8_t(b[h + 1])) << 16 |
                   uint32_t(uint8_t(b[h + 2])) << 8 | uint8_t(b[h + 3]);
    if (len < 4 || len > (1u << 30)) return SIZE_MAX;
    return h + len;
  }

  void on_message(Dir d, std::string_view m, const Timestamp& ts) override {
    if (d == Dir::c2s) return client(m, ts);
    if (await_ssl_) {
      await_ssl_ = false;
      if (m[0] == 'S' || m[0] == 'G') {
        upgraded_to_tls();
      } else if (m[0] != 'N') {
        flag(CredAnomaly::bad_message);
        done_ = true;
      }
      return;
    }
    std::string_view body = m.substr(5);
    if (m[0] == 'R' && body.size() >= 4) {
      uint32_t type = uint32_t(uint8_t(body[0])) << 24 | uint32_t(uint8_t(body[1])) << 16 |
                      uint32_t(uint8_t(body[2])) << 8 | uint8_t(body[3]);
      if (!a_) return;
      if (type == 0) {
        a_->outcome = CredOutcome::success;
        a_->reply_code = "AuthenticationOk";
        close(a_);
      } else if (type == 3) {
        a_->mechanism = "password";
      } else if (type == 5) {
        a_->mechanism = "md5";
      } else if (type == 10) {
        // The mechanisms offered, NUL-terminated: the client picks one.
        std::string mech(body.substr(4, body.find('\0', 4) - 4));
        SaslExchange x;
        x.start(mech);
        a_->mechanism = x.mechanism_name();
      }
    } else if (m[0] == 'E') {
      // Fields: a type byte, a NUL-terminated string; C is the SQLSTATE, M the message.
      std::string code, text;
      size_t i = 0;
      while (i < body.size() && body[i] != '\0') {
        size_t z = body.find('\0', i + 1);
        if (z == std::string_view::npos) break;
        if (body[i] == 'C') code.assign(body.substr(i + 1, z - i - 1));
        if (body[i] == 'M') text.assign(body.substr(i + 1, z - i - 1));
        i = z + 1;
      }
      if (!a_) {
        done_ = true;
        return;
      }
      a_->outcome = CredOutcome::failure;
      if (!code.empty()) a_->reply_code = code;
      if (!text.empty()) a_->reply_text = reply_text(text);
      close(a_);
    }
  }

 private:
  void client(std::string_view m, const Timestamp& ts) {
    if (!startup_done_) {
      PgStartup s;
      if (!parse_pg_startup(m, s)) {
        flag(CredAnomaly::bad_message);
        done_ = true;
        return;
      }
      if (s.code == kPgSslRequest || s.code == kPgGssRequest) {
        await_ssl_ = true;
        return;
      }
      if (s.code != kPgProtocol3) {  // CancelRequest or an old protocol
        done_ = true;
        return;
      }
      startup_done_ = true;
      a_ = attempt("startup", ts);
      a_->user = s.user;
      return;
    }
    // PasswordMessage: the clear-text password when the server asked for one.
    if (m[0] == 'p' && a_ && a_->mechanism == "password") {
      std::string_view pw = m.substr(5);
      if (!pw.empty() && pw.back() == '\0') pw.remove_suffix(1);
      a_->password_sent = true;
      a_->password.assign(pw);
    }
  }

  std::optional<CredAttempt> a_;
  bool startup_done_ = false, await_ssl_ = false;
};

// --- MySQL --------------------------------------------------------------------------------

class MysqlHandler : public BinaryHandler {
 public:
  explicit MysqlHandler(const Ctx& c) : BinaryHandler(c, CredProtocol::mysql) {}

  void finish(EndReason) override { emit_unanswered(a_); }

 protected:
  size_t message_size(Dir, std::string_view b) override {
    if (b.size() < 4) return 0;
    return 4 + (uint32_t(uint8_t(b[0])) | uint32_t(uint8_t(b[1])) << 8 | uint32_t(uint8_t(b[2])) << 16);
  }

  void on_message(Dir d, std::string_view m, const Timestamp& ts) override {
    std::string_view p = m.substr(4);
    if (d == Dir::c2s) {
      if (!a_ && !login_seen_) {
        MysqlLogin l;
        if (!parse_mysql_login(p, l)) {
          flag(CredAnomaly::bad_message);
          done_ = true;
          return;
        }
        if (l.ssl) return upgraded_to_tls();
        login_seen_ = true;
        std::string plugin = l.plugin.value_or(server_plugin_.empty() ? "mysql_native_password" : server_plugin_);
        a_ = attempt(plugin, ts);
        a_->user = l.user;
      } else if (a_ && switched_clear_) {
        // The answer to a switch to mysql_clear_password: the password itself.
        std::string_view pw = p;
        if (!pw.empty() && pw.back() == '\0') pw.remove_suffix(1);
        a_->password_sent = true;
        a_->password.assign(pw);
        switched_clear_ = false;
      }
      return;
    }
    if (p.empty()) return;
    if (!greeting_seen_) {
      greeting_seen_ = true;
      // HandshakeV10: version NUL, id 4, scramble 8, filler, caps 2, charset, status 2,
      // caps 2, scramble length, 10 reserved, scramble part 2, plugin NUL.
      size_t z = p.find('\0', 1);
      if (z != std::string_view::npos) {
        size_t i = z + 1 + 4 + 8 + 1 + 2 + 1 + 2 + 2;
        if (i < p.size()) {
          size_t alen = uint8_t(p[i]);
          i += 1 + 10 + std::max<size_t>(13, alen > 8 ? alen - 8 : 0);
          if (i < p.size()) server_plugin_.assign(p.substr(i, p.find('\0', i) - i));
        }
      }
      return;
    }
    if (!a_) return;
    uint8_t t = uint8_t(p[0]);
    if (t == 0x00) {
      a_->outcome = CredOutcome::success;
      a_->reply_code = "OK";
      close(a_);
    } else if (t == 0xff) {
      a_->outcome = CredOutcome::failure;
      if (p.size() >= 3) a_->reply_code = std::to_string(uint32_t(uint8_t(p[1])) | uint32_t(uint8_t(p[2])) << 8);
      std::string_view text = p.substr(std::min<size_t>(3, p.size()));
      if (!text.empty() && text[0] == '#') text.remove_prefix(std::min<size_t>(6, text.size()));
      if (!text.empty()) a_->reply_text = reply_text(text);
      close(a_);
    } else if (t == 0xfe && p.size() > 1) {
      // AuthSwitchRequest: plugin name NUL, data.
      std::string plugin(p.substr(1, p.find('\0', 1) - 1));
      a_->mechanism = plugin;
      switched_clear_ = plugin == "mysql_clear_password";
    }
  }

 private:
  std::optional<CredAttempt> a_;
  std::string server_plugin_;
  bool greeting_seen_ = false, login_seen_ = false, switched_clear_ = false;
};

}  // namespace

HandlerPtr make_ldap_handler(const CredSessionParser::Handler::Ctx& c) { return std::make_unique<LdapHandler>(c); }
HandlerPtr make_postgresql_handler(const CredSessionParser::Handler::Ctx& c) {
  return std::make_unique<PgHandler>(c);
}
HandlerPtr make_mysql_handler(const CredSessionParser::Handler::Ctx& c) { return std::make_unique<MysqlHandler>(c); }

}  // namespace nl
