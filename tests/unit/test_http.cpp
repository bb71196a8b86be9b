// HTTP/1.x session parser, body streaming and the "http" record, fed with
// monologue pieces built by hand.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libcore/proto/http.hpp"
#include "libcore/proto/http_body.hpp"
#include "libcore/proto/http_record.hpp"

using namespace nl;

namespace {

std::string sha256_hex(std::string_view s) {
  unsigned char md[32];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr);
  static const char hexd[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += hexd[md[i] >> 4];
    out += hexd[md[i] & 15];
  }
  return out;
}

std::string gzip(std::string_view in, bool gzip_wrapper = true) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, gzip_wrapper ? 16 + 15 : 15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, uLong(in.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = uInt(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

const std::string kEmptySha = sha256_hex("");

// Feeds pieces to one parser the way the reassembler does: a monologue per
// direction change, offsets per direction, one second per piece.
struct Session {
  HttpOptions opts;
  HttpStats stats;
  std::vector<HttpTransaction> txs;
  bool keep = true;
  uint64_t emitted = 0;
  std::unique_ptr<HttpSessionParser> p;
  uint64_t off[2] = {0, 0};
  uint64_t mono = 0;
  int have_dir = -1;
  uint32_t piece_no = 0;
  int64_t clock = 1700000000;

  HttpSessionParser& parser() {
    if (!p)
      p = std::make_unique<HttpSessionParser>(opts, [this](const HttpTransaction& t) {
        ++emitted;
        if (keep) txs.push_back(t);
      }, &stats);
    return *p;
  }
  // piece: split the data into pieces of at most this many bytes (0: one piece).
  void send(Dir d, std::string_view data, size_t piece = 0, uint64_t gap = 0) {
    if (have_dir != int(d)) {
      have_dir = int(d);
      ++mono;
      piece_no = 0;
    }
    size_t step = piece ? piece : std::max<size_t>(data.size(), 1);
    size_t pos = 0;
    do {
      size_t n = std::min(step, data.size() - pos);
      MonologuePiece m;
      m.dir = d;
      m.monologue_no = mono;
      m.piece_no = piece_no++;
      m.gap_before = pos == 0 ? gap : 0;
      off[int(d)] += m.gap_before;
      m.offset = off[int(d)];
      m.first_ts = Timestamp{clock, 0, 6};
      m.last_ts = Timestamp{clock, 500000000, 6};
      ++clock;
      m.packets = 1;
      m.data = as_bytes(data.substr(pos, n));
      parser().feed(m);
      off[int(d)] += n;
      pos += n;
    } while (pos < data.size());
  }
  void c2s(std::string_view s, size_t piece = 0, uint64_t gap = 0) { send(Dir::c2s, s, piece, gap); }
  void s2c(std::string_view s, size_t piece = 0, uint64_t gap = 0) { send(Dir::s2c, s, piece, gap); }
  void end(EndReason r = EndReason::fin) { parser().finish(r); }
};

const char kGet[] =
    "GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: curl/8.0\r\n"
    "Referer: http://a.test/\r\nAccept: */*\r\n\r\n";
const char kResp[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

std::string record_of(const HttpTransaction& t, const HttpOptions& o) {
  SessionView sv;
  sv.flow_id = 42;
  sv.community_id = "1:abc";
  sv.key.proto = 6;
  sv.key.sport = 40000;
  sv.key.dport = 80;
  std::string out;
  JsonWriter w(out);
  write_http_record(w, sv, t, o, TimeFormat::epoch);
  return out;
}

}  // namespace

TEST_CASE("http: simple GET and 200") {
  Session s;
  s.c2s(kGet);
  s.s2c(kResp);
  REQUIRE(s.txs.size() == 1);  // emitted when the response completes, before the session ends
  s.end();
  REQUIRE(s.txs.size() == 1);
  const auto& t = s.txs[0];
  CHECK(t.tx_id == 0);
  CHECK(t.request.method == "GET");
  CHECK(t.request.uri == "/index.html?q=1");
  CHECK(t.request.version == "HTTP/1.1");
  CHECK(t.request.host == "www.example.test");
  CHECK(t.request.user_agent == "curl/8.0");
  CHECK(t.request.referer == "http://a.test/");
  REQUIRE(t.request.headers.size() == 4);
  CHECK(t.request.headers[3].name == "Accept");
  CHECK(t.request.headers[3].value == "*/*");
  CHECK(t.request.body.body.len == 0);
  CHECK(t.request.body.body.sha256 == kEmptySha);
  CHECK(t.response.status == 200);
  CHECK(t.response.reason == "OK");
  CHECK(t.response.version == "HTTP/1.1");
  CHECK(t.response.content_length == 5u);
  CHECK(t.response.content_type == "text/plain");
  CHECK(t.response.framing == BodyFraming::length);
  CHECK(t.response.wire_body_len == 5);
  CHECK(t.response.body.body.len == 5);
  CHECK(t.response.body.body.sha256 == sha256_hex("hello"));
  CHECK(t.response.body.decode == DecodeStatus::none);
  CHECK(t.complete());
  CHECK(t.anomalies == 0);
  CHECK(t.request.start.sec == 1700000000);
  CHECK(t.response.start.sec == 1700000001);
  CHECK(s.stats.http_sessions == 1);
  CHECK(s.stats.transactions == 1);

  auto j = nlohmann::json::parse(record_of(t, s.opts));
  CHECK(j["type"] == "http");
  CHECK(j["flow_id"] == 42);
  CHECK(j["tx_id"] == 0);
  CHECK(j["http"]["method"] == "GET");
  CHECK(j["http"]["host"] == "www.example.test");
  CHECK(j["http"]["request_headers"][0][0] == "Host");
  CHECK(j["http"]["status"] == 200);
  CHECK(j["http"]["content_length"] == 5);
  CHECK(j["http"]["transfer_encoding"].is_null());
  CHECK(j["http"]["auth_user"].is_null());
  CHECK(j["http"]["body_framing"] == "length");
  CHECK(j["http"]["response_body"]["len"] == 5);
  CHECK(j["http"]["response_body"]["sha256"] == sha256_hex("hello"));
  CHECK(j["http"]["response_body"]["decoded"].is_null());
  CHECK(j["timing"]["ttfb"].get<double>() == doctest::Approx(0.5));
  CHECK(j["timing"]["transfer"].get<double>() == doctest::Approx(0.5));
  CHECK(j["complete"] == true);
  CHECK(j["anomalies"].empty());
  CHECK(j.dump().find('.') != std::string::npos);
}

TEST_CASE("http: keep-alive, three transactions in order") {
  Session s;
  for (int i = 0; i < 3; ++i) {
    s.c2s("GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n");
    std::string body(size_t(100 * i), 'x');
    s.s2c("HTTP/1.1 " + std::string(i == 1 ? "404 Not Found" : "200 OK") +
          "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  s.end();
  REQUIRE(s.txs.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(s.txs[i].tx_id == uint64_t(i));
    CHECK(s.txs[i].request.uri == std::string("/") + std::to_string(i));
    CHECK(s.txs[i].response.body.body.len == uint64_t(100 * i));
    CHECK(s.txs[i].complete());
  }
  CHECK(s.txs[1].response.status == 404);
  CHECK(s.txs[1].response.reason == "Not Found");
}

TEST_CASE("http: pipelining, three requests in one piece") {
  Session s;
  s.c2s("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nHEAD /c HTTP/1.1\r\nHost: h\r\n\r\n");
  CHECK(s.parser().pending() == 3);
  s.s2c("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nBB"
        "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n");
  CHECK(s.txs.size() == 3);
  s.end();
  REQUIRE(s.txs.size() == 3);
  CHECK(s.txs[0].request.uri == "/a");
  CHECK(s.txs[0].response.body.body.sha256 == sha256_hex("A"));
  CHECK(s.txs[1].request.uri == "/b");
  CHECK(s.txs[1].response.body.body.sha256 == sha256_hex("BB"));
  CHECK(s.txs[2].request.method == "HEAD");
  CHECK(s.txs[2].response.content_length == 4096u);
  CHECK(s.txs[2].response.framing == BodyFraming::none);
  CHECK(s.txs[2].response.body.body.len == 0);
  CHECK(s.txs[2].complete());
}

TEST_CASE("http: chunked with extensions and trailers, one byte per piece") {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string wire_body =
      "5;name=value;q=\"x\"\r\nhello\r\n"
      "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"
      "0;last\r\nX-Checksum: abc123\r\nX-Other: 2\r\n\r\n";
  for (size_t piece : {size_t(0), size_t(1), size_t(3)}) {
    CAPTURE(piece);
    Session s;
    s.c2s(kGet);
    s.s2c(head + wire_body, piece);
    REQUIRE(s.txs.size() == 1);
    const auto& r = s.txs[0].response;
    CHECK(r.framing == BodyFraming::chunked);
    CHECK(r.transfer_encoding == "chunked");
    CHECK(!r.content_length);
    CHECK(r.wire_body_len == wire_body.size());
    CHECK(r.body.body.len == 31);
    CHECK(r.body.body.sha256 == sha256_hex("helloabcdefghijklmnopqrstuvwxyz"));
    REQUIRE(r.trailers.size() == 2);
    CHECK(r.trailers[0].name == "X-Checksum");
    CHECK(r.trailers[0].value == "abc123");
    CHECK(s.txs[0].complete());
    CHECK(s.txs[0].anomalies == 0);
  }
}

TEST_CASE("http: gzip body decoded and hashed (length and chunked framing)") {
  std::string plain;
  for (int i = 0; i < 2000; ++i) plain += "line " + std::to_string(i) + "\n";
  std::string gz = gzip(plain);
  std::string zl = gzip(plain, false);
  SUBCASE("content-length gzip") {
    Session s;
    s.c2s(kGet);
    s.s2c("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) +
              "\r\n\r\n" + gz, 7);
    REQUIRE(s.txs.size() == 1);
    const auto& b = s.txs[0].response.body;
    CHECK(b.body.len == gz.size());
    CHECK(b.body.sha256 == sha256_hex(gz));
    CHECK(b.decode == DecodeStatus::ok);
    CHECK(b.decoded.len == plain.size());
    CHECK(b.decoded.sha256 == sha256_hex(plain));
    auto j = nlohmann::json::parse(record_of(s.txs[0], s.opts));
    CHECK(j["http"]["response_body"]["decoded"]["len"] == plain.size());
    CHECK(j["http"]["response_body"]["decoded"]["status"] == "ok");
    CHECK(j["http"]["content_encoding"] == "gzip");
  }
  SUBCASE("chunked gzip, one byte per piece") {
    std::string wire;
    for (size_t i = 0; i < gz.size(); i += 100) {
      std::string part = gz.substr(i, 100);
      char hex[32];
      snprintf(hex, sizeof hex, "%zx\r\n", part.size());
      wire += hex + part + "\r\n";
    }
    wire += "0\r\n\r\n";
    Session s;
    s.c2s(kGet);
    s.s2c("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + wire, 1);
    REQUIRE(s.txs.size() == 1);
    const auto& r = s.txs[0].response;
    CHECK(r.wire_body_len == wire.size());
    CHECK(r.body.body.sha256 == sha256_hex(gz));
    CHECK(r.body.decoded.sha256 == sha256_hex(plain));
  }
  SUBCASE("deflate, zlib-wrapped and raw") {
    std::string raw = zl.substr(2, zl.size() - 6);  // strip the zlib header and Adler-32
    for (const std::string& body : {zl, raw}) {
      Session s;
      s.c2s(kGet);
      s.s2c("HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body, 1);
      REQUIRE(s.txs.size() == 1);
      CHECK(s.txs[0].response.body.decode == DecodeStatus::ok);
      CHECK(s.txs[0].response.body.decoded.sha256 == sha256_hex(plain));
    }
  }
  SUBCASE("brotli is reported, not decoded; decode off") {
    Session s;
    s.c2s(kGet);
    s.s2c("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nabc");
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].response.content_encoding == "br");
    CHECK(s.txs[0].response.body.decode == DecodeStatus::unsupported);
    auto j = nlohmann::json::parse(record_of(s.txs[0], s.opts));
    CHECK(j["http"]["response_body"]["decoded"]["len"].is_null());
    Session o;
    o.opts.body.decode = false;
    o.c2s(kGet);
    o.s2c("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) +
          "\r\n\r\n" + gz);
    REQUIRE(o.txs.size() == 1);
    CHECK(o.txs[0].response.body.decode == DecodeStatus::off);
    CHECK(o.txs[0].response.body.body.sha256 == sha256_hex(gz));
  }
  SUBCASE("corrupt gzip") {
    std::string bad = gz;
    bad[20] ^= 0x55;
    bad[21] ^= 0x55;
    Session s;
    s.c2s(kGet);
    s.s2c("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(bad.size()) +
          "\r\n\r\n" + bad);
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].response.body.decode == DecodeStatus::error);
    CHECK(s.txs[0].has(HttpAnomaly::decode_error));
    CHECK(s.txs[0].response.body.body.len == bad.size());
  }
}

TEST_CASE("http: gzip bomb stops at the decode cap") {
  std::string zeros(10u << 20, '\0');
  std::string gz = gzip(zeros);
  CHECK(gz.size() < 64 * 1024);
  Session s;
  s.opts.body.decode_cap = 1u << 20;
  s.c2s(kGet);
  s.s2c("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) +
        "\r\n\r\n" + gz);
  REQUIRE(s.txs.size() == 1);
  const auto& b = s.txs[0].response.body;
  CHECK(b.decode == DecodeStatus::limit);
  CHECK(b.decoded.len == (1u << 20));
  CHECK(b.decoded.sha256.empty());
  CHECK(b.body.sha256 == sha256_hex(gz));
  CHECK(s.txs[0].has(HttpAnomaly::decompression_limit));
  CHECK(s.txs[0].response.complete);  // the message itself was framed correctly
}

TEST_CASE("http: HEAD, 304 and 204 carry no body") {
  Session s;
  s.c2s("HEAD /f HTTP/1.1\r\nHost: h\r\n\r\n");
  s.s2c("HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n");
  s.c2s("GET /f HTTP/1.1\r\nIf-None-Match: \"x\"\r\n\r\n");
  s.s2c("HTTP/1.1 304 Not Modified\r\nContent-Length: 4096\r\n\r\n");
  s.c2s("GET /g HTTP/1.1\r\n\r\n");
  s.s2c("HTTP/1.1 204 No Content\r\n\r\n");
  s.c2s("GET /h HTTP/1.1\r\n\r\n");
  s.s2c("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
  s.end();
  REQUIRE(s.txs.size() == 4);
  for (int i = 0; i < 3; ++i) {
    CHECK(s.txs[i].response.framing == BodyFraming::none);
    CHECK(s.txs[i].response.wire_body_len == 0);
    CHECK(s.txs[i].response.body.body.sha256 == kEmptySha);
    CHECK(s.txs[i].complete());
  }
  CHECK(s.txs[0].response.content_length == 4096u);
  CHECK(s.txs[2].response.status == 204);
  CHECK(s.txs[3].response.body.body.sha256 == sha256_hex("abc"));
}

TEST_CASE("http: Expect 100-continue") {
  Session s;
  std::string body(3000, 'p');
  s.c2s("POST /upload HTTP/1.1\r\nHost: up\r\nContent-Type: application/octet-stream\r\n"
        "Content-Length: 3000\r\nExpect: 100-continue\r\n\r\n");
  s.s2c("HTTP/1.1 100 Continue\r\n\r\n");
  CHECK(s.txs.empty());
  s.c2s(body, 1000);
  s.s2c("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  s.end();
  REQUIRE(s.txs.size() == 1);
  const auto& t = s.txs[0];
  CHECK(t.request.expect_continue);
  CHECK(t.request.content_type == "application/octet-stream");
  CHECK(t.request.body.body.len == 3000);
  CHECK(t.request.body.body.sha256 == sha256_hex(body));
  REQUIRE(t.interim.size() == 1);
  CHECK(t.interim[0] == 100);
  CHECK(t.response.status == 201);
  CHECK(t.response.reason == "Created");
  CHECK(t.complete());
  auto j = nlohmann::json::parse(record_of(t, s.opts));
  CHECK(j["http"]["interim"] == nlohmann::json::array({100}));
  CHECK(j["http"]["request_body"]["len"] == 3000);
}

TEST_CASE("http: chunked request body") {
  Session s;
  s.c2s("POST /ingest HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 2);
  s.s2c("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(s.txs.size() == 1);
  CHECK(s.txs[0].request.framing == BodyFraming::chunked);
  CHECK(s.txs[0].request.body.body.sha256 == sha256_hex("abcde"));
  CHECK(s.txs[0].response.framing == BodyFraming::length);
  CHECK(s.txs[0].complete());
}

TEST_CASE("http: CONNECT 200 and Upgrade 101 stop parsing") {
  SUBCASE("connect") {
    Session s;
    s.c2s("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n");
    s.s2c("HTTP/1.1 200 Connection established\r\n\r\n");
    s.c2s(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
    s.s2c(std::string("\x16\x03\x03\x00\x7a", 5));
    s.end();
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].request.uri == "example.test:443");
    CHECK(s.txs[0].tunnel);
    CHECK(s.txs[0].complete());
    CHECK(s.stats.tunnels == 1);
    CHECK(s.stats.bytes_ignored == 16);
    CHECK(s.parser().done());
  }
  SUBCASE("connect refused: keeps parsing") {
    Session s;
    s.c2s("CONNECT example.test:443 HTTP/1.1\r\n\r\n");
    s.s2c("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
    s.c2s("CONNECT example.test:443 HTTP/1.1\r\nProxy-Authorization: Basic eDp5\r\n\r\n");
    s.s2c("HTTP/1.1 200 OK\r\n\r\n");
    s.end();
    REQUIRE(s.txs.size() == 2);
    CHECK(!s.txs[0].tunnel);
    CHECK(s.txs[1].tunnel);
  }
  SUBCASE("upgrade") {
    Session s;
    s.c2s("GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    s.s2c("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello");
    s.c2s("\x81\x85\x00\x00\x00\x00hello");
    s.end();
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].response.status == 101);
    CHECK(s.txs[0].interim.empty());
    CHECK(s.txs[0].tunnel);
    CHECK(s.txs[0].complete());
  }
}

TEST_CASE("http: HTTP/0.9 and close-delimited bodies") {
  SUBCASE("0.9") {
    Session s;
    s.c2s("GET /old.html\r\n");
    s.s2c("<html>old</html>");
    s.end(EndReason::fin);
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].request.version == "HTTP/0.9");
    CHECK(s.txs[0].request.uri == "/old.html");
    CHECK(s.txs[0].response.status == 0);
    CHECK(s.txs[0].response.framing == BodyFraming::close);
    CHECK(s.txs[0].response.body.body.sha256 == sha256_hex("<html>old</html>"));
    CHECK(s.txs[0].complete());
    auto j = nlohmann::json::parse(record_of(s.txs[0], s.opts));
    CHECK(j["http"]["status"].is_null());
    CHECK(j["http"]["response_version"].is_null());
  }
  SUBCASE("1.0 without Content-Length") {
    Session s;
    std::string body(3500, 'c');
    s.c2s("GET / HTTP/1.0\r\n\r\n");
    s.s2c("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + body, 1000);
    CHECK(s.txs.empty());
    s.end(EndReason::fin);
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].response.framing == BodyFraming::close);
    CHECK(s.txs[0].response.body.body.len == 3500);
    CHECK(s.txs[0].response.wire_body_len == 3500);
    CHECK(!s.txs[0].response.content_length);
    CHECK(s.txs[0].complete());
  }
  SUBCASE("close-delimited cut by RST") {
    Session s;
    s.c2s("GET / HTTP/1.0\r\n\r\n");
    s.s2c("HTTP/1.0 200 OK\r\n\r\nabc");
    s.end(EndReason::rst);
    REQUIRE(s.txs.size() == 1);
    CHECK(!s.txs[0].complete());
    CHECK(s.txs[0].has(HttpAnomaly::truncated_body));
  }
}

TEST_CASE("http: request without response, RST mid-body") {
  SUBCASE("no response") {
    Session s;
    s.c2s(kGet);
    s.c2s("GET /second HTTP/1.1\r\n\r\n");
    CHECK(s.txs.empty());
    s.end(EndReason::eof);
    REQUIRE(s.txs.size() == 2);
    CHECK(s.txs[0].has(HttpAnomaly::no_response));
    CHECK(s.txs[0].request.complete);
    CHECK(!s.txs[0].complete());
    CHECK(s.txs[1].request.uri == "/second");
    auto j = nlohmann::json::parse(record_of(s.txs[0], s.opts));
    CHECK(j["http"]["status"].is_null());
    CHECK(j["http"]["response_headers"].is_null());
    CHECK(j["http"]["response_body"].is_null());
    CHECK(j["timing"]["response_start"].is_null());
    CHECK(j["timing"]["ttfb"].is_null());
    CHECK(j["anomalies"] == nlohmann::json::array({"no_response"}));
  }
  SUBCASE("rst mid-body") {
    Session s;
    std::string part(1458, 'z');
    s.c2s("GET /big.bin HTTP/1.1\r\n\r\n");
    s.s2c("HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n" + part);
    s.end(EndReason::rst);
    REQUIRE(s.txs.size() == 1);
    const auto& r = s.txs[0].response;
    CHECK(r.content_length == 20000u);
    CHECK(r.body.body.len == 1458);
    CHECK(r.body.body.sha256 == sha256_hex(part));  // what was delivered
    CHECK(!r.complete);
    CHECK(s.txs[0].has(HttpAnomaly::truncated_body));
  }
  SUBCASE("request cut inside its headers") {
    Session s;
    s.c2s("GET /x HTTP/1.1\r\nHost: h");
    s.end(EndReason::rst);
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].has(HttpAnomaly::truncated_headers));
    CHECK(s.txs[0].has(HttpAnomaly::no_response));
  }
}

