/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmark helpers: each benchmark times a loop for a fixed wall-clock budget and prints one
 * figure per line, "name: value unit", with ratios against a floor measured in the same run. */
#ifndef BPTEE_BENCH_H
#define BPTEE_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds each measured loop runs; BENCH_SECONDS overrides (CI uses a shorter budget). */
static inline double bench_budget(void)
{
    const char *s = getenv("BENCH_SECONDS");
    double v = s ? atof(s) : 0.0;
    return v > 0 ? v : 1.0;
}

/* Run body repeatedly for the budget; returns operations per second. body returns 0 on success;
 * a failure aborts the benchmark loudly, since a failing operation measured fast is a lie. */
#define BENCH_RATE(result, body)                                                               \
    do {                                                                                       \
        double _budget = bench_budget(), _t0 = bench_now(), _t;                                \
        long _n = 0;                                                                           \
        do {                                                                                   \
            for (int _i = 0; _i < 16; _i++, _n++)                                              \
                if ((body) != 0) {                                                             \
                    fprintf(stderr, "bench: %s failed\n", #body);                              \
                    exit(1);                                                                   \
                }                                                                              \
            _t = bench_now();                                                                  \
        } while (_t - _t0 < _budget);                                                          \
        (result) = (double)_n / (_t - _t0);                                                    \
    } while (0)

/* The measured loop and its floor, alternated `rounds` times, each keeping its best rate: the
machine is shared, and the best of a few runs is the least disturbed one. */
#define BENCH_PAIR(rounds, best, body, floor_best, floor_body)                                 \
    do {                                                                                       \
        (best) = (floor_best) = 0;                                                             \
        for (int _r = 0; _r < (rounds); _r++) {                                                \
            double _a, _b;                                                                     \
            BENCH_RATE(_a, body);                                                              \
            BENCH_RATE(_b, floor_body);                                                        \
            (best) = _a > (best) ? _a : (best);                                                \
            (floor_best) = _b > (floor_best) ? _b : (floor_best);                              \
        }                                                                                      \
    } while (0)

/* The median of n figures (n small: an insertion sort; v is left sorted). */
static inline double bench_median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A measured loop against its floor: each round times both, back to back, so the two see the
 * same load on a shared machine; the figures are the medians over the rounds (the ratio is the
 * median of the rounds' own ratios, not a ratio of medians). */
#define BENCH_MAX_ROUNDS 15
struct bench_vs {
    double rate, floor, ratio;
};
#define BENCH_VS(rounds, out, body, floor_body)                                                \
    do {                                                                                       \
        double _a[BENCH_MAX_ROUNDS], _b[BENCH_MAX_ROUNDS], _q[BENCH_MAX_ROUNDS];               \
        int _rounds = (rounds) < BENCH_MAX_ROUNDS ? (rounds) : BENCH_MAX_ROUNDS;               \
        for (int _r = 0; _r < _rounds; _r++) {                                                 \
            BENCH_RATE(_a[_r], body);                                                          \
            BENCH_RATE(_b[_r], floor_body);                                                    \
            _q[_r] = _a[_r] / _b[_r];                                                          \
        }                                                                                      \
        (out).rate = bench_median(_a, _rounds);                                                \
        (out).floor = bench_median(_b, _rounds);                                               \
        (out).ratio = bench_median(_q, _rounds);                                               \
    } while (0)

/* Three lines: the measured rate, its floor's rate, and the ratio. */
static inline void bench_vs_print(const char *name, const char *floor_name, const char *ratio_name,
                                  struct bench_vs v)
{
    printf("%s: %.0f /s\n", name, v.rate);
    printf("%s: %.0f /s\n", floor_name, v.floor);
    printf("%s: %.3f ratio\n", ratio_name, v.ratio);
}

#endif
