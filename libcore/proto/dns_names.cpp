// Names for DNS code points, from the IANA "Domain Name System (DNS) Parameters"
// registry (resource record types, classes, RCODEs, opcodes, EDNS option codes) and
// the "Service Parameter Keys (SvcParamKeys)" registry. A value they do not name has
// no name (null in the records; the number is always written beside it).
#include "libcore/proto/dns.hpp"

#include <algorithm>
#include <iterator>

namespace nl {

namespace {

struct DnsName {
  uint16_t value;
  const char* name;
};

constexpr DnsName kTypes[] = {
    {1, "A"},          {2, "NS"},          {3, "MD"},         {4, "MF"},          {5, "CNAME"},
    {6, "SOA"},        {7, "MB"},          {8, "MG"},         {9, "MR"},          {10, "NULL"},
    {11, "WKS"},       {12, "PTR"},        {13, "HINFO"},     {14, "MINFO"},      {15, "MX"},
    {16, "TXT"},       {17, "RP"},         {18, "AFSDB"},     {19, "X25"},        {20, "ISDN"},
    {21, "RT"},        {22, "NSAP"},       {23, "NSAP-PTR"},  {24, "SIG"},        {25, "KEY"},
    {26, "PX"},        {27, "GPOS"},       {28, "AAAA"},      {29, "LOC"},        {30, "NXT"},
    {31, "EID"},       {32, "NIMLOC"},     {33, "SRV"},       {34, "ATMA"},       {35, "NAPTR"},
    {36, "KX"},        {37, "CERT"},       {38, "A6"},        {39, "DNAME"},      {40, "SINK"},
    {41, "OPT"},       {42, "APL"},        {43, "DS"},        {44, "SSHFP"},      {45, "IPSECKEY"},
    {46, "RRSIG"},     {47, "NSEC"},       {48, "DNSKEY"},    {49, "DHCID"},      {50, "NSEC3"},
    {51, "NSEC3PARAM"}, {52, "TLSA"},      {53, "SMIMEA"},    {55, "HIP"},        {56, "NINFO"},
    {57, "RKEY"},      {58, "TALINK"},     {59, "CDS"},       {60, "CDNSKEY"},    {61, "OPENPGPKEY"},
    {62, "CSYNC"},     {63, "ZONEMD"},     {64, "SVCB"},      {65, "HTTPS"},      {66, "DSYNC"},
    {99, "SPF"},       {100, "UINFO"},     {101, "UID"},      {102, "GID"},       {103, "UNSPEC"},
    {104, "NID"},      {105, "L32"},       {106, "L64"},      {107, "LP"},        {108, "EUI48"},
    {109, "EUI64"},    {128, "NXNAME"},    {249, "TKEY"},     {250, "TSIG"},      {251, "IXFR"},
    {252, "AXFR"},     {253, "MAILB"},     {254, "MAILA"},    {255, "ANY"},       {256, "URI"},
    {257, "CAA"},      {258, "AVC"},       {259, "DOA"},      {260, "AMTRELAY"},  {261, "RESINFO"},
    {262, "WALLET"},   {263, "CLA"},       {264, "IPN"},      {32768, "TA"},      {32769, "DLV"},
};

constexpr DnsName kClasses[] = {{1, "IN"}, {3, "CH"}, {4, "HS"}, {254, "NONE"}, {255, "ANY"}};

constexpr DnsName kRcodes[] = {
    {0, "NOERROR"},   {1, "FORMERR"},   {2, "SERVFAIL"},   {3, "NXDOMAIN"}, {4, "NOTIMP"},
    {5, "REFUSED"},   {6, "YXDOMAIN"},  {7, "YXRRSET"},    {8, "NXRRSET"},  {9, "NOTAUTH"},
    {10, "NOTZONE"},  {11, "DSOTYPENI"}, {16, "BADVERS"},  {17, "BADKEY"},  {18, "BADTIME"},
    {19, "BADMODE"},  {20, "BADNAME"},  {21, "BADALG"},    {22, "BADTRUNC"}, {23, "BADCOOKIE"},
};

constexpr DnsName kOpcodes[] = {{0, "QUERY"}, {1, "IQUERY"}, {2, "STATUS"}, {4, "NOTIFY"}, {5, "UPDATE"},
                                {6, "DSO"}};

constexpr DnsName kEdnsOptions[] = {
    {1, "LLQ"},      {2, "UPDATE-LEASE"}, {3, "NSID"},     {5, "DAU"},          {6, "DHU"},
    {7, "N3U"},      {8, "CLIENT-SUBNET"}, {9, "EXPIRE"},  {10, "COOKIE"},      {11, "TCP-KEEPALIVE"},
    {12, "PADDING"}, {13, "CHAIN"},       {14, "KEY-TAG"}, {15, "EXTENDED-ERROR"}, {16, "CLIENT-TAG"},
    {17, "SERVER-TAG"}, {18, "REPORT-CHANNEL"}, {19, "ZONEVERSION"},
};

constexpr DnsName kSvcbKeys[] = {{0, "mandatory"}, {1, "alpn"},     {2, "no-default-alpn"}, {3, "port"},
                                 {4, "ipv4hint"},  {5, "ech"},      {6, "ipv6hint"},        {7, "dohpath"},
                                 {8, "ohttp"},     {9, "tls-supported-groups"}};

template <size_t N>
constexpr bool ascending(const DnsName (&t)[N]) {
  for (size_t i = 1; i < N; ++i)
    if (t[i - 1].value >= t[i].value) return false;
  return true;
}
static_assert(ascending(kTypes) && ascending(kClasses) && ascending(kRcodes) && ascending(kOpcodes) &&
              ascending(kEdnsOptions) && ascending(kSvcbKeys));

template <size_t N>
const char* lookup(const DnsName (&t)[N], uint16_t v) {
  auto it = std::lower_bound(std::begin(t), std::end(t), v, [](const DnsName& e, uint16_t x) { return e.value < x; });
  return it != std::end(t) && it->value == v ? it->name : nullptr;
}

}  // namespace

const char* dns_type_name(uint16_t type) { return lookup(kTypes, type); }
const char* dns_class_name(uint16_t cls) { return lookup(kClasses, uint16_t(cls & 0x7fff)); }
const char* dns_rcode_name(uint16_t rcode) { return lookup(kRcodes, rcode); }
const char* dns_opcode_name(uint8_t opcode) { return lookup(kOpcodes, opcode); }
const char* dns_edns_option_name(uint16_t code) { return lookup(kEdnsOptions, code); }
const char* dns_svcb_key_name(uint16_t key) { return lookup(kSvcbKeys, key); }

}  // namespace nl
