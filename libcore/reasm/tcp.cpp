#include "libcore/reasm/tcp.hpp"

#include <algorithm>
#include <cstring>
#include <map>

namespace nl {
namespace {

// Bookkeeping cost charged per held out-of-order segment, so a flood of 1-byte
// segments is bounded by the same byte caps as a few large ones.
constexpr size_t kSegOverhead = 64;
// Monologue buffers larger than this are released, not pooled, when a session ends.
constexpr size_t kPoolKeepCapacity = 64u << 10;
constexpr size_t kMaxFree = 1024;
constexpr int64_t kExpireEveryNsec = 1'000'000'000LL;
// Holes given up for an out-of-order bound, remembered per direction (see tcp.hpp).
constexpr size_t kMaxCapGaps = 8;

struct Seg {
  uint64_t end = 0;
  bool lost = false;       // bytes known to be absent from the capture (snap length)
  bool skip = false;       // bytes captured but not kept: the sink wants no data
  uint32_t pkts = 0;
  Timestamp first, last;
  std::string data;        // end - start bytes unless lost
};

struct Half {
  bool base_set = false;
  uint32_t base = 0;        // sequence number of stream offset 0
  bool syn = false;
  uint32_t isn = 0;
  uint64_t next = 0;        // next stream offset to deliver (delivered bytes + gaps)
  uint64_t ack_hi = 0;      // highest offset the peer acknowledged
  bool fin = false;
  uint64_t fin_off = 0;
  uint64_t pending_gap = 0; // released hole not yet attached to a piece
  uint64_t trunc_hi = 0;    // highest offset counted as truncated
  std::map<uint64_t, Seg> held;  // out-of-order segments by start offset, disjoint
  size_t held_bytes = 0;
  DirectionTotals tot;
  // Stream ranges [first, second) given up by an out-of-order bound and not seen since,
  // in offset order (each below next).
  std::vector<std::pair<uint64_t, uint64_t>> cap_gaps;

  void note_cap_gap(uint64_t a, uint64_t b) {
    if (cap_gaps.size() == kMaxCapGaps) cap_gaps.erase(cap_gaps.begin());
    cap_gaps.emplace_back(a, b);
  }
  // Removes [a, b) from cap_gaps; returns how many of its bytes were in them.
  uint64_t take_cap_gaps(uint64_t a, uint64_t b) {
    uint64_t n = 0;
    for (size_t i = 0; i < cap_gaps.size();) {
      auto [ga, gb] = cap_gaps[i];
      uint64_t lo = std::max(a, ga), hi = std::min(b, gb);
      if (lo >= hi) { ++i; continue; }
      n += hi - lo;
      if (lo > ga && hi < gb) {  // split: the right part after the left
        cap_gaps[i].second = lo;
        cap_gaps.insert(cap_gaps.begin() + ptrdiff_t(i) + 1, {hi, gb});
        if (cap_gaps.size() > kMaxCapGaps) cap_gaps.erase(cap_gaps.begin());
        break;  // [a, b) lay inside this one range
      }
      if (lo > ga) { cap_gaps[i].second = lo; ++i; }
      else if (hi < gb) { cap_gaps[i].first = hi; ++i; }
      else cap_gaps.erase(cap_gaps.begin() + ptrdiff_t(i));
    }
    return n;
  }

  // RFC 1982: place `seq` within 2^31 of the next expected byte.
  int64_t off_of(uint32_t seq) const {
    uint32_t next_seq = base + uint32_t(next);
    return int64_t(next) + int64_t(int32_t(seq - next_seq));
  }
  bool empty_so_far() const { return next == 0 && held.empty() && tot.bytes == 0; }
};

inline Dir other(Dir d) { return d == Dir::c2s ? Dir::s2c : Dir::c2s; }

}  // namespace

struct TcpReassembler::Session {
  FlowKey canon;
  bool client_is_canon_src = true;
  SessionView view;
  Half h[2];
  Timestamp last_ts;
  int64_t last_nsec = 0;
  bool closed_set = false;
  Dir closed_by = Dir::c2s;
  bool stopped = false;    // the sink cleared want_data: count only
  bool closing = false;    // complete both ways, waiting for the final ACK (close list)

  // The open monologue and its current piece.
  bool mono_open = false;
  Dir mono_dir = Dir::c2s;
  uint64_t mono_count = 0;
  uint64_t mono_no = 0;
  uint32_t piece_no = 0;
  std::string buf;
  uint64_t buf_off = 0;
  uint64_t buf_gap = 0;
  Timestamp buf_first, buf_last;
  uint32_t buf_pkts = 0;

