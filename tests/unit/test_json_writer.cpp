#include <charconv>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "libcore/json/scan.hpp"
#include "libcore/json/writer.hpp"

using namespace nl;

TEST_CASE("json writer: structure, escaping, numbers") {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field_str("type", "pkt");
  w.field("n", uint64_t(18446744073709551615ULL));
  w.field("neg", int64_t(-5));
  w.key("s");
  w.string(std::string_view("a\"b\\c\n\x01\xff\xc3\xa9", 10));
  w.key("arr");
  w.begin_array();
  w.number(1);
  w.null();
  w.boolean(false);
  w.end_array();
  w.field_null("z");
  w.end_object();
  CHECK(out == "{\"type\":\"pkt\",\"n\":18446744073709551615,\"neg\":-5,"
               "\"s\":\"a\\\"b\\\\c\\n\\u0001\xef\xbf\xbd\xc3\xa9\",\"arr\":[1,null,false],\"z\":null}");
  auto j = nlohmann::json::parse(out);
  CHECK(j["s"].get<std::string>() == "a\"b\\c\n\x01\xef\xbf\xbd\xc3\xa9");
}

TEST_CASE("json writer: integers of every digit count, signed and unsigned, as to_chars writes them") {
  std::vector<uint64_t> values = {0, 1, 9, 99, 100, UINT64_MAX, uint64_t(INT64_MAX), uint64_t(INT64_MAX) + 1};
  for (uint64_t p = 10; p <= 10000000000000000000u; p *= 10) {
    for (uint64_t v : {p - 1, p, p + 1, p / 2 * 3}) values.push_back(v);
    if (p > UINT64_MAX / 10) break;
  }
  uint64_t x = 0x9e3779b97f4a7c15u;
  for (int i = 0; i < 2000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    values.push_back(x >> (i % 64));
  }
  for (uint64_t v : values) {
    for (int sign = 0; sign < 2; ++sign) {
      std::string out, want;
      {
        JsonWriter w(out);
        w.begin_array();
        w.number(uint64_t(7));
        if (sign) w.number(int64_t(v));
        else w.number(v);
        w.end_array();
      }
      char buf[24];
      auto r = sign ? std::to_chars(buf, buf + sizeof buf, int64_t(v)) : std::to_chars(buf, buf + sizeof buf, v);
      want = "[7," + std::string(buf, r.ptr) + "]";
      INFO(v);
      CHECK(out == want);
    }
  }
}

TEST_CASE("base64 round trip for every length up to 64") {
  for (size_t n = 0; n <= 64; ++n) {
    std::string raw;
    for (size_t i = 0; i < n; ++i) raw += char(i * 37 + 11);
    std::string enc;
    append_base64(enc, as_bytes(raw));
    CHECK(enc.size() == (n + 2) / 3 * 4);
    std::string dec;
    REQUIRE(decode_base64(enc, dec));
    CHECK(dec == raw);
  }
  std::string enc;
  append_base64(enc, as_bytes("foobar"));
  CHECK(enc == "Zm9vYmFy");
  std::string dec;
  CHECK_FALSE(decode_base64("Zm9", dec));
  CHECK_FALSE(decode_base64("Zm9*", dec));
  CHECK_FALSE(decode_base64("Z===", dec));
  CHECK(decode_base64("Zg==", dec));
  CHECK(dec == "f");
}

TEST_CASE("base64: every byte value, RFC 4648 vectors, and a bad character anywhere") {
  std::string raw;
  for (int i = 0; i < 256 * 3; ++i) raw += char(i * 7);
  std::string enc, dec;
  append_base64(enc, as_bytes(raw));
  REQUIRE(decode_base64(enc, dec));
  CHECK(dec == raw);
  const char* vectors[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                              {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto& v : vectors) {
    enc.clear();
    append_base64(enc, as_bytes(v[0]));
    CHECK(enc == v[1]);
    REQUIRE(decode_base64(v[1], dec));
    CHECK(dec == v[0]);
  }
  // Long enough for the vector loops (24 bytes / 32 characters per block).
  std::string good;
  append_base64(good, as_bytes(std::string(raw, 0, 96)));
  for (size_t i = 0; i < good.size(); ++i) {
    for (char bad : {'*', '=', '\0', '-', '\xff'}) {
      std::string s = good;
      s[i] = bad;
      if (bad == '=' && i == s.size() - 1) continue;  // valid padding of a shorter input
      CHECK_FALSE(decode_base64(s, dec));
    }
  }
  for (size_t n = 0; n <= 300; ++n) {
    std::string piece = raw.substr(n % 7, n), e1, e2;
    append_base64(e1, as_bytes(piece));
    // Byte-at-a-time reference (RFC 4648 section 4).
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
      uint32_t v = uint32_t(uint8_t(piece[i])) << 16;
      if (i + 1 < n) v |= uint32_t(uint8_t(piece[i + 1])) << 8;
      if (i + 2 < n) v |= uint8_t(piece[i + 2]);
      e2 += kAlphabet[v >> 18];
      e2 += kAlphabet[v >> 12 & 63];
      e2 += i + 1 < n ? kAlphabet[v >> 6 & 63] : '=';
      e2 += i + 2 < n ? kAlphabet[v & 63] : '=';
    }
    REQUIRE(e1 == e2);
    REQUIRE(decode_base64(e1, dec));
    CHECK(dec == piece);
  }
  CHECK_FALSE(decode_base64("Zm9vYg=a", dec));
  CHECK_FALSE(decode_base64("Zg==Zg==", dec));
}

