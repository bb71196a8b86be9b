// The "dns" record. Rdata is read from the message bytes here, by type; rdata that
// does not have its type's shape is written as base64 with the anomaly bad_rdata,
// so a record is always written whole.
#include "libcore/proto/dns_record.hpp"

#include <algorithm>
#include <vector>

#include "libcore/decode/packet.hpp"

namespace nl {

namespace {

struct Ctx {
  JsonWriter& w;
  Bytes msg;
  DnsAnomalies an;
  std::string s;  // scratch
};

void write_flags(JsonWriter& w, std::string_view k, const DnsMessage* m) {
  w.key(k);
  if (!m || !m->has_header) {
    w.null();
    return;
  }
  const DnsHeader& h = m->h;
  w.begin_object();
  w.field_bool("qr", h.qr());
  w.field_bool("aa", h.aa());
  w.field_bool("tc", h.tc());
  w.field_bool("rd", h.rd());
  w.field_bool("ra", h.ra());
  w.field_bool("z", h.z());
  w.field_bool("ad", h.ad());
  w.field_bool("cd", h.cd());
  w.end_object();
}

void write_type(JsonWriter& w, std::string_view num, std::string_view name, uint16_t type) {
  w.field(num, uint32_t(type));
  w.field_or_null(name, dns_type_name(type));
}

void write_address(JsonWriter& w, Bytes b) {
  IpAddress a;
  a.family = b.size() == 16 ? 6 : 4;
  std::copy(b.begin(), b.end(), a.bytes);
  std::string s;
  append_ip(s, a);
  w.plain_string(s);
}

// A name inside rdata at `off`; false when it cannot be read within the rdata.
bool rd_name(Ctx& c, size_t off, size_t end, std::string& out, size_t& after) {
  out.clear();
  // Pointers may lead anywhere in the message; the name in place must end in the rdata.
  size_t e = read_dns_name(c.msg, off, out, c.an);
  if (e == 0 || e > end) return false;
  after = e;
  return true;
}

// <character-string>s (RFC 1035 3.3): a length byte and that many bytes, to the end.
bool char_strings(Bytes rd, std::vector<std::string_view>& out) {
  size_t i = 0;
  while (i < rd.size()) {
    size_t n = rd[i];
    if (i + 1 + n > rd.size()) return false;
    out.push_back(as_text(rd.subspan(i + 1, n)));
    i += 1 + n;
  }
  return true;
}

bool type_bitmap(Bytes b, std::vector<uint16_t>& types) {
  size_t i = 0;
  while (i < b.size()) {
    if (i + 2 > b.size()) return false;
    uint8_t window = b[i], len = b[i + 1];
    if (len == 0 || len > 32 || i + 2 + len > b.size()) return false;
    for (size_t j = 0; j < len; ++j)
      for (int bit = 0; bit < 8; ++bit)
        if (b[i + 2 + j] & (0x80 >> bit)) types.push_back(uint16_t(window << 8 | (j * 8 + size_t(bit))));
    i += 2 + len;
  }
  return true;
}

void write_types(JsonWriter& w, const std::vector<uint16_t>& types) {
  w.key("types");
  w.begin_array();
  for (uint16_t t : types) {
    if (const char* n = dns_type_name(t)) w.plain_string(n);
    else {
      std::string s = "TYPE" + std::to_string(t);
      w.plain_string(s);
    }
  }
  w.end_array();
}

std::string base32hex(Bytes b) {
  static constexpr char kAlpha[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (uint8_t x : b) {
    buf = buf << 8 | x;
    bits += 8;
    while (bits >= 5) {
      out += kAlpha[buf >> (bits - 5) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlpha[buf << (5 - bits) & 31];
  return out;
}

struct SvcParam {
  uint16_t key;
  Bytes value;
};

// The OPT record's options (RFC 6891 6.1.2), client subnet (RFC 7871) and cookie (RFC 7873).
bool write_opt(Ctx& c, const DnsRr& rr, Bytes rd) {
  struct Opt {
    uint16_t code;
    Bytes data;
  };
  std::vector<Opt> opts;
  for (size_t i = 0; i < rd.size();) {
    if (i + 4 > rd.size()) {
      c.an.set(DnsAnomaly::bad_edns_option);
      break;
    }
    uint16_t code = load_be16(&rd[i]), len = load_be16(&rd[i + 2]);
    if (i + 4 + len > rd.size()) {
      c.an.set(DnsAnomaly::bad_edns_option);
      break;
    }
    opts.push_back({code, rd.subspan(i + 4, len)});
    i += 4 + size_t(len);
  }
  JsonWriter& w = c.w;
  w.field_null("rdata");
  w.key("opt");
  w.begin_object();
  w.field("udp_size", uint32_t(rr.cls));
  w.field("ext_rcode", uint32_t(rr.ttl >> 24));
  w.field("version", uint32_t(rr.ttl >> 16 & 0xff));
  w.field_bool("do", rr.ttl & 0x8000);
  w.key("options");
  w.begin_array();
  const Opt* ecs = nullptr;
  const Opt* cookie = nullptr;
  for (const Opt& o : opts) {
    w.begin_object();
    w.field("code", uint32_t(o.code));
    w.field_or_null("name", dns_edns_option_name(o.code));
    w.key("data");
    w.base64(o.data);
    w.end_object();
    if (o.code == 8 && !ecs) ecs = &o;
    if (o.code == 10 && !cookie) cookie = &o;
  }
  w.end_array();
  w.key("client_subnet");
  bool ecs_ok = false;
  if (ecs) {
    Bytes d = ecs->data;
    if (d.size() >= 4) {
      uint16_t family = load_be16(&d[0]);
      uint8_t source = d[2], scope = d[3];
      size_t alen = d.size() - 4, max = family == 1 ? 4 : family == 2 ? 16 : 0;
      if (max && source <= max * 8 && scope <= max * 8 && alen <= max && alen == (size_t(source) + 7) / 8) {
        ecs_ok = true;
        IpAddress a;
        a.family = family == 1 ? 4 : 6;
        std::copy(d.begin() + 4, d.end(), a.bytes);
        std::string s;
        append_ip(s, a);
        w.begin_object();
        w.field("family", uint32_t(family));
        w.field("source_prefix", uint32_t(source));
        w.field("scope_prefix", uint32_t(scope));
        w.field_plain("address", s);
        w.end_object();
      }
    }
    if (!ecs_ok) c.an.set(DnsAnomaly::bad_client_subnet);
  }
  if (!ecs_ok) w.null();
  w.key("cookie");
  if (cookie && (cookie->data.size() == 8 || (cookie->data.size() >= 16 && cookie->data.size() <= 40))) {
    w.begin_object();
    w.key("client");
    w.hex(cookie->data.first(8));
    w.key("server");
    if (cookie->data.size() > 8) w.hex(cookie->data.subspan(8));
    else w.null();
    w.end_object();
  } else {
    if (cookie) c.an.set(DnsAnomaly::bad_edns_option);
    w.null();
  }
  w.end_object();
  return true;
}

enum class Rdata { written, bad, unknown_type };

bool write_svcb(Ctx& c, Bytes rd, size_t off, size_t end) {
  if (rd.size() < 3) return false;
  uint16_t priority = load_be16(&rd[0]);
  std::string target;
  size_t after;
  if (!rd_name(c, off + 2, end, target, after)) return false;
  std::vector<SvcParam> params;
  bool bad = false;
  for (size_t i = after - off; i < rd.size();) {
    if (i + 4 > rd.size()) {
      bad = true;
      break;
    }
    uint16_t key = load_be16(&rd[i]), len = load_be16(&rd[i + 2]);
    if (i + 4 + len > rd.size()) {
      bad = true;
      break;
    }
    params.push_back({key, rd.subspan(i + 4, len)});
    i += 4 + size_t(len);
  }
  JsonWriter& w = c.w;
  w.field_str("rdata", target);
  w.key("svcb");
  w.begin_object();
  w.field("priority", uint32_t(priority));
  w.field_str("target", target);
  const SvcParam* alpn = nullptr;
  const SvcParam* port = nullptr;
  const SvcParam* v4 = nullptr;
  const SvcParam* v6 = nullptr;
  bool no_default_alpn = false, ech = false;
  for (const SvcParam& p : params) {
    switch (p.key) {
      case 1: alpn = &p; break;
      case 2: no_default_alpn = true; break;
      case 3: port = &p; break;
      case 4: v4 = &p; break;
      case 5: ech = true; break;
      case 6: v6 = &p; break;
    }
  }
  w.key("alpn");
  std::vector<std::string_view> ids;
  if (alpn && char_strings(alpn->value, ids) && !ids.empty()) {
    w.begin_array();
    for (auto s : ids) w.string(s);
    w.end_array();
  } else {
    if (alpn) bad = true;
    w.null();
  }
  w.field_bool("no_default_alpn", no_default_alpn);
  w.key("port");
  if (port && port->value.size() == 2) w.number(uint32_t(load_be16(port->value.data())));
  else {
    if (port) bad = true;
    w.null();
  }
  w.key("ipv4hint");
  w.begin_array();
  if (v4 && v4->value.size() % 4 == 0)
    for (size_t i = 0; i < v4->value.size(); i += 4) write_address(w, v4->value.subspan(i, 4));
  else if (v4) bad = true;
  w.end_array();
  w.key("ipv6hint");
  w.begin_array();
  if (v6 && v6->value.size() % 16 == 0)
    for (size_t i = 0; i < v6->value.size(); i += 16) write_address(w, v6->value.subspan(i, 16));
  else if (v6) bad = true;
  w.end_array();
  w.field_bool("ech", ech);
  w.key("params");
  w.begin_array();
  for (const SvcParam& p : params) {
    w.begin_object();
    w.field("key", uint32_t(p.key));
    w.field_or_null("key_name", dns_svcb_key_name(p.key));
    w.key("value");
    w.base64(p.value);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  if (bad) c.an.set(DnsAnomaly::bad_svcb_param);
  return true;
}



// Writes "rdata" and the type's own member; nothing when the rdata does not have
// its type's shape or the type is not one rendered here.
Rdata write_rdata(Ctx& c, const DnsRr& rr) {
  JsonWriter& w = c.w;
  size_t off = rr.rdata, end = rr.rdata + rr.rdlength;
  Bytes rd = c.msg.subspan(off, rr.rdlength);
  std::string& s = c.s;
  size_t after = 0;
  switch (rr.type) {
    case dnstype::A:
      if (rd.size() != 4) return Rdata::bad;
      w.key("rdata");
      write_address(w, rd);
      return Rdata::written;
    case dnstype::AAAA:
      if (rd.size() != 16) return Rdata::bad;
      w.key("rdata");
      write_address(w, rd);
      return Rdata::written;
    case dnstype::NS: case dnstype::CNAME: case dnstype::PTR: case dnstype::DNAME:
    case 3: case 4: case 7: case 8: case 9:  // MD, MF, MB, MG, MR
      if (!rd_name(c, off, end, s, after) || after != end) return Rdata::bad;
      w.field_str("rdata", s);
      return Rdata::written;
    case dnstype::MX: {
      if (rd.size() < 3 || !rd_name(c, off + 2, end, s, after) || after != end) return Rdata::bad;
      w.field_str("rdata", s);
      w.key("mx");
      w.begin_object();
      w.field("preference", uint32_t(load_be16(rd.data())));
      w.field_str("exchange", s);
      w.end_object();
      return Rdata::written;
    }
    case dnstype::TXT: case 99: {  // SPF
      std::vector<std::string_view> strs;
      if (rd.empty() || !char_strings(rd, strs)) return Rdata::bad;
      // One value, as SPF and DKIM read several strings (RFC 7208 3.3).
      std::string all;
      for (auto x : strs) all += x;
      w.field_str("rdata", all);
      w.key("txt");
      w.begin_array();
      for (auto x : strs) w.string(x);
      w.end_array();
      return Rdata::written;
    }
    case dnstype::SOA: {
      std::string rname;
      size_t a2;
      if (!rd_name(c, off, end, s, after) || !rd_name(c, after, end, rname, a2) || a2 + 20 != end) return Rdata::bad;
      const uint8_t* p = c.msg.data() + a2;
      w.field_str("rdata", s);
      w.key("soa");
      w.begin_object();
      w.field_str("mname", s);
      w.field_str("rname", rname);
      w.field("serial", load_be32(p));
      w.field("refresh", load_be32(p + 4));
      w.field("retry", load_be32(p + 8));
      w.field("expire", load_be32(p + 12));
      w.field("minimum", load_be32(p + 16));
      w.end_object();
      return Rdata::written;
    }
    case dnstype::SRV: {
      if (rd.size() < 7 || !rd_name(c, off + 6, end, s, after) || after != end) return Rdata::bad;
      w.field_str("rdata", s);
      w.key("srv");
      w.begin_object();
      w.field("priority", uint32_t(load_be16(&rd[0])));
      w.field("weight", uint32_t(load_be16(&rd[2])));
      w.field("port", uint32_t(load_be16(&rd[4])));
      w.field_str("target", s);
      w.end_object();
      return Rdata::written;
    }
    case dnstype::CAA: {
      if (rd.size() < 2 || rd[1] == 0 || 2 + size_t(rd[1]) > rd.size()) return Rdata::bad;
      std::string_view tag = as_text(rd.subspan(2, rd[1]));
      std::string_view value = as_text(rd.subspan(2 + size_t(rd[1])));
      w.field_str("rdata", value);
      w.key("caa");
      w.begin_object();
      w.field("flags", uint32_t(rd[0]));
      w.field_str("tag", tag);
      w.field_str("value", value);
      w.end_object();
      return Rdata::written;
    }
    case dnstype::NAPTR: {
      if (rd.size() < 4) return Rdata::bad;
      std::vector<std::string_view> strs;
      size_t i = 4;
      for (int k = 0; k < 3; ++k) {
        if (i >= rd.size() || i + 1 + rd[i] > rd.size()) return Rdata::bad;
        strs.push_back(as_text(rd.subspan(i + 1, rd[i])));
        i += 1 + size_t(rd[i]);
      }
      if (!rd_name(c, off + i, end, s, after) || after != end) return Rdata::bad;
      w.field_str("rdata", s);
      w.key("naptr");
      w.begin_object();
      w.field("order", uint32_t(load_be16(&rd[0])));
      w.field("preference", uint32_t(load_be16(&rd[2])));
      w.field_str("flags", strs[0]);
      w.field_str("services", strs[1]);
      w.field_str("regexp", strs[2]);
      w.field_str("replacement", s);
      w.end_object();
      return Rdata::written;
    }
    case dnstype::SSHFP: {
      if (rd.size() < 3) return Rdata::bad;
      w.key("rdata");
      w.hex(rd.subspan(2));
      w.key("sshfp");
      w.begin_object();
      w.field("algorithm", uint32_t(rd[0]));
      w.field("fp_type", uint32_t(rd[1]));
      w.key("fingerprint");
      w.hex(rd.subspan(2));
      w.end_object();
      return Rdata::written;
    }
    case dnstype::DS: case 59: {  // CDS
      if (rd.size() < 5) return Rdata::bad;
      w.key("rdata");
      w.hex(rd.subspan(4));
      w.key("ds");
      w.begin_object();
      w.field("key_tag", uint32_t(load_be16(&rd[0])));
      w.field("algorithm", uint32_t(rd[2]));
      w.field("digest_type", uint32_t(rd[3]));
      w.key("digest");
      w.hex(rd.subspan(4));
      w.end_object();
      return Rdata::written;
    }
    case dnstype::DNSKEY: case 60: {  // CDNSKEY
      if (rd.size() < 5) return Rdata::bad;
      w.key("rdata");
      w.base64(rd.subspan(4));
      w.key("dnskey");
      w.begin_object();
      w.field("flags", uint32_t(load_be16(&rd[0])));
      w.field("protocol", uint32_t(rd[2]));
      w.field("algorithm", uint32_t(rd[3]));
      w.key("public_key");
      w.base64(rd.subspan(4));
      w.end_object();
      return Rdata::written;
    }
    case dnstype::RRSIG: {
      if (rd.size() < 19 || !rd_name(c, off + 18, end, s, after)) return Rdata::bad;
      const uint8_t* p = rd.data();
      Bytes sig = c.msg.subspan(after, end - after);
      w.field_str("rdata", s);
      w.key("rrsig");
      w.begin_object();
      write_type(w, "type_covered", "type_covered_name", load_be16(p));
      w.field("algorithm", uint32_t(p[2]));
      w.field("labels", uint32_t(p[3]));
      w.field("original_ttl", load_be32(p + 4));
      w.field("expiration", load_be32(p + 8));
      w.field("inception", load_be32(p + 12));
      w.field("key_tag", uint32_t(load_be16(p + 16)));
      w.field_str("signer", s);
      w.key("signature");
      w.base64(sig);
      w.end_object();
      return Rdata::written;
    }
    case dnstype::NSEC: {
      std::vector<uint16_t> types;
      if (!rd_name(c, off, end, s, after) || !type_bitmap(c.msg.subspan(after, end - after), types)) return Rdata::bad;
      w.field_str("rdata", s);
      w.key("nsec");
      w.begin_object();
      w.field_str("next", s);
      write_types(w, types);
      w.end_object();
      return Rdata::written;
    }
    case dnstype::NSEC3: case dnstype::NSEC3PARAM: {
      if (rd.size() < 5 || 5 + size_t(rd[4]) > rd.size()) return Rdata::bad;
      Bytes salt = rd.subspan(5, rd[4]);
      size_t i = 5 + salt.size();
      Bytes next;
      std::vector<uint16_t> types;
      if (rr.type == dnstype::NSEC3) {
        if (i >= rd.size() || i + 1 + rd[i] > rd.size()) return Rdata::bad;
        next = rd.subspan(i + 1, rd[i]);
        if (!type_bitmap(rd.subspan(i + 1 + next.size()), types)) return Rdata::bad;
      } else if (i != rd.size()) {
        return Rdata::bad;
      }
      std::string hashed = base32hex(next);
      if (rr.type == dnstype::NSEC3) w.field_plain("rdata", hashed);
      else w.field_null("rdata");
      w.key(rr.type == dnstype::NSEC3 ? "nsec3" : "nsec3param");
      w.begin_object();
      w.field("hash_algorithm", uint32_t(rd[0]));
      w.field("flags", uint32_t(rd[1]));
      w.field("iterations", uint32_t(load_be16(&rd[2])));
      w.key("salt");
      w.hex(salt);
      if (rr.type == dnstype::NSEC3) {
        w.field_plain("next_hashed", hashed);
        write_types(w, types);
      }
      w.end_object();
      return Rdata::written;
    }
    case dnstype::SVCB: case dnstype::HTTPS:
      return write_svcb(c, rd, off, end) ? Rdata::written : Rdata::bad;
    case dnstype::OPT:
      return write_opt(c, rr, rd) ? Rdata::written : Rdata::bad;
    default:
      return Rdata::unknown_type;
  }
}

void write_rrs(Ctx& c, std::string_view k, const DnsMessage* m, DnsSection section) {
  JsonWriter& w = c.w;
  w.key(k);
  w.begin_array();
  if (m) {
    c.msg = Bytes(m->raw.data(), m->raw.size());
    for (const DnsRr& rr : m->rrs) {
      if (rr.section != section) continue;
      w.begin_object();
      w.field_str("name", rr.name);
      write_type(w, "type", "type_name", rr.type);
      w.field("class", uint32_t(rr.cls));
      w.field_or_null("class_name", rr.type == dnstype::OPT ? nullptr : dns_class_name(rr.cls));
      w.field("ttl", rr.ttl);
      w.field("rdlength", uint32_t(rr.rdlength));
      // A type read by shape is checked before anything is written: names are
      // decompressed into scratch first, so a failure leaves no partial member.
      DnsAnomalies before = c.an;
      Rdata got = write_rdata(c, rr);
      if (got != Rdata::written) {
        c.an = before;
        if (got == Rdata::bad) c.an.set(DnsAnomaly::bad_rdata);
        w.field_null("rdata");
        w.key("rdata_base64");
        w.base64(c.msg.subspan(rr.rdata, rr.rdlength));
      }
      w.end_object();
    }
  }
  w.end_array();
}

void write_questions(JsonWriter& w, const DnsMessage* m) {
  w.key("queries");
  w.begin_array();
  if (m)
    for (const DnsQuestion& q : m->questions) {
      w.begin_object();
      w.field_str("name", q.name);
      write_type(w, "type", "type_name", q.type);
      w.field("class", uint32_t(q.cls));
      w.field_or_null("class_name", dns_class_name(q.cls));
      w.end_object();
    }
  w.end_array();
}

}  // namespace

void write_dns_record(JsonWriter& w, const std::string& ids, const DnsTransaction& tx, TimeFormat tf) {
  const DnsMessage* q = tx.has_query ? &tx.query : nullptr;
  const DnsMessage* r = tx.has_response ? &tx.response : nullptr;
  // Header fields from the response when there is one with a header.
  const DnsMessage* head = r && r->has_header ? r : q && q->has_header ? q : nullptr;
  w.begin_object();
  w.field_plain("type", "dns");
  w.key("ts");
  w.timestamp(tx.ts(), tf);
  w.members(ids);
  w.key("dns");
  w.begin_object();
  w.field_plain("transport", tx.tcp ? "tcp" : "udp");
  w.field_plain("status", dns_status_name(tx.status));
  w.field_or_null("id", head != nullptr, [&] { w.number(uint32_t(head->h.id)); });
  w.field_or_null("opcode", head != nullptr, [&] { w.number(uint32_t(head->h.opcode())); });
  w.field_or_null("opcode_name", head ? dns_opcode_name(head->h.opcode()) : nullptr);
  w.key("query_ts");
  if (q) w.timestamp(tx.query_ts, tf);
  else w.null();
  w.key("response_ts");
  if (r) w.timestamp(tx.response_ts, tf);
  else w.null();
  w.key("rtt");
  if (q && r) {
    std::string d;
    append_duration(d, tx.response_ts.total_nsec() - tx.query_ts.total_nsec(),
                    std::max(tx.query_ts.digits, tx.response_ts.digits));
    w.raw(d);
  } else {
    w.null();
  }
  w.field("query_packets", tx.query_packets);
  write_questions(w, q && q->has_header ? q : r);
  write_flags(w, "query_flags", q);
  write_flags(w, "response_flags", r);
  bool rc = r && r->has_header;
  w.field_or_null("rcode", rc, [&] { w.number(uint32_t(r->rcode())); });
  w.field_or_null("rcode_name", rc ? dns_rcode_name(r->rcode()) : nullptr);
  Ctx c{w, {}, tx.all(), {}};
  write_rrs(c, "answers", r, DnsSection::answer);
  write_rrs(c, "authorities", r, DnsSection::authority);
  write_rrs(c, "additionals", r, DnsSection::additional);
  write_rrs(c, "query_additionals", q, DnsSection::additional);
  w.key("anomalies");
  w.begin_array();
  for (unsigned i = 0; i < unsigned(DnsAnomaly::count_); ++i)
    if (c.an.has(DnsAnomaly(i))) w.plain_string(dns_anomaly_name(DnsAnomaly(i)));
  w.end_array();
  w.end_object();
  w.end_object();
}

}  // namespace nl
