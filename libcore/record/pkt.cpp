#include "libcore/record/pkt.hpp"

#include "libcore/flow/key.hpp"
#include "libcore/record/pkt_layout.hpp"

namespace nl {
namespace {

void hex16_field(JsonWriter& w, std::string_view k, uint16_t v) {
  w.key(k);
  w.hex16(v);
}

void ip_field(JsonWriter& w, std::string_view k, const IpAddress& a, std::string& scratch) {
  scratch.clear();
  append_ip(scratch, a);
  w.key(k);
  w.plain_string(scratch);
}

void mac_field(JsonWriter& w, std::string_view k, const uint8_t* mac, std::string& scratch) {
  scratch.clear();
  append_mac(scratch, mac);
  w.key(k);
  w.plain_string(scratch);
}

// "SA", "PA", "FA"...: tcpdump-like letters, one per flag, in a fixed order.
void tcp_flag_letters(std::string& s, uint8_t flags) {
  static const char letters[] = "FSRPAUEC";
  for (int i = 0; i < 8; ++i)
    if (flags & (1 << i)) s += letters[i];
}

void write_link(JsonWriter& w, const Decoded& d, std::string& s) {
  w.key("link");
  w.begin_object();
  const char* name = linktype_name(d.linktype);
  w.key("type");
  if (name) w.plain_string(name);
  else w.number(uint64_t(d.linktype));
  if (d.has_eth) {
    mac_field(w, "src", d.eth.src, s);
    mac_field(w, "dst", d.eth.dst, s);
    if (d.eth.llc) {
      w.field("length", uint64_t(d.eth.type_or_len));
      w.key("llc");
      w.begin_object();
      w.field("dsap", uint64_t(d.eth.dsap));
      w.field("ssap", uint64_t(d.eth.ssap));
      w.field("control", uint64_t(d.eth.control));
      w.end_object();
    }
  } else if (d.has_sll) {
    w.field("sll_version", uint64_t(d.sll.version));
    w.field("packet_type", uint64_t(d.sll.packet_type));
    w.field("arphrd", uint64_t(d.sll.arphrd));
    if (d.sll.addr_len == 6) mac_field(w, "src", d.sll.addr, s);
    else {
      w.key("src_addr");
      w.hex(Bytes(d.sll.addr, d.sll.addr_len > 8 ? 8 : d.sll.addr_len));
    }
    if (d.sll.version == 2) w.field("ifindex", uint64_t(d.sll.ifindex));
  } else if (d.has_null) {
    w.field("family", uint64_t(d.null_family));
  } else if (d.has_wlan) {
    w.field("wlan_type", uint64_t(d.wlan.type));
    w.field("wlan_subtype", uint64_t(d.wlan.subtype));
    if (d.wlan.has_addrs) {
      mac_field(w, "src", d.wlan.src, s);
      mac_field(w, "dst", d.wlan.dst, s);
      if (d.wlan.has_bssid) mac_field(w, "bssid", d.wlan.bssid, s);
    }
  } else if (d.has_nflog) {
    w.field("family", uint64_t(d.nflog.family));
    w.field("log_group", uint64_t(d.nflog.resource_id));
    if (!d.nflog.prefix.empty()) w.field_str("log_prefix", as_text(d.nflog.prefix));
  }
  if (d.ethertype) hex16_field(w, "ethertype", d.ethertype);
  w.end_object();
}

void write_vlan_mpls(JsonWriter& w, const Decoded& d) {
  if (d.n_vlan) {
    w.key("vlan");
    w.begin_array();
    for (int i = 0; i < d.n_vlan; ++i) {
      w.begin_object();
      NETLINES_PKT_VLAN_FIELDS(NETLINES_PKT_WRITE)
      hex16_field(w, "tpid", d.vlan[i].tpid);
      w.end_object();
    }
    w.end_array();
  }
  if (d.n_mpls) {
    w.key("mpls");
    w.begin_array();
    for (int i = 0; i < d.n_mpls; ++i) {
      w.begin_object();
      w.field("label", uint64_t(d.mpls[i].label));
      w.field("tc", uint64_t(d.mpls[i].tc));
      w.field_bool("bottom", d.mpls[i].bottom);
      w.field("ttl", uint64_t(d.mpls[i].ttl));
      w.end_object();
    }
    w.end_array();
  }
  if (d.has_pppoe) {
    w.key("pppoe");
    w.begin_object();
    w.field("session", uint64_t(d.pppoe_session));
    w.end_object();
  }
  if (d.has_ppp) {
    w.key("ppp");
    w.begin_object();
    hex16_field(w, "protocol", d.ppp_protocol);
    w.end_object();
  }
}

void write_arp(JsonWriter& w, const Decoded& d, std::string& s) {
  w.key("arp");
  w.begin_object();
  w.field("op", uint64_t(d.arp.op));
  w.field("htype", uint64_t(d.arp.htype));
  hex16_field(w, "ptype", d.arp.ptype);
  if (d.arp.hlen == 6) {
    mac_field(w, "sender_mac", d.arp.sha, s);
    mac_field(w, "target_mac", d.arp.tha, s);
  }
  if (d.arp.spa.family) ip_field(w, "sender_ip", d.arp.spa, s);
  if (d.arp.tpa.family) ip_field(w, "target_ip", d.arp.tpa, s);
  w.end_object();
}

void write_ip(JsonWriter& w, const Decoded& d, const std::string& src, const std::string& dst) {
  w.key("ip");
  w.begin_object();
  w.field("version", uint64_t(d.ip.version));
  w.field_plain("src", src);
  w.field_plain("dst", dst);
  NETLINES_PKT_IP_FIELDS(NETLINES_PKT_WRITE)
  if (d.ip.version == 4) {
    NETLINES_PKT_IPV4_FIELDS(NETLINES_PKT_WRITE)
  } else {
    NETLINES_PKT_IPV6_FIELDS(NETLINES_PKT_WRITE)
    w.key("ext");
    w.begin_array();
    for (int i = 0; i < d.ip.n_ext; ++i) w.plain_string(ipv6_ext_name(d.ip.ext[i]));
    w.end_array();
    if (d.ip.fragment) {
      NETLINES_PKT_IPV6_FRAGMENT_FIELDS(NETLINES_PKT_WRITE)
    }
  }
  NETLINES_PKT_IP_END_FIELDS(NETLINES_PKT_WRITE)
  w.end_object();
}

void write_tcp(JsonWriter& w, const Decoded& d, std::string& s) {
  const TcpInfo& t = d.tcp;
  w.key("tcp");
  w.begin_object();
  NETLINES_PKT_TCP_SEQ_FIELDS(NETLINES_PKT_WRITE)
  s.clear();
  tcp_flag_letters(s, t.flags);
  w.field_plain("flags", s);
  NETLINES_PKT_TCP_HEADER_FIELDS(NETLINES_PKT_WRITE)
  w.key("options");
  w.begin_object();
  if (t.mss >= 0) w.field("mss", int64_t(t.mss));
  if (t.wscale >= 0) w.field("wscale", int64_t(t.wscale));
  if (t.sack_permitted) w.field_bool("sack_permitted", true);
  if (t.n_sack) {
    w.key("sack");
    w.begin_array();
    for (int i = 0; i < t.n_sack; ++i) {
      w.begin_array();
      w.number(uint64_t(t.sack[i][0]));
      w.number(uint64_t(t.sack[i][1]));
      w.end_array();
    }
    w.end_array();
  }
  if (t.has_timestamps) {
    w.key("ts");
    w.begin_array();
    w.number(uint64_t(t.ts_val));
    w.number(uint64_t(t.ts_ecr));
    w.end_array();
  }
  if (t.fast_open) w.field_bool("fast_open", true);
  w.end_object();
  w.end_object();
}

}  // namespace

void write_pkt_record(std::string& out, const Packet& pkt, const Decoded& d, const PktOptions& opt) {
  JsonWriter w(out);
  // Scratch strings reused across records: formatting, and the two addresses,
  // which appear twice (ip.src and the EVE src_ip).
  static thread_local std::string s, src, dst;
  w.begin_object();
  w.field_plain("type", "pkt");
  w.field("n", pkt.number);
  w.key("ts");
  w.timestamp(pkt.ts, opt.time);
  if (pkt.interface >= 0) w.field("iface", int64_t(pkt.interface));
  w.field("caplen", uint64_t(pkt.caplen));
  w.field("len", uint64_t(pkt.origlen));
  write_link(w, d, s);
  write_vlan_mpls(w, d);
  if (d.has_arp) write_arp(w, d, s);
  if (d.ip.version) {
    src.clear();
    append_ip(src, d.ip.src);
    dst.clear();
    append_ip(dst, d.ip.dst);
    write_ip(w, d, src, dst);
  }

  // EVE 5-tuple: always present, null when the packet has no IP layer.
  if (d.ip.version) {
    w.field_plain("src_ip", src);
    bool ports = d.l4 == L4::tcp || d.l4 == L4::udp;
    w.key("src_port");
    if (ports) w.number(uint64_t(d.ports_src())); else w.null();
    w.field_plain("dest_ip", dst);
    w.key("dest_port");
    if (ports) w.number(uint64_t(d.ports_dst())); else w.null();
    w.key("proto");
    if (const char* name = eve_proto_name(d.ip.proto)) w.plain_string(name);
    else w.number(uint64_t(d.ip.proto));
  } else {
    w.field_null("src_ip");
    w.field_null("src_port");
    w.field_null("dest_ip");
    w.field_null("dest_port");
    w.field_null("proto");
  }

  switch (d.l4) {
    case L4::tcp: write_tcp(w, d, s); break;
    case L4::udp:
      w.key("udp");
      w.begin_object();
      NETLINES_PKT_UDP_FIELDS(NETLINES_PKT_WRITE)
      w.end_object();
      break;
    case L4::icmp:
    case L4::icmpv6:
      w.key(d.l4 == L4::icmp ? "icmp" : "icmpv6");
      w.begin_object();
      NETLINES_PKT_ICMP_FIELDS(NETLINES_PKT_WRITE)
      w.end_object();
      break;
    default: break;
  }

  // Payload: the application bytes; for a non-first fragment, the fragment's IP payload.
  Bytes payload = d.ip.version && d.l4 == L4::none ? d.l4_bytes : d.payload;
  w.field("payload_len", uint64_t(d.payload_len));
  switch (opt.payload) {
    case PayloadMode::b64: w.key("payload"); w.base64(payload); break;
    case PayloadMode::text: w.key("payload_text"); w.text_view(payload); break;
    case PayloadMode::head:
      w.key("payload_head");
      w.base64(payload.first(payload.size() < opt.head_bytes ? payload.size() : opt.head_bytes));
      break;
    case PayloadMode::none: break;
    case PayloadMode::frame:
      w.key("frame");
      w.begin_object();
      w.field("linktype", uint64_t(pkt.linktype));
      w.key("data");
      w.base64(pkt.data);
      w.end_object();
      break;
  }
  if (d.n_anomalies) {
    w.key("anomalies");
    w.begin_array();
    for (int i = 0; i < d.n_anomalies; ++i) w.plain_string(anomaly_name(d.anomalies[i]));
    w.end_array();
  }
  w.end_object();
  out += '\n';
}

}  // namespace nl