  Session* prev = nullptr;
  Session* next = nullptr;

  Half& half(Dir d) { return h[int(d)]; }

  void reset() {
    std::string keep;
    keep.swap(buf);
    if (keep.capacity() > kPoolKeepCapacity) std::string().swap(keep);
    keep.clear();
    *this = Session{};
    buf.swap(keep);
  }
};

namespace {

using Session = TcpReassembler::Session;
using Stats = TcpReassembler::Stats;

// The stream machinery, over one session at a time.
struct Ctx {
  SessionSink& sink;
  const TcpOptions& opt;
  Stats& st;

  void emit_piece(Session* s, bool last) {
    MonologuePiece pc;
    pc.dir = s->mono_dir;
    pc.monologue_no = s->mono_no;
    pc.piece_no = s->piece_no++;
    pc.offset = s->buf_off;
    pc.gap_before = s->buf_gap;
    pc.first_ts = s->buf_first;
    pc.last_ts = s->buf_last;
    pc.packets = s->buf_pkts;
    pc.last = last;
    pc.data = Bytes(reinterpret_cast<const uint8_t*>(s->buf.data()), s->buf.size());
    ++st.pieces;
    sink.monologue(s->view, pc);
    st.buffered_bytes -= s->buf.size();
    s->buf.clear();
    s->buf_gap = 0;
    s->buf_pkts = 0;
    if (!s->view.want_data) stop(s);
  }

  // The sink wants no more bytes: drop the open monologue and the bytes held out of
  // order (their ranges stay, so ordering and totals are unaffected).
  void stop(Session* s) {
    if (s->stopped) return;
    s->stopped = true;
    ++st.data_stopped_sessions;
    st.buffered_bytes -= s->buf.size();
    s->buf.clear();
    s->mono_open = false;
    for (Half& me : s->h) {
      me.pending_gap = 0;
      for (auto& [start, seg] : me.held) {
        if (seg.lost || seg.skip) continue;
        me.held_bytes -= seg.data.size();
        st.ooo_held_bytes -= seg.data.size();
        std::string().swap(seg.data);
        seg.skip = true;
      }
    }
  }

  // Ends the open monologue. A hole released at its very end (nothing after it) goes
  // on an empty last piece, so consumers learn the monologue lost its tail.
  void close_mono(Session* s) {
    if (!s->mono_open || s->stopped) return;
    Half& me = s->half(s->mono_dir);
    if (me.pending_gap) {
      if (!s->buf.empty()) emit_piece(s, false);
      if (s->stopped) return;
      s->buf_off = me.next;
      s->buf_gap = me.pending_gap;
      me.pending_gap = 0;
    }
    emit_piece(s, true);
    s->mono_open = false;
  }

  // Appends in-order bytes at me.next to the monologue of `dir`: the only copy of
  // in-order data (packet -> monologue buffer).
  void deliver(Session* s, Dir dir, const uint8_t* p, size_t n, uint32_t pkts, Timestamp first,
               Timestamp last) {
    if (n == 0) return;
    Half& me = s->half(dir);
    if (s->stopped) {
      count_only(s, dir, n);
      return;
    }
    if (!s->mono_open || s->mono_dir != dir) {
      close_mono(s);
      s->mono_open = true;
      s->mono_dir = dir;
      s->mono_no = ++s->mono_count;
      s->piece_no = 0;
      ++st.monologues;
    }
    if (me.pending_gap) {  // a piece never spans a gap
      if (!s->buf.empty()) emit_piece(s, false);
      s->buf_gap = me.pending_gap;
      me.pending_gap = 0;
    }
    bool counted = false;
    while (n) {
      if (!s->buf.empty()) {
        if (s->buf.size() >= opt.max_chunk) {
          emit_piece(s, false);
          counted = false;
        } else if (st.buffered_bytes + std::min(n, opt.max_chunk - s->buf.size()) >
                   opt.max_buffered_total) {
          ++st.early_pieces;
          emit_piece(s, false);
          counted = false;
        }
      }
      if (s->stopped) {
        count_only(s, dir, n);
        return;
      }
      if (s->buf.empty()) {
        s->buf_off = me.next;
        s->buf_first = first;
        s->buf_last = last;
      }
      size_t take = std::min(n, opt.max_chunk - s->buf.size());
      s->buf.append(reinterpret_cast<const char*>(p), take);
      st.buffered_bytes += take;
      st.peak_buffered_bytes = std::max(st.peak_buffered_bytes, st.buffered_bytes);
      if (!counted) {
        s->buf_pkts += pkts;
        counted = true;
      }
      if (first < s->buf_first) s->buf_first = first;
      if (s->buf_last < last) s->buf_last = last;
      me.next += take;
      me.tot.bytes += take;
      st.bytes_delivered += take;
      p += take;
      n -= take;
    }
  }

