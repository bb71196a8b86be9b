// Clear-text logins: the pure pieces (replies, SASL, IMAP commands, PostgreSQL,
// MySQL and LDAP messages) and the session parser fed with monologue pieces
// built by hand, every truncated prefix of each dialogue included.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "libcore/json/writer.hpp"
#include "libcore/proto/cred.hpp"
#include "libcore/proto/http.hpp"

using namespace nl;

namespace {

using Turn = std::pair<Dir, std::string>;

struct Run {
  std::vector<CredAttempt> creds;
  std::vector<SmtpTransaction> smtp;
  bool done = false;
};

Run run(const std::vector<Turn>& turns, const CredOptions& o = {}, size_t cut = std::string::npos) {
  Run r;
  CredSessionParser p(
      o, [&](const CredAttempt& a) { r.creds.push_back(a); }, [&](const SmtpTransaction& t) { r.smtp.push_back(t); });
  size_t fed = 0;
  uint64_t mono = 0;
  for (const auto& [d, data] : turns) {
    std::string part = data;
    if (cut != std::string::npos) {
      if (fed >= cut) break;
      part = data.substr(0, cut - fed);
    }
    fed += part.size();
    MonologuePiece piece;
    piece.dir = d;
    piece.monologue_no = ++mono;
    piece.last = true;
    piece.data = as_bytes(part);
    p.feed(piece);
  }
  p.finish(EndReason::fin);
  r.done = p.done();
  return r;
}

size_t total(const std::vector<Turn>& t) {
  size_t n = 0;
  for (const auto& x : t) n += x.second.size();
  return n;
}

std::string b64(std::string_view s) {
  std::string o;
  append_base64(o, as_bytes(s));
  return o;
}

constexpr Dir C = Dir::c2s, S = Dir::s2c;

}  // namespace

TEST_CASE("cred: numeric replies and commands") {
  NumericReply r;
  CHECK(parse_numeric_reply("230 Login successful.", r));
  CHECK(r.code == 230);
  CHECK(!r.more);
  CHECK(r.text == "Login successful.");
  CHECK(parse_numeric_reply("250-PIPELINING", r));
  CHECK(r.more);
  CHECK(parse_numeric_reply("221", r));
  CHECK(!parse_numeric_reply("23", r));
  CHECK(!parse_numeric_reply("2300 x", r));
  CHECK(!parse_numeric_reply("abc def", r));
  std::string verb;
  std::string_view arg;
  split_command("  user   bob  ", verb, arg);
  CHECK(verb == "USER");
  CHECK(arg == "bob");
}

TEST_CASE("cred: SASL PLAIN, IMAP commands, SMTP paths") {
  std::string u, p;
  CHECK(parse_sasl_plain(std::string("\0alice\0pw", 9), u, p));
  CHECK(u == "alice");
  CHECK(p == "pw");
  CHECK(parse_sasl_plain(std::string("admin\0\0pw", 9), u, p));
  CHECK(u == "admin");
  CHECK(!parse_sasl_plain("no nuls", u, p));
  ImapCommand c;
  REQUIRE(parse_imap_command("a1 login \"gr\\\"ace h\" {3}\r\nab\"", c));
  CHECK(c.tag == "a1");
  CHECK(c.command == "LOGIN");
  REQUIRE(c.args.size() == 2);
  CHECK(c.args[0] == "gr\"ace h");
  CHECK(c.args[1] == "ab\"");
  CHECK(!parse_imap_command("", c));
  CHECK(smtp_path("FROM:<a@b.c> SIZE=10") == "a@b.c");
  CHECK(smtp_path(" a@b.c SIZE=1") == "a@b.c");
}

TEST_CASE("cred: HTTP Authorization values") {
  HttpAuth a = parse_http_authorization("Basic   " + b64("u:p:q"));
  CHECK(a.scheme == "Basic");
  CHECK(a.user == "u");
  CHECK(a.password == "p:q");
  a = parse_http_authorization("basic\t" + b64("nopass"));
  CHECK(a.user == "nopass");
  CHECK(!a.password);
  a = parse_http_authorization("Basic !!!");
  CHECK(a.bad_base64);
  CHECK(!a.user);
  a = parse_http_authorization("Digest realm=\"r\", username=\"pe\\\"ggy\", nonce=abc");
  CHECK(a.user == "pe\"ggy");
  a = parse_http_authorization("Digest username=bob");
  CHECK(a.user == "bob");
  a = parse_http_authorization("Bearer xyz");
  CHECK(a.scheme == "Bearer");
  CHECK(!a.user);
}

