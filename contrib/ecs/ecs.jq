# netlines record -> Elastic Common Schema (ECS 8.x) document.
#
#   flowstat dump.pcap | jq -c -f contrib/ecs/ecs.jq
#
# One program for every record type, dispatching on .type (docs/schema.md):
# flow, interval, session_start, session_end, monologue, http, tls, pkt, dns.
# Records of any other type (or without .type) are DROPPED: an ECS index
# should not receive documents it has no mapping for. Runs on jq 1.6.
#
# Rules:
# - a field that is null (unknown / not on the wire) in our record is omitted,
#   never written as null; empty arrays and objects are omitted too (prune).
# - ECS has no place for netlines-only facts (flow_id, Zeek history, anomaly
#   names, ...): they go under the custom `netlines` object, as ECS recommends
#   for non-ECS fields.
# - @timestamp is our `ts`: ISO 8601 strings pass through untouched (all 9
#   nanosecond digits kept: Elasticsearch `date_nanos` reads them); `--time=epoch`
#   numbers are turned into ISO strings with microseconds (jq holds numbers as
#   doubles, so digits below ~0.25 us of an epoch number are lost anyway).

def ecs_version: "8.11.0";

# --- helpers -----------------------------------------------------------------

# Drop nulls, empty arrays and empty objects, recursively.
def prune:
  if type == "object" then
    to_entries
    | map(.value |= prune | select(.value != null and .value != [] and .value != {}))
    | from_entries
  elif type == "array" then
    map(prune | select(. != null and . != [] and . != {}))
  else . end;

def pad_left($n): tostring | ("000000000" + .)[-$n:];

# A timestamp (ISO string or epoch number) as an ISO 8601 string.
def iso:
  if type == "number" then
    (. * 1000000 | round) as $us
    | ($us / 1000000 | floor) as $s
    | ($s | todate | sub("Z$"; "." + (($us - $s * 1000000) | pad_left(6)) + "Z"))
  else . end;

