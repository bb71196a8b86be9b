// Flow statistics: a bounded, streaming table of bidirectional flows of every IP
// protocol, fed one decoded packet at a time in (mostly) capture-time order.
//
// Identity: canonical 5-tuple + outer VLAN (libcore/flow/key.hpp). ICMP/ICMPv6 pair
// request and reply types the way Community ID does (echo request 8 <-> reply 0, ...),
// so a ping and its answer are one flow; other protocols key on addresses only.
// Originator: the sender of a SYN without ACK; else the first packet's sender (for a
// SYN-ACK seen first: its receiver, and the history starts with '^', as in Zeek).
//
// Ending (all in capture time, never the wall clock):
//   fin      FIN seen from both sides, then `close_grace` without packets
//   rst      RST seen, then `close_grace` without packets
//   idle     no packet for the protocol's timeout (tcp/udp/icmp/other)
//   evicted  the table was full (max_flows): the least recently seen flow goes
//   eof      end of input (finish()): the flows still open, in order of first packet
//            (flows already closed by FIN/RST keep reason fin/rst)
//   interrupted  as eof, when a signal stopped the run (finish(FlowEnd::interrupted))
//   interval (partial records only, see IntervalStats)
// When the table holds >= emergency_ratio * max_flows flows, the emergency timeouts
// apply instead (as the seed's tracker does), so a flood of one-packet flows ages out
// fast; only at the cap itself is a flow evicted.
//
// Time: the table's clock is the largest timestamp seen. A packet older than the
// clock (captures from batching sniffers, merged files) is counted in
// stats().ts_backwards and processed normally; idle ages are measured on the clock
// (a flow's "touch" is the clock value when it last saw a packet), so time running
// backwards, or one bogus future timestamp, never expires flows in a loop.
//
// Incomplete datagrams (add_incomplete): the fragments of an IP datagram that was
// never rebuilt (the datagram path dropped it: timeout, eviction, oversize, malformed,
// end of input) are accounted in a flow of their own, keyed by addresses, protocol
// and outer VLAN without ports, and flagged (Flow::fragments_incomplete). Such flows
// never share a table entry with flows of whole packets, so a port-less protocol
// (GRE, ESP, ...) keeps its complete traffic apart from its lost fragments. Their
// bytes count when the datagram is dropped (in the interval the table's clock is in
// then), as a rebuilt datagram's count when it completes.
//
// Memory: one node per live flow (<= max_flows); per packet, no allocation unless
// a flow is created. Expiry is O(1) per packet: one intrusive LRU list per timeout
// class, each ordered by touch, and only list heads are examined.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "libcore/decode/packet.hpp"
#include "libcore/flow/app_detect.hpp"
#include "libcore/flow/key.hpp"

namespace nl {

enum class FlowEnd : uint8_t { fin, rst, idle, eof, evicted, interval, interrupted };
const char* flow_end_name(FlowEnd e);  // "fin", "rst", "idle", "eof", "evicted", "interval", "interrupted"

// Zeek's TCP endpoint states (src/analyzer/protocol/tcp/TCP_Endpoint.h).
enum class TcpState : uint8_t { inactive, syn_sent, syn_ack_sent, partial, established, closed, reset };

// Which side of --local a flow is on (originator -> responder).
enum class FlowDirection : uint8_t { none, inbound, outbound, internal, external };
const char* flow_direction_name(FlowDirection d);  // nullptr for none

// --local CIDR[,CIDR...]: the networks that count as "ours".
class LocalNets {
 public:
  // Parses "10.0.0.0/8,2001:db8::/32,192.168.1.1" (a bare address is a /32 or /128).
  // False (with `error` set) on a malformed entry.
  bool parse(std::string_view list, std::string& error);
  bool contains(const IpAddress& a) const;
  bool empty() const { return nets_.empty(); }
  FlowDirection classify(const IpAddress& orig, const IpAddress& resp) const;

