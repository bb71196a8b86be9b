-- netlines records in PostgreSQL (12+: generated columns; jsonb).
-- Schema and views; load JSON Lines with contrib/sql/load-postgres.sh (see
-- docs/siem.md). One table holds every record type as jsonb; views pick out
-- flow, http and tls records. Idempotent: safe to run on an existing database.
-- Timestamps: ISO 8601 text (the default) or epoch numbers (--time=epoch);
-- netlines_ts() reads both into timestamptz (microsecond precision: the
-- nanosecond digits of ns captures are rounded; the jsonb keeps them).

SET client_min_messages = warning;

CREATE TABLE IF NOT EXISTS records (
  id      bigserial PRIMARY KEY,
  rec     jsonb NOT NULL,
  -- generated from the JSON, so filters and joins can use indexes
  type    text   GENERATED ALWAYS AS (rec->>'type') STORED,
  flow_id bigint GENERATED ALWAYS AS ((rec->>'flow_id')::bigint) STORED,
  src_ip  inet   GENERATED ALWAYS AS ((rec->>'src_ip')::inet) STORED,
  dest_ip inet   GENERATED ALWAYS AS ((rec->>'dest_ip')::inet) STORED
);
CREATE INDEX IF NOT EXISTS records_type ON records (type);
CREATE INDEX IF NOT EXISTS records_flow_id ON records (flow_id);
CREATE INDEX IF NOT EXISTS records_rec ON records USING gin (rec jsonb_path_ops);

