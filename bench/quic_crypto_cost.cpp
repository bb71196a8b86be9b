// What the OpenSSL work of one QUIC hello costs through libcore's own calls, apart
// from everything else tlssni does: bench/quic.sh builds it against build/libcore.a
// and multiplies each cost by how often a run makes the call (its --stats). Every
// connection takes a fresh DCID (fresh keys), as on the benchmark corpus.
//
//   quic_crypto_cost [ROUNDS]   prints "secret_us keys_us decrypt_client_us decrypt_server_us"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "libcore/proto/quic.hpp"
#include "tests/common/quic_seal.hpp"

using namespace nl;
using Clock = std::chrono::steady_clock;

namespace {

double us_per(Clock::time_point t0, int n) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
}

// The DCID of connection i: 8 bytes, unlike every other's.
std::vector<uint8_t> dcid_of(int i) {
  std::vector<uint8_t> d(8, 0x5a);
  for (int b = 0; b < 4; ++b) d[b] = uint8_t(i >> (8 * b));
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  if (n <= 0) return 2;
  // Packets as large as the corpus's: a client Initial padded to 1200 bytes, a
  // server Initial of about 150 bytes, each sealed for its own connection.
  std::vector<uint8_t> client_frames(1150, 0), server_frames(100, 0);
  client_frames[0] = server_frames[0] = 0x01;  // PING, then PADDING
  std::vector<std::vector<uint8_t>> client(n), server(n), dcids(n);
  for (int i = 0; i < n; ++i) {
    dcids[i] = dcid_of(i);
    if (!test::seal_quic_initial(quic_version::v1, false, dcids[i], dcids[i], {}, 0, client_frames, client[i]) ||
        !test::seal_quic_initial(quic_version::v1, true, dcids[i], {}, dcids[i], 0, server_frames, server[i]))
      return 1;
  }
  std::vector<uint8_t> secret(32 * size_t(n));
  std::vector<QuicKeys> ck(n), sk(n);
  bool ok = true;
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) ok &= quic_initial_secret(quic_version::v1, dcids[i], &secret[32 * size_t(i)]);
  double secret_us = us_per(t0, n);
  t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    ok &= quic_keys_from_secret(quic_version::v1, &secret[32 * size_t(i)], false, ck[i]);
    ok &= quic_keys_from_secret(quic_version::v1, &secret[32 * size_t(i)], true, sk[i]);
  }
  double keys_us = us_per(t0, 2 * n);
  std::vector<uint8_t> plain;
  uint64_t pn;
  auto decrypt_all = [&](std::vector<std::vector<uint8_t>>& pkts, std::vector<QuicKeys>& keys) {
    auto t = Clock::now();
    for (int i = 0; i < n; ++i) {
      QuicLongHeader h;
      ok &= parse_quic_long_header(pkts[i], h) == QuicHeaderStatus::ok &&
            quic_decrypt_packet(keys[i], h, pkts[i].data(), plain, pn);
    }
    return us_per(t, n);
  };
  double client_us = decrypt_all(client, ck);
  double server_us = decrypt_all(server, sk);
  if (!ok) {
    std::fprintf(stderr, "quic_crypto_cost: a derivation or a decryption failed\n");
    return 1;
  }
  std::printf("%.3f %.3f %.3f %.3f\n", secret_us, keys_us, client_us, server_us);
  return 0;
}
