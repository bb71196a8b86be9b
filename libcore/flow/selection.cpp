#include "libcore/flow/selection.hpp"

#include <simdjson.h>

namespace nl {
namespace {

// Protocols by their EVE names, or a number.
bool proto_of(simdjson::dom::element v, uint8_t& out) {
  std::string_view s;
  uint64_t n = 0;
  if (v.get(n) == simdjson::SUCCESS && n <= 255) return out = uint8_t(n), true;
  if (v.get(s) != simdjson::SUCCESS) return false;
  if (s == "TCP") out = 6;
  else if (s == "UDP") out = 17;
  else if (s == "ICMP") out = 1;
  else if (s == "IPv6-ICMP") out = 58;
  else return false;
  return true;
}

bool port_of(simdjson::dom::element v, uint16_t& out) {
  uint64_t n = 0;
  if (v.is_null()) return out = 0, true;
  if (v.get(n) != simdjson::SUCCESS || n > 0xffff) return false;
  out = uint16_t(n);
  return true;
}

bool is_icmp(uint8_t proto) { return proto == 1 || proto == 58; }

// The form both sides are compared in: one direction, no VLAN, ICMP without the
// type and code its records do not carry as ports.
FlowKey normal(FlowKey k) {
  k.vlan = 0;
  if (is_icmp(k.proto)) k.sport = k.dport = 0;
  bool flipped = false;
  return canonical(k, flipped);
}

FlowKey without_ports(FlowKey k) {
  k.sport = k.dport = 0;
  return k;
}

}  // namespace

FlowSelection::Added FlowSelection::add(std::string_view line) {
  static thread_local simdjson::dom::parser parser;
  simdjson::dom::object rec;
  if (parser.parse(line.data(), line.size()).get(rec) != simdjson::SUCCESS) return Added::not_json;
  std::string_view src, dst;
  FlowKey k;
  simdjson::dom::element v;
  if (rec["src_ip"].get(src) == simdjson::SUCCESS && rec["dest_ip"].get(dst) == simdjson::SUCCESS &&
      parse_ip(src, k.src) && parse_ip(dst, k.dst) && k.src.family == k.dst.family &&
      rec["proto"].get(v) == simdjson::SUCCESS && proto_of(v, k.proto)) {
    simdjson::dom::element sp, dp;
    bool ports = rec["src_port"].get(sp) == simdjson::SUCCESS && rec["dest_port"].get(dp) == simdjson::SUCCESS &&
                 port_of(sp, k.sport) && port_of(dp, k.dport);
    if (!ports) k.sport = k.dport = 0;
    FlowKey n = normal(k);
    keys_.insert(n);
    addresses_.insert(without_ports(n));
    return Added::flow;
  }
  std::string_view cid;
  if (rec["community_id"].get(cid) == simdjson::SUCCESS && !cid.empty()) {
    community_ids_.emplace(cid);
    return Added::flow;
  }
  return Added::none;
}

bool FlowSelection::matches(const Decoded& d) const {
  if (!d.ip.version) return false;
  FlowKey k = flow_key_of(d);
  bool ports = d.l4 == L4::tcp || d.l4 == L4::udp;
  if (!keys_.empty()) {
    FlowKey n = normal(k);
    if (keys_.count(n)) return true;
    // A non-first fragment: its flow's addresses and protocol.
    if (d.ip.fragment && !ports && addresses_.count(without_ports(n))) return true;
  }
  if (!community_ids_.empty()) {
    FlowKey c = k;
    c.vlan = 0;
    if (community_ids_.count(community_id(c, community_id_seed(), ports || is_icmp(k.proto)))) return true;
  }
  return false;
}

}  // namespace nl