 private:
  struct Net {
    IpAddress addr;
    uint8_t prefix = 0;
  };
  std::vector<Net> nets_;
};

// Per-direction counters. All byte counts are on-the-wire sizes (from the IP
// lengths), so a snaplen-truncated capture still counts what was sent.
struct FlowSide {
  uint64_t packets = 0;
  uint64_t link_bytes = 0;     // Packet.origlen (frame as captured on the link)
  uint64_t l3_bytes = 0;       // IP total length
  uint64_t l4_bytes = 0;       // IP total length - IP header (incl. IPv6 ext headers)
  uint64_t l7_bytes = 0;       // transport payload, retransmissions included
  // TCP only (sequence-space accounting, RFC 1982 serial arithmetic on 32 bits):
  uint64_t l7_bytes_unique = 0;  // payload bytes new in sequence space (retransmissions not counted)
  uint64_t retransmits = 0;      // segments whose data lay entirely in sequence space already seen
  uint64_t missing_bytes = 0;    // bytes skipped over when seq jumped beyond the highest seen and never filled
  uint8_t tcp_flags = 0;         // OR of all flags sent
  TcpState state = TcpState::inactive;

  // Internal: sequence tracking.
  bool seq_init = false;
  uint32_t seq_max = 0;          // highest seq + len seen (next expected byte)
  static constexpr int kMaxHoles = 4;
  uint8_t n_holes = 0;
  uint32_t holes[kMaxHoles][2] = {};  // [start, end) ranges jumped over, still unfilled
  // Internal: history letters already written, and counts for the repeating ones.
  uint32_t letters = 0;
  uint32_t n_retrans_letter = 0, n_zero_window = 0, n_bad_csum = 0, n_gap = 0;
  uint8_t app_tries = 0;
};

struct Flow {
  FlowKey key;                 // originator -> responder; ICMP: the originator's first type/code
  bool has_vlan = false;
  uint8_t ip_version = 0;
  bool no_ports = false;       // keyed without a transport header (--no-defrag fragments, ...)
  bool fragments_incomplete = false;  // built from fragments of datagrams never rebuilt
  uint64_t serial = 0;         // 1-based creation order in this run
  uint64_t id = 0;             // flow_id(key, first)
  Timestamp first, last;       // earliest and latest packet timestamps
  FlowSide orig, resp;
  App app = App::unknown;
  FlowDirection direction = FlowDirection::none;
  bool closing = false;        // FIN both ways or RST seen: ends after close_grace
  bool rst = false;
  static constexpr int kMaxHistory = 40;
  uint8_t history_len = 0;
  char history[kMaxHistory] = {};

  std::string_view history_view() const { return {history, history_len}; }
  // Zeek conn_state ("S0", "SF", "REJ", ... ; "OTH" for ICMP and other protocols).
  const char* conn_state() const;
  int64_t duration_nsec() const { return last.total_nsec() - first.total_nsec(); }
  uint8_t ts_digits() const { return first.digits > last.digits ? first.digits : last.digits; }

  // Internal bookkeeping for the table.
  FlowKey tkey;                // the table key (canonical, ICMP types paired)
  int64_t touch = 0;           // table clock (ns) when last seen
  uint8_t list = 0;            // which LRU list
  Flow* prev = nullptr;
  Flow* next = nullptr;
  uint64_t interval_no = 0;    // last interval with a packet (1-based; 0 none)
  uint64_t interval_bytes = 0; // link bytes in that interval
};

// Bytes sent by one source address (the interval record's by_src).
// The fragments of one IP datagram that was never rebuilt, as the datagram path
// reports them (reasm/defrag.hpp DroppedDatagram; flow/ sits below reasm/).
struct IncompleteDatagram {
  uint8_t version = 0, proto = 0;
  uint16_t vlan = 0;
  bool tagged = false;
  IpAddress src, dst;
  uint32_t fragments = 0;
  uint64_t frame_bytes = 0;    // link bytes (origlen) of its fragments
  uint64_t ip_bytes = 0;       // their IP total lengths
  uint64_t payload_bytes = 0;  // their IP payloads (after the fragment header)
  Timestamp first, last;
};

struct SourceBytes {
  IpAddress ip;
  uint64_t bytes = 0;
};

// Bytes sent per source address within one interval: an open-addressing table of at
// most `cap` addresses (slots grow by doubling, load <= 1/2), cleared in O(1) by a
// generation counter, so no allocation per packet beyond the table's growth and
// memory bounded by the cap. A new address met when the table is full is not stored:
// add() returns false and the caller counts its bytes as unattributed. The hash is
// seeded per table, so crafted addresses cannot aim at long probe chains.
class SourceVolume {
 public:
  explicit SourceVolume(size_t cap = 65536, uint64_t seed = 0);  // seed 0: a random one
  bool add(const IpAddress& ip, uint64_t bytes);
  void reset();
  size_t size() const { return entries_.size(); }
  size_t cap() const { return cap_; }
  // The (at most n) largest senders, by bytes descending then address ascending
  // (IPv4 before IPv6, then by address bytes); returns how many were written.
  size_t top(SourceBytes* out, size_t n) const;

