-- netlines records in SQLite (3.31+ for generated columns; JSON1 functions).
-- Schema and views; load JSON Lines with contrib/sql/load-sqlite.sh (see docs/siem.md).
-- One table holds every record type as JSON text; views pick out flow, http
-- and tls records. Idempotent: safe to run on an existing database.
-- Timestamps are kept as written: ISO 8601 text (the default) or epoch
-- numbers (--time=epoch); durations below work with both.

CREATE TABLE IF NOT EXISTS records (
  id      INTEGER PRIMARY KEY,
  rec     TEXT NOT NULL CHECK (json_valid(rec)),
  -- generated from the JSON, so the filters below can use an index
  type    TEXT GENERATED ALWAYS AS (json_extract(rec, '$.type')) STORED,
  flow_id INTEGER GENERATED ALWAYS AS (json_extract(rec, '$.flow_id')) STORED
);
CREATE INDEX IF NOT EXISTS records_type ON records (type);
CREATE INDEX IF NOT EXISTS records_flow_id ON records (flow_id);

-- flowstat records. Partial records (--interval) are left out: their flow has
-- a later, final record. Bytes: frame lengths on the wire (link_bytes).
CREATE VIEW IF NOT EXISTS flows AS
SELECT id, flow_id,
       json_extract(rec, '$.ts')                    AS ts,
       json_extract(rec, '$.community_id')          AS community_id,
       json_extract(rec, '$.src_ip')                AS src_ip,
       json_extract(rec, '$.src_port')              AS src_port,
       json_extract(rec, '$.dest_ip')               AS dest_ip,
       json_extract(rec, '$.dest_port')             AS dest_port,
       json_extract(rec, '$.proto')                 AS proto,
       json_extract(rec, '$.vlan')                  AS vlan,
       json_extract(rec, '$.flow.app')              AS app,
       json_extract(rec, '$.flow.state')            AS state,
       json_extract(rec, '$.flow.reason')           AS reason,
       json_extract(rec, '$.flow.duration')         AS duration,
       json_extract(rec, '$.flow.orig.packets')     AS orig_packets,
       json_extract(rec, '$.flow.resp.packets')     AS resp_packets,
       json_extract(rec, '$.flow.orig.link_bytes')  AS orig_bytes,
       json_extract(rec, '$.flow.resp.link_bytes')  AS resp_bytes,
       json_extract(rec, '$.flow.orig.link_bytes')
         + json_extract(rec, '$.flow.resp.link_bytes') AS bytes,
       rec
FROM records
WHERE type = 'flow' AND json_extract(rec, '$.flow.partial') = 0;

-- httpextract records: one row per transaction. duration: request start to
-- response end (request end when there was no response).
CREATE VIEW IF NOT EXISTS http AS
SELECT id, flow_id,
       json_extract(rec, '$.tx_id')                      AS tx_id,
       json_extract(rec, '$.ts')                         AS ts,
       json_extract(rec, '$.src_ip')                     AS src_ip,
       json_extract(rec, '$.src_port')                   AS src_port,
       json_extract(rec, '$.dest_ip')                    AS dest_ip,
       json_extract(rec, '$.dest_port')                  AS dest_port,
       json_extract(rec, '$.http.method')                AS method,
       json_extract(rec, '$.http.host')                  AS host,
       json_extract(rec, '$.http.uri')                   AS uri,
       json_extract(rec, '$.http.status')                AS status,
       json_extract(rec, '$.http.user_agent')            AS user_agent,
       json_extract(rec, '$.http.content_type')          AS content_type,
       json_extract(rec, '$.http.request_body.len')      AS request_body_len,
       json_extract(rec, '$.http.response_body.len')     AS response_body_len,
       json_extract(rec, '$.timing.ttfb')                AS ttfb,
       CASE WHEN typeof(t0) = 'text'
            -- whole seconds from strftime, the fraction digits added exactly
            -- (julianday would round to milliseconds)
            THEN (strftime('%s', substr(t1, 1, 19)) - strftime('%s', substr(t0, 1, 19)))
                 + (CAST('0' || substr(t1, 20, length(t1) - 20) AS REAL)
                    - CAST('0' || substr(t0, 20, length(t0) - 20) AS REAL))
            ELSE t1 - t0
       END                                               AS duration,
       rec