TEST_CASE("http: non-HTTP sessions are given up") {
  for (std::string junk : {std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11),
                           std::string("SSH-2.0-OpenSSH_9.6 Ubuntu\r\n"),
                           std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
                           std::string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")}) {
    Session s;
    s.c2s(junk);
    s.s2c("HTTP/1.1 200 OK\r\n\r\n");
    s.end();
    CHECK(s.txs.empty());
    CHECK(s.parser().non_http());
    CHECK(s.stats.non_http == 1);
  }
  Session banner;  // the server speaks first: not HTTP
  banner.s2c("220 smtp.example ESMTP\r\n");
  banner.c2s("GET / HTTP/1.1\r\n\r\n");
  banner.end();
  CHECK(banner.txs.empty());
  CHECK(banner.parser().non_http());
}

TEST_CASE("http: header anomalies") {
  SUBCASE("1 MB header line is reported, skipped, never held") {
    Session s;
    std::string big = "X-Big: " + std::string(1u << 20, 'b') + "\r\n";
    s.c2s("GET / HTTP/1.1\r\nHost: h\r\n" + big + "Accept: x\r\n\r\n", 1460);
    s.s2c(kResp);
    REQUIRE(s.txs.size() == 1);
    const auto& q = s.txs[0].request;
    CHECK(s.txs[0].has(HttpAnomaly::header_line_too_long));
    REQUIRE(q.headers.size() == 2);
    CHECK(q.headers[1].name == "Accept");
    CHECK(q.headers_dropped == 1);
    CHECK(s.txs[0].response.status == 200);
  }
  SUBCASE("too many headers: capped and counted, framing still honoured") {
    Session s;
    s.opts.max_headers = 10;
    std::string h = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 300; ++i) h += "X-H" + std::to_string(i) + ": v\r\n";
    h += "Content-Length: 3\r\n\r\nabc";
    s.c2s(h);
    s.s2c(kResp);
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].request.headers.size() == 10);
    CHECK(s.txs[0].request.headers_dropped == 291);
    CHECK(s.txs[0].has(HttpAnomaly::too_many_headers));
    CHECK(s.txs[0].request.body.body.sha256 == sha256_hex("abc"));
    CHECK(s.txs[0].complete());
  }
  SUBCASE("malformed header line, obs-fold, duplicates") {
    Session s;
    s.c2s("GET / HTTP/1.1\r\nHost: h\r\nno colon here\r\nBad Name: x\r\nX-A: 1\r\n  more\r\nX-A: 2\r\n\r\n");
    s.s2c(kResp);
    REQUIRE(s.txs.size() == 1);
    const auto& q = s.txs[0].request;
    CHECK(s.txs[0].has(HttpAnomaly::malformed_header_line));
    REQUIRE(q.headers.size() == 3);
    CHECK(q.headers[1].value == "1 more");
    CHECK(q.headers[2].value == "2");
  }
  SUBCASE("conflicting Content-Length stops the direction") {
    Session s;
    s.c2s(kGet);
    s.s2c("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
    s.end();
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].has(HttpAnomaly::conflicting_content_length));
    CHECK(!s.txs[0].response.content_length);
    CHECK(!s.txs[0].complete());
  }
  SUBCASE("identical Content-Length list is one value") {
    Session s;
    s.c2s(kGet);
    s.s2c("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\nhello");
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].anomalies == 0);
    CHECK(s.txs[0].complete());
  }
  SUBCASE("Basic credentials") {
    for (bool secrets : {false, true}) {
      Session s;
      s.opts.show_secrets = secrets;
      s.c2s("GET / HTTP/1.1\r\nAuthorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l\r\n\r\n");
      s.s2c(kResp);
      REQUIRE(s.txs.size() == 1);
      CHECK(s.txs[0].request.auth_scheme == "Basic");
      CHECK(s.txs[0].request.auth_user == "aladdin");
      CHECK(s.txs[0].request.auth_password.has_value() == secrets);
      auto j = nlohmann::json::parse(record_of(s.txs[0], s.opts));
      CHECK(j["http"]["auth_user"] == "aladdin");
      CHECK(j["http"].contains("auth_password") == secrets);
      if (secrets) CHECK(j["http"]["auth_password"] == "opensesame");
    }
  }
}

