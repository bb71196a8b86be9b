// Capture reader (classic pcap and pcapng), both paths: a regular file (mmap) and a
// stream (the bytes handed over as an already-read prefix, the pipe path). The two
// must agree packet for packet, and resynchronise after a corrupt record at the same
// places; every packet is decoded.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "libcore/capture/reader.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace nl;

namespace {
struct Rec {
  ReadStatus st;
  Packet p;
  std::vector<uint8_t> bytes;
};

std::vector<Rec> read_all(OpenResult r, std::string& err) {
  std::vector<Rec> out;
  if (r.status != OpenStatus::ok) {
    err = r.message;
    return out;
  }
  Packet p;
  uint64_t skipped = 0;
  for (int i = 0; i < 100000; ++i) {
    ReadStatus st = r.source->next(p);
    if (st == ReadStatus::skipped) {
      // Resynchronised: some bytes were skipped, never none, and reading goes on.
      FUZZ_CHECK(r.source->skipped_bytes() > skipped);
      skipped = r.source->skipped_bytes();
      FUZZ_CHECK(r.source->error().find("resynchronised after skipping") != std::string::npos);
      out.push_back({st, {}, std::vector<uint8_t>(r.source->error().begin(), r.source->error().end())});
      continue;
    }
    if (st != ReadStatus::ok) {
      if (st == ReadStatus::error) err = r.source->error();
      out.push_back({st, {}, {}});
      break;
    }
    FUZZ_CHECK(p.data.size() == p.caplen);
    Decoded d;
    decode_packet(p, d);
    out.push_back({st, p, std::vector<uint8_t>(p.data.begin(), p.data.end())});
  }
  FUZZ_CHECK(r.source->bytes_read() >= skipped);
  (void)r.source->linktypes();
  (void)r.source->snaplen();
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // mmap path through a memfd.
  int mfd = memfd_create("fuzz", MFD_CLOEXEC);
  if (mfd < 0) return 0;
  if (size && ::write(mfd, data, size) != ssize_t(size)) {
    ::close(mfd);
    return 0;
  }
  std::string path = "/proc/self/fd/" + std::to_string(mfd);
  std::string err_file, err_stream;
  std::vector<Rec> a = read_all(open_capture(path), err_file);
  ::close(mfd);

  // stream path: all bytes as the sniffed prefix, then an fd at end of input.
  int nfd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (nfd < 0) return 0;
  std::vector<Rec> b = read_all(
      open_capture_fd(nfd, std::string(reinterpret_cast<const char*>(data), size)), err_stream);

  // Both paths see the same packets and end the same way.
  if (size > 0) {
    FUZZ_CHECK(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      FUZZ_CHECK(a[i].st == b[i].st);
      FUZZ_CHECK(a[i].bytes == b[i].bytes);
      FUZZ_CHECK(a[i].p.linktype == b[i].p.linktype);
      FUZZ_CHECK(a[i].p.origlen == b[i].p.origlen);
      FUZZ_CHECK(a[i].p.ts == b[i].p.ts);
      FUZZ_CHECK(a[i].p.n_record_anomalies == b[i].p.n_record_anomalies);
    }
  }
  return 0;
}
