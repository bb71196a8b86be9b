// The DNS message parser: see dns.hpp.
#include "libcore/proto/dns.hpp"

namespace nl {

const char* dns_anomaly_name(DnsAnomaly a) {
  static const char* const kNames[] = {
#define NETLINES_DNS_ANOMALY(name) #name,
      NETLINES_DNS_ANOMALIES(NETLINES_DNS_ANOMALY)
#undef NETLINES_DNS_ANOMALY
  };
  return unsigned(a) < unsigned(DnsAnomaly::count_) ? kNames[unsigned(a)] : "unknown";
}

void DnsMessage::clear() {
  raw.clear();
  has_header = false;
  h = {};
  questions.clear();
  rrs.clear();
  anomalies = {};
  has_opt = false;
  udp_size = 0;
  ext_rcode = edns_version = 0;
  do_bit = false;
}

namespace {

void append_label(std::string& out, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = p[i];
    if (c >= 0x20 && c < 0x7f && c != '.' && c != '\\') {
      out += char(c);
    } else {
      char b[4] = {'\\', char('0' + c / 100), char('0' + c / 10 % 10), char('0' + c % 10)};
      out.append(b, 4);
    }
  }
}

}  // namespace

size_t read_dns_name(Bytes msg, size_t off, std::string& out, DnsAnomalies& an) {
  size_t pos = off;
  size_t end = 0;        // where the name ends in place, once known
  bool jumped = false;
  unsigned jumps = 0;
  size_t wire = 1;       // the final zero byte
  bool full = false;     // name_too_long: labels past 255 bytes are walked, not kept
  size_t start = out.size();
  bool labels = false;
  for (;;) {
    if (pos >= msg.size()) {
      if (!jumped) return 0;
      an.set(DnsAnomaly::name_pointer_out_of_bounds);
      break;
    }
    uint8_t len = msg[pos];
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= msg.size()) {
        if (!jumped) return 0;
        an.set(DnsAnomaly::name_pointer_out_of_bounds);
        break;
      }
      size_t target = size_t(len & 0x3f) << 8 | msg[pos + 1];
      if (!jumped) end = pos + 2;
      jumped = true;
      if (++jumps > kDnsMaxPointers) {
        an.set(DnsAnomaly::name_pointer_loop);
        break;
      }
      // Only backward pointers are valid (RFC 1035 4.1.4: a prior occurrence); a
      // forward one is followed, the jump bound keeps it from looping for ever.
      if (target >= pos) an.set(DnsAnomaly::name_pointer_forward);
      if (target >= msg.size()) {
        an.set(DnsAnomaly::name_pointer_out_of_bounds);
        break;
      }
      pos = target;
      continue;
    }
    if (len & 0xc0) {  // 0x40 and 0x80: extended and reserved label types
      an.set(DnsAnomaly::label_too_long);
      if (!jumped) return 0;  // where the name ends cannot be known
      break;
    }
    if (len == 0) {
      if (!jumped) end = pos + 1;
      break;
    }
    if (pos + 1 + len > msg.size()) {
      if (!jumped) return 0;
      an.set(DnsAnomaly::name_pointer_out_of_bounds);
      break;
    }
    wire += size_t(len) + 1;
    if (wire > kDnsMaxName && !full) {
      an.set(DnsAnomaly::name_too_long);
      full = true;
    }
    if (!full) {
      if (labels) out += '.';
      append_label(out, &msg[pos + 1], len);
      labels = true;
    }
    pos += 1 + size_t(len);
  }
  if (out.size() == start) out += '.';
  return end;
}

