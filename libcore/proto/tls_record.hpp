// The "tls" JSON record written for each TlsHandshakeResult.
#pragma once
#include "libcore/json/writer.hpp"
#include "libcore/proto/tls_session.hpp"
#include "libcore/time.hpp"

namespace nl {

// The "tls" record: {"type":"tls","ts":...,"flow_id":...,"community_id":..., EVE 5-tuple, "tls":{...}}.
void write_tls_record(JsonWriter& w, const SessionView& s, const TlsHandshakeResult& r, TimeFormat tf);

}  // namespace nl
