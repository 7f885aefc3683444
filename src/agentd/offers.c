// SPDX-License-Identifier: Apache-2.0
/* Which evidence each offered session carried, so POST /v1/secrets can answer with the
 * attestation_digest the client verified. Entries live as long as their session could
 * (TTL + a second for the strict expiry) and are taken out when the session is consumed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agentd/daemon.h"

struct offer_entry {
    char session_id[BPTEE_SESSION_ID_SIZE];
    char digest[BPTEE_DIGEST_HEX_SIZE];
    time_t created; /* CLOCK_MONOTONIC seconds */
};

struct agent_offers {
    pthread_mutex_t lock;
    uint64_t ttl_secs;
    struct offer_entry *e;
    size_t n, cap;
};

static time_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

int agent_offers_new(uint64_t ttl_secs, uint64_t max_sessions, struct agent_offers **out)
{
    struct agent_offers *o = calloc(1, sizeof *o);
    if (!o)
        return -1;
    /* At most max_sessions sessions live at once; expired ones may linger until pruned. */
    o->cap = (max_sessions > 4096 ? 4096 : (size_t)max_sessions) * 2 + 16;
    o->e = calloc(o->cap, sizeof *o->e);
    if (!o->e || pthread_mutex_init(&o->lock, NULL) != 0) {
        free(o->e);
        free(o);
        return -1;
    }
    o->ttl_secs = ttl_secs > 86400 * 365 ? 86400 * 365 : ttl_secs;
    *out = o;
    return 0;
}

void agent_offers_free(struct agent_offers *o)
{
    if (!o)
        return;
    pthread_mutex_destroy(&o->lock);
    free(o->e);
    free(o);
}

static void prune_locked(struct agent_offers *o, time_t now)
{
    for (size_t i = 0; i < o->n;) {
        if (now - o->e[i].created > (time_t)o->ttl_secs + 1)
            o->e[i] = o->e[--o->n];
        else
            i++;
    }
}

void agent_offers_prune(struct agent_offers *o)
{
    pthread_mutex_lock(&o->lock);
    prune_locked(o, mono_now());
    pthread_mutex_unlock(&o->lock);
}

void agent_offers_put(struct agent_offers *o, const char *session_id, const char *digest)
{
    time_t now = mono_now();
    pthread_mutex_lock(&o->lock);
    prune_locked(o, now);
    if (o->n == o->cap) { /* full of live entries: forget the oldest */
        size_t oldest = 0;
        for (size_t i = 1; i < o->n; i++)
            if (o->e[i].created < o->e[oldest].created)
                oldest = i;
        o->e[oldest] = o->e[--o->n];
    }
    struct offer_entry *e = &o->e[o->n++];
    snprintf(e->session_id, sizeof e->session_id, "%s", session_id);
    snprintf(e->digest, sizeof e->digest, "%s", digest);
    e->created = now;
    pthread_mutex_unlock(&o->lock);
}

static bool lookup(struct agent_offers *o, const char *session_id, char *digest, bool take)
{
    bool found = false;
    pthread_mutex_lock(&o->lock);
    for (size_t i = 0; i < o->n && !found; i++) {
        if (strcmp(o->e[i].session_id, session_id) != 0)
            continue;
        memcpy(digest, o->e[i].digest, BPTEE_DIGEST_HEX_SIZE);
        if (take)
            o->e[i] = o->e[--o->n];
        found = true;
    }
    pthread_mutex_unlock(&o->lock);
    return found;
}

bool agent_offers_take(struct agent_offers *o, const char *session_id, char *digest)
{
    return lookup(o, session_id, digest, true);
}

bool agent_offers_peek(struct agent_offers *o, const char *session_id, char *digest)
{
    return lookup(o, session_id, digest, false);
}
