#include "libcore/proto/tls_session.hpp"

#include <algorithm>

namespace nl {

namespace {
// RFC 5246 6.2.3: TLSCiphertext.length <= 2^14 + 2048 (the largest any version allows).
constexpr size_t kMaxRecordBody = 16384 + 2048;
constexpr uint8_t kChangeCipherSpec = 20, kAlert = 21, kHandshake = 22, kApplicationData = 23;
constexpr uint8_t kClientHello = 1, kServerHello = 2, kHelloRequest = 0;
}  // namespace

void TlsSessionParser::Direction::clear() {
  bool was_client = client;
  rec.clear();
  hs.clear();
  *this = Direction{};
  client = was_client;
}

TlsSessionParser::TlsSessionParser(const TlsLimits& limits)
    : scanner_(limits.max_preamble), limits_(limits) {
  c_.client = true;
  s_.client = false;
}

void TlsSessionParser::reset() {
  c_.clear();
  s_.clear();
  clients_.clear();
  servers_.clear();
  ready_.clear();
  not_tls_ = hrr_seen_ = ended_ = false;
  clients_total_ = 0;
  pre_ = Preamble::undecided;
  scanner_.reset();
  starttls_ = nullptr;
}

bool TlsSessionParser::done() const {
  return not_tls_ || (c_.st == State::stopped && s_.st == State::stopped);
}

bool TlsSessionParser::preamble_piece(const MonologuePiece& p) {
  bool client = p.dir == Dir::c2s;
  if (pre_ == Preamble::undecided) {
    if (p.data.empty()) return true;
    // The first bytes decide: TLS at once, a protocol TLS may start inside, or neither.
    bool tls_now = client && (p.data[0] == kHandshake || (p.data[0] & 0x80));
    pre_ = !tls_now && limits_.starttls && p.gap_before == 0 && p.offset == 0 &&
                   starttls_plausible_opening(client, p.data)
               ? Preamble::reading
               : Preamble::off;
  }
  switch (pre_) {
    case Preamble::off:
    case Preamble::both_tls:
    case Preamble::undecided:
      return false;
    case Preamble::client_tls: {
      if (client) return false;
      // The server's TLS: a record at the start of its next monologue, or a
      // ServerHello after the last line of a clear-text go-ahead sent with it.
      size_t at = StartTlsScanner::npos;
      if (p.piece_no == 0 && !p.data.empty() && (p.data[0] == kHandshake || p.data[0] == kAlert)) at = 0;
      for (size_t i = 1; at == StartTlsScanner::npos && i < p.data.size(); ++i)
        if (p.data[i] == kHandshake && (p.data[i - 1] == '\n' || p.data[i - 1] == '>') &&
            looks_like_server_hello(p.data.subspan(i)))
          at = i;
      if (at == StartTlsScanner::npos) return true;  // clear text still
      pre_ = Preamble::both_tls;
      feed(s_, p.data.subspan(at), p.first_ts);
      return true;
    }
    case Preamble::reading:
      break;
  }
  if (p.gap_before > 0) {  // bytes lost: message boundaries with them
    give_up_not_tls();
    return true;
  }
  if (!client) {
    scanner_.server(p.data);
  } else {
    size_t at = scanner_.client(p.data, p.piece_no == 0);
    if (at != StartTlsScanner::npos) {
      pre_ = Preamble::client_tls;
      starttls_ = starttls_name(scanner_.protocol());
      feed(c_, p.data.subspan(at), p.first_ts);
      return true;
    }
  }
  if (scanner_.exceeded()) give_up_not_tls();
  return true;
}

void TlsSessionParser::piece(const MonologuePiece& p) {
  Direction& d = p.dir == Dir::c2s ? c_ : s_;
  if (not_tls_ || ended_ || d.st == State::stopped) return;
  if (pre_ != Preamble::off && preamble_piece(p)) return;
  if (p.gap_before > 0) {
    // Bytes are missing: record boundaries are lost. Only an anomaly when it cut
    // into the hellos (not after them).
    if (d.hellos == 0 || !d.rec.empty() || !d.hs.empty()) d.an.set(TlsAnomaly::gap_in_handshake);
    stop(d);
    return;
  }
  feed(d, p.data, p.first_ts);
}

void TlsSessionParser::end() {
  if (ended_) return;
  if (pre_ == Preamble::reading) give_up_not_tls();  // clear text to the end
  if (!not_tls_) {
    if (c_.st != State::stopped) stop(c_);
    if (s_.st != State::stopped) stop(s_);
  }
  ended_ = true;
  pair();
}

void TlsSessionParser::give_up_not_tls() {
  not_tls_ = true;
  c_.st = s_.st = State::stopped;
  c_.rec.clear();
  c_.hs.clear();
  s_.rec.clear();
  s_.hs.clear();
  clients_.clear();
  servers_.clear();
}

// Validates a record header (5 bytes at h) and sets total = header + body size.
bool TlsSessionParser::check_header(Direction& d, const uint8_t* h, size_t& total) {
  uint8_t type = h[0];
  if (d.st == State::start) {
    // SSLv2-compatible ClientHello (RFC 5246 E.2): msb-set 2-byte length, msg_type 1.
    if (d.client && (type & 0x80) && h[2] == kClientHello) {
      total = 2 + ((size_t(type & 0x7f) << 8) | h[1]);
      d.rec_sslv2 = true;
      d.st = State::records;
      return true;
    }
    bool looks = (type == kHandshake || (!d.client && type == kAlert)) && h[1] == 3 && h[2] <= 4;
    if (!looks) {
      if (d.client || (c_.st == State::start && c_.rec.empty())) {
        give_up_not_tls();
      } else {
        d.an.set(TlsAnomaly::server_not_tls);
        d.rec.clear();
        stop(d);
      }
      return false;
    }
    d.st = State::records;
  }
  size_t len = load_be16(h + 3);
  // On a bad header the header bytes buffered in rec (h may point there) are dropped
  // before stop(): they are not a record cut short.
  if (h[1] != 3) {
    d.an.set(TlsAnomaly::bad_record_version);
    d.rec.clear();
    stop(d);
    return false;
  }
  if (len > kMaxRecordBody) {
    d.an.set(TlsAnomaly::record_length_overflow);
    d.rec.clear();
    stop(d);
    return false;
  }
  total = 5 + len;
  return true;
}

void TlsSessionParser::feed(Direction& d, Bytes data, const Timestamp& ts) {
  d.bytes_seen += data.size();
  while (!data.empty() && d.st != State::stopped && !not_tls_) {
    if (d.rec.empty()) {
      d.rec_ts = ts;
      d.rec_total = 0;
      d.rec_sslv2 = false;
      if (data.size() >= 5) {
        size_t total = 0;
        if (!check_header(d, data.data(), total)) return;
        if (data.size() >= total) {  // the whole record is here: no copy
          dispatch(d, data.first(total), ts);
          data = data.subspan(total);
          continue;
        }
        d.rec_total = total;
      }
    }
    if (d.rec_total == 0) {  // header incomplete
      size_t take = std::min(5 - d.rec.size(), data.size());
      d.rec.insert(d.rec.end(), data.begin(), data.begin() + take);
      data = data.subspan(take);
      if (d.rec.size() < 5) continue;
      size_t total = 0;
      if (!check_header(d, d.rec.data(), total)) return;
      d.rec_total = total;
    }
    size_t take = std::min(d.rec_total - d.rec.size(), data.size());
    d.rec.insert(d.rec.end(), data.begin(), data.begin() + take);
    data = data.subspan(take);
    if (d.rec.size() == d.rec_total) {
      scratch_.swap(d.rec);  // rec must be empty while the record is handled
      d.rec.clear();
      d.rec_total = 0;
      dispatch(d, scratch_, d.rec_ts);
      scratch_.clear();
    }
  }
}

void TlsSessionParser::dispatch(Direction& d, Bytes rec, const Timestamp& ts) {
  if (d.rec_sslv2) {
    d.rec_sslv2 = false;
    on_sslv2(d, rec, ts);
    return;
  }
  on_record(d, rec[0], load_be16(&rec[1]), rec.subspan(5), ts);
}

void TlsSessionParser::on_sslv2(Direction& d, Bytes record, const Timestamp& ts) {
  TlsHandshakeResult r;
  r.hello_no = ++d.hellos;
  r.first_ts = ts;
  parse_sslv2_client_hello(record, r.client, limits_.caps);
  // Inconsistent inner lengths (sslv2_malformed) still leave every field read.
  r.hello_parsed = !r.client.anomalies.has(TlsAnomaly::truncated_hello) &&
                   !r.client.anomalies.has(TlsAnomaly::truncated_record);
  r.client_hello_records = 1;
  r.anomalies = d.an;
  r.anomalies.merge(r.client.anomalies);
  if (!r.hello_parsed) r.anomalies.set(TlsAnomaly::truncated_client_hello);
  d.an = {};
  clients_.push_back(std::move(r));
  ++clients_total_;
  stop(d);  // what follows an SSLv2 hello is not parsed
  pair();
}

void TlsSessionParser::on_record(Direction& d, uint8_t type, uint16_t version, Bytes body,
                                 const Timestamp& ts) {
  d.cur_version = version;
  d.cur_ts = ts;
  switch (type) {
    case kHandshake: {
      ++d.record_no;  // handshake records only: client_hello_records counts the hello's
      if (body.empty()) {
        d.an.set(TlsAnomaly::empty_handshake_record);
        return;
      }
      if (d.hs.empty()) {
        d.msg_start_record = d.record_no;
        d.msg_record_version = version;
        d.msg_ts = ts;
      }
      size_t cap = 4 + limits_.max_handshake + kMaxRecordBody;
      size_t take = std::min(body.size(), cap - std::min(cap, d.hs.size()));
      d.hs.insert(d.hs.end(), body.begin(), body.begin() + take);
      parse_messages(d);
      return;
    }
    case kChangeCipherSpec:
      if (!d.hs.empty()) {
        d.an.set(TlsAnomaly::interleaved_record);
      } else if (d.hellos == 1 && (d.client ? (hrr_seen_ || s_.hellos == 0) : hrr_seen_)) {
        // RFC 8446 D.4 middlebox compatibility: a CCS may sit between a
        // HelloRetryRequest (or the first ClientHello) and the second hello.
        return;
      }
      stop(d);
      return;
    case kAlert:
      if (!d.client) d.an.set(TlsAnomaly::server_alert);
      if (!d.hs.empty()) d.an.set(TlsAnomaly::interleaved_record);
      stop(d);
      return;
    case kApplicationData:
    default:
      if (!d.hs.empty()) d.an.set(TlsAnomaly::interleaved_record);
      stop(d);
      return;
  }
}

void TlsSessionParser::parse_messages(Direction& d) {
  while (d.st != State::stopped) {
    if (d.hs.size() < 4) return;
    uint8_t type = d.hs[0];
    size_t len = size_t(d.hs[1]) << 16 | size_t(d.hs[2]) << 8 | d.hs[3];
    if (len > limits_.max_handshake) {
      // A hello claiming more than the cap: buffer up to the cap, parse that prefix, stop.
      if (d.hs.size() < 4 + limits_.max_handshake) return;
      d.an.set(TlsAnomaly::handshake_too_large);
      scratch_.assign(d.hs.begin(), d.hs.begin() + 4 + limits_.max_handshake);
      d.hs.clear();
      on_message(d, type, Bytes(scratch_).subspan(4), true);
      stop(d);
      return;
    }
    if (d.hs.size() < 4 + len) return;
    bool go = on_message(d, type, Bytes(d.hs).subspan(4, len), false);
    d.hs.erase(d.hs.begin(), d.hs.begin() + 4 + len);
    if (!go) {
      d.hs.clear();
      stop(d);
      return;
    }
    if (!d.hs.empty()) {  // the next message starts inside the current record
      d.msg_start_record = d.record_no;
      d.msg_record_version = d.cur_version;
      d.msg_ts = d.cur_ts;
    }
  }
}

bool TlsSessionParser::on_message(Direction& d, uint8_t type, Bytes body, bool partial) {
  if (d.client) {
    if (type != kClientHello) {
      if (d.hellos == 0) d.an.set(TlsAnomaly::unexpected_handshake_type);
      return false;
    }
    TlsHandshakeResult r;
    r.hello_no = ++d.hellos;
    r.first_ts = d.msg_ts;
    r.client.record_version = d.msg_record_version;
    // Parsed (and fingerprinted) only when the whole message arrived and read whole;
    // a partial one keeps the fields read before the cut.
    bool whole = parse_client_hello(body, r.client, limits_.caps);
    r.hello_parsed = whole && !partial;
    r.client_hello_records = d.record_no - d.msg_start_record + 1;
    r.anomalies = d.an;
    r.anomalies.merge(r.client.anomalies);
    if (partial) r.anomalies.set(TlsAnomaly::truncated_hello);
    if (!r.hello_parsed) r.anomalies.set(TlsAnomaly::truncated_client_hello);
    d.an = {};
    clients_.push_back(std::move(r));
    ++clients_total_;
    pair();
    return !partial && d.hellos < 2;  // a second ClientHello follows a HelloRetryRequest
  }
  if (type == kHelloRequest && d.hellos == 0) return true;
  if (type != kServerHello) {
    if (d.hellos == 0) d.an.set(TlsAnomaly::unexpected_handshake_type);
    return false;
  }
  ServerHello sh;
  sh.record_version = d.msg_record_version;
  sh.complete = parse_server_hello(body, sh, limits_.caps) && !partial;
  if (partial) sh.anomalies.set(TlsAnomaly::truncated_hello);
  if (!sh.complete) sh.anomalies.set(TlsAnomaly::truncated_server_hello);
  ++d.hellos;
  bool hrr = sh.hello_retry_request;
  if (hrr) hrr_seen_ = true;
  servers_.push_back(std::move(sh));
  bool go = !partial && hrr && d.hellos < 2;
  if (!go) d.st = State::stopped;  // so pair() emits; the caller's stop() is then a no-op
  pair();
  return go;
}

void TlsSessionParser::flush_partial(Direction& d) {
  if (!d.rec.empty()) {
    std::vector<uint8_t> rec;
    rec.swap(d.rec);
    size_t total = d.rec_total;
    d.rec_total = 0;
    if (d.st == State::start) {
      // Fewer than 5 bytes ever arrived: a prefix of a TLS record or not TLS at all.
      bool tls_prefix = rec[0] == kHandshake && (rec.size() < 2 || rec[1] == 3);
      bool v2_prefix = d.client && (rec[0] & 0x80) && (rec.size() < 3 || rec[2] == kClientHello);
      if (!tls_prefix && !v2_prefix) {
        if (d.client) give_up_not_tls();
        else d.an.set(TlsAnomaly::server_not_tls);
        return;
      }
      d.an.set(TlsAnomaly::truncated_record);
    } else if (d.rec_sslv2) {
      d.an.set(TlsAnomaly::truncated_record);
      d.rec_sslv2 = false;
      on_sslv2(d, rec, d.rec_ts);
      return;
    } else {
      d.an.set(TlsAnomaly::truncated_record);
      (void)total;
      // A cut handshake record still carries the front of the hello: parse it.
      if (rec.size() > 5 && rec[0] == kHandshake) {
        if (d.hs.empty()) {
          d.msg_start_record = d.record_no + 1;
          d.msg_record_version = load_be16(&rec[1]);
          d.msg_ts = d.rec_ts;
        }
        ++d.record_no;
        d.hs.insert(d.hs.end(), rec.begin() + 5, rec.end());
      }
    }
  }
  if (!d.hs.empty() && d.hellos < 2) {
    std::vector<uint8_t> hs;
    hs.swap(d.hs);
    Bytes body = hs.size() > 4 ? Bytes(hs).subspan(4) : Bytes{};
    if (hs.size() >= 4) {
      size_t len = size_t(hs[1]) << 16 | size_t(hs[2]) << 8 | hs[3];
      body = body.first(std::min(body.size(), len));
    }
    on_message(d, hs[0], body, true);
  }
  d.hs.clear();
}

void TlsSessionParser::stop(Direction& d) {
  if (d.st == State::stopped && d.rec.empty() && d.hs.empty()) {
    pair();
    return;
  }
  flush_partial(d);
  if (not_tls_) return;
  d.st = State::stopped;
  d.rec.clear();
  d.hs.clear();
  if (d.client && d.hellos == 0 && d.bytes_seen > 0 && d.an.any()) {
    // TLS-looking bytes that never became a ClientHello: report what went wrong.
    TlsHandshakeResult r;
    r.hello_no = 1;
    r.first_ts = d.rec_ts;
    r.hello_parsed = false;
    r.anomalies = d.an;
    // Cut before the ClientHello's type and length were read: still a cut hello.
    if (r.anomalies.has(TlsAnomaly::truncated_record) || r.anomalies.has(TlsAnomaly::gap_in_handshake))
      r.anomalies.set(TlsAnomaly::truncated_client_hello);
    d.an = {};
    d.hellos = 1;
    clients_.push_back(std::move(r));
  }
  pair();
}

void TlsSessionParser::pair() {
  size_t n = 0;
  for (; n < clients_.size(); ++n) {
    TlsHandshakeResult& c = clients_[n];
    if (!servers_.empty()) {
      c.has_server = true;
      c.server = std::move(servers_.front());
      servers_.erase(servers_.begin());
      c.server_anomalies = s_.an;
      c.server_anomalies.merge(c.server.anomalies);
      s_.an = {};
    } else if (s_.st == State::stopped || ended_) {
      c.server_anomalies = s_.an;
    } else {
      break;
    }
    c.starttls = starttls_;
    ready_.push_back(std::move(c));
  }
  clients_.erase(clients_.begin(), clients_.begin() + n);
}

std::vector<std::pair<const char*, uint64_t>> TlsStats::named() const {
  return {{"sessions", sessions},       {"tls_sessions", tls_sessions}, {"not_tls", not_tls},
          {"client_hellos", hellos},    {"sslv2_hellos", sslv2},        {"with_sni", with_sni},
          {"with_anomalies", with_anomalies}};
}

void TlsSessionSink::session_start(const SessionView& s) {
  ++stats_.sessions;
  std::unique_ptr<TlsSessionParser> p;
  if (!pool_.empty()) {
    p = std::move(pool_.back());
    pool_.pop_back();
    p->reset();
  } else {
    p = std::make_unique<TlsSessionParser>(limits_);
  }
  parsers_[s.session_no] = std::move(p);
}

void TlsSessionSink::monologue(const SessionView& s, const MonologuePiece& piece) {
  auto it = parsers_.find(s.session_no);
  if (it == parsers_.end() || it->second->done()) return;
  it->second->piece(piece);
  emit_ready(s, *it->second);
  // Past the hellos (or not TLS): the engine need not keep the rest of the session.
  if (it->second->done() || it->second->not_tls()) s.want_data = false;
}

void TlsSessionSink::session_end(const SessionView& s, const SessionEnd&) {
  auto it = parsers_.find(s.session_no);
  if (it == parsers_.end()) return;
  TlsSessionParser& p = *it->second;
  p.end();
  emit_ready(s, p);
  if (p.not_tls()) ++stats_.not_tls;
  else if (p.hellos_seen()) ++stats_.tls_sessions;
  pool_.push_back(std::move(it->second));
  parsers_.erase(it);
}

void TlsSessionSink::emit_ready(const SessionView& s, TlsSessionParser& p) {
  p.drain([&](const TlsHandshakeResult& r) {
    ++stats_.hellos;
    if (r.client.sslv2) ++stats_.sslv2;
    if (r.client.has_sni) ++stats_.with_sni;
    if (r.anomalies.bits) ++stats_.with_anomalies;
    emit_(s, r);
  });
}

}  // namespace nl
