/*
 * sim_co.c - the central office side of outgoing calls: dial tone, in-band DTMF digit
 * collection, outbound routes and reorder tone.
 *
 * The DTMF detector runs two Goertzel banks (the 8 ITU-T Q.23 frequencies) over windows of
 * SIM_DTMF_N samples staggered by SIM_DTMF_HOP, so a window ends every 6.4 ms.  A window is
 * a hit for a digit when its strongest row and column tones are each above the level floor,
 * within the twist limits, and together hold most of the window's energy (which also rejects
 * windows only partly covered by the tone).  Debounce in the sense of ITU-T Q.24: a digit
 * starts after DTMF_ON_WINDOWS hits in a row (a 40 ms tone always gives them, a 23 ms one
 * never) and ends after DTMF_OFF_WINDOWS windows in a row without it (a 40 ms pause always
 * gives them, a 20 ms dropout never).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

/* Detector thresholds. */
#define DTMF_MIN_LEVEL_DBM0 (-35.0)   /* per tone; Q.24 accepts down to -25 dBm0 */
#define DTMF_NORMAL_TWIST_DB 9.5      /* high group weaker: accept 8 dB, reject 10 dB */
#define DTMF_REVERSE_TWIST_DB 5.0     /* low group weaker: accept 4 dB, reject 6 dB */
#define DTMF_MIN_FRACTION 0.70        /* of the window's energy in the two tones */
#define DTMF_ON_WINDOWS 5
#define DTMF_OFF_WINDOWS 6

/* CO tones (YD/T 1124, China): dial 450 Hz steady, reorder (congestion) 450 Hz 700/700. */
#define CO_TONE_HZ 450.0
#define CO_TONE_DBM0 (-10.0)
#define REORDER_ON_MS 700
#define REORDER_OFF_MS 700

static const double DTMF_HZ[8] = {697.0, 770.0, 852.0, 941.0, 1209.0, 1336.0, 1477.0, 1633.0};
static const char DTMF_KEYS[16] = {'1', '2', '3', 'A', '4', '5', '6', 'B',
                                   '7', '8', '9', 'C', '*', '0', '#', 'D'};

/* ------------------------------------------------------------ detector ---- */

static void acc_clear(sim_dtmf_acc *a, int start)
{
    memset(a, 0, sizeof *a);
    a->n = start;
}

void sim_dtmf_reset(sim_dtmf_det *d)
{
    memset(d, 0, sizeof *d);
    for (int k = 0; k < 8; k++)
        d->coeff[k] = 2.0 * cos(2.0 * SIM_PI * DTMF_HZ[k] / SIM_FS_HZ);
    acc_clear(&d->acc[0], 0);
    acc_clear(&d->acc[1], -SIM_DTMF_HOP);
}

static double db_ratio(double db) { return pow(10.0, db / 10.0); }

/* The digit a full window shows (ASCII), or 0. */
static int window_digit(const sim_dtmf_det *d, const sim_dtmf_acc *a)
{
    /* mean power of a tone from its Goertzel power: 2 |X|^2 / N^2 */
    const double scale = 2.0 / ((double)SIM_DTMF_N * SIM_DTMF_N);
    double pw[8];
    for (int k = 0; k < 8; k++)
        pw[k] = scale * (a->s1[k] * a->s1[k] + a->s2[k] * a->s2[k] -
                         d->coeff[k] * a->s1[k] * a->s2[k]);
    int r = 0, c = 4;
    for (int k = 1; k < 4; k++) {
        if (pw[k] > pw[r])
            r = k;
        if (pw[k + 4] > pw[c])
            c = k + 4;
    }
    double floor_peak = sim_dbm0_to_peak(DTMF_MIN_LEVEL_DBM0);
    double floor_pw = floor_peak * floor_peak / 2.0;
    if (pw[r] < floor_pw || pw[c] < floor_pw)
        return 0;
    if (pw[c] < pw[r] / db_ratio(DTMF_NORMAL_TWIST_DB) ||
        pw[r] < pw[c] / db_ratio(DTMF_REVERSE_TWIST_DB))
        return 0;
    double total = a->energy / SIM_DTMF_N;
    if (pw[r] + pw[c] < DTMF_MIN_FRACTION * total)
        return 0;
    return DTMF_KEYS[4 * r + (c - 4)];
}