 private:
  struct Slot {
    uint32_t gen = 0;  // occupied in this interval iff gen == gen_
    uint32_t idx = 0;  // into entries_
  };
  uint64_t hash(const IpAddress& ip) const;
  void grow();
  size_t cap_;
  uint64_t seed_;
  uint32_t gen_ = 1;
  std::vector<Slot> slots_;           // power of two
  std::vector<SourceBytes> entries_;  // this interval's sources, in order of first packet
};

// One --interval summary: everything seen in [start, start + interval).
struct IntervalStats {
  Timestamp start;
  int64_t interval_nsec = 0;
  uint64_t packets = 0;        // IP packets (non-IP frames and deduplicated ones excluded)
  uint64_t link_bytes = 0;
  uint64_t l3_bytes = 0;
  uint64_t flows_started = 0;
  uint64_t flows_active = 0;   // distinct flows with a packet in the interval
  uint64_t flows_ended = 0;    // flows whose final record was emitted in the interval
  uint64_t by_app[size_t(App::count_)] = {};  // link bytes by the flow's app label
  // Link bytes by source address: the kTopSources largest senders (filled when the
  // interval is written), and the rest (smaller senders, plus the bytes of sources
  // beyond FlowTableOptions::interval_max_sources), so that sum + src_other == link_bytes.
  static constexpr size_t kTopSources = 10;
  SourceBytes top_src[kTopSources];
  size_t n_top_src = 0;
  uint64_t src_other = 0;
  uint64_t src_unattributed = 0;  // the part of src_other from sources beyond the cap
};

// Where flows and intervals go. `partial` is true for reason interval (the flow is
// still live; counters are since its start).
class FlowSink {
 public:
  virtual ~FlowSink() = default;
  virtual void flow(const Flow& f, FlowEnd reason, bool partial) = 0;
  virtual void interval(const IntervalStats&) {}
};

struct FlowTableOptions {
  // Defaults follow Zeek (tcp_inactivity_timeout 5 min, udp/icmp 1 min) so flow
  // boundaries line up with conn.log.
  int64_t tcp_timeout = 300'000'000'000;
  int64_t udp_timeout = 60'000'000'000;
  int64_t icmp_timeout = 60'000'000'000;
  int64_t other_timeout = 60'000'000'000;
  int64_t close_grace = 5'000'000'000;    // after FIN both ways or RST
  // Applied while the table holds >= emergency_ratio * max_flows flows.
  int64_t emergency_tcp_timeout = 30'000'000'000;
  int64_t emergency_timeout = 10'000'000'000;  // udp, icmp, other
  int64_t emergency_close_grace = 1'000'000'000;
  double emergency_ratio = 0.9;
  size_t max_flows = 262144;
  int64_t interval = 0;                   // ns; 0: no interval records
  bool interval_partial_flows = true;     // "flow" records with reason interval
  const LocalNets* local = nullptr;       // for Flow::direction; nullptr: none
  int app_packets = 4;                    // payload packets per direction tried by detect_app
  size_t interval_max_sources = 65536;    // source addresses tracked per interval (by_src)
  // An interval without packets still gets its record (zeros), so that a reader
  // tells a quiet link from a stuck sensor (live capture).
  bool empty_intervals = false;
};

struct FlowTableStats {
  uint64_t packets = 0;          // given to add()
  uint64_t non_ip = 0;           // not IPv4/IPv6: no flow
  uint64_t fragments = 0;        // IP fragments counted as packets of their own (no defrag)
  uint64_t incomplete_datagrams = 0;  // given to add_incomplete()
  uint64_t incomplete_fragments = 0;  // their fragments
  uint64_t ts_backwards = 0;     // packets older than the clock
  uint64_t flows_created = 0;
  uint64_t ended[7] = {};        // by FlowEnd (fin, rst, idle, eof, evicted, interval=partial records, interrupted)
  uint64_t emergency_expired = 0;  // idle/close expirations that used emergency timeouts
  uint64_t port_reuse = 0;       // a SYN on a closed flow ended it and started a new one
  uint64_t max_live = 0;         // high-water mark of live flows
  // --interval: packets whose source address was not tracked because the interval
  // already had interval_max_sources sources (their bytes are in by_src_other).
  uint64_t interval_src_unattributed_packets = 0;
};

class FlowTable {
 public:
  FlowTable(const FlowTableOptions& opt, FlowSink& sink);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  void add(const Packet& pkt, const Decoded& d);
  // Accounts the fragments of a datagram never rebuilt (see above). Its fragments
  // count as packets of the flow's side that sent them.
  void add_incomplete(const IncompleteDatagram& g);
  // Advances the clock without a packet (live capture idle ticks): expires flows.
  void advance(const Timestamp& now);
  // End of input: every live flow, in order of first packet, with reason eof (or
  // `why`; fin or rst when it had already closed), then the last interval record.
  void finish(FlowEnd why = FlowEnd::eof);

