#include "libcore/proto/starttls.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>

namespace nl {

const char* starttls_name(StartTlsProto p) {
  switch (p) {
    case StartTlsProto::smtp: return "smtp";
    case StartTlsProto::imap: return "imap";
    case StartTlsProto::pop3: return "pop3";
    case StartTlsProto::ftp: return "ftp";
    case StartTlsProto::xmpp: return "xmpp";
    case StartTlsProto::ldap: return "ldap";
    case StartTlsProto::irc: return "irc";
    case StartTlsProto::nntp: return "nntp";
    case StartTlsProto::postgresql: return "postgresql";
    case StartTlsProto::mysql: return "mysql";
    case StartTlsProto::rdp: return "rdp";
    case StartTlsProto::connect: return "connect";
    case StartTlsProto::unknown: break;
  }
  return "unknown";
}

namespace {

constexpr uint8_t kPgSslRequest[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
constexpr uint8_t kPgGssRequest[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30};
// 1.3.6.1.4.1.1466.20037, the StartTLS extended request's name (RFC 4511 4.14.1).
constexpr std::string_view kLdapStartTls = "1.3.6.1.4.1.1466.20037";

bool starts(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (size_t i = 0; i < p.size(); ++i)
    if ((s[i] | 0x20) != (p[i] | 0x20)) return false;
  return true;
}

// A line of `text` (any line) that begins with `cmd` followed by CR, LF or a space.
bool has_command(std::string_view text, std::string_view cmd, bool tagged = false) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    std::string_view line = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (tagged) {  // IMAP: "<tag> STARTTLS"
      size_t sp = line.find(' ');
      line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
    }
    if (starts(line, cmd) && (line.size() == cmd.size() || line[cmd.size()] == '\r' || line[cmd.size()] == ' '))
      return true;
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return false;
}

bool mysql_greeting(Bytes b) {
  // Protocol::Handshake v10: 3-byte length, sequence 0, protocol version 10.
  return b.size() >= 5 && b[3] == 0 && b[4] == 10 && (b[0] | b[1] << 8 | b[2] << 16) < 1024;
}

bool tpkt_connection_request(Bytes b) {
  // TPKT version 3, then an X.224 Connection Request (code 0xe0) (RFC 1006, T.125).
  return b.size() >= 6 && b[0] == 3 && b[1] == 0 && (b[5] & 0xf0) == 0xe0;
}

}  // namespace

namespace {
bool looks_like_hello(Bytes b, uint8_t type) {
  if (b.size() < 9 || b[0] != 0x16 || b[1] != 3 || b[2] > 4 || b[5] != type) return false;
  size_t rec = load_be16(&b[3]);
  size_t hs = size_t(b[6]) << 16 | size_t(b[7]) << 8 | b[8];
  // The smallest ClientHello body is 38 bytes; a record holds at most 2^14 + 2048.
  return rec >= 4 && rec <= 16384 + 2048 && hs >= 38 && hs <= 256 * 1024;
}
}  // namespace

bool looks_like_client_hello(Bytes b) { return looks_like_hello(b, 1); }
bool looks_like_server_hello(Bytes b) { return looks_like_hello(b, 2); }

bool starttls_plausible_opening(bool from_client, Bytes first) {
  std::string_view t = as_text(first);
  if (from_client) {
    if (first.size() >= 8 && (std::memcmp(first.data(), kPgSslRequest, 8) == 0 ||
                              std::memcmp(first.data(), kPgGssRequest, 8) == 0))
      return true;
    if (tpkt_connection_request(first)) return true;
    if (starts(t, "CONNECT ")) return true;
    if (!first.empty() && first[0] == 0x30) return true;  // an LDAP message (BER SEQUENCE)
    if (starts(t, "<?xml") || starts(t, "<stream:stream")) return true;
    // IRC clients speak first.
    return starts(t, "CAP ") || starts(t, "NICK ") || starts(t, "PASS ") || starts(t, "USER ");
  }
  // Server-first protocols: a greeting (SMTP, FTP, NNTP "2xx", POP3 "+OK", IMAP "* OK"
  // or "* PREAUTH"), IRC's server notices, MySQL's handshake.
  if (first.size() >= 4 && first[0] >= '1' && first[0] <= '5' && std::isdigit(first[1]) && std::isdigit(first[2]) &&
      (first[3] == ' ' || first[3] == '-'))
    return true;
  if (starts(t, "+OK") || starts(t, "* OK") || starts(t, "* PREAUTH") || starts(t, ":") || starts(t, "NOTICE "))
    return true;
  return mysql_greeting(first);
}

void StartTlsScanner::reset() {
  cpre_.clear();
  spre_.clear();
  cseen_ = sseen_ = 0;
  last_c_ = '\n';
  next_msg_ = 0;
}

StartTlsScanner::Framing StartTlsScanner::framing() const {
  Bytes c = as_bytes(cpre_);
  if (c.size() >= 8 && (std::memcmp(c.data(), kPgSslRequest, 8) == 0 || std::memcmp(c.data(), kPgGssRequest, 8) == 0))
    return Framing::postgresql;
  if (mysql_greeting(as_bytes(spre_))) return Framing::mysql;
  if (tpkt_connection_request(c)) return Framing::tpkt;
  if (!c.empty() && c[0] == 0x30) return Framing::ber;
  return Framing::text;
}

bool StartTlsScanner::binary_boundary(uint64_t at) {
  Framing f = framing();
  if (f == Framing::text) return false;
  Bytes c = as_bytes(cpre_);
  // Walk the messages whose headers are in the kept bytes, up to `at`.
  while (next_msg_ < at) {
    uint64_t m = next_msg_;
    uint64_t len = 0;
    if (f == Framing::postgresql) {
      if (m + 8 > c.size()) return false;
      len = load_be32(&c[m]);
      if (len < 4) return false;
    } else if (f == Framing::mysql) {
      if (m + 4 > c.size()) return false;
      len = 4 + (c[m] | c[m + 1] << 8 | c[m + 2] << 16);
    } else if (f == Framing::tpkt) {
      if (m + 4 > c.size() || c[m] != 3) return false;
      len = load_be16(&c[m + 2]);
      if (len < 4) return false;
    } else {  // BER: tag, then a short or long definite length
      if (m + 2 > c.size() || c[m] != 0x30) return false;
      uint8_t l = c[m + 1];
      if (l < 0x80) {
        len = 2 + l;
      } else {
        size_t n = l & 0x7f;
        if (n == 0 || n > 4 || m + 2 + n > c.size()) return false;
        for (size_t i = 0; i < n; ++i) len = len << 8 | c[m + 2 + i];
        len += 2 + n;
      }
    }
    next_msg_ = m + len;
  }
  return next_msg_ == at;
}

size_t StartTlsScanner::client(Bytes data, bool monologue_start) {
  uint64_t base = cseen_;
  if (cpre_.size() < kKeep)
    cpre_.append(reinterpret_cast<const char*>(data.data()), std::min(data.size(), kKeep - cpre_.size()));
  cseen_ += data.size();
  // A CONNECT tunnel opens only once the proxy answered 2xx.
  if (starts(cpre_, "CONNECT ") && !(starts(spre_, "HTTP/1.") && spre_.size() > 9 && spre_[9] == '2')) {
    if (!data.empty()) last_c_ = data.back();
    return npos;
  }
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] != 0x16) continue;
    uint8_t prev = i ? data[i - 1] : last_c_;
    bool boundary = (i == 0 && monologue_start) || prev == '\n' || prev == '>' || binary_boundary(base + i);
    if (boundary && looks_like_client_hello(data.subspan(i))) return i;
  }
  if (!data.empty()) last_c_ = data.back();
  return npos;
}

