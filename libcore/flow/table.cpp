#include "libcore/flow/table.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <random>

namespace nl {
namespace {

// RFC 1982 serial-number comparison on 32-bit TCP sequence numbers.
inline bool seq_lt(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }

bool is_icmp_proto(uint8_t p) { return p == 1 || p == 58; }


// Direction-free table key: the smaller (address, port) endpoint first.
FlowKey table_key(const FlowKey& k) {
  bool flip = k.dst < k.src || (k.dst == k.src && k.dport < k.sport);
  return flip ? k.reversed() : k;
}

int letter_bit(char upper) { return upper - 'A'; }

bool is_power_of_10(uint32_t n) {
  while (n >= 10 && n % 10 == 0) n /= 10;
  return n == 1;
}

void add_letter(Flow& f, FlowSide& s, bool from_orig, char upper) {
  uint32_t bit = 1u << letter_bit(upper);
  if (s.letters & bit) return;
  s.letters |= bit;
  if (f.history_len < Flow::kMaxHistory)
    f.history[f.history_len++] = from_orig ? upper : char(upper - 'A' + 'a');
}

// Zeek writes C, G, T and W again each time their count reaches a power of 10.
void add_repeating(Flow& f, bool from_orig, uint32_t& count, char upper) {
  ++count;
  if (is_power_of_10(count) && f.history_len < Flow::kMaxHistory)
    f.history[f.history_len++] = from_orig ? upper : char(upper - 'A' + 'a');
}

// Removes [a, b) from the side's holes; returns the bytes filled.
uint64_t fill_holes(FlowSide& s, uint32_t a, uint32_t b) {
  uint64_t filled = 0;
  for (int i = 0; i < s.n_holes;) {
    uint32_t hs = s.holes[i][0], he = s.holes[i][1];
    int64_t hl = int64_t(uint32_t(he - hs));
    int64_t oa = int32_t(a - hs), ob = int32_t(b - hs);
    int64_t lo = std::max<int64_t>(oa, 0), hi = std::min<int64_t>(ob, hl);
    if (lo >= hi) { ++i; continue; }
    filled += uint64_t(hi - lo);
    bool keep_left = lo > 0, keep_right = hi < hl;
    if (keep_left && keep_right) {
      s.holes[i][1] = hs + uint32_t(lo);
      if (s.n_holes < FlowSide::kMaxHoles) {
        s.holes[s.n_holes][0] = hs + uint32_t(hi);
        s.holes[s.n_holes][1] = he;
        ++s.n_holes;
      }  // else the right part stays counted as missing
      ++i;
    } else if (keep_left) {
      s.holes[i][1] = hs + uint32_t(lo);
      ++i;
    } else if (keep_right) {
      s.holes[i][0] = hs + uint32_t(hi);
      ++i;
    } else {
      for (int j = i + 1; j < s.n_holes; ++j) {
        s.holes[j - 1][0] = s.holes[j][0];
        s.holes[j - 1][1] = s.holes[j][1];
      }
      --s.n_holes;
    }
  }
  s.missing_bytes -= std::min<uint64_t>(filled, s.missing_bytes);
  return filled;
}

void add_hole(FlowSide& s, uint32_t a, uint32_t b) {
  if (s.n_holes == FlowSide::kMaxHoles) {  // forget the oldest: it stays missing
    for (int j = 1; j < s.n_holes; ++j) {
      s.holes[j - 1][0] = s.holes[j][0];
      s.holes[j - 1][1] = s.holes[j][1];
    }
    --s.n_holes;
  }
  s.holes[s.n_holes][0] = a;
  s.holes[s.n_holes][1] = b;
  ++s.n_holes;
}

// Sequence-space accounting for one segment's payload [start, start + len).
void track_seq(Flow& f, FlowSide& s, bool from_orig, uint32_t start, uint32_t len) {
  if (!s.seq_init) {
    s.seq_init = true;
    s.seq_max = start;
  }
  if (len == 0) return;
  uint32_t end = start + len;
  if (seq_lt(s.seq_max, start)) {  // jumped beyond the highest byte: a hole
    uint32_t gap = start - s.seq_max;
    s.missing_bytes += gap;
    add_hole(s, s.seq_max, start);
    add_repeating(f, from_orig, s.n_gap, 'G');
    s.l7_bytes_unique += len;
    s.seq_max = end;
  } else if (seq_lt(s.seq_max, end)) {  // extends the stream (maybe overlapping)
    s.l7_bytes_unique += uint32_t(end - s.seq_max);
    s.l7_bytes_unique += fill_holes(s, start, s.seq_max);
    s.seq_max = end;
  } else {  // entirely in sequence space already seen
    uint64_t filled = s.n_holes ? fill_holes(s, start, end) : 0;
    if (filled) {
      s.l7_bytes_unique += filled;
    } else {
      ++s.retransmits;
      add_repeating(f, from_orig, s.n_retrans_letter, 'T');
    }
  }
}

// A FIN occupies the sequence number after the sender's last byte: one beyond the
// highest byte seen means the bytes in between were sent and never captured, the
// same gap tcpflow-reasm reports before the FIN (a hole later data may still fill).
void track_fin(Flow& f, FlowSide& s, bool from_orig, uint32_t fin_seq) {
  if (!s.seq_init) {
    s.seq_init = true;
    s.seq_max = fin_seq;
    return;
  }
  if (!seq_lt(s.seq_max, fin_seq)) return;
  s.missing_bytes += uint32_t(fin_seq - s.seq_max);
  add_hole(s, s.seq_max, fin_seq);
  add_repeating(f, from_orig, s.n_gap, 'G');
  s.seq_max = fin_seq;
}

// Zeek's TCP endpoint state machine, reduced to what conn_state reads.
void tcp_update(Flow& f, FlowSide& s, FlowSide& peer, bool from_orig, const Decoded& d) {
  uint8_t fl = d.tcp.flags;
  bool syn = fl & tcpflag::syn, ack = fl & tcpflag::ack, fin = fl & tcpflag::fin,
       rst = fl & tcpflag::rst;
  uint32_t len = d.payload_len;
  s.tcp_flags |= fl;

  // History letters (Zeek conn.log "history").
  if (syn) add_letter(f, s, from_orig, ack ? 'H' : 'S');
  if (syn && rst) add_letter(f, s, from_orig, 'I');       // inconsistent
  else if (syn && fin) add_letter(f, s, from_orig, 'Q');  // multi-flag
  if (fin) add_letter(f, s, from_orig, 'F');
  if (rst) add_letter(f, s, from_orig, 'R');
  if (ack && !syn && !fin && !rst && len == 0) add_letter(f, s, from_orig, 'A');
  if (len > 0) add_letter(f, s, from_orig, 'D');
  if (d.has(Anomaly::bad_tcp_checksum)) add_repeating(f, from_orig, s.n_bad_csum, 'C');
  if (d.tcp.window == 0 && !syn && !fin && !rst)
    add_repeating(f, from_orig, s.n_zero_window, 'W');

  track_seq(f, s, from_orig, d.tcp.seq + (syn ? 1u : 0u), len);
  if (fin && !rst) track_fin(f, s, from_orig, d.tcp.seq + (syn ? 1u : 0u) + len);

  if (rst) {
    s.state = TcpState::reset;
    f.rst = true;
    return;
  }
  if (s.state == TcpState::reset) return;
  if (syn) {
    if (ack) {
      if (s.state == TcpState::inactive || s.state == TcpState::syn_sent) s.state = TcpState::syn_ack_sent;
    } else if (s.state == TcpState::inactive) {
      s.state = TcpState::syn_sent;
    }
  } else if (s.state == TcpState::inactive) {
    s.state = TcpState::partial;
  } else if (ack && (s.state == TcpState::syn_sent || s.state == TcpState::syn_ack_sent)) {
    s.state = TcpState::established;
    if (peer.state == TcpState::syn_ack_sent) peer.state = TcpState::established;
  }
  if (fin) s.state = TcpState::closed;
}

// /^\^?S[^HAFGIQ]*R/ on the history: the originator reset its own unanswered SYN.
bool rstos0_history(std::string_view h) {
  size_t i = (!h.empty() && h[0] == '^') ? 1 : 0;
  if (i >= h.size() || h[i] != 'S') return false;
  for (size_t j = i + 1; j < h.size(); ++j) {
    char c = h[j];
    if (c == 'R') return true;
    if (std::strchr("HAFGIQ", c)) return false;
  }
  return false;
}

int64_t align_down(int64_t t, int64_t step) { return t - (((t % step) + step) % step); }
// empty_intervals: at most this many empty records in a row (about a day of
// 1 s intervals); a longer gap is a clock that leapt, not a quiet link.
constexpr int64_t kMaxEmptyIntervals = 100000;

Timestamp ts_of(int64_t ns, uint8_t digits) {
  Timestamp t;
  t.sec = ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
  t.nsec = uint32_t(ns - t.sec * 1000000000);
  t.digits = digits;
  return t;
}

}  // namespace

const char* flow_end_name(FlowEnd e) {
  switch (e) {
    case FlowEnd::fin: return "fin";
    case FlowEnd::rst: return "rst";
    case FlowEnd::idle: return "idle";
    case FlowEnd::eof: return "eof";
    case FlowEnd::evicted: return "evicted";
    case FlowEnd::interval: return "interval";
    case FlowEnd::interrupted: return "interrupted";
  }
  return "eof";
}

const char* flow_direction_name(FlowDirection d) {
  switch (d) {
    case FlowDirection::inbound: return "inbound";
    case FlowDirection::outbound: return "outbound";
    case FlowDirection::internal: return "internal";
    case FlowDirection::external: return "external";
    default: return nullptr;
  }
}

// Zeek base/protocols/conn/main.zeek, function conn_state.
const char* Flow::conn_state() const {
  if (key.proto == 17) return resp.packets ? "SF" : "S0";  // the originator is always active
  if (key.proto != 6) return "OTH";
  TcpState os = orig.state, rs = resp.state;
  bool o_inactive = os == TcpState::inactive || os == TcpState::partial;
  bool r_inactive = rs == TcpState::inactive || rs == TcpState::partial;
  if (rs == TcpState::reset) {
    if (os == TcpState::syn_sent || os == TcpState::syn_ack_sent ||
        (os == TcpState::reset && orig.l7_bytes == 0 && resp.l7_bytes == 0))
      return "REJ";
    return o_inactive ? "RSTRH" : "RSTR";
  }
  if (os == TcpState::reset) {
    if (r_inactive) return rstos0_history(history_view()) ? "RSTOS0" : "OTH";
    return "RSTO";
  }
  if (rs == TcpState::closed && os == TcpState::closed) return "SF";
  if (os == TcpState::closed) return r_inactive ? "SH" : "S2";
  if (rs == TcpState::closed) return o_inactive ? "SHR" : "S3";
  if (os == TcpState::syn_sent && rs == TcpState::inactive) return "S0";
  if (os == TcpState::established && rs == TcpState::established) return "S1";
  return "OTH";
}

// ---- LocalNets ----

bool LocalNets::parse(std::string_view list, std::string& error) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    Net n;
    size_t slash = item.find('/');
    if (!parse_ip(item.substr(0, slash), n.addr)) {
      error = "invalid network '" + std::string(item) + "'";
      return false;
    }
    unsigned max = n.addr.family == 6 ? 128 : 32;
    unsigned prefix = max;
    if (slash != std::string_view::npos) {
      std::string_view p = item.substr(slash + 1);
      auto r = std::from_chars(p.data(), p.data() + p.size(), prefix);
      if (p.empty() || r.ec != std::errc() || r.ptr != p.data() + p.size() || prefix > max) {
        error = "invalid prefix length in '" + std::string(item) + "'";
        return false;
      }
    }
    n.prefix = uint8_t(prefix);
    nets_.push_back(n);
  }
  return true;
}

