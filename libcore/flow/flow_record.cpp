#include "libcore/flow/flow_record.hpp"

#include "libcore/json/writer.hpp"

namespace nl {
namespace {

void write_side(JsonWriter& w, const FlowSide& s, bool tcp) {
  w.begin_object();
  w.field("packets", s.packets);
  w.field("link_bytes", s.link_bytes);
  w.field("l3_bytes", s.l3_bytes);
  w.field("l4_bytes", s.l4_bytes);
  w.field("l7_bytes", s.l7_bytes);
  if (tcp) {
    w.field("l7_bytes_unique", s.l7_bytes_unique);
    w.field("retransmits", s.retransmits);
    w.field("missing_bytes", s.missing_bytes);
    std::string flags;
    append_tcp_flag_letters(flags, s.tcp_flags);
    w.field_str("tcp_flags", flags);
  } else {
    w.field_null("l7_bytes_unique");
    w.field_null("retransmits");
    w.field_null("missing_bytes");
    w.field_null("tcp_flags");
  }
  w.end_object();
}

}  // namespace

void append_tcp_flag_letters(std::string& out, uint8_t flags) {
  static constexpr char kLetters[] = "FSRPAUEC";
  for (int i = 0; i < 8; ++i)
    if (flags & (1u << i)) out += kLetters[i];
}

void write_flow_record(std::string& out, const Flow& f, FlowEnd reason, bool partial,
                       const FlowRecordOptions& opt) {
  JsonWriter w(out);
  w.begin_object();
  w.field_str("type", "flow");
  w.key("ts");
  w.timestamp(f.first, opt.time);
  w.field("flow_id", f.id);
  w.field_str("community_id", community_id(f.key, community_id_seed(), !f.no_ports));
  write_eve_tuple(w, f.key);
  if (f.has_vlan) w.field("vlan", uint64_t(f.key.vlan));
  else w.field_null("vlan");
  w.field("ip_version", uint64_t(f.ip_version));

  w.key("flow");
  w.begin_object();
  w.key("start");
  w.timestamp(f.first, opt.time);
  w.key("end");
  w.timestamp(f.last, opt.time);
  std::string dur;
  append_duration(dur, f.duration_nsec(), f.ts_digits());
  w.key("duration");
  w.raw(dur);
  w.field_str("reason", flow_end_name(reason));
  w.field_bool("partial", partial);
  w.field_bool("fragments_incomplete", f.fragments_incomplete);
  w.field_str("state", f.conn_state());
  w.field_str("history", f.history_view());
  if (f.app != App::unknown) w.field_str("app", app_name(f.app));
  else w.field_null("app");
  if (const char* d = flow_direction_name(f.direction)) w.field_str("direction", d);
  else w.field_null("direction");
  bool tcp = f.key.proto == 6 && !f.fragments_incomplete;  // no TCP header was decoded
  w.key("orig");
  write_side(w, f.orig, tcp);
  w.key("resp");
  write_side(w, f.resp, tcp);
  w.end_object();
  w.end_object();
  out += '\n';
}

void write_interval_record(std::string& out, const IntervalStats& s, const FlowRecordOptions& opt,
                           const IntervalCapture* capture) {
  JsonWriter w(out);
  w.begin_object();
  w.field_str("type", "interval");
  w.key("ts");
  w.timestamp(s.start, opt.time);
  std::string iv;
  append_duration(iv, s.interval_nsec, s.interval_nsec % 1000000000 ? 9 : 0);
  w.key("interval");
  w.raw(iv);
  w.field("packets", s.packets);
  w.field("bytes", s.link_bytes);
  w.field("l3_bytes", s.l3_bytes);
  w.field("flows_started", s.flows_started);
  w.field("flows_active", s.flows_active);
  w.field("flows_ended", s.flows_ended);
  w.key("by_app");
  w.begin_object();
  for (size_t a = 1; a < size_t(App::count_); ++a) w.field(app_name(App(a)), s.by_app[a]);
  w.field("unknown", s.by_app[0]);
  w.end_object();
  w.key("by_src");
  w.begin_array();
  std::string ip;
  for (size_t i = 0; i < s.n_top_src; ++i) {
    w.begin_object();
    ip.clear();
    append_ip(ip, s.top_src[i].ip);
    w.field_str("ip", ip);
    w.field("bytes", s.top_src[i].bytes);
    w.end_object();
  }
  w.end_array();
  w.field("by_src_other", s.src_other);
  if (capture) {
    w.field("capture_received", capture->received);
    w.field("capture_dropped", capture->dropped);
    w.field("capture_if_dropped", capture->if_dropped);
  }
  w.end_object();
  out += '\n';
}

}  // namespace nl