/* Debounce one window's verdict h: returns a digit start (ASCII), -1 for its end, or 0. */
static int debounce(sim_dtmf_det *d, int h)
{
    int ev = 0;
    if (h && h == d->cand) {
        d->cand_n++;
    } else {
        d->cand = h;
        d->cand_n = h ? 1 : 0;
    }
    if (d->cur) {
        d->miss_n = h == d->cur ? 0 : d->miss_n + 1;
        if (d->miss_n >= DTMF_OFF_WINDOWS) {
            d->cur = 0;
            ev = -1;
        }
    }
    if (!d->cur && ev == 0 && d->cand && d->cand_n >= DTMF_ON_WINDOWS) {
        d->cur = d->cand;
        d->miss_n = 0;
        ev = d->cur;
    }
    return ev;
}

int sim_dtmf_step(sim_dtmf_det *d, int16_t x)
{
    double v = x;
    int ev = 0;
    for (int w = 0; w < 2; w++) {
        sim_dtmf_acc *a = &d->acc[w];
        if (a->n < 0) { /* the staggered bank has not started yet */
            a->n++;
            continue;
        }
        for (int k = 0; k < 8; k++) {
            double s0 = v + d->coeff[k] * a->s1[k] - a->s2[k];
            a->s2[k] = a->s1[k];
            a->s1[k] = s0;
        }
        a->energy += v * v;
        if (++a->n == SIM_DTMF_N) {
            int e = debounce(d, window_digit(d, a));
            if (e)
                ev = e;
            acc_clear(a, 0);
        }
    }
    return ev;
}

int sim_number_valid(const char *s, int cap)
{
    for (int i = 0; i < cap; i++) {
        if (s[i] == '\0')
            return 1;
        if (!memchr(DTMF_KEYS, s[i], sizeof DTMF_KEYS))
            return 0;
    }
    return 0; /* no NUL within cap */
}

/* -------------------------------------------------------------- routes ---- */

static sim_route *find_route(sim_board *b, const char *number)
{
    for (int i = 0; i < b->n_routes; i++)
        if (strcmp(b->routes[i].number, number) == 0)
            return &b->routes[i];
    return NULL;
}

static int route_ops_valid(const sim_op *ops, int n_ops)
{
    for (int i = 0; i < n_ops; i++)
        if (ops[i].type == SIM_OP_RING) /* the line is off hook already */
            return 0;
    return 1;
}

int sim_board_route_outbound(sim_board *board, const char *number, const sim_op *ops,
                             int n_ops)
{
    if (!board || n_ops < 1 || !ops)
        return SIM_EINVAL;
    const char *key = number ? number : "";
    if ((number && (!number[0] || !sim_number_valid(number, SIM_NUMBER_CAP))) ||
        !route_ops_valid(ops, n_ops))
        return SIM_EINVAL;
    sim_op *new_ops = NULL;
    int16_t *pool = NULL;
    int rc = sim_ops_copy(ops, n_ops, 0, &new_ops, &pool);
    if (rc)
        return rc;
    sim_route *r = find_route(board, key);
    if (!r) {
        if (board->n_routes >= SIM_MAX_ROUTES) {
            free(new_ops);
            free(pool);
            return SIM_ENOMEM;
        }
        if (board->n_routes == board->routes_cap) {
            int cap = board->routes_cap ? 2 * board->routes_cap : 8;
            sim_route *grown = realloc(board->routes, (size_t)cap * sizeof *grown);
            if (!grown) {
                free(new_ops);
                free(pool);
                return SIM_ENOMEM;
            }
            board->routes = grown;
            board->routes_cap = cap;
        }
        r = &board->routes[board->n_routes++];
        strcpy(r->number, key);
    } else {
        free(r->ops);
        free(r->pool);
    }
    r->ops = new_ops;
    r->pool = pool;
    r->n_ops = n_ops;
    return SIM_OK;
}

int sim_board_unroute_outbound(sim_board *board, const char *number)
{
    if (!board || (number && !sim_number_valid(number, SIM_NUMBER_CAP)))
        return SIM_EINVAL;
    sim_route *r = find_route(board, number ? number : "");
    if (!r)
        return 0;
    free(r->ops);
    free(r->pool);
    *r = board->routes[--board->n_routes];
    return 1;
}

int sim_board_route_count(const sim_board *board) { return board ? board->n_routes : SIM_EINVAL; }

void sim_routes_free(sim_board *b)
{
    for (int i = 0; i < b->n_routes; i++) {
        free(b->routes[i].ops);
        free(b->routes[i].pool);
    }
    free(b->routes);
    b->routes = NULL;
    b->n_routes = b->routes_cap = 0;
}

