/* protocol.h - the suite's JSON-lines protocol (spec/protocol.md; versions 1 and 2) on the
 * virtio-serial port:
 * the request loop, hello, reset, execute, bye, and the host's "#sync" handshake. */
#ifndef AGENT_PROTOCOL_H
#define AGENT_PROTOCOL_H

/* where send_line writes: the port (protocol process) or the socketpair (case process) */
extern int port;

/* writes the reply buffer (json.h) and a newline to `port`, then empties the buffer */
void send_line(void);
void reply_error(long long id, const char *msg);

/* the hello info's "host" member: page size, huge page size, the arena */
void emit_host_info(void);

/* serves requests on `port` until `bye` (then exits 0); returns 1 if the port fails */
int serve(void);

#endif