TEST_CASE("timestamps: iso and epoch, lossless, round trip") {
  Timestamp t{1700000000, 123456000, 6};
  std::string s;
  append_timestamp(s, t, TimeFormat::iso);
  CHECK(s == "2023-11-14T22:13:20.123456Z");
  Timestamp back;
  REQUIRE(parse_timestamp(s, back));
  CHECK(back == t);
  CHECK(back.digits == 6);
  s.clear();
  Timestamp ns{1700000000, 123456789, 9};
  append_timestamp(s, ns, TimeFormat::epoch);
  CHECK(s == "1700000000.123456789");
  REQUIRE(parse_timestamp(s, back));
  CHECK(back == ns);
  s.clear();
  append_timestamp(s, Timestamp{0, 0, 6}, TimeFormat::iso);
  CHECK(s == "1970-01-01T00:00:00.000000Z");
  s.clear();
  append_timestamp(s, Timestamp{951782400, 5, 9}, TimeFormat::iso);  // leap day 2000
  CHECK(s == "2000-02-29T00:00:00.000000005Z");
  CHECK_FALSE(parse_timestamp("2000-13-01T00:00:00Z", back));
  CHECK_FALSE(parse_timestamp("abc", back));
}

TEST_CASE("timestamps: the reused seconds of a repeated prefix never change a result") {
  // Seconds repeat in runs, move back and forth, and cross day and year
  // boundaries; a bad fraction after a cached prefix is still refused.
  const int64_t secs[] = {1700000000, 1700000000, 1700000001, 1700000000, 946684799, 946684800, 946684800, 0};
  uint32_t nsec = 7;
  for (int64_t sec : secs) {
    for (uint8_t digits : {uint8_t(0), uint8_t(3), uint8_t(9)}) {
      nsec = (nsec * 2654435761u) % 1000000000u;
      uint32_t kept = digits == 0 ? 0 : digits == 3 ? nsec / 1000000 * 1000000 : nsec;
      Timestamp t{sec, kept, digits};
      std::string s;
      append_timestamp(s, t, TimeFormat::iso);
      Timestamp back;
      INFO(s);
      REQUIRE(parse_timestamp(s, back));
      CHECK(back == t);
      CHECK(back.digits == digits);
      std::string bad = s.substr(0, 19) + ".12x4Z";
      CHECK_FALSE(parse_timestamp(bad, back));
    }
  }
}

TEST_CASE("scanner: an integer is read by the grammar's rules, to its exact value") {
  // Lengths 1..22, leading zeros, every kind of byte after the number, and the
  // number at or near the end of the text.
  const char followers[] = {',', '}', ']', '.', 'e', 'E', ' ', 'x', '/', ':', '\xff', '\xfa', '\0'};
  uint64_t seed = 12345;
  auto next = [&] { return seed = seed * 6364136223846793005ull + 1442695040888963407ull, seed >> 33; };
  for (int round = 0; round < 20000; ++round) {
    size_t len = 1 + next() % 22;
    std::string digits;
    for (size_t i = 0; i < len; ++i) digits += char('0' + next() % 10);
    if (next() % 4 == 0) digits[0] = '9';  // near the top of 19 digits
    std::string text = digits;
    char after = followers[next() % sizeof followers];
    if (after) text += after;
    text.append(next() % 10, '7');  // 0..9 bytes more: both the 8-byte and the tail reading
    json::Scanner sc(text);
    uint64_t v = 0;
    bool ok = sc.uint(v);
    // Reference: the grammar's rules, then the value.
    size_t n = 0;
    while (n < text.size() && text[n] >= '0' && text[n] <= '9') ++n;
    char stop = n < text.size() ? text[n] : '\0';
    bool expect_ok = n <= 19 && !(n > 1 && text[0] == '0') && stop != '.' && stop != 'e' && stop != 'E';
    INFO(text);
    REQUIRE(ok == expect_ok);
    CHECK(sc.failed() == !expect_ok);
    if (!expect_ok) continue;
    uint64_t want = 0;
    std::from_chars(text.data(), text.data() + n, want);
    CHECK(v == want);
    CHECK(sc.peek() == (n < text.size() ? text[n] : '\0'));
  }
}
