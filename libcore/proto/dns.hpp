// DNS messages (RFC 1035 4.1, EDNS RFC 6891): a pure function from one message's
// bytes to its header, questions and resource records, with the anomalies met on
// the way. Names are decompressed against the message with a bounded pointer chain
// (kMaxPointers jumps; names of at most 255 bytes); a record's rdata stays in the
// message bytes, which the message keeps, and is rendered by type when written
// (dns_record.cpp). Whatever was read before a problem is kept.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libcore/bytes.hpp"

namespace nl {

// Stable snake_case names (scripts match on them: never rename one, add at the end),
// one bit each in this order.
#define NETLINES_DNS_ANOMALIES(X)                                               \
  /* fewer than the 12 header bytes */                                         \
  X(truncated_header)                                                          \
  /* the message ends inside a question */                                     \
  X(truncated_question)                                                        \
  /* the message ends inside a record's fixed fields or name */                \
  X(truncated_record)                                                          \
  /* the header counts promise more records than the message holds */          \
  X(count_exceeds_message)                                                     \
  /* rdlength runs past the end of the message */                             \
  X(rdlength_overflow)                                                         \
  /* a compression pointer chain longer than kMaxPointers (a loop) */         \
  X(name_pointer_loop)                                                         \
  /* a compression pointer to itself or further on in the message */          \
  X(name_pointer_forward)                                                      \
  /* a compression pointer past the end of the message */                      \
  X(name_pointer_out_of_bounds)                                                \
  /* a name longer than 255 bytes in wire form: cut there */                   \
  X(name_too_long)                                                             \
  /* a label length byte 0x40-0xbf (over 63: reserved label types) */          \
  X(label_too_long)                                                            \
  /* rdata that does not have its type's shape (an A record of 5 bytes...) */ \
  X(bad_rdata)                                                                 \
  /* bytes after the last record the counts announce */                        \
  X(trailing_bytes)                                                            \
  /* the TC bit: the server cut the message (the client retries over TCP) */   \
  X(tc_set)                                                                    \
  /* the capture kept fewer bytes than the datagram carried (snaplen) */       \
  X(snaplen_truncated)                                                         \
  /* more than one OPT record, or an OPT outside the additional section */     \
  X(bad_opt)                                                                   \
  /* an EDNS option whose length runs past the OPT rdata */                    \
  X(bad_edns_option)                                                           \
  /* client subnet option with a bad family, prefix or address length */       \
  X(bad_client_subnet)                                                         \
  /* SVCB/HTTPS parameters that run past the rdata or a bad port/ALPN value */ \
  X(bad_svcb_param)                                                            \
  /* a response no pending query of the flow asked for */                      \
  X(unsolicited)                                                               \
  /* a second response to a query already answered */                          \
  X(duplicate_response)                                                        \
  /* pending query given up before its timeout (per-flow or total cap) */      \
  X(evicted)                                                                   \
  /* TCP: bytes missing in the stream (framing picked up again after it) */   \
  X(tcp_gap)                                                                   \
  /* TCP: the stream picked up mid-way, bytes skipped to find a message */     \
  X(tcp_resync)                                                                \
  /* TCP: the session ended inside a message */                                \
  X(tcp_truncated)                                                             \
  /* the response was captured before its query (paired all the same) */       \
  X(response_before_query)

enum class DnsAnomaly : uint8_t {
#define NETLINES_DNS_ANOMALY(name) name,
  NETLINES_DNS_ANOMALIES(NETLINES_DNS_ANOMALY)
#undef NETLINES_DNS_ANOMALY
      count_
};
const char* dns_anomaly_name(DnsAnomaly a);

struct DnsAnomalies {
  uint32_t bits = 0;
  void set(DnsAnomaly a) { bits |= 1u << unsigned(a); }
  bool has(DnsAnomaly a) const { return bits >> unsigned(a) & 1u; }
  bool any() const { return bits != 0; }
  void merge(DnsAnomalies o) { bits |= o.bits; }
};
static_assert(unsigned(DnsAnomaly::count_) <= 32);

namespace dnstype {
constexpr uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, HINFO = 13, MX = 15, TXT = 16, AAAA = 28,
                   SRV = 33, NAPTR = 35, DNAME = 39, OPT = 41, DS = 43, SSHFP = 44, RRSIG = 46, NSEC = 47,
                   DNSKEY = 48, NSEC3 = 50, NSEC3PARAM = 51, SVCB = 64, HTTPS = 65, CAA = 257;
}

struct DnsHeader {
  uint16_t id = 0, flags = 0;
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  bool qr() const { return flags & 0x8000; }
  uint8_t opcode() const { return uint8_t(flags >> 11 & 15); }
  bool aa() const { return flags & 0x0400; }
  bool tc() const { return flags & 0x0200; }
  bool rd() const { return flags & 0x0100; }
  bool ra() const { return flags & 0x0080; }
  bool z() const { return flags & 0x0040; }
  bool ad() const { return flags & 0x0020; }
  bool cd() const { return flags & 0x0010; }
  uint8_t rcode() const { return uint8_t(flags & 15); }
};

struct DnsQuestion {
  std::string name;       // presentation form, no final dot ("." for the root)
  uint16_t type = 0, cls = 0;
};

enum class DnsSection : uint8_t { answer, authority, additional };

struct DnsRr {
  std::string name;
  uint16_t type = 0, cls = 0;
  uint32_t ttl = 0;
  uint16_t rdlength = 0;
  uint32_t rdata = 0;     // offset of the rdata in DnsMessage::raw
  DnsSection section = DnsSection::answer;
};

struct DnsMessage {
  std::vector<uint8_t> raw;      // the message as captured (rdata and names are read from it)
  bool has_header = false;
  DnsHeader h;
  std::vector<DnsQuestion> questions;
  std::vector<DnsRr> rrs;        // answers, then authorities, then additionals
  DnsAnomalies anomalies;
  // EDNS, from the first OPT record.
  bool has_opt = false;
  uint16_t udp_size = 0;
  uint8_t ext_rcode = 0, edns_version = 0;
  bool do_bit = false;