  // In-order bytes of a stopped session: counted, not kept.
  void count_only(Session* s, Dir dir, size_t n) {
    Half& me = s->half(dir);
    me.pending_gap = 0;
    me.next += n;
    me.tot.bytes += n;
    st.bytes_not_delivered += n;
  }

  // Where the stream ends: at the FIN, or at max_session_size if that comes first.
  uint64_t stream_end(const Half& me) const {
    return opt.max_session_size ? std::min<uint64_t>(me.fin_off, opt.max_session_size) : me.fin_off;
  }
  bool complete(const Half& me) const {
    return me.fin && me.next >= stream_end(me) && me.held.empty();
  }

  void gap(Half& me, uint64_t n) {
    me.pending_gap += n;
    me.next += n;
    me.tot.missing += n;
    st.gap_bytes += n;
  }

  void unhold(Half& me, std::map<uint64_t, Seg>::iterator it) {
    size_t cost = kSegOverhead + it->second.data.size();
    me.held_bytes -= cost;
    st.ooo_held_bytes -= cost;
    me.held.erase(it);
  }

  // Delivers held segments that now start at me.next.
  void drain(Session* s, Dir dir) {
    Half& me = s->half(dir);
    while (!me.held.empty()) {
      auto it = me.held.begin();
      uint64_t start = it->first;
      if (start > me.next) break;
      Seg seg = std::move(it->second);
      size_t cost = kSegOverhead + seg.data.size();
      me.held_bytes -= cost;
      st.ooo_held_bytes -= cost;
      me.held.erase(it);
      if (seg.end <= me.next) {  // wholly behind (defensive: not expected)
        continue;
      }
      size_t skip = size_t(me.next - start);
      if (seg.lost) {
        st.snaplen_cut_bytes += seg.end - me.next;
        gap(me, seg.end - me.next);
      } else if (seg.skip) {
        count_only(s, dir, size_t(seg.end - me.next));
      } else {
        deliver(s, dir, reinterpret_cast<const uint8_t*>(seg.data.data()) + skip,
                seg.data.size() - skip, seg.pkts, seg.first, seg.last);
      }
    }
  }

  // Declares the hole before the first held segment lost and delivers what follows.
  void skip_hole(Session* s, Dir dir) {
    Half& me = s->half(dir);
    if (me.held.empty()) return;
    uint64_t start = me.held.begin()->first;
    if (start > me.next) gap(me, start - me.next);
    drain(s, dir);
  }

  // The peer acknowledged bytes the capture never showed: they were sent and lost
  // here, so the data (or FIN) held past the hole need not wait for them.
  void ack_release(Session* s, Dir dir) {
    Half& me = s->half(dir);
    for (;;) {
      if (!me.held.empty()) {
        uint64_t start = me.held.begin()->first;
        if (start > me.next && me.ack_hi >= start) {
          ++st.ack_releases;
          skip_hole(s, dir);
          continue;
        }
        return;
      }
      uint64_t end = stream_end(me);
      if (me.fin && me.next < end && me.ack_hi >= me.fin_off) {
        ++st.ack_releases;
        gap(me, end - me.next);
      }
      return;
    }
  }

  // Holds [a, b): data, or (data null) lost bytes, or with `skip` bytes not kept.
  void add_seg(Half& me, uint64_t a, uint64_t b, const uint8_t* data, const Timestamp& ts,
               bool& counted, bool skip = false) {
    const bool lost = data == nullptr && !skip;
    // Coalesce with a held segment ending exactly at a (a hole followed by in-order
    // segments then stays one block).
    if (!me.held.empty()) {
      auto it = me.held.lower_bound(a);
      if (it != me.held.begin()) {
        auto pv = std::prev(it);
        if (pv->second.end == a && pv->second.lost == lost && pv->second.skip == skip) {
          Seg& s = pv->second;
          if (data) s.data.append(reinterpret_cast<const char*>(data), size_t(b - a));
          s.end = b;
          if (s.last < ts) s.last = ts;
          if (!counted) { ++s.pkts; counted = true; }
          if (data) {
            me.held_bytes += size_t(b - a);
            st.ooo_held_bytes += b - a;
          }
          return;
        }
      }
    }
    Seg s;
    s.end = b;
    s.lost = lost;
    s.skip = skip;
    s.first = s.last = ts;
    s.pkts = counted ? 0 : 1;
    counted = true;
    if (data) s.data.assign(reinterpret_cast<const char*>(data), size_t(b - a));
    size_t cost = kSegOverhead + (data ? size_t(b - a) : 0);
    me.held_bytes += cost;
    st.ooo_held_bytes += cost;
    me.held.emplace(a, std::move(s));
  }

