/*
 * simboard.h - a simulated multi-port analog voice board with a scriptable central office.
 *
 * Ports 0..n_trunks-1 are analog trunks (FXO) facing a simulated central office whose caller
 * is driven by a per-port script; ports n_trunks..n_trunks+n_stations-1 are stations (FXS)
 * with simulated agent phones.  Audio is 8 kHz signed 16-bit linear.  Time is counted in
 * samples and advances only in sim_board_exchange; given a seed, everything is deterministic.
 *
 * Every call returns 0 on success or a negative SIM_E* code.  A failed port (fault
 * injection) makes every call on it return SIM_EFAIL, except sim_port_set_failed and
 * sim_port_state.
 *
 * This header is also the cffi cdef: keep it to plain declarations (no macros besides the
 * include guard and includes, which the build script strips).
 */
#ifndef PYCTI_SIMBOARD_H
#define PYCTI_SIMBOARD_H

#include <stdint.h>

/* Return codes. */
enum {
    SIM_OK = 0,
    SIM_EINVAL = -1, /* bad port number or argument */
    SIM_ESTATE = -2, /* not valid in the port's current state */
    SIM_ENOMEM = -3, /* out of memory */
    SIM_EFAIL = -4   /* the port has failed */
};

/* Script operation types (sim_op.type). */
enum {
    SIM_OP_RING = 1,    /* trunk: the CO rings the board, optionally with caller ID */
    SIM_OP_TONE = 2,    /* single or dual tone with on/off cadence */
    SIM_OP_SPEECH = 3,  /* speech-like signal */
    SIM_OP_SILENCE = 4, /* silence */
    SIM_OP_PLAY = 5,    /* prepared samples */
    SIM_OP_WAIT_PROMPT = 6, /* listen until a prompt was heard and then quiet followed */
    SIM_OP_WAIT_NUDGE = 7,  /* wait for sim_port_nudge, or jump on timeout */
    SIM_OP_MARK = 8,    /* emit SIM_EV_MARK */
    SIM_OP_HANGUP = 9,  /* trunk: the caller hangs up (busy tone and/or loop drop) */
    SIM_OP_OFFHOOK = 10, /* station: the phone goes off hook */
    SIM_OP_ONHOOK = 11,  /* station: the phone goes on hook */
    SIM_OP_PROGRESS = 12, /* trunk: cadenced call-progress tone, N cycles or until on hook */
    SIM_OP_ANSWER = 13   /* trunk: the called party answers (SIM_EV_ANSWER, battery reversal) */
};

/* Limits of the dialling plan.  Numbers are strings of the DTMF digits 0-9 * # A-D. */
enum {
    SIM_NUMBER_CAP = 32,   /* bytes of a number buffer: up to 31 digits and a NUL */
    SIM_MAX_ROUTES = 4096  /* outbound routes per board, the default route included */
};

/* Caller ID placement for SIM_OP_RING. */
enum {
    SIM_CID_NONE = 0,
    SIM_CID_BEFORE_FIRST_RING = 1, /* DTMF style: CID audio, then the first ring */
    SIM_CID_AFTER_FIRST_RING = 2   /* FSK style: CID audio ~500 ms after the first burst */
};

/* Event types (sim_event.type). */
enum {
    SIM_EV_RING_ON = 1,
    SIM_EV_RING_OFF = 2,
    SIM_EV_LOOP_DROP = 3,
    SIM_EV_SCRIPT_DONE = 4, /* arg: SIM_DONE_* */
    SIM_EV_MARK = 5,        /* arg: the MARK op's id */
    SIM_EV_OFFHOOK = 6,     /* station phone off hook */
    SIM_EV_ONHOOK = 7,      /* station phone on hook */
    SIM_EV_PORT_FAILED = 8,
    SIM_EV_DIGIT = 9,       /* CO heard a DTMF digit from the board on a seized trunk; arg: ASCII */
    SIM_EV_NUMBER_COMPLETE = 10, /* CO ended digit collection; arg: SIM_DIAL_* */
    SIM_EV_ANSWER = 11      /* far end answered an outgoing call: battery (polarity) reversal */
};

