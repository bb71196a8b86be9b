// HTTP/1.x (RFC 9112, RFC 9110; HTTP/0.9 simple requests) over the monologue
// pieces of one TCP session: requests on c2s, responses on s2c, paired in order
// (keep-alive, pipelining). Detected by content, not port: the client stream must
// begin with a plausible request line (docs/schema.md gives the rule). Start lines
// are then read as liberally as Zeek reads them and deviations are flagged, not
// fatal. Bodies are framed by Content-Length, chunked coding or connection close
// (framing alone decides where the next request starts) and streamed through
// BodyStream, never held whole.
//
// Timestamps have piece granularity: a message's start is the first_ts of the
// piece holding its first byte, its end the last_ts of the piece holding its last
// byte (MonologuePiece does not carry per-byte times).
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "libcore/proto/http_body.hpp"
#include "libcore/reasm/session.hpp"

namespace nl {

// Per-transaction anomalies: stable snake_case names, one bit each in this order
// (the names and the bits come from this one list).
#define NETLINES_HTTP_ANOMALIES(X) \
  /* bytes missing inside a message (gap_before > 0) */                   \
  X(gap_in_message)                                                       \
  /* bytes missing between messages: that direction stops */              \
  X(gap_between_messages)                                                 \
  /* session ended inside the body (delivered length kept) */             \
  X(truncated_body)                                                       \
  /* session ended inside the start line or headers */                    \
  X(truncated_headers)                                                    \
  /* start line kept but off the grammar: extra or tab separators,     */ \
  /* missing or odd version (HTTP/1., http/1.1, none but GET), missing  */ \
  /* or spaced target; or lines skipped before it, not request lines    */ \
  X(malformed_request_line)                                               \
  /* odd version, separators, code < 100 or glued to the reason; a line */ \
  /* without HTTP/ and 3 digits stops the server direction              */ \
  X(malformed_status_line)                                                \
  /* no colon, empty name, whitespace before colon: line skipped */       \
  X(malformed_header_line)                                                \
  X(conflicting_content_length)                                           \
  /* not a decimal number (or > 2^62) */                                  \
  X(bad_content_length)                                                   \
  /* longer than max_header_line: skipped, never held */                  \
  X(header_line_too_long)                                                 \
  /* beyond max_headers: not kept (still interpreted) */                  \
  X(too_many_headers)                                                     \
  /* stored header bytes beyond max_header_bytes: not kept */             \
  X(header_block_too_large)                                               \
  /* not hex, or too large (overflow): direction stops */                 \
  X(bad_chunk_size)                                                       \
  /* chunk data not followed by CRLF: direction stops */                  \
  X(bad_chunk_framing)                                                    \
  /* request Transfer-Encoding whose last coding is not chunked: framed */ \
  /* as chunked if chunked is in the list, else the direction stops     */ \
  X(bad_transfer_encoding)                                                \
  /* RFC 9112 6.3: TE wins, CL ignored */                                 \
  X(transfer_encoding_with_content_length)                                \
  /* the request never got a (final) response */                          \
  X(no_response)                                                          \
  /* a response with no request waiting for it */                         \
  X(unsolicited_response)                                                 \
  /* its request was not kept (max_pending reached) */                    \
  X(pipeline_overflow)                                                    \
  /* decoded output reached decode_cap */                                 \
  X(decompression_limit)                                                  \
  /* corrupt gzip/deflate data */                                         \
  X(decode_error)                                                         \
  /* --body full copy stopped at full_cap */                              \
  X(body_full_capped)                                                     \
  /* more 1xx responses than kept */                                      \
  X(too_many_interim)                                                     \
  /* client data after CONNECT/Upgrade before the response: c2s stops */  \
  X(data_before_tunnel)                                                   \
  /* a start, header, chunk or trailer line ended by LF without CR */     \
  X(bare_lf_line_end)                                                     \
  /* method not in the IANA HTTP Method Registry (case-sensitive) */      \
  X(unknown_method)                                                       \
  /* Transfer-Encoding lists more than one coding (fields joined) */      \
  X(multiple_transfer_encodings)

namespace detail {
enum HttpAnomalyBit : uint32_t {
#define NETLINES_HTTP_ANOMALY_BIT(name) name,
  NETLINES_HTTP_ANOMALIES(NETLINES_HTTP_ANOMALY_BIT)
#undef NETLINES_HTTP_ANOMALY_BIT
};
}  // namespace detail
enum class HttpAnomaly : uint32_t {
#define NETLINES_HTTP_ANOMALY(name) name = 1u << detail::HttpAnomalyBit::name,
  NETLINES_HTTP_ANOMALIES(NETLINES_HTTP_ANOMALY)
#undef NETLINES_HTTP_ANOMALY
};
inline constexpr uint32_t operator|(uint32_t a, HttpAnomaly b) { return a | uint32_t(b); }
// Names of the set bits, in bit order, into `out` (appended).
void http_anomaly_names(uint32_t bits, std::vector<const char*>& out);
const char* http_anomaly_name(HttpAnomaly a);

enum class BodyFraming : uint8_t { none, length, chunked, close };
const char* body_framing_name(BodyFraming f);

struct HttpHeader {
  std::string name, value;  // as on the wire; value without surrounding whitespace
};

struct HttpMessage {
  bool present = false;               // start line seen
  bool complete = false;              // ended as framed (not cut by gap, error or session end)
  std::string version;                // as on the wire; "HTTP/0.9" for a request line without one
  std::vector<HttpHeader> headers;    // in order, duplicates kept (capped)
  uint32_t headers_dropped = 0;       // beyond the caps
  uint64_t header_bytes = 0;          // stored name+value bytes
  std::optional<uint64_t> content_length;  // header value (null if absent or bad)
  std::optional<std::string> content_type, content_encoding, transfer_encoding;
  BodyFraming framing = BodyFraming::none;
  uint64_t wire_body_len = 0;         // body bytes on the wire, incl. chunk framing and trailers
  BodyResult body;
  std::vector<HttpHeader> trailers;   // chunked trailer fields (capped with headers)
  Timestamp start, end;               // piece granularity (see top)
  bool has_end = false;
};

// An Authorization or Proxy-Authorization field value (RFC 9110 11.6.2):
// the scheme, and the user of Basic (RFC 7617: base64 of user ":" password,
// split at the first colon) or Digest (RFC 7616: the username parameter).
// The password is Basic's only; Digest sends a hash.
struct HttpAuth {
  std::string scheme;
  std::optional<std::string> user, password;
  bool bad_base64 = false;            // Basic credentials that are not base64
};
HttpAuth parse_http_authorization(std::string_view value);

struct HttpRequest : HttpMessage {
  std::string method, uri;            // uri exactly as on the wire
  std::optional<std::string> host, user_agent, referer;
  std::optional<std::string> auth_scheme, auth_user, auth_password;  // password: show_secrets only
  // The first Authorization and Proxy-Authorization fields, read whatever the
  // header caps keep (credextract's logins).
  std::optional<HttpAuth> authorization, proxy_authorization;
  bool expect_continue = false, upgrade = false;
};

struct HttpResponse : HttpMessage {
  uint16_t status = 0;
  std::optional<std::string> reason;  // null when the status line has no reason part
};

struct HttpTransaction {
  uint64_t tx_id = 0;                 // position in the connection, 0-based, unique per session
                                      // (an unsolicited response takes the next one)
  HttpRequest request;                // request.present false: response to a dropped request
  HttpResponse response;              // response.present false: no response
  std::vector<uint16_t> interim;      // 1xx statuses before the final response (not 101)
  uint32_t anomalies = 0;
  bool tunnel = false;                // CONNECT 2xx or 101: parsing stopped after it