TEST_CASE("http: chunk size overflow and bad framing") {
  Session s;
  s.c2s(kGet);
  s.s2c("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nffffffffffffffff\r\nxyz");
  s.c2s("GET /next HTTP/1.1\r\n\r\n");
  s.s2c("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  s.end();
  REQUIRE(s.txs.size() == 2);
  CHECK(s.txs[0].has(HttpAnomaly::bad_chunk_size));
  CHECK(s.txs[0].response.body.body.len == 5);
  CHECK(!s.txs[0].complete());
  CHECK(s.txs[1].has(HttpAnomaly::no_response));  // s2c stopped: its response is not parsed

  Session b;
  b.c2s(kGet);
  b.s2c("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n");
  b.end();
  REQUIRE(b.txs.size() == 1);
  CHECK(b.txs[0].has(HttpAnomaly::bad_chunk_framing));
}

TEST_CASE("http: gaps") {
  SUBCASE("gap inside a Content-Length body: resynchronised") {
    Session s;
    s.c2s(kGet);
    s.s2c("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    s.s2c("ghij", 0, 3);
    s.c2s("GET /2 HTTP/1.1\r\n\r\n");
    s.s2c(kResp);
    s.end();
    REQUIRE(s.txs.size() == 2);
    CHECK(s.txs[0].has(HttpAnomaly::gap_in_message));
    CHECK(s.txs[0].response.body.body.len == 7);
    CHECK(s.txs[0].response.body.missing == 3);
    CHECK(s.txs[0].response.body.body.sha256.empty());
    CHECK(s.txs[0].response.wire_body_len == 10);
    CHECK(s.txs[1].complete());
  }
  SUBCASE("gap in headers: direction given up") {
    Session s;
    s.c2s(kGet);
    s.s2c("HTTP/1.1 200 OK\r\nContent-");
    s.s2c("Length: 5\r\n\r\nhello", 0, 20);
    s.end();
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].has(HttpAnomaly::gap_in_message));
    CHECK(!s.txs[0].complete());
  }
  SUBCASE("gap between requests") {
    Session s;
    s.c2s(kGet);
    s.c2s("GET /lost HTTP/1.1\r\n\r\n", 0, 100);
    s.s2c(kResp);
    s.end();
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].complete());
    CHECK(s.stats.directions_stopped == 1);
  }
}