TEST_CASE("cred: PostgreSQL, MySQL and LDAP messages") {
  std::string body = std::string("\x00\x03\x00\x00", 4) + std::string("user\0bob\0database\0db\0\0", 22);
  std::string msg = std::string(1, '\0') + std::string(1, '\0') + std::string(1, '\0') + char(body.size() + 4) + body;
  PgStartup s;
  REQUIRE(parse_pg_startup(msg, s));
  CHECK(s.code == kPgProtocol3);
  CHECK(s.user == "bob");
  CHECK(s.database == "db");
  CHECK(!parse_pg_startup(msg.substr(0, msg.size() - 1), s));

  std::string resp = std::string("\x08\x82\x08\x00", 4) + std::string(4, '\0') + "\x21" + std::string(23, '\0') +
                     std::string("carol\0", 6) + "\x02" + "xy" + std::string("db\0", 3) +
                     std::string("mysql_native_password\0", 22);
  MysqlLogin m;
  REQUIRE(parse_mysql_login(resp, m));
  CHECK(m.user == "carol");
  CHECK(m.auth_len == 2);
  CHECK(m.database == "db");
  CHECK(m.plugin == "mysql_native_password");
  MysqlLogin ssl;
  CHECK(parse_mysql_login(std::string("\x00\x0a\x00\x00", 4) + std::string(28, '\0'), ssl));
  CHECK(ssl.ssl);

  // LDAPMessage { id 1, BindRequest { 3, "cn=x", simple "pw" } }
  std::string bind = std::string("\x30\x12\x02\x01\x01\x60\x0d\x02\x01\x03\x04\x04" "cn=x" "\x80\x02" "pw", 20);
  CHECK(ber_element_size(bind) == bind.size());
  CHECK(ber_element_size(bind.substr(0, 1)) == 0);
  LdapMessage l;
  REQUIRE(parse_ldap_message(bind, l));
  CHECK(l.op == 0);
  CHECK(l.simple);
  CHECK(l.name == "cn=x");
  CHECK(l.password == "pw");
  for (size_t n = 0; n < bind.size(); ++n) CHECK(!parse_ldap_message(bind.substr(0, n), l));
}

TEST_CASE("cred: FTP brute force, pipelining, AUTH TLS") {
  std::vector<Turn> t = {{S, "220 FTP ready\r\n"},          {C, "USER root\r\n"},
                         {S, "331 Password required\r\n"}, {C, "PASS one\r\n"},
                         {S, "530 Login incorrect.\r\n"},  {C, "USER root\r\nPASS two\r\n"},
                         {S, "331 Password\r\n230-Welcome\r\n230 OK\r\n"}};
  Run r = run(t);
  REQUIRE(r.creds.size() == 2);
  CHECK(r.creds[0].protocol == CredProtocol::ftp);
  CHECK(r.creds[0].user == "root");
  CHECK(r.creds[0].password == "one");
  CHECK(r.creds[0].outcome == CredOutcome::failure);
  CHECK(r.creds[0].reply_code == "530");
  CHECK(r.creds[1].outcome == CredOutcome::success);
  CHECK(r.creds[1].reply_text == "Welcome");
  CHECK(r.creds[1].attempt_no == 1);
  // Every prefix: never more attempts, never a crash.
  for (size_t n = 0; n <= total(t); ++n) CHECK(run(t, {}, n).creds.size() <= 2);

  Run tls = run({{S, "220 FTP\r\n"}, {C, "AUTH TLS\r\n"}, {S, "234 go\r\n"}, {C, "\x16\x03\x01USER x\r\n"}});
  CHECK(tls.creds.empty());
  CHECK(tls.done);
}

TEST_CASE("cred: a server that never replies, an endless line, junk") {
  Run r = run({{S, "+OK hi\r\n"}, {C, "USER a\r\nPASS b\r\n"}});
  REQUIRE(r.creds.size() == 1);
  CHECK(r.creds[0].outcome == CredOutcome::unknown);
  CHECK(r.creds[0].has(CredAnomaly::no_reply));
  CredOptions o;
  o.max_line = 64;
  Run l = run({{S, "220 FTP\r\n"}, {C, std::string(1000, 'x') + "\r\nUSER u\r\n"}, {S, "500 no\r\n530 no\r\n"}}, o);
  REQUIRE(l.creds.size() == 1);
  CHECK(l.creds[0].user == "u");
  CHECK(l.creds[0].outcome == CredOutcome::failure);
  CHECK(l.creds[0].has(CredAnomaly::line_too_long));
  Run j = run({{C, std::string("\x00\x01\x02\xff junk\r\n", 10)}, {S, "220 x\r\n"}});
  CHECK(j.creds.empty());
  CHECK(j.done);
}