  bool has(HttpAnomaly a) const { return anomalies & uint32_t(a); }
  bool complete() const { return request.complete && response.complete; }
};

struct HttpOptions {
  BodyOptions body;
  bool show_secrets = false;          // Basic-auth password in the record
  bool preview_text = false;          // preview/full as a text view instead of base64
  uint32_t max_header_line = 64u << 10;   // start line, header, chunk-size line
  uint32_t max_headers = 256;             // per header block (and per trailer block)
  uint32_t max_header_bytes = 64u << 10;  // stored header bytes per message
  uint32_t max_pending = 1024;            // outstanding requests kept per connection
  uint32_t max_interim = 16;              // 1xx statuses kept per transaction
};

// Counters, to be summed by the caller over sessions.
struct HttpStats {
  uint64_t sessions = 0;              // sessions given to a parser
  uint64_t http_sessions = 0;         // whose client stream began with a request line
  uint64_t non_http = 0;              // gave up: not HTTP
  uint64_t transactions = 0;          // emitted
  uint64_t pipeline_overflow = 0;     // requests not kept (max_pending)
  uint64_t headers_dropped = 0;
  uint64_t tunnels = 0;               // CONNECT/Upgrade: parsing stopped
  uint64_t directions_stopped = 0;    // a direction given up after an error or gap
  uint64_t bytes_ignored = 0;         // bytes arriving after a direction stopped, and client
                                      // lines skipped as not request lines