  // Holds [a, b) (data, or lost when data is null), resolving overlaps with what is held.
  void insert(Half& me, uint64_t a, uint64_t b, const uint8_t* data, const Timestamp& ts,
              bool skip = false) {
    const bool real = data != nullptr || skip;  // captured bytes (kept or not)
    bool counted = false;
    uint64_t pos = a;
    while (pos < b) {
      auto it = me.held.upper_bound(pos);
      if (it != me.held.begin()) {
        auto pv = std::prev(it);
        if (pv->second.end > pos) it = pv;
      }
      if (it == me.held.end() || it->first >= b) {
        add_seg(me, pos, b, data ? data + (pos - a) : nullptr, ts, counted, skip);
        return;
      }
      if (it->first > pos) {
        add_seg(me, pos, it->first, data ? data + (pos - a) : nullptr, ts, counted, skip);
        pos = it->first;
        continue;
      }
      uint64_t ov_end = std::min(b, it->second.end);
      if (real && it->second.lost) {
        // Real bytes replace a range known to be missing, whatever the policy.
        uint64_t s0 = it->first, e0 = it->second.end;
        Timestamp f0 = it->second.first, l0 = it->second.last;
        unhold(me, it);
        bool c2 = true;
        if (s0 < pos) add_seg(me, s0, pos, nullptr, f0, c2);
        add_seg(me, pos, ov_end, data ? data + (pos - a) : nullptr, ts, counted, skip);
        if (ov_end < e0) {
          Seg rest;
          rest.end = e0;
          rest.lost = true;
          rest.first = f0;
          rest.last = l0;
          me.held_bytes += kSegOverhead;
          st.ooo_held_bytes += kSegOverhead;
          me.held.emplace(ov_end, std::move(rest));
        }
      } else if (real && (!data || it->second.skip)) {
        // Bytes not kept on one side: a duplicate, content not compared.
        me.tot.retransmitted += ov_end - pos;
        st.retransmitted_bytes += ov_end - pos;
      } else if (data) {
        size_t n = size_t(ov_end - pos);
        uint8_t* old = reinterpret_cast<uint8_t*>(it->second.data.data()) + (pos - it->first);
        const uint8_t* neu = data + (pos - a);
        me.tot.retransmitted += n;
        st.retransmitted_bytes += n;
        if (std::memcmp(old, neu, n) != 0) {
          size_t diff = 0;
          for (size_t i = 0; i < n; ++i) diff += old[i] != neu[i];
          st.overlap_bytes += diff;
          if (opt.overlap == OverlapPolicy::last) std::memcpy(old, neu, n);
        }
      }
      pos = ov_end;
    }
  }

  void enforce_caps(Session* s, Dir dir) {
    Half& me = s->half(dir);
    while (!me.held.empty() &&
           (me.held_bytes > opt.max_ooo_per_dir || st.ooo_held_bytes > opt.max_ooo_total)) {
      ++st.buffer_cap_hits;
      uint64_t start = me.held.begin()->first;
      if (start > me.next) me.note_cap_gap(me.next, start);
      skip_hole(s, dir);
    }
  }

