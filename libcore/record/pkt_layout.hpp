// The pkt record's scalar fields, described once. pcap2pkt's writer
// (record/pkt.cpp), the general reader, the reader of pcap2pkt's own layout and
// the frame rebuilder (record/pkt_reader.cpp) all expand these lists, so a field's
// key, JSON kind, place in the line, range and source are stated here alone. They
// expand at compile time into the same code as written out by hand: the piped
// path pays nothing for them.
//
// Each list is a run of members of one JSON object, in the order pcap2pkt writes
// them; the rest of the record (addresses, MACs, strings, arrays, the payload and
// which objects a packet has) is the code around the runs.
//
//   X(key, kind, member, presence, default, max, written)
//
//   key       the JSON key (and the member's name in messages, after its object)
//   kind      uint, boolean, or boolean_unread (written, not read back)
//   member    where the readers keep it (PktFields, TcpFields or VlanFields)
//   presence  has: the readers also keep whether it was there (has_<member>); the
//             rebuilder needs those fields, or they change the frame; or nohas
//   default   the member's value when the record lacks the field
//   max       the largest value the header field it is rebuilt into holds (for
//             ip.total_len and ip.id, the larger of IPv4's and IPv6's)
//   written   what pcap2pkt writes: an expression over the Decoded `d` (and `i`,
//             the tag's index, for VLAN tags)
#pragma once

// "vlan": [{...}, ...], one object per tag; "tpid" (hex text) follows.
#define NETLINES_PKT_VLAN_FIELDS(X)                  \
  X(id, uint, id, nohas, 0, 0xfff, d.vlan[i].id())   \
  X(pcp, uint, pcp, nohas, 0, 7, d.vlan[i].pcp())    \
  X(dei, boolean, dei, nohas, false, 1, d.vlan[i].dei())

// "ip": {"version", "src", "dst", then these.
#define NETLINES_PKT_IP_FIELDS(X)                                     \
  X(hdr_len, uint, hdr_len, has, 0, 60, d.ip.header_len)              \
  X(total_len, uint, total_len, has, 0, 0xffffffff, d.ip.total_len)   \
  X(ttl, uint, ttl, nohas, 64, 0xff, d.ip.ttl)                        \
  X(tos, uint, tos, nohas, 0, 0xff, d.ip.tos)                         \
  X(proto, uint, proto, has, 0, 0xff, d.ip.proto)

// Shared by IPv4 and IPv6's fragment header.
#define NETLINES_PKT_IP_ID(X) X(id, uint, id, nohas, 0, 0xffffffff, d.ip.id)
#define NETLINES_PKT_IP_MF(X) X(mf, boolean, mf, nohas, false, 1, d.ip.mf)
#define NETLINES_PKT_IP_FRAG_OFFSET(X) X(frag_offset, uint, frag_offset, nohas, 0, 0xffff, d.ip.frag_offset)

// Then, for IPv4:
#define NETLINES_PKT_IPV4_FIELDS(X)                 \
  NETLINES_PKT_IP_ID(X)                             \
  X(df, boolean, df, nohas, false, 1, d.ip.df)      \
  NETLINES_PKT_IP_MF(X)                             \
  NETLINES_PKT_IP_FRAG_OFFSET(X)                    \
  X(options, boolean_unread, options, nohas, false, 1, d.ip.options)

// For IPv6: these, "ext" (the extension headers' names), and with a fragment
// header the IPV6_FRAGMENT fields.
#define NETLINES_PKT_IPV6_FIELDS(X) X(flow_label, uint, flow_label, nohas, 0, 0xfffff, d.ip.flow_label)
#define NETLINES_PKT_IPV6_FRAGMENT_FIELDS(X) NETLINES_PKT_IP_ID(X) NETLINES_PKT_IP_MF(X) NETLINES_PKT_IP_FRAG_OFFSET(X)

// The last member of "ip".
#define NETLINES_PKT_IP_END_FIELDS(X) X(fragment, boolean, fragment, nohas, false, 1, d.ip.fragment)

// "tcp": {these, "flags" (letters), the TCP_HEADER fields, "options": {...}}.
#define NETLINES_PKT_TCP_SEQ_FIELDS(X)               \
  X(seq, uint, seq, has, 0, 0xffffffff, d.tcp.seq)   \
  X(ack, uint, ack, has, 0, 0xffffffff, d.tcp.ack)
#define NETLINES_PKT_TCP_HEADER_FIELDS(X)                                                     \
  X(flags_raw, uint, flags_raw, has, 0, 0x1ff, d.tcp.flags | (d.tcp.ns ? 0x100 : 0))          \
  X(window, uint, window, has, 0, 0xffff, d.tcp.window)                                       \
  X(urgent, uint, urgent, nohas, 0, 0xffff, d.tcp.urgent)                                     \
  X(hdr_len, uint, hdr_len, nohas, 20, 60, d.tcp.header_len)

// "udp": {...}
#define NETLINES_PKT_UDP_FIELDS(X) X(len, uint, udp_len, has, 0, 0xffff, d.udp.length)

// "icmp" or "icmpv6": {...}
#define NETLINES_PKT_ICMP_FIELDS(X)                            \
  X(type, uint, icmp_type, nohas, 0, 0xff, d.icmp.type)        \
  X(code, uint, icmp_code, nohas, 0, 0xff, d.icmp.code)        \
  X(rest, uint, icmp_rest, nohas, 0, 0xffffffff, d.icmp.rest)

// The ranges of the integer fields outside the runs above: (path, max).
#define NETLINES_PKT_OTHER_MAXIMA(X)  \
  X("len", 0xffffffff)                \
  X("iface", 0x7fffffff)              \
  X("src_port", 0xffff)               \
  X("dest_port", 0xffff)              \
  X("ip.version", 0xff)               \
  X("tcp.options.mss", 0xffff)        \
  X("tcp.options.wscale", 0xff)       \
  X("tcp.options.ts", 0xffffffff)     \
  X("tcp.options.sack", 0xffffffff)  \
  X("frame.linktype", 0xffffffff)

// What each kind is in the writer: the JsonWriter call.
#define NETLINES_PKT_WRITE_uint(w, k, v) w.field(k, uint64_t(v));
#define NETLINES_PKT_WRITE_boolean(w, k, v) w.field_bool(k, bool(v));
#define NETLINES_PKT_WRITE_boolean_unread(w, k, v) w.field_bool(k, bool(v));
// One run written: NETLINES_PKT_IP_FIELDS(NETLINES_PKT_WRITE) with a JsonWriter `w`.
#define NETLINES_PKT_WRITE(key, kind, member, presence, dflt, max, written) \
  NETLINES_PKT_WRITE_##kind(w, #key, written)