  void add(const HttpStats& o);
  // (name, value) for --stats, in a fixed order.
  std::vector<std::pair<const char*, uint64_t>> named() const;
};

class HttpSessionParser {
 public:
  using Emit = std::function<void(const HttpTransaction&)>;

  // stats may be null. opts must outlive the parser.
  HttpSessionParser(const HttpOptions& opts, Emit emit, HttpStats* stats = nullptr);
  ~HttpSessionParser();
  HttpSessionParser(const HttpSessionParser&) = delete;
  HttpSessionParser& operator=(const HttpSessionParser&) = delete;

  void feed(const MonologuePiece& p);
  // Session over: emits everything still pending. A close-delimited response body
  // counts as complete only when the session ended with FIN.
  void finish(EndReason reason);

  bool non_http() const { return non_http_; }
  bool done() const;                  // nothing more will be parsed
  size_t pending() const;             // requests kept and not yet emitted

 private:
  enum class St : uint8_t {
    idle, headers, body_length, body_close, chunk_size, chunk_data, chunk_crlf, trailers,
    wait_tunnel, stopped
  };
  struct Pending {
    HttpTransaction tx;
    bool req_done = false, resp_done = false;
    uint64_t dropped = 0;             // > 0: placeholder for that many dropped requests
    uint64_t dropped_answered = 0;
  };
  struct Side {
    St st = St::idle;
    std::string line;                 // current line (capped)
    bool skipping = false;            // discarding the rest of an over-long line
    bool line_started = false;
    Timestamp line_ts;                // first_ts of the piece holding the line's first byte
    uint64_t remaining = 0;           // body_length / chunk_data bytes left
    bool cr_seen = false;             // chunk_crlf
    HttpTransaction* tx = nullptr;    // message being parsed
    HttpMessage* msg = nullptr;
    Pending* pend = nullptr;          // its queue entry (null: scratch)
    bool cl_bad = false, cl_conflict = false;
    Timestamp last_ts;                // last_ts of the latest piece
    BodyStream body;
    bool any_message = false;
    bool bare_lf = false;             // the line being handled ended with LF alone
    bool simple = false;              // c2s: request line without version, nothing after it yet
    Timestamp simple_end;             // its end, if nothing follows
    bool skipped = false;             // c2s: lines skipped since the last request line
  };

  Side& side(Dir d) { return d == Dir::c2s ? c2s_ : s2c_; }
  size_t consume(Side& s, Dir d, Bytes b, const MonologuePiece& p);
  size_t consume_line(Side& s, Dir d, Bytes b, const MonologuePiece& p);
  void on_line(Side& s, Dir d, std::string_view line, const MonologuePiece& p);
  void on_line_too_long(Side& s, Dir d);
  bool request_line(std::string_view line, const MonologuePiece& p);
  bool status_line(std::string_view line, const MonologuePiece& p);
  void header_line(Side& s, Dir d, std::string_view line, bool trailer);
  void headers_done(Side& s, Dir d, const MonologuePiece& p);
  void begin_body(Side& s, BodyFraming f);
  void message_done(Side& s, Dir d, const Timestamp& end, bool complete);
  void chunk_size_line(Side& s, Dir d, std::string_view line, const MonologuePiece& p);
  void stop(Dir d, uint32_t anomaly);
  void give_up_non_http();
  HttpTransaction* response_target();
  void flag(Side& s, HttpAnomaly a);
  void try_emit();
  void emit_tx(HttpTransaction& tx, bool had_request);

  const HttpOptions& opts_;
  Emit emit_;
  HttpStats local_stats_;
  HttpStats* stats_;
  Side c2s_, s2c_;
  std::deque<Pending> q_;
  size_t kept_ = 0;                   // real (non-placeholder) entries in q_
  size_t resp_idx_ = 0;               // q_ index of the first entry awaiting its response
  uint64_t next_tx_id_ = 0;
  uint64_t wait_tx_ = 0;              // c2s wait_tunnel: the CONNECT/Upgrade request's tx_id
  HttpTransaction scratch_req_;       // a dropped request being parsed
  HttpTransaction scratch_resp_;      // response to a dropped request, or unsolicited
  bool non_http_ = false, finished_ = false;
  bool confirmed_ = false;            // first request line parsed
};

}  // namespace nl