# A timestamp as [whole seconds, nanoseconds]: differences of these are exact
# integers, where differences of doubles would lose the nanosecond digits.
def time_parts:
  if type == "number" then [floor, ((. - floor) * 1e9 | round)]
  else
    (capture("^(?<base>[^.Z]+)(\\.(?<frac>[0-9]+))?Z$")) as $m
    | [($m.base + "Z" | fromdateiso8601),
       ((($m.frac // "") + "000000000")[:9] | tonumber)]
  end;

# Nanoseconds from timestamp $a to timestamp $b; null if either is null.
def ns_between($a; $b):
  if $a == null or $b == null then null
  else ($a | time_parts) as $x | ($b | time_parts) as $y
       | ($y[0] - $x[0]) * 1000000000 + ($y[1] - $x[1]) end;

# ECS event.duration is in NANOSECONDS (a long); our durations are seconds.
def seconds_to_ns: if . == null then null else . * 1e9 | round end;

# EVE proto -> ECS network.transport (lower-case IANA keyword) and
# network.iana_number (a string in ECS).
def transport:
  if . == "TCP" then "tcp" elif . == "UDP" then "udp"
  elif . == "ICMP" then "icmp" elif . == "IPv6-ICMP" then "ipv6-icmp"
  elif . == 47 then "gre" elif . == 50 then "esp" elif . == 51 then "ah"
  elif . == 132 then "sctp" else null end;
def iana_number:
  if . == "TCP" then "6" elif . == "UDP" then "17" elif . == "ICMP" then "1"
  elif . == "IPv6-ICMP" then "58" elif type == "number" then tostring
  else null end;

def is_icmp: . == "ICMP" or . == "IPv6-ICMP";

def ip_type: if . == null then null elif test(":") then "ipv6" else "ipv4" end;

# ECS wants MACs upper case with hyphens: 02-99-00-00-00-02.
def ecs_mac: if . == null then null else ascii_upcase | gsub(":"; "-") end;

# "HTTP/1.1" -> "1.1" (ECS http.version); "TLSv1.3" -> "1.3" (tls.version).
def version_number: if . == null then null else sub("^[A-Za-z/]+v?"; "") end;

# Host header "name:port" / "[v6]:port" -> {domain, port}.
def split_host:
  if . == null then {}
  else capture("^(?<domain>\\[[^\\]]*\\]|[^:]*)(:(?<port>[0-9]+))?$") // {domain: .}
       | .port |= (if . == null then null else tonumber end)
  end;

# Request target -> ECS url.* parts. Origin form "/p?q", absolute form
# "http://h:p/p?q" (proxy requests); authority form (CONNECT) and "*" only
# give url.original.
def split_target:
  . as $t
  | if $t == null then {}
    else
      (if test("^[A-Za-z][A-Za-z0-9+.-]*://") then
         capture("^(?<scheme>[^:]+)://(?<auth>[^/?#]*)(?<rest>.*)$")
         | (.auth | split_host) as $h
         | {scheme: (.scheme | ascii_downcase), domain: $h.domain, port: $h.port, rest}
       elif startswith("/") then {rest: $t}
       else {} end) as $p
      | ($p.rest // null) as $rest
      | {original: $t, scheme: $p.scheme, domain: $p.domain, port: $p.port}
      + (if $rest == null then {}
         else ($rest | capture("^(?<path>[^?#]*)(\\?(?<query>[^#]*))?(#(?<fragment>.*))?$"))
              | {path: (if .path == "" then null else .path end), query, fragment}
         end)
    end;

# source.* / destination.* / network.* shared by every record with the EVE
# 5-tuple. ICMP flows carry type/code in the port fields: not ports, so they go
# to netlines.icmp instead of source.port / destination.port.
def endpoints:
  (.proto | is_icmp) as $icmp
  | {
      source: {ip: .src_ip, port: (if $icmp then null else .src_port end)},
      destination: {ip: .dest_ip, port: (if $icmp then null else .dest_port end)},
      network: {
        transport: (.proto | transport),
        iana_number: (.proto | iana_number),
        type: (if .ip_version then "ipv\(.ip_version)" else (.src_ip | ip_type) end),
        community_id: .community_id,
        vlan: {id: (.vlan | if type == "number" then tostring else null end)}
      },
      related: {ip: ([.src_ip, .dest_ip] | map(select(. != null)) | unique)},
      netlines: {
        type: .type, flow_id: .flow_id,
        icmp: (if $icmp and .type == "flow" then {type: .src_port, code: .dest_port} else null end)
      }
    };

def event($kind; $category; $type):
  {kind: $kind, category: $category, type: $type,
   module: "netlines", dataset: "netlines.\(.type)"};

# Recursive merge that lets the per-type parts add to endpoints' objects.
def base($kind; $category; $type):
  {"@timestamp": (.ts | iso), ecs: {version: ecs_version},
   event: event($kind; $category; $type)} * endpoints;

# --- per record type -----------------------------------------------------------

# flowstat: one bidirectional flow. source = originator. Bytes are frame
# lengths on the wire (flow.*.link_bytes), as Suricata's bytes_toserver; the
# IP / transport / payload byte counts stay under netlines.flow.
def ecs_flow:
  .flow as $f
  | base("event"; ["network"];
         (if $f.partial then ["connection", "info"] else ["connection", "end"] end))
  * {
      event: {start: ($f.start | iso), end: ($f.end | iso),
              duration: ($f.duration | seconds_to_ns), reason: $f.reason},
      source: {bytes: $f.orig.link_bytes, packets: $f.orig.packets},
      destination: {bytes: $f.resp.link_bytes, packets: $f.resp.packets},
      network: {bytes: ($f.orig.link_bytes + $f.resp.link_bytes),
                packets: ($f.orig.packets + $f.resp.packets),
                protocol: $f.app,
                direction: $f.direction},
      netlines: {flow: ($f | del(.start, .end, .duration, .app, .direction, .reason))}
    };

# flowstat --interval: traffic totals of one interval: a metric, no endpoints.
def ecs_interval:
  {"@timestamp": (.ts | iso), ecs: {version: ecs_version},
   event: (event("metric"; ["network"]; ["info"])
           + {duration: (.interval | seconds_to_ns)}),
   network: {bytes: .bytes, packets: .packets},
   netlines: ({type} + (. | del(.type, .ts, .bytes, .packets)))};

# tcpflow-reasm session_start: the session was first seen.
def ecs_session_start:
  base("event"; ["network"]; ["connection", "start"])
  * {netlines: {session: {client_rule, handshake}}};

# tcpflow-reasm session_end. Bytes here are reassembled STREAM bytes (TCP
# payload delivered once), not wire bytes as in flow records.
def ecs_session_end:
  base("event"; ["network"]; ["connection", "end"])
  * {
      event: {start: (.start | iso), end: (.ts | iso),
              duration: (.duration | seconds_to_ns), reason: .reason},
      source: {bytes: .c2s.bytes, packets: .c2s.packets},
      destination: {bytes: .s2c.bytes, packets: .s2c.packets},
      network: {bytes: (.c2s.bytes + .s2c.bytes), packets: (.c2s.packets + .s2c.packets)},
      netlines: {session: {closed_by, c2s, s2c}}
    };

# tcpflow-reasm monologue piece: metadata only, the base64 data is not copied.
# source stays the client whatever .dir says (ECS source = the initiator).
def ecs_monologue:
  base("event"; ["network"]; ["info"])
  * {
      event: {start: (.first_ts | iso), end: (.last_ts | iso),
              duration: ns_between(.first_ts; .last_ts)},
      network: {bytes: .len, packets: .packets},
      netlines: {monologue: {dir, monologue, piece, offset, len, gap_before, last}}
    };

# httpextract: one transaction.
def ecs_http:
  .http as $h | .timing as $t
  | ($h.host | split_host) as $host
  | ($h.uri | split_target) as $url
  | base("event"; ["network", "web"]; ["access", "protocol"])
  * {
      event: {start: ($t.request_start | iso),
              end: (($t.response_end // $t.request_end) | iso),
              duration: ns_between($t.request_start; ($t.response_end // $t.request_end))},
      destination: {domain: $host.domain},
      network: {protocol: "http"},
      # url.domain/port: from the absolute-form target if any, else the Host header.
      url: ($url + {domain: ($url.domain // $host.domain), port: ($url.port // $host.port),
                    username: $h.auth_user}),
      http: {
        version: ($h.version | version_number),
        request: {method: $h.method, referrer: $h.referer,
                  # the entity size after de-chunking (ECS: body size in bytes)
                  body: {bytes: $h.request_body.len}},
        response: {status_code: $h.status,
                   body: {bytes: $h.response_body.len}}
      },
      user_agent: {original: $h.user_agent},
      related: {hosts: [$host.domain]},
      netlines: {http: {
        tx_id: .tx_id, complete, request_complete, response_complete,
        anomalies,
        request_content_type: $h.request_content_type,
        response_content_type: $h.content_type,
        request_body_sha256: $h.request_body.sha256,
        response_body_sha256: $h.response_body.sha256,
        response_wire_body_len: $h.wire_body_len,
        body_framing: $h.body_framing,
        reason: $h.reason, interim: $h.interim, tunnel: $h.tunnel,
        auth_scheme: $h.auth_scheme,
        ttfb: $t.ttfb, transfer: $t.transfer
      }}
    };

# tlssni: one ClientHello (+ the ServerHello answering it).
# ECS tls.client.ja3 / tls.server.ja3s hold the MD5 HASHES (our ja3_hash,
# ja3s_hash); the JA3 strings stay under netlines.tls. tls.client.ja4 is the
# name Elastic integrations use for JA4; check your ECS version's field list.
def ecs_tls:
  .tls as $c | ($c.server // {}) as $s
  | base("event"; ["network"]; ["protocol"])
  * {
      destination: {domain: $c.sni},
      network: {protocol: "tls"},
      tls: {
        # negotiated version: "TLSv1.3" -> version_protocol "tls", version "1.3"
        version: ($s.version_name | version_number),
        version_protocol: (if $s.version_name then "tls" else null end),
        cipher: ($s.cipher_name // $s.cipher),
        next_protocol: $s.alpn,
        client: {
          server_name: $c.sni,
          ja3: $c.ja3_hash,
          ja4: $c.ja4,
          # unknown suites have a null name: write their hex code instead
          supported_ciphers: ([$c.cipher_suites, $c.cipher_suite_names] | transpose
                              | map(.[1] // .[0]))
        },
        server: {ja3s: $s.ja3s_hash}
      },
      related: {hosts: $c.sni_all},
      netlines: {tls: {
        hello_no: $c.hello_no, hello_parsed: $c.hello_parsed, sslv2: $c.sslv2,
        client_version: $c.version, supported_versions: $c.supported_versions,
        alpn: $c.alpn, ja3: $c.ja3, ja4_r: $c.ja4_r, ja3s: $s.ja3s,
        grease: $c.grease, ech: $c.ech, early_data: $c.early_data,
        pre_shared_key: $c.pre_shared_key,
        server_version: $s.version, hello_retry_request: $s.hello_retry_request,
        anomalies: $c.anomalies, server_anomalies: $c.server_anomalies
      }}
    };

# dnsextract: one transaction (query and response). ECS's dns.type is "answer"
# for a record with a response (it carries the question too, as ECS asks), else
# "query". dns.header_flags: the response's flags (the query's without one), and
# DO from its OPT record. event.duration = rtt.
def ecs_dns:
  .dns as $d
  | ($d.response_flags // $d.query_flags // {}) as $f
  | ($d.queries[0] // {}) as $q
  | ([$d.answers[] | select(.type_name == "A" or .type_name == "AAAA") | .rdata]) as $ips
  | ([($d.additionals + $d.query_additionals)[] | select(.type == 41) | .opt]) as $opts
  | base("event"; ["network"]; ["protocol"])
  * {
      event: {start: ($d.query_ts | iso), end: ($d.response_ts | iso),
              duration: ($d.rtt | seconds_to_ns)},
      network: {protocol: "dns"},
      dns: {
        id: ($d.id | if . == null then null else tostring end),
        type: (if $d.response_flags then "answer" else "query" end),
        op_code: $d.opcode_name,
        response_code: $d.rcode_name,
        header_flags: (([["aa", "AA"], ["tc", "TC"], ["rd", "RD"], ["ra", "RA"], ["ad", "AD"], ["cd", "CD"]]
                        | map(select($f[.[0]] == true) | .[1]))
                       + (if ($opts | map(.do) | any) then ["DO"] else [] end)),
        question: {name: $q.name, type: ($q.type_name // ($q.type | if . == null then null else tostring end)),
                   class: $q.class_name},
        answers: [$d.answers[] | {name, type: (.type_name // (.type | tostring)), class: .class_name,
                                  ttl, data: .rdata}],
        resolved_ip: $ips
      },
      related: {hosts: ([$q.name] + [$d.answers[] | select(.type_name == "CNAME") | .rdata]
                        | map(select(. != null)) | unique),
                ip: ([.src_ip, .dest_ip] + $ips | map(select(. != null)) | unique)},
      netlines: {dns: {
        transport: $d.transport, status: $d.status, query_packets: $d.query_packets,
        rcode: $d.rcode, rtt: $d.rtt,
        client_subnet: ([$opts[] | .client_subnet | select(. != null)] | first),
        authorities: ($d.authorities | length), additionals: ($d.additionals | length),
        anomalies: $d.anomalies
      }}
    };

# pcap2pkt: one packet. The payload (base64/text) is not copied.
def ecs_pkt:
  base("event"; ["network"]; ["info"])
  * {
      source: {mac: (.link.src | ecs_mac)},
      destination: {mac: (.link.dst | ecs_mac)},
      network: {bytes: .len, packets: 1,
                type: (if .ip.version then "ipv\(.ip.version)" else null end),
                # outermost tag is the VLAN, the next one (Q-in-Q) the inner VLAN
                vlan: {id: ((.vlan // [])[0].id | if . == null then null else tostring end)},
                inner: {vlan: {id: ((.vlan // [])[1].id | if . == null then null else tostring end)}}},
      netlines: {pkt: {n, caplen, len, payload_len, link_type: .link.type,
                       ttl: .ip.ttl, tcp_flags: .tcp.flags,
                       icmp: (.icmp // .icmpv6), anomalies}}
    };

# --- dispatch ------------------------------------------------------------------

if type != "object" then empty
elif .type == "flow" then ecs_flow
elif .type == "interval" then ecs_interval
elif .type == "session_start" then ecs_session_start
elif .type == "session_end" then ecs_session_end
elif .type == "monologue" then ecs_monologue
elif .type == "http" then ecs_http
elif .type == "tls" then ecs_tls
elif .type == "pkt" then ecs_pkt
elif .type == "dns" then ecs_dns
else empty end
| prune
