// DNS over the datagram path and over reassembled TCP, into one transaction table.
//
// DnsSink is both a DatagramSink (UDP: one message per datagram, after IP
// defragmentation) and a SessionSink (TCP: messages framed by their 2-byte length,
// RFC 1035 4.2.2, several in a segment or one over several; a stream picked up
// mid-way or after a gap is searched for the next message that parses). DNS is
// found by content: on ports 53, 5353 (mDNS) and 5355 (LLMNR) every message with a
// header is taken; on other ports only one whose header and first question parse
// cleanly (dns_plausible strict) and that parses without structural anomalies.
//
// Pairing: a query waits in its flow (the UDP 5-tuple or the TCP session) until a
// response with the same id and question (or the same id, when the response has
// no question) arrives; then one transaction is emitted. A query repeated while it
// waits is a retransmission (counted, not a new transaction). A response no query
// waits for is emitted alone: at once with `duplicate_response` when it answers a
// query answered within the timeout; otherwise it waits as a query does, for a
// query that comes after it (`response_before_query`), and is emitted `unsolicited`
// when none has come by the timeout. A query still unanswered after
// `timeout_nsec` of capture time, at the end of its TCP session or at the end of
// input is emitted alone. Pending queries are capped per flow and in total (the
// oldest goes first, emitted with `evicted`); UDP flows are capped and forgotten
// after `flow_idle_nsec` without a message (as flowstat forgets a UDP flow, so the
// flow_id, made from the flow's first packet, is the same).
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "libcore/flow/key.hpp"
#include "libcore/proto/dns.hpp"
#include "libcore/reasm/datagrams.hpp"
#include "libcore/reasm/session.hpp"

namespace nl {

enum class DnsStatus : uint8_t { answered, unanswered, unsolicited, duplicate, malformed };
const char* dns_status_name(DnsStatus s);

struct DnsTransaction {
  bool tcp = false;
  DnsStatus status = DnsStatus::answered;
  bool has_query = false, has_response = false;
  DnsMessage query, response;
  Timestamp query_ts, response_ts;
  uint32_t query_packets = 0;   // the query and its retransmissions
  DnsAnomalies anomalies;       // of the transaction (unsolicited, evicted, tcp_*)
  // Every anomaly: the transaction's and both messages'.
  DnsAnomalies all() const {
    DnsAnomalies a = anomalies;
    if (has_query) a.merge(query.anomalies);
    if (has_response) a.merge(response.anomalies);
    return a;
  }
  const Timestamp& ts() const { return has_query ? query_ts : response_ts; }
};

struct DnsOptions {
  int64_t timeout_nsec = 5'000'000'000;        // an unanswered query is emitted after this
  int64_t flow_idle_nsec = 60'000'000'000;     // a UDP flow is forgotten after this (flowstat's udp timeout)
  size_t max_pending_per_flow = 256;
  size_t max_pending = 20'000;
  size_t max_flows = 32768;                    // UDP flows kept for their flow_id (least recently seen out first)
};

struct DnsStats {
  uint64_t udp_datagrams = 0;        // UDP datagrams seen
  uint64_t udp_messages = 0;         // of which taken as DNS messages
  uint64_t tcp_sessions = 0;         // TCP sessions seen
  uint64_t tcp_dns_sessions = 0;     // of which carrying DNS
  uint64_t tcp_messages = 0;
  uint64_t queries = 0, responses = 0;
  uint64_t transactions = 0;         // records emitted
  uint64_t answered = 0, unanswered = 0, unsolicited = 0, duplicate = 0, malformed = 0;
  uint64_t retransmitted_queries = 0;
  uint64_t evicted_flow_cap = 0;     // pending queries emitted early: per-flow cap
  uint64_t evicted_total_cap = 0;    // pending queries emitted early: total cap
  uint64_t flows_evicted = 0;        // flows forgotten early: flow cap
  uint64_t pending_peak = 0;
  uint64_t with_anomalies = 0;       // transactions with an anomaly
  uint64_t tcp_resyncs = 0;          // bytes skipped to find a message (mid-stream, gaps)