TEST_CASE("http: 100 000 pipelined requests keep memory bounded") {
  std::string reqs;
  for (int i = 0; i < 100000; ++i) reqs += "GET /r" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
  SUBCASE("no responses") {
    Session s;
    s.keep = false;
    s.c2s(reqs, 65536);
    CHECK(s.parser().pending() == 1024);
    s.end(EndReason::eof);
    CHECK(s.emitted == 1024);
    CHECK(s.stats.pipeline_overflow == 100000 - 1024);
  }
  SUBCASE("with responses: every response is reported, pairing kept") {
    Session s;
    s.keep = false;
    s.opts.max_pending = 16;
    s.c2s(reqs, 65536);
    std::string resps;
    for (int i = 0; i < 100000; ++i) resps += "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
    s.s2c(resps, 65536);
    CHECK(s.emitted == 100000);
    CHECK(s.parser().pending() == 0);
    s.keep = true;
    s.c2s("GET /last HTTP/1.1\r\n\r\n");
    s.s2c("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    s.end();
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].tx_id == 100000);
    CHECK(s.txs[0].request.uri == "/last");
    CHECK(s.txs[0].complete());
  }
}

TEST_CASE("http: every truncated prefix and every split of a good exchange") {
  std::string gz = gzip("payload payload payload payload");
  const std::string req =
      "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;e=1\r\nabcd\r\n0\r\nT: 1\r\n\r\nGET /g HTTP/1.1\r\n\r\n";
  const std::string resp = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n" +
                           [&] {
                             char hex[16];
                             snprintf(hex, sizeof hex, "%zx\r\n", gz.size());
                             return std::string(hex);
                           }() + gz + "\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz";
  Session whole;
  whole.c2s(req);
  whole.s2c(resp);
  whole.end();
  REQUIRE(whole.txs.size() == 2);
  REQUIRE(whole.txs[0].complete());
  REQUIRE(whole.txs[1].complete());
  std::string want0 = record_of(whole.txs[0], whole.opts);
  for (size_t cut = 0; cut <= resp.size(); ++cut) {
    CAPTURE(cut);
    Session s;
    s.c2s(req);
    s.s2c(resp.substr(0, cut));
    s.end(EndReason::rst);
    CHECK(s.txs.size() == 2);
  }
  for (size_t cut = 0; cut <= req.size(); ++cut) {
    CAPTURE(cut);
    Session s;
    s.c2s(req.substr(0, cut));
    s.end(EndReason::rst);
    CHECK(s.txs.size() <= 2);
  }
  for (size_t cut = 1; cut < resp.size(); ++cut) {
    CAPTURE(cut);
    Session s;
    s.c2s(req);
    s.s2c(resp.substr(0, cut));
    s.s2c(resp.substr(cut));  // same monologue continued
    s.end();
    REQUIRE(s.txs.size() == 2);
    CHECK(s.txs[0].complete());
    CHECK(s.txs[0].response.body.decoded.sha256 == whole.txs[0].response.body.decoded.sha256);
    CHECK(s.txs[0].response.wire_body_len == whole.txs[0].response.wire_body_len);
  }
}