void StartTlsScanner::server(Bytes data) {
  if (spre_.size() < kKeep)
    spre_.append(reinterpret_cast<const char*>(data.data()), std::min(data.size(), kKeep - spre_.size()));
  sseen_ += data.size();
}

StartTlsProto StartTlsScanner::protocol() const {
  std::string_view c = cpre_, s = spre_;
  switch (framing()) {
    case Framing::postgresql: return StartTlsProto::postgresql;
    case Framing::mysql: return StartTlsProto::mysql;
    case Framing::tpkt: return StartTlsProto::rdp;
    case Framing::ber:
      return c.find(kLdapStartTls) != std::string_view::npos ? StartTlsProto::ldap : StartTlsProto::unknown;
    case Framing::text: break;
  }
  if (starts(c, "CONNECT ")) return StartTlsProto::connect;
  if (c.find("<starttls") != std::string_view::npos) return StartTlsProto::xmpp;
  if (has_command(c, "STLS")) return StartTlsProto::pop3;
  if (has_command(c, "AUTH TLS") || has_command(c, "AUTH SSL")) return StartTlsProto::ftp;
  if (has_command(c, "STARTTLS", true) && starts(s, "* ")) return StartTlsProto::imap;
  if (has_command(c, "STARTTLS")) {
    if (has_command(c, "EHLO") || has_command(c, "HELO") || has_command(c, "LHLO")) return StartTlsProto::smtp;
    if (starts(s, "200") || starts(s, "201")) return StartTlsProto::nntp;
    if (has_command(c, "NICK") || has_command(c, "CAP") || s.find(" 670 ") != std::string_view::npos)
      return StartTlsProto::irc;
    if (starts(s, "220")) return StartTlsProto::smtp;
  }
  return StartTlsProto::unknown;
}

}  // namespace nl
