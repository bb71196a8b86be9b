#!/usr/bin/env python3
"""Captures with a gap right before the FIN, for tests/cli/flowstat.bats and
tests/cli/tcpflow-reasm.bats. Standard library only.

  gap_captures.py fin_gap OUT   one HTTP exchange on 10.2.0.1:41001 -> 10.1.0.1:80 (raw IP)
                                where the capture misses the client's last 100-byte segment
                                and the server's last 500-byte segment: each side's FIN
                                comes with a sequence number past the last byte seen. Closed
                                by FIN, FIN-ACK (acknowledging the client's FIN) and the
                                final ACK."""
import sys

from hostile import ACK, FIN, PSH, SERVER, Conn, Pcap, tcp


def fin_gap(path):
    out = Pcap(path)
    c = Conn(out, 41001)
    c.send(True, b"POST /up HTTP/1.1\r\nHost: gaps.test\r\nContent-Length: 200\r\n\r\n" + b"a" * 100)
    c.cseq += 100  # the body's second half: sent, never captured
    c.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"b" * 500)
    c.sseq += 500  # the response's last 500 bytes: sent, never captured
    out.add(tcp(c.c, SERVER, c.cp, c.sp, c.cseq, c.sseq, FIN | ACK))
    c.cseq += 1
    out.add(tcp(SERVER, c.c, c.sp, c.cp, c.sseq, c.cseq, FIN | ACK))
    c.sseq += 1
    out.add(tcp(c.c, SERVER, c.cp, c.sp, c.cseq, c.sseq, ACK))
    out.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "fin_gap":
        fin_gap(sys.argv[2])
    else:
        sys.exit(__doc__)