TEST_CASE("http body: mode parsing, preview and full copies") {
  BodyOptions o;
  CHECK(parse_body_mode("preview:16", o));
  CHECK(o.mode == BodyMode::preview);
  CHECK(o.preview_bytes == 16);
  CHECK(parse_body_mode("full", o));
  CHECK(parse_body_mode("none", o));
  CHECK(!parse_body_mode("preview:", o));
  CHECK(!parse_body_mode("md5", o));

  Session s;
  REQUIRE(parse_body_mode("preview:4", s.opts.body));
  s.c2s(kGet);
  s.s2c(kResp, 1);
  REQUIRE(s.txs.size() == 1);
  CHECK(s.txs[0].response.body.body.preview == "hell");
  auto j = nlohmann::json::parse(record_of(s.txs[0], s.opts));
  CHECK(j["http"]["response_body"]["preview"] == "aGVsbA==");

  Session f;
  f.opts.body.mode = BodyMode::full;
  f.opts.body.full_cap = 3;
  f.c2s(kGet);
  f.s2c(kResp);
  REQUIRE(f.txs.size() == 1);
  CHECK(f.txs[0].response.body.body.full == "hel");
  CHECK(f.txs[0].has(HttpAnomaly::body_full_capped));

  Session n;
  n.opts.body.mode = BodyMode::none;
  n.c2s(kGet);
  n.s2c(kResp);
  REQUIRE(n.txs.size() == 1);
  CHECK(n.txs[0].response.body.body.sha256.empty());
  CHECK(n.txs[0].response.body.body.len == 5);
}