-- A netlines timestamp (ISO string or epoch number) as timestamptz.
CREATE OR REPLACE FUNCTION netlines_ts(v jsonb) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT CASE jsonb_typeof(v)
           WHEN 'number' THEN to_timestamp((v #>> '{}')::float8)
           WHEN 'string' THEN (v #>> '{}')::timestamptz
         END
$$;

-- Seconds between two netlines timestamps, exact (numeric, no float or
-- microsecond rounding): ISO text is split into whole seconds + fraction digits.
CREATE OR REPLACE FUNCTION netlines_seconds(v jsonb) RETURNS numeric
LANGUAGE sql STABLE AS $$
  SELECT CASE jsonb_typeof(v)
           WHEN 'number' THEN (v #>> '{}')::numeric
           WHEN 'string' THEN
             extract(epoch FROM (left(v #>> '{}', 19) || 'Z')::timestamptz)::numeric
             + coalesce(('0' || substring(v #>> '{}' FROM '\.[0-9]+'))::numeric, 0)
         END
$$;

-- flowstat records. Partial records (--interval) are left out: their flow has
-- a later, final record. Bytes: frame lengths on the wire (link_bytes).
CREATE OR REPLACE VIEW flows AS
SELECT id, flow_id,
       netlines_ts(rec->'ts')                         AS ts,
       rec->>'community_id'                           AS community_id,
       src_ip,
       (rec->>'src_port')::int                        AS src_port,
       dest_ip,
       (rec->>'dest_port')::int                       AS dest_port,
       rec->>'proto'                                  AS proto,
       (rec->>'vlan')::int                            AS vlan,
       rec#>>'{flow,app}'                             AS app,
       rec#>>'{flow,state}'                           AS state,
       rec#>>'{flow,reason}'                          AS reason,
       (rec#>>'{flow,duration}')::numeric             AS duration,
       (rec#>>'{flow,orig,packets}')::bigint          AS orig_packets,
       (rec#>>'{flow,resp,packets}')::bigint          AS resp_packets,
       (rec#>>'{flow,orig,link_bytes}')::bigint       AS orig_bytes,
       (rec#>>'{flow,resp,link_bytes}')::bigint       AS resp_bytes,
       (rec#>>'{flow,orig,link_bytes}')::bigint
         + (rec#>>'{flow,resp,link_bytes}')::bigint   AS bytes,
       rec
FROM records
WHERE type = 'flow' AND NOT (rec#>'{flow,partial}')::boolean;

-- httpextract records: one row per transaction. duration: seconds from request
-- start to response end (request end when there was no response).
CREATE OR REPLACE VIEW http AS
SELECT id, flow_id,
       (rec->>'tx_id')::int                               AS tx_id,
       netlines_ts(rec->'ts')                             AS ts,
       src_ip,
       (rec->>'src_port')::int                            AS src_port,
       dest_ip,
       (rec->>'dest_port')::int                           AS dest_port,
       rec#>>'{http,method}'                              AS method,
       rec#>>'{http,host}'                                AS host,
       rec#>>'{http,uri}'                                 AS uri,
       (rec#>>'{http,status}')::int                       AS status,
       rec#>>'{http,user_agent}'                          AS user_agent,
       rec#>>'{http,content_type}'                        AS content_type,
       (rec#>>'{http,request_body,len}')::bigint          AS request_body_len,
       (rec#>>'{http,response_body,len}')::bigint         AS response_body_len,
       (rec#>>'{timing,ttfb}')::numeric                   AS ttfb,
       netlines_seconds(coalesce(nullif(rec#>'{timing,response_end}', 'null'),
                                 rec#>'{timing,request_end}'))
         - netlines_seconds(rec#>'{timing,request_start}') AS duration,
       rec
FROM records
WHERE type = 'http';

-- tlssni records: one row per ClientHello.
CREATE OR REPLACE VIEW tls AS
SELECT id, flow_id,
       netlines_ts(rec->'ts')                 AS ts,
       src_ip, dest_ip,
       (rec->>'dest_port')::int               AS dest_port,
       rec#>>'{tls,sni}'                      AS sni,
       rec#>>'{tls,ja3_hash}'                 AS ja3_hash,
       rec#>>'{tls,ja4}'                      AS ja4,
       rec#>>'{tls,server,version_name}'      AS version,
       rec
FROM records
WHERE type = 'tls';

-- dnsextract records: one row per transaction; answers as a jsonb array of the
-- rdata texts.
CREATE OR REPLACE VIEW dns AS
SELECT id, flow_id,
       netlines_ts(rec->'ts')                 AS ts,
       src_ip,
       (rec->>'src_port')::int                AS src_port,
       dest_ip,
       (rec->>'dest_port')::int               AS dest_port,
       rec#>>'{dns,transport}'                AS transport,
       rec#>>'{dns,status}'                   AS status,
       (rec#>>'{dns,id}')::int                AS dns_id,
       rec#>>'{dns,queries,0,name}'           AS qname,
       rec#>>'{dns,queries,0,type_name}'      AS qtype,
       rec#>>'{dns,rcode_name}'               AS rcode,
       netlines_seconds(rec#>'{dns,rtt}')     AS rtt,
       jsonb_path_query_array(rec, '$.dns.answers[*].rdata') AS answers,
       rec
FROM records
WHERE type = 'dns';

-- Example queries, as views: SELECT * FROM top_talkers LIMIT 10;

-- Originators by bytes of their flows (both directions, on the wire).
CREATE OR REPLACE VIEW top_talkers AS
SELECT src_ip, sum(bytes) AS bytes, count(*) AS flows
FROM flows GROUP BY src_ip ORDER BY bytes DESC, src_ip;

-- HTTP requests per Host header (NULL: no Host header).
CREATE OR REPLACE VIEW requests_per_host AS
SELECT host, count(*) AS requests, sum(response_body_len) AS response_bytes
FROM http GROUP BY host ORDER BY requests DESC, host;

-- HTTP transactions, slowest first.
CREATE OR REPLACE VIEW slowest_http AS
SELECT duration, ttfb, method, host, uri, status, src_ip, dest_ip, flow_id, tx_id
FROM http ORDER BY duration DESC NULLS LAST, flow_id, tx_id;

-- DNS names asked for, most asked first.
CREATE OR REPLACE VIEW top_queried_names AS
SELECT qname, count(*) AS queries
FROM dns WHERE qname IS NOT NULL GROUP BY qname ORDER BY queries DESC, qname;

-- NXDOMAIN answers per client (many of them: a DGA or a broken resolver list).
CREATE OR REPLACE VIEW nxdomain_per_client AS
SELECT src_ip, count(*) AS nxdomain
FROM dns WHERE rcode = 'NXDOMAIN' GROUP BY src_ip ORDER BY nxdomain DESC, src_ip;
