// {"type":"cred","ts",ids,"cred":{...},"anomalies"}
// {"type":"smtp","ts",ids,"smtp":{...},"anomalies"}
// {"type":"cred_summary","server_ip","protocol","user",counts,"clients","first_ts","last_ts"}
#include "libcore/proto/cred_record.hpp"

#include "libcore/record/session_record.hpp"

namespace nl {

namespace {

void anomalies(JsonWriter& w, uint32_t bits) {
  w.key("anomalies");
  w.begin_array();
  std::vector<const char*> names;
  cred_anomaly_names(bits, names);
  for (const char* n : names) w.plain_string(n);
  w.end_array();
}

}  // namespace

void write_cred_record(JsonWriter& w, const SessionView& s, const CredAttempt& a, const CredOptions& o,
                       TimeFormat tf) {
  begin_session_record(w, "cred", s, a.ts, tf);
  w.key("cred");
  w.begin_object();
  w.field_plain("protocol", cred_protocol_name(a.protocol));
  w.field_str("mechanism", a.mechanism);
  w.field_or_null("user", a.user);
  w.field_bool("password_sent", a.password_sent);
  w.field_or_null("password_len", a.password_sent, [&] { w.number(uint64_t(a.password.size())); });
  if (o.show_secrets && a.password_sent) w.field_str("password", a.password);
  w.field_plain("outcome", cred_outcome_name(a.outcome));
  w.field_or_null("reply_code", a.reply_code);
  w.field_or_null("reply_text", a.reply_text);
  w.field("attempt", a.attempt_no);
  w.end_object();
  anomalies(w, a.anomalies);
  w.end_object();
}

void write_smtp_record(JsonWriter& w, const SessionView& s, const SmtpTransaction& t, TimeFormat tf) {
  begin_session_record(w, "smtp", s, t.ts, tf);
  w.key("smtp");
  w.begin_object();
  w.field("tx_id", t.tx_no);
  w.field_or_null("helo", t.helo);
  w.field_or_null("auth_user", t.auth_user);
  w.field_or_null("mail_from", t.mail_from);
  w.key("rcpt_to");
  w.begin_array();
  for (const auto& r : t.rcpt_to) w.string(r);
  w.end_array();
  w.field("rcpt_rejected", uint64_t(t.rcpt_rejected));
  w.field_bool("data", t.data);
  w.field_plain("outcome", cred_outcome_name(t.outcome));
  w.field_or_null("reply_code", t.reply_code);
  w.field_or_null("reply_text", t.reply_text);
  w.field_bool("reset", t.reset);
  w.end_object();
  anomalies(w, t.anomalies);
  w.end_object();
}

void CredSummary::add(const SessionView& s, const CredAttempt& a) {
  std::string server;
  append_ip(server, s.key.dst);
  Key k{std::move(server), cred_protocol_name(a.protocol), a.user.value_or(""), a.user.has_value()};
  auto it = rows_.find(k);
  if (it == rows_.end()) {
    if (rows_.size() >= max_keys_) {
      ++dropped_;
      return;
    }
    it = rows_.emplace(std::move(k), Row{}).first;
    it->second.first = a.ts;
  }
  Row& r = it->second;
  ++r.attempts;
  if (a.outcome == CredOutcome::success) ++r.successes;
  if (a.outcome == CredOutcome::failure) ++r.failures;
  if (r.clients.size() < 65536) {
    std::string c;
    append_ip(c, s.key.src);
    r.clients.insert(std::move(c));
  }
  if (a.ts < r.first) r.first = a.ts;
  if (r.last < a.ts) r.last = a.ts;
}

void CredSummary::write(std::string& out, TimeFormat tf) const {
  for (const auto& [k, r] : rows_) {
    JsonWriter w(out);
    w.begin_object();
    w.field_plain("type", "cred_summary");
    w.field_str("server_ip", std::get<0>(k));
    w.field_plain("protocol", std::get<1>(k));
    w.key("user");
    if (std::get<3>(k)) w.string(std::get<2>(k));
    else w.null();
    w.field("attempts", r.attempts);
    w.field("successes", r.successes);
    w.field("failures", r.failures);
    w.field("unknown", r.attempts - r.successes - r.failures);
    w.field("clients", uint64_t(r.clients.size()));
    w.key("first_ts");
    w.timestamp(r.first, tf);
    w.key("last_ts");
    w.timestamp(r.last, tf);
    w.end_object();
    w.flush();
    out += '\n';
  }
}

}  // namespace nl