TEST_CASE("http: unsolicited response and malformed status line") {
  Session s;
  s.c2s(kGet);
  s.s2c(std::string(kResp) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(s.txs.size() == 2);
  CHECK(s.txs[1].has(HttpAnomaly::unsolicited_response));
  CHECK(!s.txs[1].request.present);
  auto j = nlohmann::json::parse(record_of(s.txs[1], s.opts));
  CHECK(j["http"]["method"].is_null());

  Session m;
  m.c2s(kGet);
  m.s2c("HTTP/1.1 2OO OK\r\n\r\n");
  m.end();
  REQUIRE(m.txs.size() == 1);
  CHECK(m.txs[0].has(HttpAnomaly::malformed_status_line));
  CHECK(m.txs[0].has(HttpAnomaly::no_response));
}

namespace {

bool has_name(const HttpTransaction& t, const HttpOptions& o, const char* name) {
  auto j = nlohmann::json::parse(record_of(t, o));
  for (const auto& a : j["anomalies"])
    if (a == name) return true;
  return false;
}

const char kOk0[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

}  // namespace

TEST_CASE("http: malformed request lines are emitted, flagged, and parsing goes on") {
  struct Case {
    const char* line;
    const char* method;
    const char* uri;
    const char* version;
  };
  const Case cases[] = {
      {"GET /a HTTP/1.", "GET", "/a", "HTTP/1."},
      {"GET /a HTTP/1.1.1", "GET", "/a", "HTTP/1.1.1"},
      {"GET /a http/1.1", "GET", "/a", "http/1.1"},
      {"GET /a HTTP/2.0", "GET", "/a", "HTTP/2.0"},
      {"GET  /a  HTTP/1.1", "GET", "/a", "HTTP/1.1"},
      {"GET\t/a HTTP/1.1", "GET", "/a", "HTTP/1.1"},
      {"GET /a HTTP/1.1  ", "GET", "/a", "HTTP/1.1"},
      {"GET /a b HTTP/1.1", "GET", "/a b", "HTTP/1.1"},
      {"GET HTTP/1.1", "GET", "", "HTTP/1.1"},
      {"DELETE /a", "DELETE", "/a", "HTTP/0.9"},
      {"GET /a  ", "GET", "/a", "HTTP/0.9"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.line);
    for (bool first : {false, true}) {
      CAPTURE(first);
      Session s;
      if (!first) s.c2s(kGet);
      s.c2s(std::string(c.line) + "\r\nHost: m\r\nContent-Length: 3\r\n\r\nabcGET /after HTTP/1.1\r\n\r\n");
      s.s2c(std::string(kResp) + kOk0 + (first ? "" : kOk0));
      s.end();
      if (first && std::string_view(c.line) == "GET /a HTTP/2.0") {
        // An HTTP/2 version on the first line is not HTTP/1 (the h2 preface is "PRI * HTTP/2.0").
        CHECK(s.parser().non_http());
        continue;
      }
      REQUIRE(s.txs.size() == (first ? 2u : 3u));
      const HttpTransaction& m = s.txs[first ? 0 : 1];
      CHECK(m.tx_id == (first ? 0u : 1u));
      CHECK(m.request.method == c.method);
      CHECK(m.request.uri == c.uri);
      CHECK(m.request.version == c.version);
      CHECK(m.request.host == "m");
      CHECK(m.request.body.body.sha256 == sha256_hex("abc"));
      CHECK(m.has(HttpAnomaly::malformed_request_line));
      CHECK(!m.has(HttpAnomaly::unknown_method));
      CHECK(has_name(m, s.opts, "malformed_request_line"));
      CHECK(m.complete());
      const HttpTransaction& after = s.txs.back();
      CHECK(after.request.uri == "/after");
      CHECK(after.anomalies == 0);
      CHECK(after.complete());
    }
  }
}

TEST_CASE("http: HTTP/0.9-style request lines") {
  SUBCASE("simple GET is not malformed; a request line after it starts the next request") {
    Session s;
    s.c2s("GET /a\r\nGET /b HTTP/1.1\r\n\r\n");
    s.s2c(std::string(kResp) + kOk0);
    s.end();
    REQUIRE(s.txs.size() == 2);
    CHECK(s.txs[0].request.version == "HTTP/0.9");
    CHECK(s.txs[0].anomalies == 0);
    CHECK(s.txs[0].complete());
    CHECK(s.txs[0].response.status == 200);
    CHECK(s.txs[1].request.uri == "/b");
    CHECK(s.txs[1].tx_id == 1);
  }
  SUBCASE("cut inside its header block: truncated") {
    Session s;
    s.c2s("POST /a\r\nHost: x");
    s.end();
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].has(HttpAnomaly::truncated_headers));
    CHECK(!s.txs[0].request.complete);
  }
  SUBCASE("answered by a status line") {
    Session s;
    s.c2s("GET /\r\n\r\n");
    s.s2c("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    s.end();
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].response.status == 400);
    CHECK(s.txs[0].response.framing == BodyFraming::length);
    CHECK(s.txs[0].complete());
  }
}

TEST_CASE("http: lines that are not request lines are skipped and reported on the next request") {
  Session s;
  s.c2s(std::string(kGet) + std::string("\x01\x02 junk\r\n: nothing\r\n", 20) + "GET /after HTTP/1.1\r\n\r\n");
  s.s2c(std::string(kResp) + kOk0);
  s.end();
  REQUIRE(s.txs.size() == 2);
  CHECK(s.txs[0].anomalies == 0);
  CHECK(s.txs[1].request.uri == "/after");
  CHECK(s.txs[1].has(HttpAnomaly::malformed_request_line));
  CHECK(s.stats.bytes_ignored == 20);
}

TEST_CASE("http: unknown methods") {
  for (const char* m : {"FOO", "get", "X-SCAN"}) {
    CAPTURE(m);
    Session s;
    s.c2s(std::string(m) + " /x HTTP/1.1\r\nHost: h\r\n\r\nGET /y HTTP/1.1\r\n\r\n");
    s.s2c(std::string(kResp) + kOk0);
    s.end();
    REQUIRE(s.txs.size() == 2);
    CHECK(s.txs[0].request.method == m);
    CHECK(s.txs[0].has(HttpAnomaly::unknown_method));
    CHECK(!s.txs[0].has(HttpAnomaly::malformed_request_line));
    CHECK(has_name(s.txs[0], s.opts, "unknown_method"));
    CHECK(s.txs[1].anomalies == 0);
  }
  Session w;  // registered methods beyond RFC 9110's
  w.c2s("PROPFIND /d HTTP/1.1\r\n\r\nM-SEARCH * HTTP/1.1\r\n\r\n");
  w.s2c(std::string(kOk0) + kOk0);
  REQUIRE(w.txs.size() == 2);
  CHECK(!w.txs[0].has(HttpAnomaly::unknown_method));
  CHECK(w.txs[1].has(HttpAnomaly::unknown_method));
}

TEST_CASE("http: malformed status lines are emitted, flagged, and parsing goes on") {
  struct Case {
    const char* line;
    const char* version;
    uint16_t status;
    const char* reason;  // null: none
  };
  const Case cases[] = {
      {"HTTP/1. 200 OK", "HTTP/1.", 200, "OK"},
      {"HTTP/1.1.1 200 OK", "HTTP/1.1.1", 200, "OK"},
      {"http/1.1 200 OK", "http/1.1", 200, "OK"},
      {"HTTP/2 200", "HTTP/2", 200, nullptr},
      {"HTTP/1.1  200 OK", "HTTP/1.1", 200, "OK"},
      {"HTTP/1.1\t200\tOK", "HTTP/1.1", 200, "OK"},
      {"HTTP/1.1 200OK", "HTTP/1.1", 200, "OK"},
      {"HTTP/1.0 099 Odd", "HTTP/1.0", 99, "Odd"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.line);
    Session s;
    s.c2s(std::string(kGet) + "GET /2 HTTP/1.1\r\n\r\n");
    s.s2c(std::string(c.line) + "\r\nContent-Length: 5\r\n\r\nhello" + kOk0);
    s.end();
    REQUIRE(s.txs.size() == 2);
    const HttpTransaction& t = s.txs[0];
    CHECK(t.response.version == c.version);
    CHECK(t.response.status == c.status);
    CHECK(t.response.reason.has_value() == (c.reason != nullptr));
    if (c.reason) CHECK(*t.response.reason == c.reason);
    CHECK(t.response.body.body.sha256 == sha256_hex("hello"));
    CHECK(t.has(HttpAnomaly::malformed_status_line));
    CHECK(has_name(t, s.opts, "malformed_status_line"));
    CHECK(t.complete());
    CHECK(s.txs[1].anomalies == 0);
    CHECK(s.txs[1].complete());
  }
  Session ok;  // no reason phrase, and a reason starting with SP: both fine
  ok.c2s(std::string(kGet) + kGet);
  ok.s2c("HTTP/1.1 204\r\n\r\nHTTP/1.1 204  No Content\r\n\r\n");
  REQUIRE(ok.txs.size() == 2);
  CHECK(ok.txs[0].anomalies == 0);
  CHECK(ok.txs[1].anomalies == 0);
  CHECK(*ok.txs[1].response.reason == " No Content");
}

