#include "libcore/proto/http.hpp"

#include <cstring>

#include "libcore/json/writer.hpp"

namespace nl {

namespace {

constexpr uint64_t kMaxLength = uint64_t(1) << 62;  // larger lengths/chunk sizes: overflow guard

const char* const kAnomalyNames[] = {
#define NETLINES_HTTP_ANOMALY_NAME(name) #name,
    NETLINES_HTTP_ANOMALIES(NETLINES_HTTP_ANOMALY_NAME)
#undef NETLINES_HTTP_ANOMALY_NAME
};
const char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr size_t kAnomalyCount = sizeof kAnomalyNames / sizeof kAnomalyNames[0];

// RFC 9110 5.6.2 tchar.
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x + 32);
    if (y >= 'A' && y <= 'Z') y = char(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

bool parse_decimal(std::string_view v, uint64_t& out) {
  if (v.empty() || v.size() > 19) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + uint64_t(c - '0');
  }
  if (n > kMaxLength) return false;
  out = n;
  return true;
}

// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3); only 1.x is HTTP/1.
bool is_http1_version(std::string_view v) {
  return v.size() == 8 && v.starts_with("HTTP/1.") && v[7] >= '0' && v[7] <= '9';
}

// Transfer-Encoding's final coding is chunked (RFC 9112 6.3).
bool last_coding_chunked(std::string_view te) {
  size_t comma = te.rfind(',');
  std::string_view last = comma == std::string_view::npos ? te : te.substr(comma + 1);
  last = trim_ows(last);
  size_t semi = last.find(';');
  if (semi != std::string_view::npos) last = trim_ows(last.substr(0, semi));
  return ieq(last, "chunked");
}

bool contains_ci(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (ieq(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

bool is_ws(char c) { return c == ' ' || c == '\t'; }

bool starts_with_ci(std::string_view v, std::string_view prefix) {
  return v.size() >= prefix.size() && ieq(v.substr(0, prefix.size()), prefix);
}

// Well-formed "HTTP/" DIGIT "." DIGIT whose major version is 2 or more.
bool is_http2plus_version(std::string_view v) {
  return v.size() == 8 && v.starts_with("HTTP/") && v[5] >= '2' && v[5] <= '9' && v[6] == '.' &&
         v[7] >= '0' && v[7] <= '9';
}

// IANA HTTP Method Registry (case-sensitive, RFC 9110 9.1).
bool is_registered_method(std::string_view m) {
  static constexpr std::string_view kMethods[] = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
      "ACL", "BASELINE-CONTROL", "BIND", "CHECKIN", "CHECKOUT", "COPY", "LABEL", "LINK", "LOCK",
      "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MKREDIRECTREF", "MKWORKSPACE", "MOVE",
      "ORDERPATCH", "PRI", "PROPFIND", "PROPPATCH", "QUERY", "REBIND", "REPORT", "SEARCH",
      "UNBIND", "UNCHECKOUT", "UNLINK", "UNLOCK", "UPDATE", "UPDATEREDIRECTREF",
      "VERSION-CONTROL"};
  for (std::string_view x : kMethods)
    if (x == m) return true;
  return false;
}

// Items of a comma-separated list (Transfer-Encoding), empty items not counted.
template <class F>
void for_each_item(std::string_view list, F f) {
  while (true) {
    size_t comma = list.find(',');
    std::string_view item = trim_ows(list.substr(0, comma));
    size_t semi = item.find(';');
    if (semi != std::string_view::npos) item = trim_ows(item.substr(0, semi));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// A request line read liberally, as Zeek does: any token as method, runs of
// SP/HT as separators, the version is the last word when it begins with "HTTP/"
// (any case), none otherwise (HTTP/0.9 style).
struct RequestLine {
  std::string_view method, target, version;  // version empty: none on the line
  bool malformed = false;                    // off RFC 9112 3's grammar
};

// false: not a request line at all (no token followed by SP or HT).
bool split_request_line(std::string_view line, RequestLine& rl) {
  size_t i = 0;
  while (i < line.size() && is_tchar(line[i])) ++i;
  if (i == 0 || i == line.size() || !is_ws(line[i])) return false;
  rl = RequestLine{};
  rl.method = line.substr(0, i);
  std::string_view rest = line.substr(i);
  size_t lead = 0;
  while (lead < rest.size() && is_ws(rest[lead])) ++lead;
  if (lead != 1 || rest[0] != ' ') rl.malformed = true;
  rest.remove_prefix(lead);
  size_t trail = 0;
  while (trail < rest.size() && is_ws(rest[rest.size() - 1 - trail])) ++trail;
  if (trail) rl.malformed = true;
  rest.remove_suffix(trail);
  size_t k = rest.find_last_of(" \t");
  std::string_view last = k == std::string_view::npos ? rest : rest.substr(k + 1);
  if (starts_with_ci(last, "HTTP/")) {
    rl.version = last;
    rl.target = k == std::string_view::npos ? std::string_view() : rest.substr(0, k);
    size_t sep = 0;
    while (!rl.target.empty() && is_ws(rl.target.back())) {
      rl.target.remove_suffix(1);
      ++sep;
    }
    if (k != std::string_view::npos && (sep != 0 || rest[k] != ' ')) rl.malformed = true;
    if (!is_http1_version(rl.version)) rl.malformed = true;
  } else {
    rl.target = rest;
    if (rl.method != "GET") rl.malformed = true;  // HTTP/0.9 knows only GET
  }
  if (rl.target.empty()) rl.malformed = true;
  for (char c : rl.target)
    if (uint8_t(c) <= 0x20 || uint8_t(c) == 0x7f) {
      rl.malformed = true;
      break;
    }
  return true;
}

// Detection by content: may the first line of a client stream open HTTP?
// A method of at most 32 token characters, no control byte on the line, and
// either a last word beginning with "HTTP/" that is not a well-formed version 2
// or later (the HTTP/2 preface), or no version, a registered method and a
// target of one word (HTTP/0.9 style).
bool plausible_first_line(std::string_view line, const RequestLine& rl) {
  if (rl.method.size() > 32) return false;
  for (char c : line)
    if ((uint8_t(c) < 0x20 && c != '\t') || uint8_t(c) == 0x7f) return false;
  if (!rl.version.empty()) return !is_http2plus_version(rl.version);
  if (!is_registered_method(rl.method) || rl.target.empty()) return false;
  for (char c : rl.target)
    if (is_ws(c)) return false;
  return true;
}

// Looks like a header field line ("name:" with a token name).
bool header_like(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (char c : line.substr(0, colon))
    if (!is_tchar(c)) return false;
  return true;
}

}  // namespace

const char* http_anomaly_name(HttpAnomaly a) {
  uint32_t v = uint32_t(a);
  for (size_t i = 0; i < kAnomalyCount; ++i)
    if (v == (1u << i)) return kAnomalyNames[i];
  return "unknown";
}

void http_anomaly_names(uint32_t bits, std::vector<const char*>& out) {
  for (size_t i = 0; i < kAnomalyCount; ++i)
    if (bits & (1u << i)) out.push_back(kAnomalyNames[i]);
}

const char* body_framing_name(BodyFraming f) {
  switch (f) {
    case BodyFraming::none: return "none";
    case BodyFraming::length: return "length";
    case BodyFraming::chunked: return "chunked";
    case BodyFraming::close: return "close";
  }
  return "none";
}

HttpAuth parse_http_authorization(std::string_view value) {
  HttpAuth a;
  value = trim_ows(value);
  size_t sp = value.find_first_of(" \t");
  a.scheme.assign(value.substr(0, sp));
  std::string_view rest = sp == std::string_view::npos ? std::string_view() : trim_ows(value.substr(sp + 1));
  if (ieq(a.scheme, "basic")) {
    if (rest.empty()) return a;
    std::string creds;
    if (!decode_base64(rest, creds)) {
      a.bad_base64 = true;
      return a;
    }
    size_t c = creds.find(':');
    a.user.emplace(creds.substr(0, c));
    if (c != std::string::npos) a.password.emplace(creds.substr(c + 1));
  } else if (ieq(a.scheme, "digest")) {
    // auth-params: name = token / quoted-string, separated by commas.
    while (!rest.empty()) {
      size_t eq = rest.find('=');
      if (eq == std::string_view::npos) break;
      std::string_view name = trim_ows(rest.substr(0, eq));
      rest = trim_ows(rest.substr(eq + 1));
      std::string v;
      if (!rest.empty() && rest.front() == '"') {
        size_t i = 1;
        for (; i < rest.size() && rest[i] != '"'; ++i) {
          if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
          v += rest[i];
        }
        rest = rest.substr(std::min(rest.size(), i + 1));
      } else {
        size_t e = rest.find(',');
        v.assign(trim_ows(rest.substr(0, e)));
        rest = e == std::string_view::npos ? std::string_view() : rest.substr(e);
      }
      if (ieq(name, "username") && !a.user) a.user.emplace(std::move(v));
      size_t comma = rest.find(',');
      if (comma == std::string_view::npos) break;
      rest = trim_ows(rest.substr(comma + 1));
    }
  }
  return a;
}

std::vector<std::pair<const char*, uint64_t>> HttpStats::named() const {
  return {{"sessions", sessions},
          {"http_sessions", http_sessions},
          {"non_http", non_http},
          {"transactions", transactions},
          {"pipeline_overflow", pipeline_overflow},
          {"headers_dropped", headers_dropped},
          {"tunnels", tunnels},
          {"directions_stopped", directions_stopped},
          {"bytes_ignored", bytes_ignored}};
}

void HttpStats::add(const HttpStats& o) {
  sessions += o.sessions;
  http_sessions += o.http_sessions;
  non_http += o.non_http;
  transactions += o.transactions;
  pipeline_overflow += o.pipeline_overflow;
  headers_dropped += o.headers_dropped;
  tunnels += o.tunnels;
  directions_stopped += o.directions_stopped;
  bytes_ignored += o.bytes_ignored;
}

HttpSessionParser::HttpSessionParser(const HttpOptions& opts, Emit emit, HttpStats* stats)
    : opts_(opts), emit_(std::move(emit)), stats_(stats ? stats : &local_stats_) {
  stats_->sessions++;
}

HttpSessionParser::~HttpSessionParser() = default;

bool HttpSessionParser::done() const {
  return non_http_ || finished_ || (c2s_.st == St::stopped && s2c_.st == St::stopped);
}

size_t HttpSessionParser::pending() const { return kept_; }

void HttpSessionParser::flag(Side& s, HttpAnomaly a) {
  if (s.tx) s.tx->anomalies |= uint32_t(a);
}

void HttpSessionParser::give_up_non_http() {
  if (non_http_) return;
  non_http_ = true;
  stats_->non_http++;
  c2s_.st = St::stopped;
  s2c_.st = St::stopped;
}

// The transaction the next response belongs to: the first kept request still
// waiting for its response, or scratch_resp_ (dropped request, unsolicited).
HttpTransaction* HttpSessionParser::response_target() {
  s2c_.pend = nullptr;
  if (resp_idx_ < q_.size()) {
    Pending& e = q_[resp_idx_];
    s2c_.pend = &e;
    if (e.dropped == 0) return &e.tx;
    scratch_resp_ = HttpTransaction{};
    scratch_resp_.tx_id = e.tx.tx_id + e.dropped_answered;
    scratch_resp_.anomalies |= uint32_t(HttpAnomaly::pipeline_overflow);
    return &scratch_resp_;
  }
  if (c2s_.st == St::stopped) return nullptr;
  scratch_resp_ = HttpTransaction{};
  scratch_resp_.tx_id = next_tx_id_;
  scratch_resp_.anomalies |= uint32_t(HttpAnomaly::unsolicited_response);
  return &scratch_resp_;
}

void HttpSessionParser::emit_tx(HttpTransaction& tx, bool had_request) {
  if (had_request && !tx.response.present) tx.anomalies |= uint32_t(HttpAnomaly::no_response);
  stats_->transactions++;
  if (emit_) emit_(tx);
}

void HttpSessionParser::try_emit() {
  bool s2c_dead = s2c_.st == St::stopped;
  while (!q_.empty()) {
    Pending& e = q_.front();
    if (!e.req_done || !(e.resp_done || s2c_dead)) break;
    if (e.dropped == 0) {
      emit_tx(e.tx, true);
      kept_--;
    }
    q_.pop_front();
    if (resp_idx_ > 0) resp_idx_--;
  }
}

void HttpSessionParser::stop(Dir d, uint32_t anomaly) {
  Side& s = side(d);
  if (s.st == St::stopped) return;
  if (anomaly) {
    if (s.tx) {
      s.tx->anomalies |= anomaly;
    } else if (d == Dir::s2c && resp_idx_ < q_.size() && q_[resp_idx_].dropped == 0) {
      q_[resp_idx_].tx.anomalies |= anomaly;
    }
  }
  if (s.tx) message_done(s, d, s.last_ts, false);
  s.st = St::stopped;
  s.line.clear();
  stats_->directions_stopped++;
  if (d == Dir::c2s) {
    // Requests no longer parsed: the kept ones still take their responses.
    for (auto& e : q_) e.req_done = true;
  }
}

void HttpSessionParser::feed(const MonologuePiece& p) {
  if (finished_ || non_http_) return;
  Dir d = p.dir;
  Side& s = side(d);
  s.last_ts = p.last_ts;
  if (!confirmed_) {
    // Detection by content: the client speaks first, from the start of its stream.
    if (d == Dir::s2c || p.gap_before > 0 || (p.offset > 0 && !c2s_.line_started)) {
      give_up_non_http();
      return;
    }
  }
  if (s.st == St::stopped) {
    stats_->bytes_ignored += p.data.size();
    return;
  }
  Bytes b = p.data;
  if (p.gap_before > 0) {
    uint64_t g = p.gap_before;
    switch (s.st) {
      case St::body_length:
      case St::chunk_data:
        s.msg->wire_body_len += std::min(g, s.remaining);
        if (g < s.remaining) {
          s.remaining -= g;
          s.body.gap(g);
          flag(s, HttpAnomaly::gap_in_message);
        } else if (g == s.remaining && s.st == St::body_length) {
          s.body.gap(g);
          flag(s, HttpAnomaly::gap_in_message);
          message_done(s, d, p.first_ts, false);
        } else {
          s.body.gap(s.remaining);
          stop(d, uint32_t(HttpAnomaly::gap_in_message));
        }
        break;
      case St::body_close:
        s.msg->wire_body_len += g;
        s.body.gap(g);
        flag(s, HttpAnomaly::gap_in_message);
        break;
      case St::idle:
        if (!s.line_started && !s.skipping) {
          stop(d, uint32_t(HttpAnomaly::gap_between_messages));
          break;
        }
        [[fallthrough]];
      default:
        stop(d, uint32_t(HttpAnomaly::gap_in_message));
        break;
    }
  }
  size_t pos = 0;
  while (pos < b.size()) {
    if (non_http_ || s.st == St::stopped) {
      if (!non_http_) stats_->bytes_ignored += b.size() - pos;
      break;
    }
    pos += consume(s, d, b.subspan(pos), p);
  }
  try_emit();
}

size_t HttpSessionParser::consume(Side& s, Dir d, Bytes b, const MonologuePiece& p) {
  switch (s.st) {
    case St::idle: {
      if (!s.line_started && !s.skipping) {
        // RFC 9112 2.2: ignore empty lines before a request line (and, leniently, a status line).
        size_t n = 0;
        while (n < b.size() && (b[n] == '\r' || b[n] == '\n')) ++n;
        if (n) return n;
        if (d == Dir::s2c) {
          // HTTP/0.9: the response is the body, no status line, until close.
          HttpTransaction* t = nullptr;
          // A status line still answers it when the bytes begin with "HTTP/".
          std::string_view head(reinterpret_cast<const char*>(b.data()), std::min<size_t>(b.size(), 5));
          bool status = ieq(head, std::string_view("HTTP/").substr(0, head.size()));
          if (!status && resp_idx_ < q_.size() && q_[resp_idx_].dropped == 0 &&
              q_[resp_idx_].tx.request.version == "HTTP/0.9")
            t = response_target();
          if (t) {
            s.tx = t;
            s.msg = &t->response;
            t->response.present = true;
            t->response.start = p.first_ts;
            begin_body(s, BodyFraming::close);
            return 0;
          }
        }
      }
      return consume_line(s, d, b, p);
    }
    case St::headers:
    case St::chunk_size:
    case St::trailers:
      return consume_line(s, d, b, p);
    case St::body_length:
    case St::chunk_data: {
      size_t n = size_t(std::min<uint64_t>(s.remaining, b.size()));
      s.body.feed(b.first(n));
      s.msg->wire_body_len += n;
      s.remaining -= n;
      if (s.remaining == 0) {
        if (s.st == St::body_length) {
          message_done(s, d, p.last_ts, true);
        } else {
          s.st = St::chunk_crlf;
          s.cr_seen = false;
        }
      }
      return n;
    }
    case St::chunk_crlf: {
      uint8_t c = b[0];
      if (c == '\r' && !s.cr_seen) {
        s.cr_seen = true;
      } else if (c == '\n') {
        if (!s.cr_seen) flag(s, HttpAnomaly::bare_lf_line_end);
        s.st = St::chunk_size;
      } else {
        stop(d, uint32_t(HttpAnomaly::bad_chunk_framing));
        return 0;
      }
      s.msg->wire_body_len++;
      return 1;
    }
    case St::body_close:
      s.body.feed(b);
      s.msg->wire_body_len += b.size();
      return b.size();
    case St::wait_tunnel:
      // RFC 9110 9.3.6: tunnel data follows only a 2xx; bytes before it are not parsed.
      if (!q_.empty() && q_.back().dropped == 0 && q_.back().tx.tx_id == wait_tx_)
        q_.back().tx.anomalies |= uint32_t(HttpAnomaly::data_before_tunnel);
      stop(d, 0);
      return 0;
    case St::stopped:
      return b.size();
  }
  return b.size();
}

size_t HttpSessionParser::consume_line(Side& s, Dir d, Bytes b, const MonologuePiece& p) {
  const void* nlp = std::memchr(b.data(), '\n', b.size());
  size_t take = nlp ? size_t(static_cast<const uint8_t*>(nlp) - b.data()) + 1 : b.size();
  bool eol = nlp != nullptr;
  if (!s.line_started) {
    s.line_started = true;
    s.line_ts = p.first_ts;
  }
  if (s.st == St::chunk_size || s.st == St::trailers) s.msg->wire_body_len += take;
  if (s.skipping) {
    if (eol) {
      s.skipping = false;
      s.line_started = false;
    }
    return take;
  }
  size_t content = eol ? take - 1 : take;
  if (s.line.size() + content > opts_.max_header_line) {
    std::string().swap(s.line);
    s.skipping = !eol;
    if (eol) s.line_started = false;
    on_line_too_long(s, d);
    return take;
  }
  s.line.append(reinterpret_cast<const char*>(b.data()), content);
  if (d == Dir::c2s && !confirmed_ && s.st == St::idle) {
    // Fail fast on binary streams: the method is a short token followed by SP.
    size_t i = 0;
    for (; i < s.line.size() && i <= 32; ++i) {
      char c = s.line[i];
      if (is_ws(c)) break;
      if (!is_tchar(c)) {
        give_up_non_http();
        return take;
      }
    }
    if (i > 32) {
      give_up_non_http();
      return take;
    }
  }
  if (eol) {
    std::string_view v = s.line;
    s.bare_lf = v.empty() || v.back() != '\r';
    if (!s.bare_lf) v.remove_suffix(1);
    s.line_started = false;
    on_line(s, d, v, p);
    if (s.line.capacity() > 8192) std::string().swap(s.line);  // do not keep a big buffer per session
    else s.line.clear();
  }
  return take;
}

void HttpSessionParser::on_line_too_long(Side& s, Dir d) {
  switch (s.st) {
    case St::idle:
      if (d == Dir::c2s && !confirmed_) {
        give_up_non_http();
      } else {
        // A start line that long: framing is lost.
        if (d == Dir::s2c) response_target();
        stop(d, uint32_t(HttpAnomaly::header_line_too_long));
      }
      break;
    case St::headers:
    case St::trailers:
      // Reported and skipped; the rest of the line is discarded as it arrives.
      flag(s, HttpAnomaly::header_line_too_long);
      if (s.msg) s.msg->headers_dropped++;
      stats_->headers_dropped++;
      break;
    default:  // chunk-size line
      stop(d, uint32_t(HttpAnomaly::bad_chunk_size));
      break;
  }
}

void HttpSessionParser::on_line(Side& s, Dir d, std::string_view line, const MonologuePiece& p) {
  if (s.bare_lf) flag(s, HttpAnomaly::bare_lf_line_end);
  switch (s.st) {
    case St::idle:
      if (line.empty()) return;
      if (d == Dir::c2s) {
        if (!request_line(line, p)) {
          if (!confirmed_) {
            give_up_non_http();
          } else {
            // Not a request line (no token and SP): skipped, reported on the next request.
            s.skipped = true;
            stats_->bytes_ignored += line.size() + (s.bare_lf ? 1 : 2);
          }
          return;
        }
      } else if (!status_line(line, p)) {
        stop(d, uint32_t(HttpAnomaly::malformed_status_line));
        return;
      }
      if (s.bare_lf) flag(s, HttpAnomaly::bare_lf_line_end);
      return;
    case St::headers:
      if (s.simple) {
        // After a request line without version: a request line here starts the next
        // request (the first had no header block); anything else is its header block.
        s.simple = false;
        RequestLine rl;
        if (!line.empty() && !header_like(line) && split_request_line(line, rl)) {
          message_done(s, d, s.simple_end, true);
          on_line(s, d, line, p);
          return;
        }
      }
      if (line.empty()) headers_done(s, d, p);
      else header_line(s, d, line, false);
      return;
    case St::chunk_size:
      chunk_size_line(s, d, line, p);
      return;
    case St::trailers:
      if (line.empty()) message_done(s, d, p.last_ts, true);
      else header_line(s, d, line, true);
      return;
    default:
      return;
  }
}

bool HttpSessionParser::request_line(std::string_view line, const MonologuePiece& p) {
  // request-line = method SP request-target SP HTTP-version (RFC 9112 3), read
  // liberally (split_request_line); HTTP/0.9 simple request: "GET" SP request-target.
  RequestLine rl;
  if (!split_request_line(line, rl)) return false;
  if (!confirmed_ && !plausible_first_line(line, rl)) return false;
  std::string_view method = rl.method, target = rl.target;
  std::string_view version = rl.version.empty() ? std::string_view("HTTP/0.9") : rl.version;

  Side& s = c2s_;
  uint64_t id = next_tx_id_++;
  if (kept_ < opts_.max_pending) {
    q_.emplace_back();
    Pending& e = q_.back();
    e.tx.tx_id = id;
    s.tx = &e.tx;
    s.pend = &e;
    kept_++;
  } else {
    // Bounded queue: the request is parsed (to find its end) but not kept.
    stats_->pipeline_overflow++;
    if (!q_.empty() && q_.back().dropped > 0) {
      q_.back().dropped++;
    } else {
      q_.emplace_back();
      Pending& e = q_.back();
      e.tx.tx_id = id;
      e.dropped = 1;
      e.req_done = true;
    }
    scratch_req_ = HttpTransaction{};
    scratch_req_.tx_id = id;
    s.tx = &scratch_req_;
    s.pend = nullptr;
  }
  if (!confirmed_) stats_->http_sessions++;
  confirmed_ = true;
  s.any_message = true;
  s.cl_bad = s.cl_conflict = false;
  HttpRequest& r = s.tx->request;
  s.msg = &r;
  r.present = true;
  r.method.assign(method);
  r.uri.assign(target);
  r.version.assign(version);
  r.start = s.line_ts;
  uint32_t& an = s.tx->anomalies;
  if (rl.malformed || s.skipped) an |= uint32_t(HttpAnomaly::malformed_request_line);
  if (!is_registered_method(method)) an |= uint32_t(HttpAnomaly::unknown_method);
  s.skipped = false;
  // Headers may follow even without a version (Zeek reads them too); when nothing
  // does, the request ended with its line (HTTP/0.9 simple request).
  s.simple = rl.version.empty();
  s.simple_end = p.last_ts;
  s.st = St::headers;
  return true;
}

bool HttpSessionParser::status_line(std::string_view line, const MonologuePiece&) {
  Side& s = s2c_;
  HttpTransaction* t = response_target();
  if (!t) {
    stop(Dir::s2c, 0);  // nothing to pair with and no more requests will come
    return true;
  }
  s.tx = t;
  // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4), read
  // liberally: "HTTP/" (any case) and three digits are needed, the rest is flagged.
  if (!starts_with_ci(line, "HTTP/")) return false;
  size_t vend = 0;
  while (vend < line.size() && !is_ws(line[vend])) ++vend;
  std::string_view version = line.substr(0, vend);
  bool malformed = !is_http1_version(version);
  size_t i = vend;
  while (i < line.size() && is_ws(line[i])) ++i;
  if (i != vend + 1 || line[vend] != ' ') malformed = true;
  if (i + 3 > line.size()) return false;
  uint16_t code = 0;
  for (size_t j = i; j < i + 3; ++j) {
    if (line[j] < '0' || line[j] > '9') return false;
    code = uint16_t(code * 10 + (line[j] - '0'));
  }
  if (code < 100) malformed = true;
  std::optional<std::string_view> reason;
  std::string_view after = line.substr(i + 3);
  if (!after.empty()) {
    if (after[0] == ' ') {
      reason = after.substr(1);
    } else {
      malformed = true;  // tab, or the reason glued to the code
      reason = trim_ows(after);
    }
  }
  t->response = HttpResponse{};
  HttpResponse& r = t->response;
  s.msg = &r;
  s.cl_bad = s.cl_conflict = false;
  r.present = true;
  r.version.assign(version);
  r.status = code;
  if (reason) r.reason.emplace(*reason);
  if (malformed) t->anomalies |= uint32_t(HttpAnomaly::malformed_status_line);
  r.start = s.line_ts;
  s.any_message = true;
  s.st = St::headers;
  return true;
}

void HttpSessionParser::header_line(Side& s, Dir d, std::string_view line, bool trailer) {
  HttpMessage& m = *s.msg;
  std::vector<HttpHeader>& list = trailer ? m.trailers : m.headers;
  if (line.front() == ' ' || line.front() == '\t') {
    // obs-fold (RFC 9112 5.2): joined to the previous field value with one SP.
    if (list.empty()) {
      flag(s, HttpAnomaly::malformed_header_line);
      return;
    }
    std::string_view more = trim_ows(line);
    if (m.header_bytes + more.size() + 1 <= opts_.max_header_bytes) {
      list.back().value += ' ';
      list.back().value.append(more);
      m.header_bytes += more.size() + 1;
    }
    return;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    flag(s, HttpAnomaly::malformed_header_line);
    return;
  }
  std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!is_tchar(c)) {  // includes whitespace before the colon (RFC 9112 5.1)
      flag(s, HttpAnomaly::malformed_header_line);
      return;
    }
  }
  std::string_view value = trim_ows(line.substr(colon + 1));
  size_t count = m.headers.size() + m.trailers.size();
  if (count >= opts_.max_headers) {
    flag(s, HttpAnomaly::too_many_headers);
    m.headers_dropped++;
    stats_->headers_dropped++;
  } else if (m.header_bytes + name.size() + value.size() > opts_.max_header_bytes) {
    flag(s, HttpAnomaly::header_block_too_large);
    m.headers_dropped++;
    stats_->headers_dropped++;
  } else {
    list.push_back(HttpHeader{std::string(name), std::string(value)});
    m.header_bytes += name.size() + value.size();
  }
  if (trailer) return;

  // Interpreted whether kept or not: framing must not depend on the caps.
  auto join = [](std::optional<std::string>& dst, std::string_view v) {
    if (!dst) dst.emplace(v);
    else if (dst->size() < 4096) { *dst += ", "; dst->append(v); }
  };
  if (ieq(name, "content-length")) {
    // RFC 9112 6.3: a list of identical values is one value; differing ones are fatal.
    std::string_view rest = value;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view item = trim_ows(rest.substr(0, comma));
      uint64_t n = 0;
      if (!parse_decimal(item, n)) {
        s.cl_bad = true;
      } else if (m.content_length && *m.content_length != n) {
        s.cl_conflict = true;
      } else {
        m.content_length = n;
      }
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  } else if (ieq(name, "transfer-encoding")) {
    join(m.transfer_encoding, value);
  } else if (ieq(name, "content-encoding")) {
    join(m.content_encoding, value);
  } else if (ieq(name, "content-type")) {
    if (!m.content_type) m.content_type.emplace(value);
  } else if (d == Dir::c2s) {
    HttpRequest& r = s.tx->request;
    if (ieq(name, "host")) {
      if (!r.host) r.host.emplace(value);
    } else if (ieq(name, "user-agent")) {
      if (!r.user_agent) r.user_agent.emplace(value);
    } else if (ieq(name, "referer")) {
      if (!r.referer) r.referer.emplace(value);
    } else if (ieq(name, "expect")) {
      if (contains_ci(value, "100-continue")) r.expect_continue = true;
    } else if (ieq(name, "upgrade")) {
      r.upgrade = true;
    } else if (ieq(name, "authorization") && !r.authorization) {
      const HttpAuth& a = r.authorization.emplace(parse_http_authorization(value));
      r.auth_scheme.emplace(a.scheme);
      if (ieq(a.scheme, "basic")) {
        r.auth_user = a.user;
        if (opts_.show_secrets) r.auth_password = a.password;
      }
    } else if (ieq(name, "proxy-authorization") && !r.proxy_authorization) {
      r.proxy_authorization.emplace(parse_http_authorization(value));
    }
  }
}

void HttpSessionParser::begin_body(Side& s, BodyFraming f) {
  HttpMessage& m = *s.msg;
  m.framing = f;
  s.body.begin(opts_.body, m.content_encoding ? std::string_view(*m.content_encoding) : "");
  switch (f) {
    case BodyFraming::length: s.st = St::body_length; s.remaining = m.content_length.value_or(0); break;
    case BodyFraming::chunked: s.st = St::chunk_size; break;
    case BodyFraming::close: s.st = St::body_close; break;
    case BodyFraming::none: s.st = St::idle; break;
  }
}

void HttpSessionParser::headers_done(Side& s, Dir d, const MonologuePiece& p) {
  HttpMessage& m = *s.msg;
  if (s.cl_bad || s.cl_conflict) {
    if (s.cl_bad) flag(s, HttpAnomaly::bad_content_length);
    if (s.cl_conflict) flag(s, HttpAnomaly::conflicting_content_length);
    if (s.cl_conflict) m.content_length.reset();
  }
  bool any_chunked = false;
  if (m.transfer_encoding) {
    size_t codings = 0;
    for_each_item(*m.transfer_encoding, [&](std::string_view c) {
      ++codings;
      if (ieq(c, "chunked")) any_chunked = true;
    });
    if (codings > 1) flag(s, HttpAnomaly::multiple_transfer_encodings);
  }
  if (d == Dir::c2s) {
    // RFC 9112 6.3: request body length. Transfer-Encoding wins over Content-Length.
    if (m.transfer_encoding) {
      if (m.content_length) flag(s, HttpAnomaly::transfer_encoding_with_content_length);
      if (!last_coding_chunked(*m.transfer_encoding)) {
        if (!any_chunked) {
          stop(d, uint32_t(HttpAnomaly::bad_transfer_encoding));
          return;
        }
        // "chunked, identity": framed as chunked, as Zeek does.
        flag(s, HttpAnomaly::bad_transfer_encoding);
      }
      begin_body(s, BodyFraming::chunked);
      return;
    }
    if (s.cl_bad || s.cl_conflict) {
      stop(d, 0);
      return;
    }
    if (m.content_length && *m.content_length > 0) {
      begin_body(s, BodyFraming::length);
      return;
    }
    message_done(s, d, p.last_ts, true);
    return;
  }

  HttpTransaction& t = *s.tx;
  HttpResponse& r = t.response;
  if (r.status >= 100 && r.status < 200 && r.status != 101) {
    // Interim response (RFC 9110 15.2): listed, the final one follows.
    if (t.interim.size() < opts_.max_interim) t.interim.push_back(r.status);
    else t.anomalies |= uint32_t(HttpAnomaly::too_many_interim);
    r = HttpResponse{};
    s.tx = nullptr;
    s.msg = nullptr;
    s.pend = nullptr;
    s.st = St::idle;
    return;
  }
  const std::string& method = t.request.method;
  bool tunnel = r.status == 101 || (method == "CONNECT" && r.status >= 200 && r.status < 300);
  if (tunnel) {
    // What follows is not HTTP (RFC 9110 9.3.6, 7.8).
    t.tunnel = true;
    stats_->tunnels++;
    message_done(s, d, p.last_ts, true);
    stop(Dir::s2c, 0);
    stop(Dir::c2s, 0);
    return;
  }
  if (method == "HEAD" || r.status == 204 || r.status == 304) {
    message_done(s, d, p.last_ts, true);
    return;
  }
  if (m.transfer_encoding) {
    if (m.content_length) flag(s, HttpAnomaly::transfer_encoding_with_content_length);
    begin_body(s, last_coding_chunked(*m.transfer_encoding) ? BodyFraming::chunked : BodyFraming::close);
    return;
  }
  if (s.cl_bad || s.cl_conflict) {
    stop(d, 0);
    return;
  }
  if (m.content_length) {
    if (*m.content_length == 0) {
      m.framing = BodyFraming::length;
      message_done(s, d, p.last_ts, true);
    } else {
      begin_body(s, BodyFraming::length);
    }
    return;
  }
  begin_body(s, BodyFraming::close);
}

void HttpSessionParser::chunk_size_line(Side& s, Dir d, std::string_view line, const MonologuePiece&) {
  // chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF (RFC 9112 7.1)
  uint64_t v = 0;
  size_t i = 0;
  for (; i < line.size(); ++i) {
    char c = line[i];
    int x = (c >= '0' && c <= '9') ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (x < 0) break;
    if (v > (kMaxLength >> 4)) {  // overflow guard before the shift
      stop(d, uint32_t(HttpAnomaly::bad_chunk_size));
      return;
    }
    v = v << 4 | uint64_t(x);
  }
  std::string_view rest = trim_ows(line.substr(i));
  if (i == 0 || v > kMaxLength || (!rest.empty() && rest.front() != ';')) {
    stop(d, uint32_t(HttpAnomaly::bad_chunk_size));
    return;
  }
  if (v == 0) {
    s.st = St::trailers;
  } else {
    s.remaining = v;
    s.st = St::chunk_data;
  }
}

void HttpSessionParser::message_done(Side& s, Dir d, const Timestamp& end, bool complete) {
  HttpMessage* m = s.msg;
  HttpTransaction* t = s.tx;
  if (m) {
    if (s.body.active()) {
      s.body.finish(m->body);
      if (m->body.decode == DecodeStatus::limit) t->anomalies |= uint32_t(HttpAnomaly::decompression_limit);
      if (m->body.decode == DecodeStatus::error) t->anomalies |= uint32_t(HttpAnomaly::decode_error);
      if (m->body.body.full_capped || m->body.decoded.full_capped)
        t->anomalies |= uint32_t(HttpAnomaly::body_full_capped);
    } else if (complete && m->present && opts_.body.mode != BodyMode::none && m->body.body.sha256.empty())
      m->body.body.sha256 = kEmptySha256;  // no body: the empty entity
    m->end = end;
    m->has_end = true;
    m->complete = complete && m->present;
  }
  St next = St::idle;
  if (d == Dir::c2s) {
    if (s.pend) s.pend->req_done = true;
    if (t && complete && (t->request.method == "CONNECT" || t->request.upgrade)) {
      next = St::wait_tunnel;
      wait_tx_ = t->tx_id;
    }
  } else {
    Pending* e = s.pend;
    if (!e || e->dropped > 0) try_emit();  // earlier transactions go out first
    if (e && e->dropped > 0) {
      emit_tx(scratch_resp_, false);
      if (++e->dropped_answered == e->dropped) {
        e->resp_done = true;
        resp_idx_++;
      }
    } else if (e) {
      e->resp_done = true;
      resp_idx_++;
    } else if (t) {
      scratch_resp_.tx_id = next_tx_id_++;  // unsolicited: an id of its own
      emit_tx(scratch_resp_, false);
    }
    if (t && c2s_.st == St::wait_tunnel && t->tx_id == wait_tx_ && !t->tunnel) c2s_.st = St::idle;
  }
  s.tx = nullptr;
  s.msg = nullptr;
  s.pend = nullptr;
  s.simple = false;
  s.st = next;
  try_emit();
}

void HttpSessionParser::finish(EndReason reason) {
  if (finished_) return;
  finished_ = true;
  if (non_http_) return;
  for (Dir d : {Dir::c2s, Dir::s2c}) {
    Side& s = side(d);
    if (s.st == St::stopped) continue;
    if (s.tx) {
      bool complete = false;
      Timestamp end = s.last_ts;
      switch (s.st) {
        case St::body_close:
          // Close-delimited (RFC 9112 6.3 item 8): only an orderly close ends it for sure.
          complete = reason == EndReason::fin;
          if (!complete) flag(s, HttpAnomaly::truncated_body);
          break;
        case St::headers:
          if (d == Dir::c2s && s.simple && !s.line_started) {
            complete = true;  // a request line without version and nothing after it
            end = s.simple_end;
          } else {
            flag(s, HttpAnomaly::truncated_headers);
          }
          break;
        default:
          flag(s, HttpAnomaly::truncated_body);
          break;
      }
      message_done(s, d, end, complete);
    } else if (d == Dir::s2c && s.line_started && resp_idx_ < q_.size() && q_[resp_idx_].dropped == 0) {
      q_[resp_idx_].tx.anomalies |= uint32_t(HttpAnomaly::truncated_headers);
    }
    s.st = St::stopped;
  }
  for (auto& e : q_) e.req_done = true;
  try_emit();
}

}  // namespace nl
