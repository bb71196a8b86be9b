// The "cred" record (one per login attempt), the "smtp" record (one per mail
// transaction) and the "cred_summary" record of --summary (per server, protocol
// and user). Fields, units and null rules: docs/schema.md. Anything not on the
// wire is null, never invented; the password only with show_secrets.
#pragma once
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "libcore/json/writer.hpp"
#include "libcore/proto/cred.hpp"
#include "libcore/reasm/session.hpp"
#include "libcore/time.hpp"

namespace nl {

void write_cred_record(JsonWriter& w, const SessionView& s, const CredAttempt& a, const CredOptions& o,
                       TimeFormat tf);
void write_smtp_record(JsonWriter& w, const SessionView& s, const SmtpTransaction& t, TimeFormat tf);

// --summary: attempts and failures per (server address, protocol, user), the
// brute force at a glance. Memory grows with the distinct triples (and clients)
// seen; max_keys caps them (the rest counted in `dropped`).
class CredSummary {
 public:
  explicit CredSummary(size_t max_keys = 1u << 20) : max_keys_(max_keys) {}
  void add(const SessionView& s, const CredAttempt& a);
  // One "cred_summary" line per triple, ordered by server, protocol, user.
  void write(std::string& out, TimeFormat tf) const;
  uint64_t dropped() const { return dropped_; }

 private:
  struct Row {
    uint64_t attempts = 0, successes = 0, failures = 0;
    std::set<std::string> clients;
    Timestamp first, last;
  };
  using Key = std::tuple<std::string, std::string, std::string, bool>;  // server, protocol, user, user known
  std::map<Key, Row> rows_;
  size_t max_keys_;
  uint64_t dropped_ = 0;
};

}  // namespace nl