bool parse_dns(Bytes msg, DnsMessage& m, size_t wire_len) {
  m.clear();
  m.raw.assign(msg.begin(), msg.end());
  Bytes b(m.raw.data(), m.raw.size());
  if (wire_len > b.size()) m.anomalies.set(DnsAnomaly::snaplen_truncated);
  if (b.size() < 12) {
    m.anomalies.set(DnsAnomaly::truncated_header);
    return false;
  }
  m.has_header = true;
  DnsHeader& h = m.h;
  h.id = load_be16(&b[0]);
  h.flags = load_be16(&b[2]);
  h.qdcount = load_be16(&b[4]);
  h.ancount = load_be16(&b[6]);
  h.nscount = load_be16(&b[8]);
  h.arcount = load_be16(&b[10]);
  if (h.tc()) m.anomalies.set(DnsAnomaly::tc_set);
  size_t pos = 12;
  bool stopped = false;
  // A name that cannot be read is a truncation, unless a bad label stopped it.
  for (unsigned i = 0; i < h.qdcount && !stopped; ++i) {
    if (pos >= b.size()) {
      m.anomalies.set(DnsAnomaly::count_exceeds_message);
      stopped = true;
      break;
    }
    DnsQuestion q;
    DnsAnomalies before = m.anomalies;
    size_t end = read_dns_name(b, pos, q.name, m.anomalies);
    if (end == 0 || end + 4 > b.size()) {
      if (end == 0 && m.anomalies.has(DnsAnomaly::label_too_long) && !before.has(DnsAnomaly::label_too_long)) {
        stopped = true;
      } else {
        m.anomalies.set(DnsAnomaly::truncated_question);
        stopped = true;
      }
      break;
    }
    q.type = load_be16(&b[end]);
    q.cls = load_be16(&b[end + 2]);
    pos = end + 4;
    m.questions.push_back(std::move(q));
  }
  const uint16_t counts[3] = {h.ancount, h.nscount, h.arcount};
  for (unsigned s = 0; s < 3 && !stopped; ++s) {
    for (unsigned i = 0; i < counts[s] && !stopped; ++i) {
      if (pos >= b.size()) {
        m.anomalies.set(DnsAnomaly::count_exceeds_message);
        stopped = true;
        break;
      }
      DnsRr rr;
      rr.section = DnsSection(s);
      DnsAnomalies before = m.anomalies;
      size_t end = read_dns_name(b, pos, rr.name, m.anomalies);
      if (end == 0 || end + 10 > b.size()) {
        if (!(end == 0 && m.anomalies.has(DnsAnomaly::label_too_long) && !before.has(DnsAnomaly::label_too_long)))
          m.anomalies.set(DnsAnomaly::truncated_record);
        stopped = true;
        break;
      }
      rr.type = load_be16(&b[end]);
      rr.cls = load_be16(&b[end + 2]);
      rr.ttl = load_be32(&b[end + 4]);
      size_t rdlength = load_be16(&b[end + 8]);
      rr.rdata = uint32_t(end + 10);
      if (end + 10 + rdlength > b.size()) {
        // The record is kept with the rdata there is; nothing after it can be found.
        m.anomalies.set(DnsAnomaly::rdlength_overflow);
        rdlength = b.size() - (end + 10);
        stopped = true;
      }
      rr.rdlength = uint16_t(rdlength);
      pos = end + 10 + rdlength;
      if (rr.type == dnstype::OPT) {
        if (rr.section != DnsSection::additional || m.has_opt) {
          m.anomalies.set(DnsAnomaly::bad_opt);
        } else {
          m.has_opt = true;
          m.udp_size = rr.cls;
          m.ext_rcode = uint8_t(rr.ttl >> 24);
          m.edns_version = uint8_t(rr.ttl >> 16);
          m.do_bit = rr.ttl & 0x8000;
        }
      }
      m.rrs.push_back(std::move(rr));
    }
  }
  if (!stopped && pos < b.size()) m.anomalies.set(DnsAnomaly::trailing_bytes);
  return true;
}

namespace {

bool plausible_class(uint16_t c) {
  c &= 0x7fff;  // mDNS: unicast-response / cache-flush bit
  return c == 1 || c == 3 || c == 4 || c == 254 || c == 255;
}

}  // namespace

bool dns_plausible(Bytes b, bool strict) {
  if (b.size() < 12) return false;
  uint16_t flags = load_be16(&b[2]);
  uint8_t opcode = flags >> 11 & 15;
  if (opcode == 3 || opcode > 6) return false;
  size_t qd = load_be16(&b[4]), an = load_be16(&b[6]), ns = load_be16(&b[8]), ar = load_be16(&b[10]);
  if (!strict) return true;
  bool qr = flags & 0x8000;
  // Each question takes at least 5 bytes (root name, type, class), each record 11.
  if (12 + qd * 5 + (an + ns + ar) * 11 > b.size()) return false;
  if (!qr && (qd == 0 || (flags & 15) != 0)) return false;
  if (qd == 0 && an + ns + ar == 0) return false;
  DnsAnomalies a;
  std::string name;
  size_t end = read_dns_name(b, 12, name, a);
  if (end == 0 || a.any()) return false;
  if (qd > 0) {
    if (end + 4 > b.size()) return false;
    return load_be16(&b[end]) != 0 && plausible_class(load_be16(&b[end + 2]));
  }
  if (end + 10 > b.size()) return false;
  return load_be16(&b[end]) != 0 && (load_be16(&b[end]) == dnstype::OPT || plausible_class(load_be16(&b[end + 2])));
}

}  // namespace nl