  size_t live() const { return map_.size(); }
  const FlowTableStats& stats() const { return stats_; }
  bool emergency() const;

 private:
  struct KeyHash {
    size_t operator()(const FlowKey& k) const { return size_t(table_hash(k)); }
  };
  enum List : uint8_t { l_tcp, l_udp, l_icmp, l_other, l_closing, l_count };
  static constexpr uint16_t kIncompleteKeyBit = 0x8000;  // in tkey.vlan of incomplete-datagram flows

  void tick(int64_t now_ns);
  void expire(int64_t now_ns);
  void end_flow(Flow* f, FlowEnd why);
  void evict_one();
  void unlink(Flow* f);
  void push_back(Flow* f, uint8_t list);
  int64_t timeout_of(uint8_t list, bool emerg) const;
  void interval_flush();
  void interval_emit();
  // --interval: the flow's bytes in this interval, and the interval's counts of flows.
  void count_interval(Flow* f, bool created, uint64_t link_bytes);
  void interval_reset();
  void interval_account(Flow* f, const Packet& pkt, const Decoded& d, bool new_flow);

  FlowTableOptions opt_;
  FlowSink& sink_;
  std::unordered_map<FlowKey, Flow, KeyHash> map_;
  Flow* head_[l_count] = {};
  Flow* tail_[l_count] = {};
  int64_t clock_ = INT64_MIN;
  uint64_t serial_ = 0;
  FlowTableStats stats_;
  // --interval state.
  int64_t iv_start_ = INT64_MIN;   // aligned start (ns), INT64_MIN before the first packet
  uint64_t iv_no_ = 0;
  uint8_t iv_digits_ = 6;
  IntervalStats iv_;
  SourceVolume iv_src_;
};

// --dedup: drops a frame whose IP packet repeats one seen within `window`, ignoring
// what a mirror or a router hop changes (link header, IPv4 TTL and header checksum,
// IPv6 hop limit), as the seed's analyser does for port-mirrored duplicates.
// Recent packets live in a fixed table of 64-bit hashes (direct-mapped, 8192 slots):
// a slot collision forgets an entry (a duplicate may then pass), never drops a
// distinct packet short of a 64-bit hash collision. Non-IP frames always pass.
class FrameDedup {
 public:
  explicit FrameDedup(int64_t window_nsec = 50'000'000) : window_(window_nsec) {}
  // True when the frame is a duplicate (and should be dropped).
  bool duplicate(const Packet& pkt, const Decoded& d);
  uint64_t dropped() const { return dropped_; }
  static uint64_t l3_hash(const Decoded& d);  // exposed for tests

 private:
  static constexpr size_t kSlots = 8192;
  struct Slot {
    uint64_t hash = 0;
    int64_t ts = 0;
  };
  int64_t window_;
  uint64_t dropped_ = 0;
  std::unique_ptr<Slot[]> slots_ = std::make_unique<Slot[]>(kSlots);
};

}  // namespace nl
