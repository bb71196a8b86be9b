// Regression tests for what the fuzzers and the malformed-capture corpus found
// (tests/fuzz, tests/data/malformed, tests/cli/robustness.bats). Under the sanitizer
// build (scripts/test.sh, pass 3) these would report the original undefined behaviour.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "libcore/capture/reader.hpp"
#include "libcore/time.hpp"

using namespace nl;

TEST_CASE("robustness: total_nsec of an absurd capture time saturates instead of overflowing") {
  // pcapng_tsresol_odd.pcapng: a 64-bit timestamp with if_tsresol 2^-63 gave sec ~ 9.2e12,
  // and sec * 1e9 overflowed in the TCP engine and the flow table (signed overflow).
  Timestamp t;
  t.sec = 9223372036854;
  t.nsec = 775807;
  const int64_t cap = Timestamp::kMaxNsecSec * 1000000000LL;
  CHECK(t.total_nsec() == cap);
  t.sec = INT64_MAX;
  CHECK(t.total_nsec() == cap);
  t.sec = INT64_MIN;
  CHECK(t.total_nsec() == -cap);
  // Room left for "now + timeout" on top of the saturated value.
  CHECK(t.total_nsec() - 86400LL * 1000000000LL < 0);
  CHECK(cap + 86400LL * 1000000000LL > cap);
  // Ordinary times are unchanged.
  t.sec = 1700000000;
  t.nsec = 123456789;
  CHECK(t.total_nsec() == 1700000000123456789LL);
  t.sec = -1;
  t.nsec = 5;
  CHECK(t.total_nsec() == -999999995LL);
}

TEST_CASE("robustness: every malformed capture of tests/data/malformed reads to its end or an error") {
  const char* files[] = {"pcapng_tsresol_odd.pcapng", "pcap_nsec_ts_max.pcap", "pcap_usec_over_million.pcap",
                         "pcapng_block_length_huge.pcapng", "pcap_caplen_4g.pcap"};
  for (const char* f : files) {
    CAPTURE(f);
    OpenResult r = open_capture(std::string(NETLINES_TEST_DATA) + "/malformed/" + f);
    REQUIRE(r.status == OpenStatus::ok);
    Packet p;
    int n = 0;
    ReadStatus st;
    while ((st = r.source->next(p)) == ReadStatus::ok) {
      ++n;
      CHECK(p.ts.nsec < 1000000000u);
      (void)p.ts.total_nsec();
    }
    CHECK(n >= 1);
    if (st == ReadStatus::error) CHECK(!r.source->error().empty());
  }
}
