// The progress line's text: human sizes, rates, durations, the whole line.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "libcore/cli/progress.hpp"

using namespace nl::cli;

TEST_CASE("format_bytes: decimal units, three significant digits") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(999) == "999 B");
  CHECK(format_bytes(1000) == "1.00 kB");
  CHECK(format_bytes(1234) == "1.23 kB");
  CHECK(format_bytes(12345) == "12.3 kB");
  CHECK(format_bytes(123456) == "123 kB");
  CHECK(format_bytes(999499) == "999 kB");
  CHECK(format_bytes(999500) == "1.00 MB");  // rounds into the next unit, not "1000 kB"
  CHECK(format_bytes(9995000) == "10.0 MB");  // and 9.995 into the next precision
  CHECK(format_bytes(1200000000ULL) == "1.20 GB");
  CHECK(format_bytes(5000000000000ULL) == "5.00 TB");
  CHECK(format_bytes(UINT64_MAX) == "18.4 EB");
}

TEST_CASE("format_rate: per second; unknown shown as dashes") {
  CHECK(format_rate(0) == "0 B/s");
  CHECK(format_rate(85.3e6) == "85.3 MB/s");
  CHECK(format_rate(1.5e9) == "1.50 GB/s");
  CHECK(format_rate(-1) == "-- B/s");
  CHECK(format_rate(std::numeric_limits<double>::quiet_NaN()) == "-- B/s");
  CHECK(format_rate(std::numeric_limits<double>::infinity()) == "-- B/s");
  CHECK(format_rate(1e30) == "18.4 EB/s");
}

TEST_CASE("format_duration: M:SS, then H:MM:SS, capped") {
  CHECK(format_duration(0) == "0:00");
  CHECK(format_duration(5) == "0:05");
  CHECK(format_duration(59.4) == "0:59");
  CHECK(format_duration(59.6) == "1:00");
  CHECK(format_duration(754) == "12:34");
  CHECK(format_duration(3599) == "59:59");
  CHECK(format_duration(3600) == "1:00:00");
  CHECK(format_duration(3723) == "1:02:03");
  CHECK(format_duration(99 * 3600 + 59 * 60 + 59) == "99:59:59");
  CHECK(format_duration(100 * 3600) == ">99:59:59");
  CHECK(format_duration(-1) == "--:--");
  CHECK(format_duration(std::numeric_limits<double>::quiet_NaN()) == "--:--");
  CHECK(format_duration(std::numeric_limits<double>::infinity()) == "--:--");
}

TEST_CASE("format_progress: total known gives percentage and time left") {
  ProgressState s;
  s.name = "big.pcap";
  s.bytes = 100'000'000;
  s.total = 1'000'000'000;
  s.packets = 123456;
  s.elapsed = 2;  // 50 MB/s: 900 MB left take 18 s
  CHECK(format_progress(s) == "big.pcap: 100 MB / 1.00 GB (10%), 123456 packets, 50.0 MB/s, 0:18 left");
  s.final = true;
  CHECK(format_progress(s) == "big.pcap: 100 MB / 1.00 GB (10%), 123456 packets, 50.0 MB/s, 0:02 elapsed");
}

TEST_CASE("format_progress: unknown total, records, several inputs") {
  ProgressState s;
  s.name = "-";
  s.bytes = 5000;
  s.records = 1;
  s.elapsed = 1;
  CHECK(format_progress(s) == "-: 5.00 kB, 1 record, 5.00 kB/s");
  s.packets = 1;
  CHECK(format_progress(s) == "-: 5.00 kB, 1 packet, 1 record, 5.00 kB/s");
  // The rate is over every input's bytes when given.
  s = {};
  s.name = "b.pcap";
  s.input_index = 1;
  s.input_count = 3;
  s.bytes = 1000;
  s.all_bytes = 3000;
  s.elapsed = 1;
  CHECK(format_progress(s) == "b.pcap (2/3): 1.00 kB, 0 packets, 3.00 kB/s");
}

TEST_CASE("format_progress: edges (no time yet, past the total, done)") {
  ProgressState s;
  s.name = "a";
  s.total = 1000;
  s.elapsed = 0;  // the line drawn as an input starts
  CHECK(format_progress(s) == "a: 0 B / 1.00 kB (0%), 0 packets, -- B/s, --:-- left");
  s.bytes = 1500;  // the file grew while read
  s.elapsed = 1;
  CHECK(format_progress(s) == "a: 1.50 kB / 1.00 kB (100%), 0 packets, 1.50 kB/s, 0:00 left");
  s.bytes = 999;
  CHECK(format_progress(s) == "a: 999 B / 1.00 kB (99%), 0 packets, 999 B/s, 0:00 left");
}

TEST_CASE("Progress: off, and live capture, are inactive") {
  Progress off(ProgressMode::off, {}, false);
  CHECK_FALSE(off.active());
  Progress live(ProgressMode::on, {}, true);
  CHECK_FALSE(live.active());
}

// --stats text shared by the binaries (libcore/cli/summary.hpp).
#include "libcore/cli/summary.hpp"

TEST_CASE("Summary: '  name: value' lines after 'summary:', in the order added") {
  std::string out;
  append_counter(out, "packets", 3);
  append_counter(out, "tcp.", "gaps", 0);
  CHECK(out == "  packets: 3\n  tcp.gaps: 0\n");
  Summary s;
  s.text() += "  from_describe: 1\n";
  s.add("flows", UINT64_MAX).add_all("defrag.", {{"completed", 2}, {"timed_out", 0}});
  CHECK(s.text() ==
        "summary:\n  from_describe: 1\n  flows: 18446744073709551615\n  defrag.completed: 2\n  defrag.timed_out: 0\n");
}
