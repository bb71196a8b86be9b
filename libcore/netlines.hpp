// Public API of libnetlines: everything a program built against the installed
// library may use, in one include. docs/LIBRARY.md shows how to build against it
// (CMake: find_package(netlines), target netlines::netlines; or pkg-config netlines)
// and what stays stable; examples/ holds small programs that use it.
//
// Public (namespace nl):
//   libcore/version.hpp          NETLINES_VERSION, NETLINES_VERSION_MAJOR/MINOR/PATCH
//   libcore/bytes.hpp            Bytes (a span of bytes), ByteReader (bounds-checked reads)
//   libcore/time.hpp             Timestamp (lossless capture times), TimeFormat
//   libcore/capture/reader.hpp   open_capture(path): pcap and pcapng files or "-",
//                                CaptureSource::next(Packet&) one frame at a time
//   libcore/decode/packet.hpp    Packet, decode_packet() into Decoded: link, VLAN, MPLS,
//                                IPv4/IPv6, TCP, UDP, ICMP fields, payload, anomalies
//   libcore/flow/key.hpp         FlowKey, flow_key_of(), community_id(), flow_id()
//   libcore/reasm/session.hpp    SessionSink: what a TCP analyser implements (session
//                                start, monologue pieces in order, session end)
//   libcore/reasm/tcp.hpp        TcpReassembler: decoded packets in, SessionSink calls out
//   libcore/reasm/datagrams.hpp  DatagramPath (IP defragmentation), DatagramSink
//   libcore/stage/packet_loop.hpp   run_packet_loop(): what every netlines binary reads
//                                (captures, .gz/.zst captures, pcap2pkt lines, stdin, live
//                                capture, a BPF filter) as decoded packets, in order
//   libcore/stage/session_loop.hpp  run_session_loop(): the same inputs (and tcpflow-reasm
//                                lines) through defragmentation and the TCP engine into a
//                                SessionSink, and non-TCP datagrams into a DatagramSink
//   libcore/proto/http*.hpp      HTTP/1.x: HttpSessionParser, HttpSessionSink, the "http" record
//   libcore/proto/tls*.hpp       TLS hellos, JA3/JA4: parse_client_hello(), TlsSessionSink,
//                                the "tls" record
//   libcore/proto/dns*.hpp       DNS: parse_dns(), DnsSink (UDP datagrams and TCP sessions),
//                                the "dns" record
//   libcore/proto/quic*.hpp, dtls*.hpp, starttls.hpp
//                                TLS hellos in QUIC Initials and DTLS, and after a clear-text
//                                preamble (STARTTLS, CONNECT) on a TCP stream
//   libcore/proto/cred*.hpp      clear-text logins (FTP, POP3, IMAP, SMTP, HTTP, Telnet,
//                                LDAP, PostgreSQL, MySQL): the "cred" and "smtp" records
//   libcore/proto/*.hpp          every other application protocol parser installed with them
//   libcore/json/writer.hpp      JsonWriter: JSON Lines records written in place
//   libcore/cli/common.hpp       (for the loops' diagnostics) cli::set_program(), whose name
//                                prefixes the messages on stderr, and the exit statuses
//
// Other installed headers are there because these include them: they may change
// in any release. Diagnostics of the loops go to stderr as "program: file: message"
// and the loops return the exit status the binaries use (0, or 1 on an input problem).
#pragma once

#include "libcore/bytes.hpp"
#include "libcore/capture/reader.hpp"
#include "libcore/cli/common.hpp"
#include "libcore/decode/packet.hpp"
#include "libcore/flow/key.hpp"
#include "libcore/json/writer.hpp"
#include "libcore/proto/cred.hpp"
#include "libcore/proto/cred_handler.hpp"
#include "libcore/proto/cred_record.hpp"
#include "libcore/proto/cred_session.hpp"
#include "libcore/proto/dns.hpp"
#include "libcore/proto/dns_record.hpp"
#include "libcore/proto/dns_session.hpp"
#include "libcore/proto/dtls.hpp"
#include "libcore/proto/dtls_session.hpp"
#include "libcore/proto/http.hpp"
#include "libcore/proto/http_record.hpp"
#include "libcore/proto/http_session.hpp"
#include "libcore/proto/quic.hpp"
#include "libcore/proto/quic_session.hpp"
#include "libcore/proto/starttls.hpp"
#include "libcore/proto/tls.hpp"
#include "libcore/proto/tls_record.hpp"
#include "libcore/proto/tls_session.hpp"
#include "libcore/reasm/datagrams.hpp"
#include "libcore/reasm/session.hpp"
#include "libcore/reasm/tcp.hpp"
#include "libcore/stage/packet_loop.hpp"
#include "libcore/stage/session_loop.hpp"
#include "libcore/time.hpp"
#include "libcore/version.hpp"
