// SPDX-License-Identifier: Apache-2.0
/* A deployment as blueprint-tee's TeeDeploymentHandle JSON: what a blueprint manager stores
 * and compares on re-provisioning. Field order is its serde order; metadata is a BTreeMap, so
 * its keys are written sorted; the cached attestation uses integer arrays for bytes, which
 * its reader requires. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include <bptee/io.h>
#include <bptee/provider.h>

#include "runtime/runtime_private.h"
#include "util/error.h"

static json_t *metadata(const struct bptee_deployment *d)
{
    char pid[24];
    const char *provider = bptee_provider_name(d->backend->provider);
    snprintf(pid, sizeof pid, "%d", (int)d->pid);
    json_t *m = json_object();
    /* Inserted in sorted key order (a BTreeMap's). */
    json_object_set_new(m, "backend", json_string("direct"));
    if (d->memory_how)
        json_object_set_new(m, "memory_limit", json_string(d->memory_how));
    json_object_set_new(m, "pid", json_string(pid));
    json_object_set_new(m, "provider", json_string(provider ? provider : "auto"));
    if (d->sandboxed)
        json_object_set_new(m, "readonly_rootfs", json_string("true"));
    if (d->backend->simulated)
        json_object_set_new(m, "simulated", json_string("true"));
    return m;
}

int bptee_deployment_handle_json(const struct bptee_deployment *d, char **out)
{
    if (!d || !out)
        return fail(BPTEE_EINVAL, "deployment handle: missing argument");
    *out = NULL;
    if (!bptee_provider_name(d->backend->provider)) /* the handle's provider is required */
        return fail(BPTEE_EUNSUPPORTED, "deployment handle: backend %s serves no single "
                    "provider (bptee_direct_backend_for gives one that does)", d->backend->name);
    json_t *cached = NULL;
    if (d->cached) {
        char *text = NULL;
        int rc = bptee_report_save_json(d->cached, BPTEE_REPORT_JSON_BYTE_ARRAYS, &text);
        if (rc < 0)
            return rc;
        cached = json_loads(text, 0, NULL);
        bptee_free(text);
        if (!cached)
            return fail(BPTEE_ENOMEM, "deployment handle: out of memory");
    }
    const char *provider = bptee_provider_name(d->backend->provider);
    json_t *h = json_object();
    json_object_set_new(h, "id", json_string(d->id));
    json_object_set_new(h, "provider", json_string(provider));
    json_object_set_new(h, "metadata", metadata(d));
    if (cached)
        json_object_set_new(h, "cached_attestation", cached);
    json_object_set_new(h, "port_mapping", json_object());
    json_object_set_new(h, "lifecycle_policy", json_string("cloud_managed"));
    /* Every value is checked text (ids by deploy, names by the library): a NULL from jansson
     * is out of memory, and a field it dropped would make the handle unreadable. */
    char *s = json_object_size(h) == 5u + (cached != NULL)
                  ? json_dumps(h, JSON_PRESERVE_ORDER | JSON_COMPACT)
                  : NULL;
    json_decref(h);
    if (!s)
        return fail(BPTEE_ENOMEM, "deployment handle: out of memory");
    *out = s;
    return 0;
}