TEST_CASE("cred: POP3 and IMAP") {
  std::vector<Turn> pop = {{S, "+OK <1.2@h>\r\n"}, {C, "APOP bob 0123456789abcdef\r\n"}, {S, "-ERR no\r\n"},
                           {C, "AUTH PLAIN\r\n"},  {S, "+ \r\n"},
                           {C, b64(std::string("\0bob\0pw", 7)) + "\r\n"},
                           {S, "+OK in\r\n"}};
  Run r = run(pop);
  REQUIRE(r.creds.size() == 2);
  CHECK(r.creds[0].mechanism == "apop");
  CHECK(!r.creds[0].password_sent);
  CHECK(r.creds[1].mechanism == "plain");
  CHECK(r.creds[1].user == "bob");
  CHECK(r.creds[1].password == "pw");
  CHECK(r.creds[1].outcome == CredOutcome::success);
  for (size_t n = 0; n <= total(pop); ++n) CHECK(run(pop, {}, n).creds.size() <= 2);

  std::vector<Turn> imap = {{S, "* OK ready\r\n"},   {C, "a LOGIN {3}\r\n"}, {S, "+ go\r\n"},
                            {C, "amy \"p w\"\r\n"}, {S, "a NO bad\r\n"},      {C, "b STARTTLS\r\n"},
                            {S, "b OK go\r\n"},      {C, "c LOGIN x y\r\n"}};
  Run i = run(imap);
  REQUIRE(i.creds.size() == 1);
  CHECK(i.creds[0].user == "amy");
  CHECK(i.creds[0].password == "p w");
  CHECK(i.creds[0].outcome == CredOutcome::failure);
  CHECK(i.creds[0].reply_text == "bad");
  for (size_t n = 0; n <= total(imap); ++n) CHECK(run(imap, {}, n).creds.size() <= 1);
}

TEST_CASE("cred: SMTP AUTH LOGIN and a transaction") {
  std::vector<Turn> t = {
      {S, "220 mx ESMTP\r\n"},
      {C, "EHLO me\r\n"},
      {S, "250-mx\r\n250 AUTH LOGIN\r\n"},
      {C, "AUTH LOGIN\r\n"},
      {S, "334 VXNlcm5hbWU6\r\n"},
      {C, b64("u@x") + "\r\n"},
      {S, "334 UGFzc3dvcmQ6\r\n"},
      {C, b64("secret") + "\r\n"},
      {S, "235 ok\r\n"},
      {C, "MAIL FROM:<u@x>\r\nRCPT TO:<a@y>\r\nRCPT TO:<b@y>\r\nDATA\r\n"},
      {S, "250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n"},
      {C, "Subject: x\r\n\r\nRCPT TO:<not@me>\r\n.\r\n"},
      {S, "250 queued\r\n"},
  };
  Run r = run(t);
  REQUIRE(r.creds.size() == 1);
  CHECK(r.creds[0].mechanism == "login");
  CHECK(r.creds[0].user == "u@x");
  CHECK(r.creds[0].password == "secret");
  CHECK(r.creds[0].outcome == CredOutcome::success);
  REQUIRE(r.smtp.size() == 1);
  CHECK(r.smtp[0].helo == "me");
  CHECK(r.smtp[0].auth_user == "u@x");
  CHECK(r.smtp[0].mail_from == "u@x");
  CHECK(r.smtp[0].rcpt_to == std::vector<std::string>{"a@y", "b@y"});
  CHECK(r.smtp[0].rcpt_rejected == 1);
  CHECK(r.smtp[0].outcome == CredOutcome::success);
  CHECK(r.smtp[0].reply_code == "250");
  for (size_t n = 0; n <= total(t); ++n) {
    Run p = run(t, {}, n);
    CHECK(p.creds.size() <= 1);
    CHECK(p.smtp.size() <= 1);
  }
}

TEST_CASE("cred: HTTP Basic through the HTTP parser") {
  std::vector<Turn> t = {{C, "GET / HTTP/1.1\r\nHost: h\r\nAuthorization:  Basic  " + b64("u:a:b") + "\r\n\r\n"},
                         {S, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"}};
  Run r = run(t);
  REQUIRE(r.creds.size() == 1);
  CHECK(r.creds[0].protocol == CredProtocol::http);
  CHECK(r.creds[0].user == "u");
  CHECK(r.creds[0].password == "a:b");
  CHECK(r.creds[0].outcome == CredOutcome::failure);
  CHECK(r.creds[0].reply_code == "401");
  for (size_t n = 0; n <= total(t); ++n) CHECK(run(t, {}, n).creds.size() <= 1);
}

TEST_CASE("cred: anomaly names") {
  std::vector<const char*> names;
  cred_anomaly_names(uint32_t(CredAnomaly::gap) | uint32_t(CredAnomaly::no_reply), names);
  REQUIRE(names.size() == 2);
  CHECK(std::string(names[0]) == "gap");
  CHECK(std::string(names[1]) == "no_reply");
  CHECK(std::string(cred_anomaly_name(CredAnomaly::too_many_recipients)) == "too_many_recipients");
}
