/*
 * bg: the one skeleton every background thread of ankang runs on (the
 * audit writer, the WAL keeper, the list publisher, the housekeeping and
 * the scrubber): a named thread that calls its step function, sleeps until
 * the time the step asked for or until it is woken, and ends when it is
 * stopped.
 *
 *   step(ctx) returns how long to sleep before the next call, in
 *   nanoseconds: 0 to run again at once, BG_IDLE to sleep until woken.
 *
 * A wake-up is never lost: bg_wake during a step makes the next sleep
 * end at once. A step is never interrupted: bg_stop waits for the one in
 * progress, and after bg_stop returns the step is not called again and
 * the thread is gone, so what the step used may be freed or used by the
 * caller's own thread.
 *
 * Never: call bg_stop from inside the step (it would wait for itself).
 */
#ifndef ANKANG_BG_H
#define ANKANG_BG_H

#include <stdint.h>

#define BG_IDLE UINT64_MAX

typedef struct bg bg;
typedef uint64_t (*bg_step_fn)(void *ctx);

/*
 * Starts a thread named name (at most 15 characters, for ps and gdb)
 * that first calls step after first_ns (0: at once; BG_IDLE: when woken).
 * Returns 0, or AK_ENOMEM when the thread cannot be made.
 */
int bg_start(bg **out, const char *name, bg_step_fn step, void *ctx, uint64_t first_ns);

/* Has the thread call its step soon (at once if it sleeps). Any thread. */
void bg_wake(bg *b);

/* Ends the thread after the step in progress, if any, and frees b. NULL
 * is a no-op. */
void bg_stop(bg *b);

#endif