  std::vector<std::pair<const char*, uint64_t>> named() const;
};

class DnsSink : public SessionSink, public DatagramSink {
 public:
  // ids: the record's "flow_id", "community_id" and EVE 5-tuple members (JSON text).
  using Emit = std::function<void(const std::string& ids, const DnsTransaction&)>;
  explicit DnsSink(Emit emit, const DnsOptions& opt = {});
  ~DnsSink() override;

  // DatagramSink
  void on_datagram(const Packet& p, const Decoded& d) override;
  void finish(EndReason why) override;
  // SessionSink
  void session_start(const SessionView& s) override;
  void monologue(const SessionView& s, const MonologuePiece& p) override;
  void session_end(const SessionView& s, const SessionEnd& e) override;

  const DnsStats& stats() const { return stats_; }
  size_t pending() const { return pending_; }

 private:
  struct Pending {
    uint64_t seq = 0;
    DnsTransaction tx;
  };
  struct Answered {
    uint16_t id = 0;
    uint64_t question = 0;
    int64_t until = 0;
  };
  struct Flow {
    uint64_t no = 0;
    bool tcp = false;
    std::string ids;
    Timestamp first;
    int64_t last = 0;
    std::vector<Pending> pending;
    std::vector<Answered> answered;
    FlowKey canon;   // UDP: the table key
    IpAddress client_src;
    uint16_t client_port = 0;
  };
  struct TcpDir {
    std::vector<uint8_t> buf;
    size_t start = 0;        // first unread byte of buf
    bool started = false;
    bool resync = false;     // searching for a message
    size_t skipped = 0;      // bytes skipped while searching
    DnsAnomalies carry;      // for the next message (tcp_gap, tcp_resync)
    Timestamp ts;            // first_ts of the piece the next message started in
    bool have_ts = false;
  };
  struct TcpState {
    bool decided = false;
    bool dns = false;
    uint64_t flow = 0;       // 0 until the first message
    TcpDir dir[2];
  };
  struct Deadline {
    int64_t at;
    uint64_t flow, seq;
  };
  struct KeyHash {
    size_t operator()(const FlowKey& k) const { return size_t(table_hash(k)); }
  };

  void message(Flow& f, DnsMessage& m, const Timestamp& ts, bool from_client, DnsAnomalies extra);
  void emit(Flow& f, DnsTransaction& tx);
  void hold(Flow& f, DnsTransaction&& tx, int64_t t);  // a query (or lone response) waits
  void emit_pending(Flow& f, size_t i, DnsAnomalies extra);  // removes it
  DnsTransaction take_pending(Flow& f, size_t i);  // removes it
  // A query and its response, paired: written, and remembered against duplicates.
  void emit_answered(Flow& f, DnsTransaction& tx, uint64_t question, int64_t t);
  void advance(int64_t now);
  void evict_oldest_pending();
  void close_flow(uint64_t no);
  Flow* flow(uint64_t no);
  void tcp_feed(const SessionView& s, TcpState& st, Dir dir, const MonologuePiece& p);
  void tcp_extract(const SessionView& s, TcpState& st, Dir dir, bool at_end);
  bool tcp_take(const SessionView& s, TcpState& st, Dir dir, Bytes msg, size_t wire_len, DnsAnomalies extra);
  Flow& tcp_flow(const SessionView& s, TcpState& st);

  Emit emit_;
  DnsOptions opt_;
  DnsStats stats_;
  uint64_t next_flow_ = 1, next_seq_ = 1;
  int64_t now_ = INT64_MIN;
  size_t pending_ = 0;
  std::unordered_map<uint64_t, Flow> flows_;
  std::unordered_map<FlowKey, uint64_t, KeyHash> udp_;
  std::unordered_map<uint64_t, std::unique_ptr<TcpState>> tcp_;  // by session_no
  std::deque<Deadline> deadlines_;                               // pending queries, in arrival order
  std::deque<std::pair<int64_t, uint64_t>> idle_;                // UDP flows by last message
  DnsMessage scratch_;
};

}  // namespace nl
