// The "dns" JSON record written for each DnsTransaction: the query and its
// response in one line, rdata rendered per type (docs/schema.md, "dns").
#pragma once
#include <string>

#include "libcore/json/writer.hpp"
#include "libcore/proto/dns_session.hpp"
#include "libcore/time.hpp"

namespace nl {

// {"type":"dns","ts":...,<ids>,"dns":{...}}; `ids` are the flow's members
// ("flow_id", "community_id", the EVE 5-tuple) as DnsSink hands them.
void write_dns_record(JsonWriter& w, const std::string& ids, const DnsTransaction& tx, TimeFormat tf);

}  // namespace nl
