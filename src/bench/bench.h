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

#endif