/* SIM_EV_NUMBER_COMPLETE arguments: what the CO did with the collected number. */
enum {
    SIM_DIAL_ROUTED = 0,    /* an outbound route matched exactly: its script runs */
    SIM_DIAL_DEFAULT = 1,   /* no exact route: the default route's script runs */
    SIM_DIAL_UNROUTED = 2,  /* no route and no default: reorder tone until on hook */
    SIM_DIAL_NO_DIGITS = 3  /* no digit before the first-digit timeout: reorder tone */
};

/* CO side of an outgoing call on a trunk (sim_port_info.dial_state). */
enum {
    SIM_DIALSTATE_IDLE = 0,       /* no outgoing call is being set up */
    SIM_DIALSTATE_DIAL_TONE = 1,  /* seized: dial tone, waiting for the first digit */
    SIM_DIALSTATE_COLLECTING = 2, /* collecting digits (dial tone stopped) */
    SIM_DIALSTATE_REORDER = 3,    /* number unrouted or not dialled: reorder tone */
    SIM_DIALSTATE_ROUTED = 4      /* the route's script runs (or ran) for this call */
};

/* SIM_EV_SCRIPT_DONE arguments. */
enum {
    SIM_DONE_COMPLETED = 0,        /* ran to its end, or the board went on hook after HANGUP */
    SIM_DONE_GAVE_UP = 1,          /* RING reached max_ms unanswered */
    SIM_DONE_RELEASED_BY_BOARD = 2 /* the board went on hook before the caller hung up */
};

typedef struct sim_op_ring {
    int32_t on_ms, off_ms; /* ring cadence, e.g. 1000 / 4000 */
    int32_t max_ms;        /* give up after this long unanswered; 0 = never */
    const int16_t *cid_samples; /* caller ID audio (copied at load), may be NULL */
    int32_t cid_len;       /* samples in cid_samples */
    int32_t cid_mode;      /* SIM_CID_* */
    char called[32];       /* called number (DNIS) of this call, NUL-terminated; "" = the
                              trunk's own number (sim_port_set_number) */
} sim_op_ring;

typedef struct sim_op_tone {
    double f1_hz, f2_hz;   /* f2_hz = 0 for a single tone */
    double level_dbm0;     /* level of each tone */
    int32_t on_ms, off_ms, total_ms;
} sim_op_tone;

typedef struct sim_op_speech {
    int32_t ms;
    double level_dbm0;     /* RMS level over the voiced parts of syllables */
} sim_op_speech;

typedef struct sim_op_silence {
    int32_t ms;
} sim_op_silence;

typedef struct sim_op_play {
    const int16_t *samples; /* copied at load */
    int32_t n;
} sim_op_play;

typedef struct sim_op_wait_prompt {
    int32_t quiet_ms;      /* quiet needed after the prompt was heard */
    int32_t max_ms;        /* give up waiting after this long; 0 = never */
} sim_op_wait_prompt;

typedef struct sim_op_wait_nudge {
    int32_t max_ms;        /* 0 = wait for ever */
    int32_t timeout_goto;  /* op index to jump to on timeout; n_ops ends the script */
} sim_op_wait_nudge;

typedef struct sim_op_mark {
    int32_t id;
} sim_op_mark;

typedef struct sim_op_hangup {
    int32_t busy_tone;     /* CO sends busy tone until the board goes on hook */
    int32_t loop_drop;     /* CO drops loop current (reported only if enabled on the port) */
} sim_op_hangup;

typedef struct sim_op_progress {
    double f1_hz, f2_hz;   /* f2_hz = 0 for a single tone */
    double level_dbm0;     /* level of each tone */
    int32_t on_ms, off_ms; /* cadence; off_ms = 0: steady */
    int32_t cycles;        /* cadence cycles to send; 0 = until the board goes on hook */
} sim_op_progress;