TEST_CASE("http: bare LF line ends") {
  Session s;
  s.c2s("GET /a HTTP/1.1\nHost: h\n\nPOST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n"
        "GET /c HTTP/1.1\r\n\r\n");
  s.s2c("HTTP/1.1 200 OK\nContent-Length: 2\n\nokHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" + std::string(kResp), 3);
  s.end();
  REQUIRE(s.txs.size() == 3);
  CHECK(s.txs[0].has(HttpAnomaly::bare_lf_line_end));
  CHECK(has_name(s.txs[0], s.opts, "bare_lf_line_end"));
  CHECK(s.txs[0].request.host == "h");
  CHECK(s.txs[0].response.body.body.sha256 == sha256_hex("ok"));
  CHECK(s.txs[0].complete());
  CHECK(s.txs[1].has(HttpAnomaly::bare_lf_line_end));  // chunk lines
  CHECK(s.txs[1].request.body.body.sha256 == sha256_hex("abc"));
  CHECK(s.txs[1].complete());
  CHECK(s.txs[2].anomalies == 0);

  Session first;  // detection accepts a bare LF start line
  first.c2s("GET / HTTP/1.0\n\n");
  first.s2c("HTTP/1.0 200 OK\n\nbody");
  first.end();
  REQUIRE(first.txs.size() == 1);
  CHECK(first.txs[0].has(HttpAnomaly::bare_lf_line_end));
  CHECK(first.txs[0].response.body.body.sha256 == sha256_hex("body"));
}

TEST_CASE("http: several Transfer-Encoding values") {
  SUBCASE("request: gzip, chunked (one field) and chunked twice (two fields)") {
    for (const char* te : {"Transfer-Encoding: gzip, chunked\r\n",
                           "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"}) {
      CAPTURE(te);
      Session s;
      s.c2s(std::string("POST /a HTTP/1.1\r\n") + te + "\r\n3\r\nabc\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
      s.s2c(std::string(kOk0) + kOk0);
      s.end();
      REQUIRE(s.txs.size() == 2);
      CHECK(s.txs[0].has(HttpAnomaly::multiple_transfer_encodings));
      CHECK(has_name(s.txs[0], s.opts, "multiple_transfer_encodings"));
      CHECK(!s.txs[0].has(HttpAnomaly::bad_transfer_encoding));
      CHECK(s.txs[0].request.framing == BodyFraming::chunked);
      CHECK(s.txs[0].request.body.body.sha256 == sha256_hex("abc"));
      CHECK(s.txs[1].request.uri == "/b");
    }
  }
  SUBCASE("request: chunked, identity is framed as chunked and flagged") {
    Session s;
    s.c2s("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n"
          "3\r\nabc\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    s.s2c(std::string(kOk0) + kOk0);
    s.end();
    REQUIRE(s.txs.size() == 2);
    CHECK(s.txs[0].request.transfer_encoding == "chunked, identity");
    CHECK(s.txs[0].has(HttpAnomaly::multiple_transfer_encodings));
    CHECK(s.txs[0].has(HttpAnomaly::bad_transfer_encoding));
    CHECK(s.txs[0].request.body.body.sha256 == sha256_hex("abc"));
    CHECK(s.txs[1].request.uri == "/b");
    CHECK(s.txs[1].complete());
  }
  SUBCASE("request: no chunked at all still stops the client direction") {
    Session s;
    s.c2s("POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxyzGET /b HTTP/1.1\r\n\r\n");
    s.s2c(kOk0);
    s.end();
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].has(HttpAnomaly::bad_transfer_encoding));
    CHECK(!s.txs[0].has(HttpAnomaly::multiple_transfer_encodings));
  }
  SUBCASE("response: chunked then identity is close-delimited") {
    Session s;
    s.c2s(kGet);
    s.s2c("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    s.end();
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].has(HttpAnomaly::multiple_transfer_encodings));
    CHECK(s.txs[0].response.framing == BodyFraming::close);
  }
}

