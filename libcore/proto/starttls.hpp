// TLS that starts after another protocol on the same TCP stream: STARTTLS in SMTP,
// IMAP, POP3 (STLS), FTP (AUTH TLS), XMPP, LDAP (StartTLS extended operation),
// IRC and NNTP; PostgreSQL's SSLRequest; MySQL's SSL request; RDP's X.224
// negotiation; the tunnel after an HTTP CONNECT. StartTlsScanner reads the clear-text
// preamble of both directions and says where in the client's stream the
// ClientHello begins: at a message boundary of the protocol (after a line, an XML
// element, a PostgreSQL, MySQL, TPKT or LDAP message) or at the start of a client
// monologue, where bytes that read as a TLS record holding a ClientHello begin.
// The server's TLS begins with its first monologue after that (TlsSessionParser).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "libcore/bytes.hpp"

namespace nl {

enum class StartTlsProto : uint8_t {
  unknown, smtp, imap, pop3, ftp, xmpp, ldap, irc, nntp, postgresql, mysql, rdp, connect
};
const char* starttls_name(StartTlsProto p);

// True when the session's first bytes (from the client, or the server's when it
// speaks first) open a protocol TLS may start inside: only such sessions are read
// on past their first bytes, so a plain HTTP session still costs one look.
bool starttls_plausible_opening(bool from_client, Bytes first);

// Bytes that read as the start of a TLS record carrying a ClientHello (ServerHello)
// (9 bytes needed).
bool looks_like_client_hello(Bytes b);
bool looks_like_server_hello(Bytes b);

class StartTlsScanner {
 public:
  static constexpr size_t npos = size_t(-1);
  explicit StartTlsScanner(size_t max_preamble = 64 * 1024) : max_(max_preamble) {}
  void reset();

  // A piece of the client's preamble: the offset in `data` where a ClientHello
  // begins, or npos. monologue_start: data begins a client monologue.
  size_t client(Bytes data, bool monologue_start);
  void server(Bytes data);
  // A direction's preamble grew past the cap without TLS: give up on the session.
  bool exceeded() const { return cseen_ > max_ || sseen_ > max_; }
  // The protocol the preamble spoke (from the start of both directions).
  StartTlsProto protocol() const;

 private:
  enum class Framing : uint8_t { text, postgresql, mysql, tpkt, ber };
  Framing framing() const;
  bool binary_boundary(uint64_t at);  // stream offset `at` starts a message of the framing

  static constexpr size_t kKeep = 4096;  // bytes of each direction kept for classification
  size_t max_;
  std::string cpre_, spre_;
  uint64_t cseen_ = 0, sseen_ = 0;
  uint8_t last_c_ = '\n';
  uint64_t next_msg_ = 0;  // binary framings: stream offset of the next message start
};

}  // namespace nl