  // RCODE with the OPT record's upper 8 bits (RFC 6891 6.1.3).
  uint16_t rcode() const { return uint16_t(has_opt ? (ext_rcode << 4) | h.rcode() : h.rcode()); }
  void clear();
};

constexpr unsigned kDnsMaxPointers = 16;   // compression jumps followed in one name
constexpr size_t kDnsMaxName = 255;        // wire-form bytes (RFC 1035 2.3.4)

// Parses msg into out (cleared first, the bytes copied into out.raw). False when not
// even the header is there. `wire_len`: the length the message had on the wire, when
// more than was captured (sets snaplen_truncated).
bool parse_dns(Bytes msg, DnsMessage& out, size_t wire_len = 0);

// A cheap test of a header and the first question, for telling DNS from other bytes
// on a port that is not DNS's: a valid opcode, counts the length can hold, and
// (with `strict`) a question that parses whole, or none in a response.
bool dns_plausible(Bytes msg, bool strict);

// Reads the name at `off` (following compression pointers) and appends its
// presentation form to `out` (bytes outside printable ASCII, '.' and '\' inside a
// label written as \DDD, RFC 4343). Returns the offset just after the name where it
// sits (after its first pointer, if any), or 0 when the message ends inside it.
// Problems go to `an`; what was read is kept.
size_t read_dns_name(Bytes msg, size_t off, std::string& out, DnsAnomalies& an);

// Names: the IANA registries' mnemonics, or nullptr for values they do not name.
const char* dns_type_name(uint16_t type);
const char* dns_class_name(uint16_t cls);    // mDNS's top bit (unicast / cache flush) ignored
const char* dns_rcode_name(uint16_t rcode);
const char* dns_opcode_name(uint8_t opcode);
const char* dns_edns_option_name(uint16_t code);
const char* dns_svcb_key_name(uint16_t key);

}  // namespace nl
