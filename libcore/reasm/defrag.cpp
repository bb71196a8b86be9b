#include "libcore/reasm/defrag.hpp"

#include <algorithm>
#include <cstring>

namespace nl {
namespace {

constexpr size_t kMaxIpLen = 65535;

// What one fragment says about itself, read from its own bytes (d.l3).
struct FragInfo {
  uint8_t version = 0, proto = 0;
  uint32_t id = 0;
  uint32_t offset = 0;
  bool more = false;
  Bytes header;          // IPv4 header with options / IPv6 unfragmentable part
  size_t next_hdr_pos = 0;
  uint8_t inner_next = 0;
  Bytes data;
};

bool parse_v4(Bytes l3, FragInfo& f) {
  if (l3.size() < 20) return false;
  size_t ihl = size_t(l3[0] & 0x0f) * 4;
  size_t total = load_be16(&l3[2]);
  if (ihl < 20 || total < ihl || l3.size() < total) return false;  // cut by the snap length
  uint16_t fo = load_be16(&l3[6]);
  f.version = 4;
  f.id = load_be16(&l3[4]);
  f.proto = l3[9];
  f.offset = uint32_t(fo & 0x1fff) * 8;
  f.more = fo & 0x2000;
  f.header = l3.subspan(0, ihl);
  f.data = l3.subspan(ihl, total - ihl);
  return true;
}

// Walks the extension headers before the Fragment header (RFC 8200 4.1 order).
bool parse_v6(Bytes l3, FragInfo& f) {
  if (l3.size() < 40) return false;
  size_t plen = load_be16(&l3[4]);
  if (plen == 0) return false;  // jumbogram (RFC 2675): not fragmentable
  size_t end = 40 + plen;
  if (l3.size() < end) return false;
  uint8_t nh = l3[6];
  size_t nh_pos = 6, pos = 40;
  for (int guard = 0; guard < 16; ++guard) {
    if (nh == 44) {
      if (pos + 8 > end) return false;
      uint16_t fo = load_be16(&l3[pos + 2]);
      f.version = 6;
      f.inner_next = l3[pos];
      f.proto = l3[pos];
      f.offset = uint32_t(fo >> 3) * 8;
      f.more = fo & 1;
      f.id = load_be32(&l3[pos + 4]);
      f.header = l3.subspan(0, pos);
      f.next_hdr_pos = nh_pos;
      f.data = l3.subspan(pos + 8, end - pos - 8);
      return true;
    }
    size_t len;
    if (nh == 0 || nh == 43 || nh == 60) {
      if (pos + 2 > end) return false;
      len = (size_t(l3[pos + 1]) + 1) * 8;
    } else if (nh == 51) {
      if (pos + 2 > end) return false;
      len = (size_t(l3[pos + 1]) + 2) * 4;
    } else {
      return false;  // no Fragment header before the upper layer
    }
    if (pos + len > end) return false;
    nh_pos = pos;
    nh = l3[pos];
    pos += len;
  }
  return false;
}

uint16_t ipv4_checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += load_be16(p + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

}  // namespace

bool Defragmenter::Key::operator==(const Key& o) const {
  return version == o.version && proto == o.proto && vlan == o.vlan && id == o.id &&
         src == o.src && dst == o.dst;
}

size_t Defragmenter::KeyHash::operator()(const Key& k) const {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  };
  mix(k.src.bytes, k.src.size());
  mix(k.dst.bytes, k.dst.size());
  uint8_t rest[8] = {k.version, k.proto, uint8_t(k.vlan >> 8), uint8_t(k.vlan),
                     uint8_t(k.id >> 24), uint8_t(k.id >> 16), uint8_t(k.id >> 8), uint8_t(k.id)};
  mix(rest, sizeof rest);
  h ^= h >> 31;
  return size_t(h);
}

std::vector<std::pair<const char*, uint64_t>> Defragmenter::Stats::named() const {
  return {{"fragments", fragments},       {"completed", completed},
          {"timed_out", timed_out},       {"evicted", evicted},
          {"overlaps", overlaps},         {"overlap_bytes", overlap_bytes},
          {"oversize", oversize},         {"malformed", malformed},
          {"unfinished", unfinished},
          {"in_progress", in_progress},   {"held_bytes", held_bytes},
          {"peak_held_bytes", peak_held_bytes}};
}

Defragmenter::Defragmenter(const DefragOptions& opt) : opt_(opt) {}

// Forgets a datagram (its bytes, its place in the age index); the caller counts why.
void Defragmenter::remove(Datagram& g) {
  stats_.held_bytes -= g.held;
  age_.erase(g.age);
  const Key k = g.key;  // g lives in the node being erased
  map_.erase(k);
  stats_.in_progress = map_.size();
}

void Defragmenter::discard(Datagram& g, DroppedDatagram::Why why, uint64_t& counter) {
  ++counter;
  if (on_drop_) {
    DroppedDatagram r;
    r.why = why;
    r.version = g.key.version;
    r.proto = g.key.proto;
    r.vlan = g.key.vlan;
    r.tagged = g.tagged;
    r.src = g.key.src;
    r.dst = g.key.dst;
    r.fragments = g.fragments;
    r.frame_bytes = g.frame_bytes;
    r.ip_bytes = g.ip_bytes;
    r.payload_bytes = g.payload_bytes;
    r.first = g.first_ts;
    r.last = g.last_ts;
    on_drop_(r);
  }
  remove(g);
}

void Defragmenter::drop(const Key& k, DroppedDatagram::Why why, uint64_t& counter) {
  auto it = map_.find(k);
  if (it == map_.end()) return;
  discard(it->second, why, counter);
}

void Defragmenter::evict_oldest() {
  if (age_.empty()) return;
  ++stats_.examined;
  discard(*age_.begin()->second, DroppedDatagram::Why::evicted, stats_.evicted);
}

void Defragmenter::finish() {
  while (!age_.empty()) discard(*age_.begin()->second, DroppedDatagram::Why::end_of_input, stats_.unfinished);
  stats_.in_progress = 0;
}

void Defragmenter::expire(const Timestamp& now) {
  int64_t t = now.total_nsec();
  last_expire_nsec_ = t;
  // Oldest first: the first one still within its timeout ends the walk.
  while (!age_.empty()) {
    ++stats_.examined;
    if (t - age_.begin()->first <= opt_.timeout_nsec) break;
    discard(*age_.begin()->second, DroppedDatagram::Why::timed_out, stats_.timed_out);
  }
  stats_.in_progress = map_.size();
}

bool Defragmenter::feed(const Packet& p, const Decoded& d, Reassembled& out) {
  if (!d.ip.fragment) return false;
  ++stats_.fragments;
  FragInfo f;
  bool ok = d.ip.version == 4 ? parse_v4(d.l3, f) : d.ip.version == 6 ? parse_v6(d.l3, f) : false;
  // A fragment that is no part of any datagram (malformed; oversize with nothing held):
  // reported on its own.
  auto lone = [&](DroppedDatagram::Why why) {
    if (!on_drop_) return;
    DroppedDatagram r;
    r.why = why;
    r.version = d.ip.version;
    r.proto = ok ? f.proto : d.ip.proto;
    r.vlan = d.outer_vlan();
    r.tagged = d.n_vlan > 0;
    r.src = d.ip.src;
    r.dst = d.ip.dst;
    r.fragments = 1;
    r.frame_bytes = p.origlen;
    r.ip_bytes = d.ip.total_len;
    r.payload_bytes = f.data.size();
    r.first = r.last = p.ts;
    on_drop_(r);
  };
  if (!ok) {
    ++stats_.malformed;
    lone(DroppedDatagram::Why::malformed);
    return false;
  }
  const int64_t now = p.ts.total_nsec();
  // Timeouts are checked at most once per second of capture time: cheap, and a
  // datagram outliving its timeout by under a second is harmless.
  if (last_expire_nsec_ == INT64_MIN) last_expire_nsec_ = now;
  if (now - last_expire_nsec_ >= 1'000'000'000LL) expire(p.ts);

  Key k;
  k.version = f.version;
  k.proto = f.proto;
  k.vlan = d.outer_vlan();
  k.id = f.id;
  k.src = d.ip.src;
  k.dst = d.ip.dst;

  // The largest payload the rebuilt datagram may carry (its header counts too).
  const size_t overhead = f.version == 4 ? (f.offset == 0 ? f.header.size() : 20)
                                         : f.header.size() - 40;
  const size_t end = size_t(f.offset) + f.data.size();
  if (end + overhead > kMaxIpLen) {
    auto held = map_.find(k);
    if (held != map_.end()) {  // this fragment goes with the datagram it ends
      Datagram& g = held->second;
      g.count(p, d, f.data.size());
      discard(g, DroppedDatagram::Why::oversize, stats_.oversize);
    } else {
      ++stats_.oversize;
      lone(DroppedDatagram::Why::oversize);
    }
    return false;
  }

  auto it = map_.find(k);
  if (it != map_.end() && now - it->second.first_nsec > opt_.timeout_nsec) {
    discard(it->second, DroppedDatagram::Why::timed_out, stats_.timed_out);
    it = map_.end();
  }
  if (it == map_.end()) {
    if (f.offset == 0 && !f.more) {
      // Atomic fragment (RFC 6946): a whole datagram already.
      out.datagram.assign(f.header.begin(), f.header.end());
      if (f.version == 6) out.datagram[f.next_hdr_pos] = f.inner_next;
      out.datagram.insert(out.datagram.end(), f.data.begin(), f.data.end());
      if (f.version == 6) {
        size_t plen = out.datagram.size() - 40;
        out.datagram[4] = uint8_t(plen >> 8);
        out.datagram[5] = uint8_t(plen);
      }
      out.ts = p.ts;
      out.packet_number = p.number;
      out.fragments = 1;
      out.frame_bytes = p.origlen;
      out.vlan = k.vlan;
      ++stats_.completed;
      return true;
    }
    while (map_.size() >= opt_.max_datagrams && !map_.empty()) evict_oldest();
    it = map_.emplace(k, Datagram{}).first;
    Datagram& fresh = it->second;
    fresh.key = k;
    fresh.first_nsec = now;
    fresh.first_ts = fresh.last_ts = p.ts;
    fresh.tagged = d.n_vlan > 0;
    fresh.age = age_.emplace_hint(age_.end(), now, &fresh);
    stats_.in_progress = map_.size();
  }
  Datagram& g = it->second;
  g.count(p, d, f.data.size());

  if (f.offset == 0 && g.header.empty()) {
    g.header.assign(f.header.begin(), f.header.end());
    g.next_hdr_pos = f.next_hdr_pos;
    g.inner_next = f.inner_next;
  }
  if (!f.more) {
    if (g.total < 0) {
      g.total = int64_t(end);
    } else if (g.total != int64_t(end)) {
      ++stats_.malformed;  // two different ends: keep the first (first wins)
    }
  }

  // First wins: copy only the bytes not held yet.
  const uint32_t a = f.offset, b = uint32_t(end);
  if (g.data.size() < b) g.data.resize(b);
  uint32_t covered = 0, pos = a;
  std::vector<std::pair<uint32_t, uint32_t>>& have = g.have;
  for (const auto& iv : have) {
    if (iv.second <= pos) continue;
    if (iv.first >= b) break;
    if (iv.first > pos) std::memcpy(&g.data[pos], &f.data[pos - a], iv.first - pos);
    uint32_t ov_end = std::min(iv.second, b);
    covered += ov_end - std::max(iv.first, pos);
    pos = ov_end;
    if (pos >= b) break;
  }
  if (pos < b) std::memcpy(&g.data[pos], &f.data[pos - a], b - pos);
  if (covered) {
    ++stats_.overlaps;
    stats_.overlap_bytes += covered;
  }
  const size_t added = (b - a) - covered;
  g.held += added;
  stats_.held_bytes += added;
  stats_.peak_held_bytes = std::max(stats_.peak_held_bytes, stats_.held_bytes);
  if (b > a) {
    // Merge [a, b) into the sorted disjoint list.
    auto pos_it = std::lower_bound(have.begin(), have.end(), std::make_pair(a, b));
    pos_it = have.insert(pos_it, {a, b});
    size_t i = size_t(pos_it - have.begin());
    if (i > 0 && have[i - 1].second >= have[i].first) --i;
    size_t j = i + 1;
    while (j < have.size() && have[j].first <= have[i].second) {
      have[i].second = std::max(have[i].second, have[j].second);
      ++j;
    }
    have.erase(have.begin() + i + 1, have.begin() + j);
  }

  while (stats_.held_bytes > opt_.max_bytes && !age_.empty()) {
    const bool self = age_.begin()->second == &g;
    evict_oldest();
    if (self) return false;  // this one was the oldest
  }
  Datagram& dg = g;

  if (dg.total < 0 || dg.header.empty() || dg.have.size() != 1 || dg.have[0].first != 0 ||
      int64_t(dg.have[0].second) < dg.total)
    return false;
  const size_t total = size_t(dg.total);
  if (dg.header.size() + total - (dg.key.version == 6 ? 40 : 0) > kMaxIpLen) {
    drop(k, DroppedDatagram::Why::oversize, stats_.oversize);
    return false;
  }
  out.datagram.resize(dg.header.size() + total);
  std::memcpy(out.datagram.data(), dg.header.data(), dg.header.size());
  std::memcpy(out.datagram.data() + dg.header.size(), dg.data.data(), total);
  uint8_t* h = out.datagram.data();
  if (dg.key.version == 4) {
    size_t len = out.datagram.size();
    h[2] = uint8_t(len >> 8);
    h[3] = uint8_t(len);
    h[6] &= 0x40;  // keep DF; clear MF and the offset
    h[7] = 0;
    h[10] = h[11] = 0;
    uint16_t c = ipv4_checksum(h, dg.header.size());
    h[10] = uint8_t(c >> 8);
    h[11] = uint8_t(c);
  } else {
    h[dg.next_hdr_pos] = dg.inner_next;
    size_t plen = out.datagram.size() - 40;
    h[4] = uint8_t(plen >> 8);
    h[5] = uint8_t(plen);
  }
  out.ts = p.ts;
  out.packet_number = p.number;
  out.fragments = dg.fragments;
  out.frame_bytes = dg.frame_bytes;
  out.vlan = k.vlan;
  ++stats_.completed;
  remove(dg);
  return true;
}

}  // namespace nl
