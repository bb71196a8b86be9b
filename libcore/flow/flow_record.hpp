// The "flow" and "interval" records of flowstat, written with JsonWriter into a
// reused buffer. One JSON object per line; every field is always present (null
// when it does not apply). This comment is the schema's source.
//
// "flow" (one per flow when it ends; with --interval also partial ones):
//   type          "flow"
//   ts            first packet of the flow (--time iso|epoch)
//   flow_id       number < 2^53, same as other stages' records of this flow
//   community_id  Community ID v1 of the originator -> responder tuple
//   src_ip, src_port, dest_ip, dest_port, proto
//                 EVE 5-tuple, originator -> responder (the SYN sender, else the first
//                 packet's sender). Ports are 0 for protocols without ports; for
//                 ICMP/ICMPv6 src_port/dest_port are the originator's first type/code.
//   vlan          outer 802.1Q VLAN id, null when untagged
//   ip_version    4 or 6
//   flow: {
//     start, end    first and last packet timestamps (same format as ts)
//     duration      end - start in seconds (decimal, the capture's precision)
//     reason        why the record was written: "fin" (FIN both ways + grace),
//                   "rst" (RST + grace), "idle" (protocol timeout), "evicted"
//                   (table full), "eof" (end of input), "interval" (partial)
//     partial       true only for reason "interval": the flow is still live and the
//                   counters run from its start (a later record supersedes it)
//     fragments_incomplete
//                   true: the flow was built from IP fragments of datagrams never
//                   rebuilt (dropped by the defragmenter's bounds, or unfinished at
//                   the end of input). Keyed by addresses and protocol only (ports
//                   0, port-less Community ID); packets are fragments, l4/l7 bytes
//                   their IP payloads; the TCP counters are null. false otherwise.
//     state         Zeek conn_state: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR
//                   OTH (UDP: SF answered / S0 not; ICMP and others: OTH, as Zeek)
//     history       Zeek history letters, originator upper case, responder lower:
//                   S syn, H syn-ack, A pure ack, D data, F fin, R rst, I syn+rst,
//                   Q syn+fin, C bad checksum, G gap, T retransmission, W zero window
//                   (C G T W repeat at counts 1, 10, 100, ...), '^' first: the
//                   first packet seen was the responder's SYN-ACK
//     app           "http" | "tls" | "dns" | "ssh" from payload content, else null
//     direction     with --local: "inbound" | "outbound" | "internal" | "external"
//                   (by originator and responder addresses); null without --local
//     orig, resp: {   per direction (originator's packets, responder's packets)
//       packets
//       link_bytes      frame lengths on the wire (pcap orig_len)
//       l3_bytes        IP total lengths
//       l4_bytes        IP payload (total length - IP header incl. IPv6 ext headers)
//       l7_bytes        transport payload, retransmissions included
//       l7_bytes_unique TCP: payload new in sequence space; null for other protocols
//       retransmits     TCP: segments whose data was all seen before; else null
//       missing_bytes   TCP: sequence bytes jumped over and never seen; else null
//       tcp_flags       TCP: flags seen, letters in bit order "FSRPAUEC"; else null
//     }
//   }
//
// "interval" (with --interval N, one per interval with packets, at its end):
//   type "interval", ts (interval start, aligned to a multiple of N since the epoch),
//   interval (N, seconds), packets (IP only), bytes (link), l3_bytes, flows_started,
//   flows_active (flows with a packet in it), flows_ended (final flow records
//   written in it), by_app {"http","tls","dns","ssh","unknown": link bytes},
//   by_src [{"ip", "bytes"}: the 10 largest senders by link bytes, bytes descending
//   then address], by_src_other (link bytes of every other source, including
//   sources beyond the per-interval cap): sum(by_src) + by_src_other == bytes.
#pragma once
#include <string>

#include "libcore/flow/table.hpp"
#include "libcore/time.hpp"

namespace nl {

struct FlowRecordOptions {
  TimeFormat time = TimeFormat::iso;
};

// Append one record and its '\n' to out.
void write_flow_record(std::string& out, const Flow& f, FlowEnd reason, bool partial,
                       const FlowRecordOptions& opt);
// Live capture: the kernel's counts since the previous interval record.
struct IntervalCapture {
  uint64_t received = 0, dropped = 0, if_dropped = 0;
};
// `capture`, when set, adds the capture_* fields.
void write_interval_record(std::string& out, const IntervalStats& s, const FlowRecordOptions& opt,
                           const IntervalCapture* capture = nullptr);

// "FSRPAUEC" letters of the set bits, in bit order (e.g. 0x1b -> "FSPA").
void append_tcp_flag_letters(std::string& out, uint8_t flags);

}  // namespace nl
