// Helpers shared by the flow-table unit tests (test_flow.cpp, test_flow_interval.cpp).
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "libcore/decode/packet.hpp"

namespace nl::flow_test {

constexpr int64_t kSec = 1'000'000'000;

// An address from its text; the test fails at once if the text does not parse.
inline IpAddress ip(const std::string& s) {
  IpAddress a;
  REQUIRE(parse_ip(s, a));
  return a;
}

// A packet `ns` nanoseconds after 1700000000 s, with microsecond timestamp digits
// and no bytes: the flow table reads only the time and the original length.
inline Packet pkt_at(int64_t ns, uint32_t origlen) {
  Packet p;
  p.ts.sec = 1700000000 + ns / kSec;
  p.ts.nsec = uint32_t(ns % kSec);
  p.ts.digits = 6;
  p.origlen = p.caplen = origlen;
  return p;
}

}  // namespace nl::flow_test