FROM (SELECT *,
             json_extract(rec, '$.timing.request_start') AS t0,
             coalesce(json_extract(rec, '$.timing.response_end'),
                      json_extract(rec, '$.timing.request_end')) AS t1
      FROM records WHERE type = 'http');

-- tlssni records: one row per ClientHello.
CREATE VIEW IF NOT EXISTS tls AS
SELECT id, flow_id,
       json_extract(rec, '$.ts')                     AS ts,
       json_extract(rec, '$.src_ip')                 AS src_ip,
       json_extract(rec, '$.dest_ip')                AS dest_ip,
       json_extract(rec, '$.dest_port')              AS dest_port,
       json_extract(rec, '$.tls.sni')                AS sni,
       json_extract(rec, '$.tls.ja3_hash')           AS ja3_hash,
       json_extract(rec, '$.tls.ja4')                AS ja4,
       json_extract(rec, '$.tls.server.version_name') AS version,
       rec
FROM records
WHERE type = 'tls';

-- dnsextract records: one row per transaction; answers as a JSON array of the
-- rdata texts (json_each() them to join with flows).
CREATE VIEW IF NOT EXISTS dns AS
SELECT id, flow_id,
       json_extract(rec, '$.ts')                        AS ts,
       json_extract(rec, '$.src_ip')                    AS src_ip,
       json_extract(rec, '$.src_port')                  AS src_port,
       json_extract(rec, '$.dest_ip')                   AS dest_ip,
       json_extract(rec, '$.dest_port')                 AS dest_port,
       json_extract(rec, '$.dns.transport')             AS transport,
       json_extract(rec, '$.dns.status')                AS status,
       json_extract(rec, '$.dns.id')                    AS dns_id,
       json_extract(rec, '$.dns.queries[0].name')       AS qname,
       json_extract(rec, '$.dns.queries[0].type_name')  AS qtype,
       json_extract(rec, '$.dns.rcode_name')            AS rcode,
       json_extract(rec, '$.dns.rtt')                   AS rtt,
       (SELECT json_group_array(json_extract(a.value, '$.rdata'))
          FROM json_each(rec, '$.dns.answers') AS a)    AS answers,
       rec
FROM records
WHERE type = 'dns';

-- Example queries, as views: SELECT * FROM top_talkers LIMIT 10;

-- Originators by bytes of their flows (both directions, on the wire).
CREATE VIEW IF NOT EXISTS top_talkers AS
SELECT src_ip, sum(bytes) AS bytes, count(*) AS flows
FROM flows GROUP BY src_ip ORDER BY bytes DESC, src_ip;

-- HTTP requests per Host header (NULL: no Host header).
CREATE VIEW IF NOT EXISTS requests_per_host AS
SELECT host, count(*) AS requests, sum(response_body_len) AS response_bytes
FROM http GROUP BY host ORDER BY requests DESC, host;

-- HTTP transactions, slowest first.
CREATE VIEW IF NOT EXISTS slowest_http AS
SELECT duration, ttfb, method, host, uri, status, src_ip, dest_ip, flow_id, tx_id
FROM http ORDER BY duration DESC, flow_id, tx_id;

-- DNS names asked for, most asked first.
CREATE VIEW IF NOT EXISTS top_queried_names AS
SELECT qname, count(*) AS queries
FROM dns WHERE qname IS NOT NULL GROUP BY qname ORDER BY queries DESC, qname;

-- NXDOMAIN answers per client (many of them: a DGA or a broken resolver list).
CREATE VIEW IF NOT EXISTS nxdomain_per_client AS
SELECT src_ip, count(*) AS nxdomain
FROM dns WHERE rcode = 'NXDOMAIN' GROUP BY src_ip ORDER BY nxdomain DESC, src_ip;