  // A segment's payload at stream offset `off` (may be negative: before offset 0):
  // `cap` bytes captured out of `len` sent.
  void data(Session* s, Dir dir, int64_t off, const uint8_t* p, size_t cap, uint64_t len,
            const Timestamp& ts) {
    Half& me = s->half(dir);
    int64_t end = off + int64_t(len);
    if (end <= 0) {  // wholly before the stream start: an old retransmission
      me.tot.retransmitted += len;
      st.retransmitted_bytes += len;
      return;
    }
    if (off < 0) {
      uint64_t cut = uint64_t(-off);
      me.tot.retransmitted += cut;
      st.retransmitted_bytes += cut;
      size_t c = size_t(std::min<uint64_t>(cut, cap));
      p += c;
      cap -= c;
      off = 0;
    }
    uint64_t a = uint64_t(off), b = uint64_t(end);
    if (me.fin && b > me.fin_off) {
      uint64_t from = std::max(a, me.fin_off);
      st.data_after_fin_bytes += b - from;
      b = me.fin_off;
      if (a >= b) return;
      cap = size_t(std::min<uint64_t>(cap, b - a));
    }
    if (opt.max_session_size && b > opt.max_session_size) {
      uint64_t from = std::max({a, opt.max_session_size, me.trunc_hi});
      if (b > from) {
        me.tot.truncated += b - from;
        st.truncated_by_max_session_size += b - from;
        me.trunc_hi = b;
      }
      b = opt.max_session_size;
      if (a >= b) return;
      cap = size_t(std::min<uint64_t>(cap, b - a));
    }
    if (a < me.next) {  // already delivered, or given up for an out-of-order bound
      uint64_t dup = std::min(b, me.next) - a;
      uint64_t late = me.cap_gaps.empty() ? 0 : me.take_cap_gaps(a, a + dup);
      me.tot.dropped_over_cap += late;
      st.dropped_over_cap_bytes += late;
      me.tot.retransmitted += dup - late;
      st.retransmitted_bytes += dup - late;
      size_t c = size_t(std::min<uint64_t>(dup, cap));
      p += c;
      cap -= c;
      a = me.next;
      if (a >= b) return;
    }
    uint64_t cap_end = a + std::min<uint64_t>(cap, b - a);
    if (a == me.next && me.held.empty()) {
      // Fast path: in order, nothing held. One copy, into the monologue buffer.
      deliver(s, dir, p, size_t(cap_end - a), 1, ts, ts);
      if (cap_end < b) {
        st.snaplen_cut_bytes += b - cap_end;
        gap(me, b - cap_end);
      }
      return;
    }
    if (a > me.next) ++st.ooo_segments;
    if (cap_end > a) insert(me, a, cap_end, s->stopped ? nullptr : p, ts, s->stopped);
    if (b > cap_end) insert(me, cap_end, b, nullptr, ts);
    st.peak_ooo_held_bytes = std::max(st.peak_ooo_held_bytes, st.ooo_held_bytes);
    drain(s, dir);
    enforce_caps(s, dir);
    ack_release(s, dir);
  }

