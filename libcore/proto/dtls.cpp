#include "libcore/proto/dtls.hpp"

namespace nl {

DtlsRecordStatus parse_dtls_record(Bytes in, DtlsRecord& r) {
  if (in.size() < 3) return DtlsRecordStatus::truncated;
  if (in[0] < 20 || in[0] > 25 || in[1] != 0xfe) return DtlsRecordStatus::not_dtls;
  if (in.size() < 13) return DtlsRecordStatus::truncated;
  r.type = in[0];
  r.version = load_be16(&in[1]);
  r.epoch = load_be16(&in[3]);
  r.seq = uint64_t(load_be16(&in[5])) << 32 | load_be32(&in[7]);
  size_t len = load_be16(&in[11]);
  if (in.size() < 13 + len) return DtlsRecordStatus::truncated;
  r.body = in.subspan(13, len);
  r.size = 13 + len;
  return DtlsRecordStatus::ok;
}

bool dtls_client_hello_as_tls(Bytes body, std::vector<uint8_t>& out, uint8_t& cookie_length) {
  // client_version(2) random(32) session_id<0..32> cookie<0..255> ...
  if (body.size() < 35) return false;
  size_t sid = body[34];
  size_t at = 35 + sid;
  if (body.size() < at + 1) return false;
  cookie_length = body[at];
  if (body.size() < at + 1 + cookie_length) return false;
  out.assign(body.begin(), body.begin() + at);
  out.insert(out.end(), body.begin() + at + 1 + cookie_length, body.end());
  return true;
}

}  // namespace nl