TEST_CASE("http: framing decides what a request is (smuggling)") {
  SUBCASE("a request inside a Content-Length body is body; the bytes after it are the next request") {
    const std::string hidden = "GET /hidden HTTP/1.1\r\nHost: h\r\n\r\n";
    Session s;
    s.c2s("POST /a HTTP/1.1\r\nContent-Length: " + std::to_string(hidden.size()) + "\r\n\r\n" + hidden +
          "GET /next HTTP/1.1\r\n\r\n");
    s.s2c(std::string(kOk0) + kOk0);
    s.end();
    REQUIRE(s.txs.size() == 2);
    CHECK(s.txs[0].request.body.body.sha256 == sha256_hex(hidden));
    CHECK(s.txs[1].request.uri == "/next");
    CHECK(s.txs[1].tx_id == 1);
  }
  SUBCASE("CL.TE: Transfer-Encoding wins, the smuggled request is a transaction of its own") {
    const std::string smuggled = "GET /smuggled HTTP/1.1\r\nX: y\r\n\r\n";
    const std::string body = "0\r\n\r\n" + smuggled;
    Session s;
    s.c2s("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
    s.s2c(std::string(kOk0) + kResp);
    s.end();
    REQUIRE(s.txs.size() == 2);
    CHECK(s.txs[0].has(HttpAnomaly::transfer_encoding_with_content_length));
    CHECK(s.txs[0].request.framing == BodyFraming::chunked);
    CHECK(s.txs[0].request.body.body.len == 0);
    CHECK(s.txs[0].request.content_length == body.size());
    CHECK(s.txs[1].request.uri == "/smuggled");
    CHECK(s.txs[1].tx_id == 1);
    CHECK(s.txs[1].response.status == 200);
    CHECK(s.txs[1].complete());
  }
  SUBCASE("TE.CL: a request inside a chunk is body") {
    const std::string inner = "GPOST /x HTTP/1.1\r\n\r\n";
    char hex[16];
    snprintf(hex, sizeof hex, "%zx", inner.size());
    Session s;
    s.c2s(std::string("POST /a HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n") + hex +
          "\r\n" + inner + "\r\n0\r\n\r\n");
    s.s2c(kOk0);
    s.end();
    REQUIRE(s.txs.size() == 1);
    CHECK(s.txs[0].request.body.body.sha256 == sha256_hex(inner));
    CHECK(s.txs[0].has(HttpAnomaly::transfer_encoding_with_content_length));
    CHECK(s.txs[0].complete());
  }
}

TEST_CASE("http: (flow, tx_id) is a key: unsolicited responses take ids of their own") {
  Session s;
  s.c2s(kGet);
  s.s2c(std::string(kResp) + kOk0 + kOk0);
  s.c2s(std::string(kGet) + kGet);
  s.s2c(std::string(kResp) + kResp);
  s.s2c(kOk0);
  s.end();
  REQUIRE(s.txs.size() == 6);
  std::vector<uint64_t> ids;
  for (const auto& t : s.txs) ids.push_back(t.tx_id);
  CHECK(ids == std::vector<uint64_t>{0, 1, 2, 3, 4, 5});
  CHECK(!s.txs[0].has(HttpAnomaly::unsolicited_response));
  CHECK(s.txs[1].has(HttpAnomaly::unsolicited_response));
  CHECK(s.txs[2].has(HttpAnomaly::unsolicited_response));
  CHECK(s.txs[3].request.present);
  CHECK(s.txs[4].request.present);
  CHECK(s.txs[5].has(HttpAnomaly::unsolicited_response));
  auto j = nlohmann::json::parse(record_of(s.txs[2], s.opts));
  CHECK(j["tx_id"] == 2);
}

TEST_CASE("http: detection by content still refuses what is not HTTP") {
  for (std::string junk : {std::string("OPTIONS rtsp://cam.example/s RTSP/1.0\r\nCSeq: 1\r\n\r\n"),
                           std::string("INVITE sip:bob@example.test SIP/2.0\r\n"),
                           std::string("HELLO world\r\n"),
                           std::string("EHLO mail.example.test\r\n"),
                           std::string("GET /\x01 HTTP/1.1\r\n\r\n", 18),
                           std::string("GET / HTTP/3.0\r\n\r\n"),
                           std::string("\x00\x00\x00\x2c\xff\x53\x4d\x42 x\r\n", 12)}) {
    CAPTURE(junk);
    Session s;
    s.c2s(junk);
    s.s2c("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    s.end();
    CHECK(s.txs.empty());
    CHECK(s.parser().non_http());
  }
  for (std::string ok : {std::string("FOO / HTTP/1.1\r\n\r\n"), std::string("GET / HTTP/1.\r\n\r\n"),
                         std::string("GET  /  HTTP/1.1\n\n"), std::string("GET /a\r\n"),
                         std::string("get / http/1.1\r\n\r\n")}) {
    CAPTURE(ok);
    Session s;
    s.c2s(ok);
    s.s2c("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    s.end();
    CHECK(s.txs.size() == 1);
    CHECK(!s.parser().non_http());
  }
}

// End to end over the shared captures: capture -> decode -> TCP reassembly ->
// HttpSessionSink, compared with the truth files (what the endpoints sent).
#include <fstream>

#include "libcore/stage/packet_loop.hpp"
#include "libcore/decode/stats.hpp"
#include "libcore/reasm/tcp.hpp"

namespace {

struct Seen {
  uint16_t client_port;
  HttpTransaction tx;
};

std::vector<Seen> run_capture(const std::string& path, const HttpOptions& o) {
  std::vector<Seen> out;
  HttpSessionSink sink(o, [&](const SessionView& s, const HttpTransaction& t) {
    out.push_back(Seen{s.key.sport, t});
  });
  TcpReassembler tcp(sink);
  PacketLoopOptions lo;
  lo.inputs = {path};
  PacketLoopHandlers h;
  h.packet = [&](const Packet& p, Decoded& d) { tcp.feed(p, d); };
  DecodeStats ds;
  run_packet_loop(lo, h, ds);
  tcp.finish();
  return out;
}

template <class T>
bool same_opt(const nlohmann::json& j, const std::optional<T>& v) {
  return j.is_null() ? !v.has_value() : (v.has_value() && j.get<T>() == *v);
}

}  // namespace

TEST_CASE("http: fixtures agree with their truth files") {
  const char* names[] = {"http_get_basic", "http_keepalive", "http_pipelined", "http_chunked_gzip_ns",
                         "http_head_304_v6_sll", "http_post_100continue", "http_rst_midstream",
                         "http10_close_delimited_sll2", "rawip_http_post", "crafted_missing_syn_rawip",
                         "crafted_ooo_retrans", "crafted_seq_wrap_v6_ns", "non_tls_on_443",
                         "mixed_dns_http_https", "tcp_zero_window"};
  for (const char* name : names) {
    CAPTURE(name);
    std::string base = std::string(NETLINES_FIXTURES) + "/";
    std::ifstream tf(base + "truth/" + name + ".json");
    if (!tf) continue;
    auto truth = nlohmann::json::parse(tf);
    std::string cap = base + truth["file"].get<std::string>();
    auto seen = run_capture(cap, HttpOptions{});
    CHECK(seen.size() == truth["http"].size());
    for (const auto& h : truth["http"]) {
      uint16_t port = truth["connections"][h["conn"].get<size_t>()]["client"]["port"].get<uint16_t>();
      uint64_t idx = h["index_in_conn"].get<uint64_t>();
      CAPTURE(port);
      CAPTURE(idx);
      const HttpTransaction* t = nullptr;
      for (const auto& s : seen)
        if (s.client_port == port && s.tx.tx_id == idx) t = &s.tx;
      REQUIRE(t != nullptr);
      const auto& q = t->request;
      const auto& r = t->response;
      CHECK(q.method == h["method"].get<std::string>());
      CHECK(q.uri == h["uri"].get<std::string>());
      CHECK(q.version == h["version"].get<std::string>());
      CHECK(same_opt(h["host"], q.host));
      CHECK(q.body.body.len == h["request_body_len"].get<uint64_t>());
      CHECK(q.body.body.sha256 == h["request_body_sha256"].get<std::string>());
      CHECK(t->interim == h["interim"].get<std::vector<uint16_t>>());
      CHECK(r.status == h["status"].get<uint16_t>());
      CHECK(same_opt(h["reason"], r.reason));
      CHECK(r.version == h["response_version"].get<std::string>());
      CHECK(same_opt(h["content_length"], r.content_length));
      CHECK(same_opt(h["transfer_encoding"], r.transfer_encoding));
      CHECK(same_opt(h["content_encoding"], r.content_encoding));
      CHECK(body_framing_name(r.framing) == h["body_framing"].get<std::string>());
      CHECK(t->complete() == h["complete"].get<bool>());
      if (h["complete"].get<bool>()) {
        CHECK(r.wire_body_len == h["wire_body_len"].get<uint64_t>());
        CHECK(r.body.body.len == h["body_len"].get<uint64_t>());
        CHECK(r.body.body.sha256 == h["body_sha256"].get<std::string>());
        if (r.body.decode == DecodeStatus::none) {
          CHECK(h["decoded_body_sha256"] == h["body_sha256"]);
        } else {
          CHECK(r.body.decoded.len == h["decoded_body_len"].get<uint64_t>());
          CHECK(r.body.decoded.sha256 == h["decoded_body_sha256"].get<std::string>());
        }
      } else {
        CHECK(r.body.body.len == h["delivered_body_len"].get<uint64_t>());
        CHECK(r.body.body.sha256 == h["delivered_body_sha256"].get<std::string>());
      }
      std::vector<std::pair<std::string, std::string>> tr;
      for (const auto& x : r.trailers) tr.emplace_back(x.name, x.value);
      std::vector<std::pair<std::string, std::string>> want;
      for (const auto& x : h["trailers"]) want.emplace_back(x[0].get<std::string>(), x[1].get<std::string>());
      CHECK(tr == want);
    }
  }
}
