// fm-capture's forward mode (fm-forward.c): the forwarder's per-packet work in C. See fm-capture.c.
#ifndef FM_FORWARD_H
#define FM_FORWARD_H
#include <stdint.h>
#include <stdio.h>

/* Reads the forwarder's configuration; opens and binds the sockets unless `test_output` is set, in
   which case each datagram is written there (u32 socket index, u32 length, bytes) instead of sent.
   Exits with a message on stderr when the file is unusable. */
void fwd_configure(const char *path, FILE *test_output);

/* One captured frame (Ethernet, writable: a finished checksum is written in place). Returns 1 when
   the frame was handled (sent, queued in a batch or counted as filtered out), 0 when the TypeScript
   path must handle it (the caller writes it on the pcap pipe). The frame must stay valid until the
   next fwd_flush. */
int fwd_frame(uint8_t *frame, unsigned captured, unsigned original);

/* Sends every batched datagram (before the ring block holding their payloads goes back). */
void fwd_flush(void);

/* The counters as one `fm-stats name=value ...` line. */
void fwd_print_stats(FILE *to);

#endif
