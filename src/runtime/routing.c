// SPDX-License-Identifier: Apache-2.0
/* The hybrid routing file (docs/routing.md): which jobs need a TEE. blueprint-tee names the
 * file (hybrid_routing_source.policy_file) but defines no format; this is bptee's. An unlisted
 * job takes "default", and without a default it stays in the TEE: routing a job out of the
 * TEE (where it gets no secrets) must be said explicitly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee/agent.h>
#include <bptee/runtime.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"

struct route_entry {
    char *job_id;
    bool tee_required;
};

struct bptee_routing {
    bool default_required;
    struct route_entry *jobs; /* sorted by job id */
    size_t n_jobs;
};

void bptee_routing_free(struct bptee_routing *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_jobs; i++)
        free(r->jobs[i].job_id);
    free(r->jobs);
    free(r);
}

/* {"tee_required": BOOL}, nothing else. */
static int read_rule(const json_t *v, const char *what, bool *out)
{
    const json_t *req = json_object_get(v, "tee_required");
    if (!json_is_object(v) || json_object_size(v) != 1 || !req)
        return fail(BPTEE_EPARSE, "routing: %s: expected {\"tee_required\": true|false}", what);
    if (!json_is_boolean(req))
        return fail(BPTEE_EPARSE, "routing: %s.tee_required: expected true or false", what);
    *out = json_is_true(req);
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct route_entry *)a)->job_id,
                  ((const struct route_entry *)b)->job_id);
}

static int read_jobs(const json_t *v, struct bptee_routing *r)
{
    if (!json_is_object(v))
        return fail(BPTEE_EPARSE, "routing: jobs: expected an object {job id: rule}");
    r->jobs = calloc(json_object_size(v) + 1, sizeof *r->jobs);
    if (!r->jobs)
        return fail(BPTEE_ENOMEM, "routing: out of memory");
    const char *id;
    const json_t *rule;
    json_object_foreach((json_t *)v, id, rule) {
        if (bptee_job_id_check(id) < 0)
            return fail_prefix(BPTEE_EPARSE, "routing: jobs: '%.64s'", id);
        char what[BPTEE_JOB_ID_MAX + 8];
        snprintf(what, sizeof what, "jobs.%s", id);
        struct route_entry *e = &r->jobs[r->n_jobs];
        int rc = read_rule(rule, what, &e->tee_required);
        if (rc < 0)
            return rc;
        if (!(e->job_id = strdup(id)))
            return fail(BPTEE_ENOMEM, "routing: out of memory");
        r->n_jobs++;
    }
    qsort(r->jobs, r->n_jobs, sizeof *r->jobs, cmp_entry);
    return 0;
}

static int routing_read(const json_t *root, struct bptee_routing *r)
{
    if (!json_is_object(root))
        return fail(BPTEE_EPARSE, "routing: expected a JSON object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)root, key, v) {
        int rc;
        if (!strcmp(key, "default"))
            rc = read_rule(v, "default", &r->default_required);
        else if (!strcmp(key, "jobs"))
            rc = read_jobs(v, r);
        else
            rc = fail(BPTEE_EPARSE, "routing: unknown key '%.64s' (expected default, jobs)", key);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int bptee_routing_parse(const char *json, size_t len, struct bptee_routing **out)
{
    if (!json || !out)
        return fail(BPTEE_EINVAL, "routing: missing argument");
    _cleanup_json_ json_t *root = NULL;
    int rc = json_parse_capped(json, len, BPTEE_ROUTING_MAX, "routing", &root);
    if (rc < 0)
        return rc;
    struct bptee_routing *r = calloc(1, sizeof *r);
    if (!r)
        return fail(BPTEE_ENOMEM, "routing: out of memory");
    r->default_required = true;
    if ((rc = routing_read(root, r)) < 0) {
        bptee_routing_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int bptee_routing_load(const char *path, struct bptee_routing **out)
{
    if (!path || !out)
        return fail(BPTEE_EINVAL, "routing: missing argument");
    _cleanup_free_ uint8_t *data = NULL;
    size_t len = 0;
    int rc = file_read_all(path, BPTEE_ROUTING_MAX, &data, &len);
    if (rc < 0)
        return fail_prefix(rc, "routing");
    rc = bptee_routing_parse((const char *)data, len, out);
    return rc < 0 ? fail_prefix(rc, "%s", path) : 0;
}

int bptee_routing_lookup(const struct bptee_routing *r, const char *job_id, int *tee_required)
{
    if (!r || !job_id || !tee_required)
        return fail(BPTEE_EINVAL, "routing: missing argument");
    struct route_entry key = {.job_id = (char *)job_id};
    const struct route_entry *e =
        r->n_jobs ? bsearch(&key, r->jobs, r->n_jobs, sizeof *r->jobs, cmp_entry) : NULL;
    *tee_required = e ? e->tee_required : r->default_required;
    return e ? 1 : 0;
}

size_t bptee_routing_job_count(const struct bptee_routing *r)
{
    return r ? r->n_jobs : 0;
}