int sim_board_set_dial_timeouts(sim_board *board, int32_t inter_digit_ms, int32_t first_digit_ms)
{
    if (!board || inter_digit_ms < 1 || first_digit_ms < 0)
        return SIM_EINVAL;
    board->inter_digit_ms = inter_digit_ms;
    board->first_digit_ms = first_digit_ms;
    return SIM_OK;
}

/* ---------------------------------------------------------- dialling ---- */

void sim_co_seize(sim_port *p)
{
    p->dial_state = SIM_DIALSTATE_DIAL_TONE;
    p->answered = 0;
    p->dialled[0] = '\0';
    p->n_dialled = 0;
    p->dial_timer = 0;
    p->dial_tone_pos = 0;
    sim_dtmf_reset(&p->det);
    sim_tone_init(&p->tone, CO_TONE_HZ, 0.0, CO_TONE_DBM0, 1000, 0);
}

void sim_co_release(sim_port *p)
{
    p->dial_state = SIM_DIALSTATE_IDLE;
    p->answered = 0;
}

static void start_reorder(sim_port *p)
{
    p->dial_state = SIM_DIALSTATE_REORDER;
    p->dial_tone_pos = 0;
    sim_tone_init(&p->tone, CO_TONE_HZ, 0.0, CO_TONE_DBM0, REORDER_ON_MS, REORDER_OFF_MS);
}

/* The number is complete at board time t: run its route's script, else reorder. */
static void complete(sim_board *b, int pi, sim_port *p, int no_digits, int64_t t)
{
    const sim_route *r = NULL;
    int result = SIM_DIAL_NO_DIGITS;
    if (!no_digits) {
        r = find_route(b, p->dialled);
        result = SIM_DIAL_ROUTED;
        if (!r) {
            r = find_route(b, "");
            result = r ? SIM_DIAL_DEFAULT : SIM_DIAL_UNROUTED;
        }
    }
    sim_emit(b, SIM_EV_NUMBER_COMPLETE, pi, result, t);
    sim_op *ops = NULL;
    int16_t *pool = NULL;
    if (!r || sim_ops_copy(r->ops, r->n_ops, 0, &ops, &pool) != SIM_OK) {
        start_reorder(p);
        return;
    }
    sim_port_clear_script(p);
    p->ops = ops;
    p->pool = pool;
    p->n_ops = r->n_ops;
    p->running = 1;
    p->dial_state = SIM_DIALSTATE_ROUTED;
    sim_op_start(b, pi, p, t);
}

/* Run a seized trunk that has no script: send dial or reorder tone (or silence while
 * digits are collected) and listen for digits.  Returns the samples handled: n, or fewer
 * when a route's script took over (the caller runs the script for the rest). */
int sim_co_run(sim_board *b, int pi, sim_port *p, const int16_t *in, int16_t *out, int n,
               int64_t t0)
{
    int64_t inter = (int64_t)b->inter_digit_ms * SIM_SAMPLES_PER_MS;
    int64_t first = (int64_t)b->first_digit_ms * SIM_SAMPLES_PER_MS;
    for (int i = 0; i < n; i++) {
        int64_t t = t0 + i;
        if (p->dial_state == SIM_DIALSTATE_DIAL_TONE || p->dial_state == SIM_DIALSTATE_REORDER)
            sim_tone_render(&p->tone, p->dial_tone_pos++, out + i, 1);
        else
            out[i] = 0;
        if (p->dial_state == SIM_DIALSTATE_REORDER)
            continue;
        int ev = sim_dtmf_step(&p->det, in[i]);
        p->dial_timer++;
        if (ev > 0 && p->n_dialled < SIM_NUMBER_CAP - 1) {
            p->dial_state = SIM_DIALSTATE_COLLECTING; /* dial tone stops at the first digit */
            p->dialled[p->n_dialled++] = (char)ev;
            p->dialled[p->n_dialled] = '\0';
            sim_emit(b, SIM_EV_DIGIT, pi, ev, t);
        } else if (ev < 0) {
            p->dial_timer = 0; /* the inter-digit timer runs from the digit's end */
            if (p->n_dialled == SIM_NUMBER_CAP - 1 || find_route(b, p->dialled)) {
                complete(b, pi, p, 0, t + 1);
                if (p->running)
                    return i + 1;
            }
        } else if (p->dial_state == SIM_DIALSTATE_DIAL_TONE) {
            if (first > 0 && p->dial_timer >= first)
                complete(b, pi, p, 1, t + 1);
        } else if (!p->det.cur && p->dial_timer >= inter) {
            complete(b, pi, p, 0, t + 1);
            if (p->running)
                return i + 1;
        }
    }
    return n;
}