  // Releases everything held in `dir` and the lost tail, at session end.
  void flush(Session* s, Dir dir) {
    Half& me = s->half(dir);
    while (!me.held.empty()) skip_hole(s, dir);
    if (!me.base_set) return;
    // The peer's ACK of a FIN is fin_off + 1: the FIN, not a byte.
    uint64_t end = me.fin ? me.fin_off : me.ack_hi;
    if (opt.max_session_size) end = std::min<uint64_t>(end, opt.max_session_size);
    if (end > me.next) gap(me, end - me.next);
  }
};

}  // namespace

size_t TcpReassembler::KeyHash::operator()(const FlowKey& k) const { return size_t(table_hash(k)); }

std::vector<std::pair<const char*, uint64_t>> TcpReassembler::Stats::named() const {
  std::vector<std::pair<const char*, uint64_t>> v = {{"packets", packets},
          {"tcp_packets", tcp_packets},
          {"non_tcp", non_tcp},
          {"fragments_ignored", fragments_ignored},
          {"sessions", sessions},
          {"live_sessions", live_sessions},
          {"peak_sessions", peak_sessions},
          {"evicted_sessions", evicted_sessions},
          {"timed_out", timed_out},
          {"port_reuse", port_reuse},
          {"ended_fin", ended_fin},
          {"ended_rst", ended_rst},
          {"ended_eof", ended_eof},
          {"bytes_delivered", bytes_delivered},
          {"pieces", pieces},
          {"monologues", monologues},
          {"retransmitted_bytes", retransmitted_bytes},
          {"dropped_over_cap_bytes", dropped_over_cap_bytes},
          {"overlap_bytes", overlap_bytes},
          {"ooo_segments", ooo_segments},
          {"gap_bytes", gap_bytes},
          {"snaplen_cut_bytes", snaplen_cut_bytes},
          {"ack_releases", ack_releases},
          {"buffer_cap_hits", buffer_cap_hits},
          {"early_pieces", early_pieces},
          {"truncated_by_max_session_size", truncated_by_max_session_size},
          {"data_after_fin_bytes", data_after_fin_bytes},
          {"rst_payload_bytes", rst_payload_bytes},
          {"syn_retransmits", syn_retransmits},
          {"orphan_packets", orphan_packets},
          {"ooo_held_bytes", ooo_held_bytes},
          {"peak_ooo_held_bytes", peak_ooo_held_bytes},
          {"buffered_bytes", buffered_bytes},
          {"peak_buffered_bytes", peak_buffered_bytes},
          {"data_stopped_sessions", data_stopped_sessions},
          {"bytes_not_delivered", bytes_not_delivered}};
  // Only in runs a signal stopped (the counters of other runs stay as they were).
  if (ended_interrupted) v.insert(v.begin() + 13, {"ended_interrupted", ended_interrupted});
  return v;
}

TcpReassembler::TcpReassembler(SessionSink& sink, const TcpOptions& opt) : sink_(sink), opt_(opt) {
  if (opt_.max_chunk == 0) opt_.max_chunk = 1;
  if (opt_.max_sessions == 0) opt_.max_sessions = 1;
}

TcpReassembler::~TcpReassembler() = default;

// A session is on one of two lists, both ordered by last packet: the open ones (LRU,
// idle timeout, eviction) and the closing ones (close grace).
void TcpReassembler::lru_unlink(Session* s) {
  Session*& head = s->closing ? close_head_ : lru_head_;
  Session*& tail = s->closing ? close_tail_ : lru_tail_;
  if (s->prev) s->prev->next = s->next;
  else head = s->next;
  if (s->next) s->next->prev = s->prev;
  else tail = s->prev;
  s->prev = s->next = nullptr;
}

void TcpReassembler::lru_touch(Session* s) {
  Session*& head = s->closing ? close_head_ : lru_head_;
  Session*& tail = s->closing ? close_tail_ : lru_tail_;
  if (tail == s) return;
  if (s->prev || s->next || head == s) lru_unlink(s);
  s->prev = tail;
  s->next = nullptr;
  if (tail) tail->next = s;
  else head = s;
  tail = s;
}

void TcpReassembler::check_closed(Session* s) {
  Ctx c{sink_, opt_, stats_};
  if (!c.complete(s->h[0]) || !c.complete(s->h[1])) return;
  // The peer's ACK of a FIN is fin_off + 1.
  if (s->h[0].ack_hi > s->h[0].fin_off && s->h[1].ack_hi > s->h[1].fin_off) {
    end_session(s, EndReason::fin);
    return;
  }
  if (s->closing) return;
  c.close_mono(s);  // the streams are complete: their last pieces need not wait
  lru_unlink(s);
  s->closing = true;
  lru_touch(s);
}

TcpReassembler::Session* TcpReassembler::new_session(const FlowKey& canon, bool flipped,
                                                     const Packet& p, const Decoded& d) {
  while (table_.size() >= opt_.max_sessions && (close_head_ || lru_head_)) {
    if (close_head_) {  // closed anyway: goes first, with its own reason
      end_session(close_head_, EndReason::fin);
      continue;
    }
    ++stats_.evicted_sessions;
    end_session(lru_head_, EndReason::evicted);
  }
  std::unique_ptr<Session> owned;
  if (!free_.empty()) {
    owned = std::move(free_.back());
    free_.pop_back();
  } else {
    owned = std::make_unique<Session>();
  }
  Session* s = owned.get();
  const uint8_t f = d.tcp.flags;
  const bool syn = f & tcpflag::syn, ack = f & tcpflag::ack;
  bool client_is_sender;
  ClientRule rule = ClientRule::syn;
  if (syn && !ack) {
    client_is_sender = true;
  } else if (syn && ack) {
    client_is_sender = false;
  } else {
    // No handshake: the lower port is the server's (well-known below ephemeral);
    // equal ports: the first packet's destination is the server.
    rule = ClientRule::port;
    client_is_sender = d.tcp.sport >= d.tcp.dport;
  }
  s->canon = canon;
  s->client_is_canon_src = client_is_sender == !flipped;
  FlowKey k = flipped ? canon.reversed() : canon;  // as the packet travels
  s->view.session_no = next_session_no_++;
  s->view.key = client_is_sender ? k : k.reversed();
  s->view.start = p.ts;
  s->view.flow_id = flow_id(s->view.key, p.ts);
  s->view.community_id = community_id(s->view.key);
  s->view.client_rule = rule;
  s->view.handshake_seen = syn;
  s->last_ts = p.ts;
  s->last_nsec = p.ts.total_nsec();
  table_.emplace(canon, std::move(owned));
  lru_touch(s);
  ++stats_.sessions;
  stats_.live_sessions = table_.size();
  stats_.peak_sessions = std::max<uint64_t>(stats_.peak_sessions, table_.size());
  sink_.session_start(s->view);
  if (!s->view.want_data) {
    Ctx c{sink_, opt_, stats_};
    c.stop(s);
  }
  return s;
}

void TcpReassembler::end_session(Session* s, EndReason r) {
  Ctx c{sink_, opt_, stats_};
  // Flush the open monologue's direction first so its held bytes continue it.
  Dir first = s->mono_open ? s->mono_dir : Dir::c2s;
  c.flush(s, first);
  c.flush(s, other(first));
  c.close_mono(s);
  if ((r == EndReason::idle || r == EndReason::eof || r == EndReason::interrupted) && s->h[0].fin && s->h[1].fin)
    r = EndReason::fin;  // closed by FINs, but a hole kept it open
  switch (r) {
    case EndReason::fin: ++stats_.ended_fin; break;
    case EndReason::rst: ++stats_.ended_rst; break;
    case EndReason::eof: ++stats_.ended_eof; break;
    case EndReason::interrupted: ++stats_.ended_interrupted; break;
    default: break;
  }
  SessionEnd e;
  e.reason = r;
  e.end = s->last_ts;
  e.c2s = s->h[0].tot;
  e.s2c = s->h[1].tot;
  e.closed_by = s->closed_by;
  sink_.session_end(s->view, e);
  for (Half& h : s->h) {
    stats_.ooo_held_bytes -= h.held_bytes;
    h.held.clear();
    h.held_bytes = 0;
  }
  lru_unlink(s);
  auto it = table_.find(s->canon);
  std::unique_ptr<Session> owned = std::move(it->second);
  table_.erase(it);
  stats_.live_sessions = table_.size();
  if (free_.size() < kMaxFree) {
    owned->reset();
    free_.push_back(std::move(owned));
  }
}

void TcpReassembler::expire(const Timestamp& now) {
  int64_t t = now.total_nsec();
  last_expire_nsec_ = t;
  while (close_head_ && t - close_head_->last_nsec > opt_.close_grace_nsec)
    end_session(close_head_, EndReason::fin);
  while (lru_head_ && t - lru_head_->last_nsec > opt_.idle_timeout_nsec) {
    ++stats_.timed_out;
    end_session(lru_head_, EndReason::idle);
  }
}

void TcpReassembler::tick(const Timestamp& ts) {
  const int64_t t = ts.total_nsec();
  if (t > now_nsec_) now_nsec_ = t;
  if (last_expire_nsec_ == INT64_MIN) last_expire_nsec_ = now_nsec_;
  if (now_nsec_ - last_expire_nsec_ >= kExpireEveryNsec) {
    Timestamp now;
    now.sec = now_nsec_ / 1000000000LL;
    now.nsec = uint32_t(now_nsec_ % 1000000000LL);
    expire(now);
  }
}

void TcpReassembler::advance(const Packet& p, const Decoded& d) {
  if (d.ip.version != 0 && d.l4 == L4::tcp && !d.ip.fragment) tick(p.ts);
}

void TcpReassembler::feed(const Packet& p, const Decoded& d) {
  ++stats_.packets;
  if (d.ip.version == 0 || d.l4 != L4::tcp || d.ip.fragment) {
    if (d.ip.fragment) ++stats_.fragments_ignored;
    else ++stats_.non_tcp;
    return;
  }
  ++stats_.tcp_packets;
  tick(p.ts);

  FlowKey k = flow_key_of(d);
  bool flipped = false;
  FlowKey canon = canonical(k, flipped);
  const uint8_t f = d.tcp.flags;
  const bool syn = f & tcpflag::syn, ack = f & tcpflag::ack, rst = f & tcpflag::rst;

  Session* s = nullptr;
  auto it = table_.find(canon);
  if (it != table_.end()) {
    s = it->second.get();
    Dir dir = (!flipped) == s->client_is_canon_src ? Dir::c2s : Dir::s2c;
    if (syn && !ack) {
      Half& me = s->half(dir);
      bool same = me.syn && me.isn == d.tcp.seq;
      bool has_data = !s->h[0].empty_so_far() || !s->h[1].empty_so_far();
      if (!same && (has_data || s->h[0].fin || s->h[1].fin)) {
        // Port reuse: a new connection on this 5-tuple (RFC 9293 3.10.7.4, TIME-WAIT).
        ++stats_.port_reuse;
        end_session(s, s->h[0].fin || s->h[1].fin ? EndReason::fin : EndReason::evicted);
        s = nullptr;
      }
    }
  }
  if (!s) {
    // A session starts with a SYN or with data: the final ACK (or a retransmitted FIN or
    // RST) after a session ended must not open an empty one.
    if (rst || (!syn && d.payload_len == 0)) {
      ++stats_.orphan_packets;
      return;
    }
    s = new_session(canon, flipped, p, d);
  }
  Dir dir = (!flipped) == s->client_is_canon_src ? Dir::c2s : Dir::s2c;
  process(s, dir, p, d);
}

void TcpReassembler::process(Session* s, Dir dir, const Packet& p, const Decoded& d) {
  Ctx c{sink_, opt_, stats_};
  Half& me = s->half(dir);
  Half& peer = s->half(other(dir));
  const uint8_t f = d.tcp.flags;
  const uint32_t seq = d.tcp.seq;
  ++me.tot.packets;
  s->last_ts = p.ts;
  s->last_nsec = p.ts.total_nsec();
  lru_touch(s);

  if (f & tcpflag::syn) {
    if (me.syn && me.isn == seq) {
      ++stats_.syn_retransmits;
    } else if (me.empty_so_far() && !me.fin) {
      // First SYN, or a SYN / SYN-ACK with a new ISN before any data: take the latest.
      me.syn = true;
      me.isn = seq;
      me.base = seq + 1;
      me.base_set = true;
    } else {
      ++stats_.syn_retransmits;
    }
  }
  // The ACK first: it may release the peer's held data before this segment's data
  // (which would end the peer's monologue).
  if ((f & tcpflag::ack) && peer.base_set) {
    int64_t ao = peer.off_of(d.tcp.ack);
    if (ao > 0 && uint64_t(ao) > peer.ack_hi) {
      peer.ack_hi = uint64_t(ao);
      c.ack_release(s, other(dir));
    }
  }
  const uint64_t len = d.payload_len;
  const size_t cap = std::min<size_t>(d.payload.size(), len);
  if (f & tcpflag::rst) {
    stats_.rst_payload_bytes += len;
    if (!s->closed_set) {
      s->closed_set = true;
      s->closed_by = dir;
    }
    end_session(s, EndReason::rst);
    return;
  }
  const bool fin = f & tcpflag::fin;
  if (len == 0 && !fin) {
    check_closed(s);  // the final ACK
    return;
  }
  if (!me.base_set) {
    // No SYN seen: this direction's stream starts here.
    me.base = seq;
    me.base_set = true;
  }
  const uint32_t data_seq = (f & tcpflag::syn) ? seq + 1 : seq;
  const int64_t off = me.off_of(data_seq);
  if (len) c.data(s, dir, off, d.payload.data(), cap, len, p.ts);
  if (fin) {
    if (!s->closed_set) {
      s->closed_set = true;
      s->closed_by = dir;
    }
    if (!me.fin) {
      me.fin = true;
      int64_t fo = off + int64_t(len);
      me.fin_off = fo > 0 ? uint64_t(fo) : 0;
      if (me.fin_off < me.next) me.fin_off = me.next;
      // Held bytes past the FIN can never be delivered.
      while (!me.held.empty() && std::prev(me.held.end())->second.end > me.fin_off) {
        auto last = std::prev(me.held.end());
        uint64_t from = std::max(last->first, me.fin_off);
        stats_.data_after_fin_bytes += last->second.end - from;
        if (last->first >= me.fin_off) {
          c.unhold(me, last);
        } else {
          size_t keep = size_t(me.fin_off - last->first);
          if (!last->second.lost && !last->second.skip) {
            size_t drop = last->second.data.size() - keep;
            last->second.data.resize(keep);
            me.held_bytes -= drop;
            stats_.ooo_held_bytes -= drop;
          }
          last->second.end = me.fin_off;
        }
      }
      c.ack_release(s, dir);
    }
  }
  check_closed(s);
}

void TcpReassembler::finish(EndReason why) {
  std::vector<Session*> open;
  open.reserve(table_.size());
  for (auto& [k, s] : table_) open.push_back(s.get());
  std::sort(open.begin(), open.end(),
            [](const Session* a, const Session* b) { return a->view.session_no < b->view.session_no; });
  for (Session* s : open) end_session(s, why);
}

}  // namespace nl
