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
    SIM_OP_ONHOOK = 11   /* station: the phone goes on hook */
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
    SIM_EV_PORT_FAILED = 8
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

int sim_board_exchange(sim_board *board, const int16_t *to_ports, int16_t *from_ports,
                       int n_samples);
int sim_board_poll(sim_board *board, sim_event *events, int max_events);

#endif