bool LocalNets::contains(const IpAddress& a) const {
  for (const Net& n : nets_) {
    if (n.addr.family != a.family) continue;
    unsigned full = n.prefix / 8, rest = n.prefix % 8;
    if (std::memcmp(n.addr.bytes, a.bytes, full) != 0) continue;
    if (rest) {
      uint8_t mask = uint8_t(0xff << (8 - rest));
      if ((n.addr.bytes[full] & mask) != (a.bytes[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

FlowDirection LocalNets::classify(const IpAddress& orig, const IpAddress& resp) const {
  bool o = contains(orig), r = contains(resp);
  if (o && r) return FlowDirection::internal;
  if (o) return FlowDirection::outbound;
  if (r) return FlowDirection::inbound;
  return FlowDirection::external;
}

// ---- FlowTable ----

FlowTable::FlowTable(const FlowTableOptions& opt, FlowSink& sink)
    : opt_(opt), sink_(sink), iv_src_(opt.interval_max_sources) {
  if (opt_.max_flows == 0) opt_.max_flows = 1;
}

FlowTable::~FlowTable() = default;

bool FlowTable::emergency() const {
  return double(map_.size()) >= opt_.emergency_ratio * double(opt_.max_flows);
}

int64_t FlowTable::timeout_of(uint8_t list, bool emerg) const {
  switch (list) {
    case l_tcp: return emerg ? std::min(opt_.tcp_timeout, opt_.emergency_tcp_timeout) : opt_.tcp_timeout;
    case l_udp: return emerg ? std::min(opt_.udp_timeout, opt_.emergency_timeout) : opt_.udp_timeout;
    case l_icmp: return emerg ? std::min(opt_.icmp_timeout, opt_.emergency_timeout) : opt_.icmp_timeout;
    case l_other: return emerg ? std::min(opt_.other_timeout, opt_.emergency_timeout) : opt_.other_timeout;
    default: return emerg ? std::min(opt_.close_grace, opt_.emergency_close_grace) : opt_.close_grace;
  }
}

void FlowTable::unlink(Flow* f) {
  if (f->prev) f->prev->next = f->next;
  else if (head_[f->list] == f) head_[f->list] = f->next;
  if (f->next) f->next->prev = f->prev;
  else if (tail_[f->list] == f) tail_[f->list] = f->prev;
  f->prev = f->next = nullptr;
}

void FlowTable::push_back(Flow* f, uint8_t list) {
  f->list = list;
  f->prev = tail_[list];
  f->next = nullptr;
  if (tail_[list]) tail_[list]->next = f;
  else head_[list] = f;
  tail_[list] = f;
}

void FlowTable::end_flow(Flow* f, FlowEnd why) {
  sink_.flow(*f, why, false);
  ++stats_.ended[size_t(why)];
  if (opt_.interval > 0) ++iv_.flows_ended;
  unlink(f);
  FlowKey k = f->tkey;  // erase() destroys f
  map_.erase(k);
}

void FlowTable::expire(int64_t now) {
  bool emerg = emergency();
  for (uint8_t l = 0; l < l_count; ++l) {
    int64_t limit = timeout_of(l, emerg);
    while (head_[l] && now - head_[l]->touch > limit) {
      Flow* f = head_[l];
      if (emerg && limit != timeout_of(l, false)) ++stats_.emergency_expired;
      end_flow(f, l == l_closing ? (f->rst ? FlowEnd::rst : FlowEnd::fin) : FlowEnd::idle);
    }
  }
}

void FlowTable::evict_one() {
  // A closed flow is finished anyway: let it go first, with its own reason.
  if (Flow* f = head_[l_closing]) {
    end_flow(f, f->rst ? FlowEnd::rst : FlowEnd::fin);
    return;
  }
  Flow* oldest = nullptr;
  for (uint8_t l = 0; l < l_closing; ++l)
    if (head_[l] && (!oldest || head_[l]->touch < oldest->touch ||
                     (head_[l]->touch == oldest->touch && head_[l]->serial < oldest->serial)))
      oldest = head_[l];
  if (oldest) end_flow(oldest, FlowEnd::evicted);
}

void FlowTable::interval_flush() {
  if (opt_.interval_partial_flows) {
    // Long-lived flows: started before this interval and active in it.
    std::vector<Flow*> partial;
    int64_t start = iv_start_;
    for (auto& [k, f] : map_)
      if (f.interval_no == iv_no_ && f.first.total_nsec() < start) partial.push_back(&f);
    std::sort(partial.begin(), partial.end(), [](Flow* a, Flow* b) { return a->serial < b->serial; });
    for (Flow* f : partial) {
      sink_.flow(*f, FlowEnd::interval, true);
      ++stats_.ended[size_t(FlowEnd::interval)];
    }
  }
  if (iv_.packets || opt_.empty_intervals) interval_emit();
}

void FlowTable::interval_emit() {
  iv_.n_top_src = iv_src_.top(iv_.top_src, IntervalStats::kTopSources);
  uint64_t top = 0;
  for (size_t i = 0; i < iv_.n_top_src; ++i) top += iv_.top_src[i].bytes;
  iv_.src_other = iv_.link_bytes - top;
  sink_.interval(iv_);
}

void FlowTable::interval_reset() {
  iv_ = IntervalStats{};
  iv_.start = ts_of(iv_start_, iv_digits_);
  iv_.interval_nsec = opt_.interval;
  iv_src_.reset();
}

void FlowTable::tick(int64_t now) {
  if (now <= clock_) return;
  if (opt_.interval > 0) {
    if (iv_start_ == INT64_MIN) {
      iv_start_ = align_down(now, opt_.interval);
      iv_no_ = 1;
      interval_reset();
    }
    while (now >= iv_start_ + opt_.interval) {
      // Flows that went idle before the boundary end in the interval being closed.
      expire(iv_start_ + opt_.interval);
      interval_flush();
      // Intervals without packets produce no record: jump straight to now's. With
      // empty_intervals each gets its record, up to a bound (a clock that leaps).
      bool jump = now >= iv_start_ + 2 * opt_.interval &&
                  (!opt_.empty_intervals || (now - iv_start_) / opt_.interval > kMaxEmptyIntervals);
      iv_start_ = jump ? align_down(now, opt_.interval) : iv_start_ + opt_.interval;
      ++iv_no_;
      interval_reset();
    }
  }
  clock_ = now;
  expire(now);
}

void FlowTable::advance(const Timestamp& now) {
  if (opt_.interval > 0 && iv_start_ == INT64_MIN) iv_digits_ = now.digits;
  tick(now.total_nsec());
}

void FlowTable::add(const Packet& pkt, const Decoded& d) {
  ++stats_.packets;
  // Non-IP frames (ARP, ...) belong to no flow, and neither move the clock nor
  // count in intervals: pcap2pkt's records of them carry nothing to rebuild, so
  // this keeps `pcap2pkt F | flowstat` equal to `flowstat F`.
  if (d.ip.version != 4 && d.ip.version != 6) {
    ++stats_.non_ip;
    return;
  }
  int64_t ts = pkt.ts.total_nsec();
  if (clock_ != INT64_MIN && ts < clock_) ++stats_.ts_backwards;
  if (opt_.interval > 0 && iv_start_ == INT64_MIN) iv_digits_ = pkt.ts.digits;
  tick(ts);
  if (opt_.interval > 0) {
    ++iv_.packets;
    iv_.link_bytes += pkt.origlen;
    iv_.l3_bytes += d.ip.total_len;
    if (!iv_src_.add(d.ip.src, pkt.origlen)) {
      iv_.src_unattributed += pkt.origlen;
      ++stats_.interval_src_unattributed_packets;
    }
  }
  if (d.ip.fragment) ++stats_.fragments;

  FlowKey pk = flow_key_of(d);
  FlowKey mk = pk;
  bool icmp = (d.l4 == L4::icmp || d.l4 == L4::icmpv6) && is_icmp_proto(pk.proto);
  if (icmp) {
    uint8_t other;
    if (icmp_counterpart(pk.proto, d.icmp.type, other)) mk.dport = other;
  }
  FlowKey tk = table_key(mk);
  bool tcp = d.l4 == L4::tcp;
  uint8_t fl = tcp ? d.tcp.flags : 0;
  bool syn_only = tcp && (fl & (tcpflag::syn | tcpflag::ack)) == tcpflag::syn;

  auto it = map_.find(tk);
  Flow* f = it != map_.end() ? &it->second : nullptr;
  if (f && f->closing && syn_only) {  // port reuse: a new connection on a closed 5-tuple
    ++stats_.port_reuse;
    end_flow(f, f->rst ? FlowEnd::rst : FlowEnd::fin);
    f = nullptr;
  }
  bool created = false;
  bool from_orig = true;
  if (!f) {
    while (map_.size() >= opt_.max_flows) {
      size_t before = map_.size();
      evict_one();
      if (map_.size() == before) break;  // cannot happen: every flow is on a list
    }
    f = &map_.try_emplace(tk).first->second;
    created = true;
    ++stats_.flows_created;
    stats_.max_live = std::max<uint64_t>(stats_.max_live, map_.size());
    f->tkey = tk;
    bool synack_first = tcp && (fl & (tcpflag::syn | tcpflag::ack)) == (tcpflag::syn | tcpflag::ack);
    f->key = synack_first ? pk.reversed() : pk;
    from_orig = !synack_first;
    if (synack_first) f->history[f->history_len++] = '^';
    f->has_vlan = d.n_vlan > 0;
    f->ip_version = d.ip.version;
    f->no_ports = d.l4 != L4::tcp && d.l4 != L4::udp && d.l4 != L4::icmp && d.l4 != L4::icmpv6;
    f->serial = ++serial_;
    f->first = f->last = pkt.ts;
    f->id = flow_id(f->key, pkt.ts);
    if (opt_.local && !opt_.local->empty())
      f->direction = opt_.local->classify(f->key.src, f->key.dst);
    push_back(f, l_other);  // placed properly below
  } else {
    if (icmp && !(d.ip.src == d.ip.dst)) from_orig = d.ip.src == f->key.src;
    else from_orig = d.ip.src == f->key.src && pk.sport == f->key.sport;
    if (pkt.ts < f->first) f->first = pkt.ts;
    if (f->last < pkt.ts) f->last = pkt.ts;
  }

  FlowSide& s = from_orig ? f->orig : f->resp;
  FlowSide& peer = from_orig ? f->resp : f->orig;
  ++s.packets;
  s.link_bytes += pkt.origlen;
  s.l3_bytes += d.ip.total_len;
  if (d.ip.total_len > d.ip.header_len) s.l4_bytes += d.ip.total_len - d.ip.header_len;
  s.l7_bytes += d.payload_len;

  if (tcp) {
    tcp_update(*f, s, peer, from_orig, d);
    if (f->rst || ((f->orig.tcp_flags & tcpflag::fin) && (f->resp.tcp_flags & tcpflag::fin)))
      f->closing = true;
  } else if (d.payload_len > 0) {
    add_letter(*f, s, from_orig, 'D');
  }

  if (f->app == App::unknown && !d.payload.empty() && s.app_tries < opt_.app_packets) {
    ++s.app_tries;
    App a = detect_app(d.payload, pk.proto, pk.sport, pk.dport);
    if (a != App::unknown) {
      f->app = a;
      if (opt_.interval > 0 && f->interval_no == iv_no_) {  // re-label this interval's earlier bytes
        iv_.by_app[size_t(App::unknown)] -= f->interval_bytes;
        iv_.by_app[size_t(a)] += f->interval_bytes;
      }
    }
  }

  if (opt_.interval > 0) count_interval(f, created, pkt.origlen);

  uint8_t list = f->closing ? l_closing
                 : pk.proto == 6 ? l_tcp
                 : pk.proto == 17 ? l_udp
                 : is_icmp_proto(pk.proto) ? l_icmp
                                           : l_other;
  f->touch = clock_;
  unlink(f);
  push_back(f, list);
}

void FlowTable::count_interval(Flow* f, bool created, uint64_t link_bytes) {
  if (created) ++iv_.flows_started;
  if (f->interval_no != iv_no_) {
    f->interval_no = iv_no_;
    f->interval_bytes = 0;
    ++iv_.flows_active;
  }
  f->interval_bytes += link_bytes;
  iv_.by_app[size_t(f->app)] += link_bytes;
}

void FlowTable::add_incomplete(const IncompleteDatagram& g) {
  if (g.version != 4 && g.version != 6) return;
  ++stats_.incomplete_datagrams;
  stats_.incomplete_fragments += g.fragments;
  // The datagram was dropped at or after its last fragment: the clock is there at least.
  if (opt_.interval > 0 && iv_start_ == INT64_MIN) iv_digits_ = g.first.digits;
  tick(g.last.total_nsec());
  if (opt_.interval > 0) {
    iv_.packets += g.fragments;
    iv_.link_bytes += g.frame_bytes;
    iv_.l3_bytes += g.ip_bytes;
    if (!iv_src_.add(g.src, g.frame_bytes)) {
      iv_.src_unattributed += g.frame_bytes;
      stats_.interval_src_unattributed_packets += g.fragments;
    }
  }

  FlowKey pk;
  pk.src = g.src;
  pk.dst = g.dst;
  pk.proto = g.proto;
  pk.vlan = g.vlan;
  FlowKey tk = table_key(pk);
  tk.vlan |= kIncompleteKeyBit;  // apart from flows of whole packets (VLAN ids are 12 bits)

  auto it = map_.find(tk);
  Flow* f = it != map_.end() ? &it->second : nullptr;
  bool created = false;
  if (!f) {
    while (map_.size() >= opt_.max_flows) {
      size_t before = map_.size();
      evict_one();
      if (map_.size() == before) break;
    }
    f = &map_.try_emplace(tk).first->second;
    created = true;
    ++stats_.flows_created;
    stats_.max_live = std::max<uint64_t>(stats_.max_live, map_.size());
    f->tkey = tk;
    f->key = pk;
    f->has_vlan = g.tagged;
    f->ip_version = g.version;
    f->no_ports = true;
    f->fragments_incomplete = true;
    f->serial = ++serial_;
    f->first = g.first;
    f->last = g.last;
    f->id = flow_id(f->key, g.first);
    if (opt_.local && !opt_.local->empty())
      f->direction = opt_.local->classify(f->key.src, f->key.dst);
    push_back(f, l_other);
  } else {
    if (g.first < f->first) f->first = g.first;
    if (f->last < g.last) f->last = g.last;
  }
  const bool from_orig = g.src == f->key.src;
  FlowSide& s = from_orig ? f->orig : f->resp;
  s.packets += g.fragments;
  s.link_bytes += g.frame_bytes;
  s.l3_bytes += g.ip_bytes;
  s.l4_bytes += g.payload_bytes;
  s.l7_bytes += g.payload_bytes;  // the transport header, if any, was never decoded
  if (g.payload_bytes > 0) add_letter(*f, s, from_orig, 'D');

  if (opt_.interval > 0) count_interval(f, created, g.frame_bytes);

  uint8_t list = g.proto == 6 ? l_tcp : g.proto == 17 ? l_udp : is_icmp_proto(g.proto) ? l_icmp : l_other;
  f->touch = clock_;
  unlink(f);
  push_back(f, list);
}

void FlowTable::finish(FlowEnd why) {
  std::vector<Flow*> all;
  all.reserve(map_.size());
  for (auto& [k, f] : map_) all.push_back(&f);
  std::sort(all.begin(), all.end(), [](Flow* a, Flow* b) { return a->serial < b->serial; });
  // A flow already closed (FIN both ways, RST) keeps its reason; the rest were still open.
  for (Flow* f : all) end_flow(f, f->closing ? (f->rst ? FlowEnd::rst : FlowEnd::fin) : why);
  if (opt_.interval > 0 && iv_start_ != INT64_MIN && (iv_.packets || opt_.empty_intervals)) interval_emit();
  iv_ = IntervalStats{};
  iv_src_.reset();
}

// ---- SourceVolume ----

SourceVolume::SourceVolume(size_t cap, uint64_t seed) : cap_(cap ? cap : 1), seed_(seed) {
  if (cap_ > (size_t(1) << 30)) cap_ = size_t(1) << 30;
  if (!seed_) {
    std::random_device rd;
    seed_ = (uint64_t(rd()) << 32 | rd()) | 1;
  }
}

uint64_t SourceVolume::hash(const IpAddress& ip) const {
  // Only the address's own bytes: the rest of IpAddress::bytes is not guaranteed zero.
  uint8_t b[16] = {};
  std::memcpy(b, ip.bytes, ip.size());
  uint64_t lo, hi;
  std::memcpy(&lo, b, 8);
  std::memcpy(&hi, b + 8, 8);
  auto mix = [](uint64_t h) {  // splitmix64 finalizer
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
  };
  return mix(mix(seed_ ^ lo ^ ip.family) ^ hi);
}

void SourceVolume::grow() {
  size_t n = slots_.empty() ? 64 : slots_.size() * 2;
  slots_.assign(n, Slot{});
  gen_ = 1;
  size_t mask = n - 1;
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    size_t p = hash(entries_[i].ip) & mask;
    while (slots_[p].gen == gen_) p = (p + 1) & mask;
    slots_[p] = {gen_, i};
  }
}

bool SourceVolume::add(const IpAddress& ip, uint64_t bytes) {
  if (slots_.empty()) grow();
  size_t mask = slots_.size() - 1;
  size_t p = hash(ip) & mask;
  for (; slots_[p].gen == gen_; p = (p + 1) & mask) {
    SourceBytes& e = entries_[slots_[p].idx];
    if (e.ip == ip) {
      e.bytes += bytes;
      return true;
    }
  }
  if (entries_.size() >= cap_) return false;
  if ((entries_.size() + 1) * 2 > slots_.size()) {
    grow();
    mask = slots_.size() - 1;
    p = hash(ip) & mask;
    while (slots_[p].gen == gen_) p = (p + 1) & mask;
  }
  slots_[p] = {gen_, uint32_t(entries_.size())};
  entries_.push_back({ip, bytes});
  return true;
}

void SourceVolume::reset() {
  entries_.clear();  // keeps its capacity: the next interval reuses it
  if (++gen_ == 0) {  // wrapped: stale slots could look current
    std::fill(slots_.begin(), slots_.end(), Slot{});
    gen_ = 1;
  }
}

size_t SourceVolume::top(SourceBytes* out, size_t n) const {
  auto before = [](const SourceBytes& a, const SourceBytes& b) {
    return a.bytes != b.bytes ? a.bytes > b.bytes : a.ip < b.ip;
  };
  size_t k = 0;
  if (n == 0) return 0;
  for (const SourceBytes& e : entries_) {  // insertion into a sorted array of n: O(entries * n)
    if (k == n && !before(e, out[k - 1])) continue;
    size_t i = k < n ? k++ : k - 1;
    while (i > 0 && before(e, out[i - 1])) {
      out[i] = out[i - 1];
      --i;
    }
    out[i] = e;
  }
  return k;
}

// ---- FrameDedup ----

uint64_t FrameDedup::l3_hash(const Decoded& d) {
  Bytes b = d.l3;
  // The mutable header fields a hop or a mirror port may change, zeroed in a copy.
  uint8_t head[12] = {};
  size_t nhead = std::min<size_t>(b.size(), sizeof head);
  std::memcpy(head, b.data(), nhead);
  if (d.ip.version == 4) {
    if (nhead > 8) head[8] = 0;              // TTL
    if (nhead > 10) head[10] = 0;            // header checksum
    if (nhead > 11) head[11] = 0;
  } else if (d.ip.version == 6) {
    if (nhead > 7) head[7] = 0;              // hop limit
  }
  uint64_t h = 0x243f6a8885a308d3ULL ^ (uint64_t(b.size()) * 0x9e3779b97f4a7c15ULL);
  auto mix = [&h](uint64_t w) {
    h ^= w * 0x9e3779b97f4a7c15ULL;
    h = (h << 27 | h >> 37) * 0x94d049bb133111ebULL;
  };
  auto word = [](const uint8_t* p, size_t n) {
    uint64_t w = 0;
    for (size_t i = 0; i < n; ++i) w |= uint64_t(p[i]) << (8 * i);
    return w;
  };
  mix(word(head, 8));
  mix(word(head + 8, 4));
  size_t i = nhead;
  for (; i + 8 <= b.size(); i += 8) mix(load_le64(&b[i]));
  if (i < b.size()) mix(word(&b[i], b.size() - i));
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 29;
  return h | 1;  // 0 marks an empty slot
}

bool FrameDedup::duplicate(const Packet& pkt, const Decoded& d) {
  if ((d.ip.version != 4 && d.ip.version != 6) || d.l3.empty()) return false;
  uint64_t h = l3_hash(d);
  int64_t ts = pkt.ts.total_nsec();
  Slot& s = slots_[(h >> 17) & (kSlots - 1)];
  if (s.hash == h) {
    int64_t diff = ts - s.ts;
    if (diff < 0) diff = -diff;
    if (diff <= window_) {
      ++dropped_;
      return true;
    }
  }
  s.hash = h;
  s.ts = ts;
  return false;
}

}  // namespace nl