typedef union sim_op_args {
    sim_op_ring ring;
    sim_op_tone tone;
    sim_op_speech speech;
    sim_op_silence silence;
    sim_op_play play;
    sim_op_wait_prompt wait_prompt;
    sim_op_wait_nudge wait_nudge;
    sim_op_mark mark;
    sim_op_hangup hangup;
    sim_op_progress progress;
} sim_op_args;

typedef struct sim_op {
    int32_t type;          /* SIM_OP_* */
    sim_op_args u;
} sim_op;

typedef struct sim_event {
    int32_t type;          /* SIM_EV_* */
    int32_t port;
    int32_t arg;
    int64_t sample;        /* board time of the event, in samples */
} sim_event;

typedef struct sim_port_info {
    int32_t is_station;
    int32_t offhook;       /* trunk: board has seized the line; station: phone off hook */
    int32_t ringing;       /* trunk: CO ring cycle active; station: board rings the phone */
    int32_t ring_burst;    /* inside a ring burst right now */
    int32_t script_running;
    int32_t script_index;  /* index of the current op */
    int32_t script_len;
    int32_t failed;
    int32_t report_loop_drop;
    int32_t nudge_pending;
    int32_t dial_state;    /* trunk: SIM_DIALSTATE_* of an outgoing call */
    int32_t answered;      /* trunk: SIM_OP_ANSWER ran since the line was seized */
} sim_port_info;

typedef struct sim_board sim_board;

sim_board *sim_board_new(int n_trunks, int n_stations, uint64_t seed);
void sim_board_free(sim_board *board);

int sim_board_port_count(const sim_board *board);
int sim_board_trunk_count(const sim_board *board);
int64_t sim_board_time(const sim_board *board);
int64_t sim_board_event_overflow(const sim_board *board);
int sim_board_event_capacity(const sim_board *board);

int sim_port_script(sim_board *board, int port, const sim_op *ops, int n_ops);
int sim_port_hook(sim_board *board, int port, int offhook);
int sim_station_ring(sim_board *board, int port, int on);
int sim_port_nudge(sim_board *board, int port);
int sim_port_set_failed(sim_board *board, int port, int failed);
int sim_port_report_loop_drop(sim_board *board, int port, int on);
int sim_port_state(const sim_board *board, int port, sim_port_info *out);

/* Outgoing calls.  A trunk seized (sim_port_hook) with no script running gets dial tone;
 * the CO detects the DTMF digits the board sends on it, stops dial tone at the first, and
 * ends the number inter_digit_ms after a digit (or at once when the digits equal a route's
 * number, or at SIM_NUMBER_CAP - 1 digits).  The matching route's ops (else the default
 * route's, number NULL) then run as the port's script; with neither, reorder tone. */
int sim_board_route_outbound(sim_board *board, const char *number, const sim_op *ops,
                             int n_ops);
int sim_board_unroute_outbound(sim_board *board, const char *number); /* 1 removed, 0 none */
int sim_board_route_count(const sim_board *board);
int sim_board_set_dial_timeouts(sim_board *board, int32_t inter_digit_ms,
                                int32_t first_digit_ms);
/* Number queries copy at most cap - 1 characters and a NUL, and return the full length. */
int sim_port_dialled_number(const sim_board *board, int port, char *buf, int cap);
/* DNIS: a trunk's own called number ("" or NULL clears; works on a failed port too), and
 * the called number of its incoming call: set when a RING op starts (at or before the
 * first SIM_EV_RING_ON), cleared when the call ends (the board goes on hook, the caller
 * gives up, a new script is loaded, the port fails). */
int sim_port_set_number(sim_board *board, int port, const char *number);
int sim_port_number(const sim_board *board, int port, char *buf, int cap);
int sim_port_called_number(const sim_board *board, int port, char *buf, int cap);

int sim_board_exchange(sim_board *board, const int16_t *to_ports, int16_t *from_ports,
                       int n_samples);
int sim_board_poll(sim_board *board, sim_event *events, int max_events);

#endif
