// SPDX-License-Identifier: Apache-2.0
/* Putting the metadata into a JSON object result, and taking it out again. The rule
 * (docs/results.md) keeps the job's bytes recoverable exactly: the member is inserted as
 * ",\"tee\":" + compact metadata (no comma when the object was empty) directly before the
 * object's closing brace, so deleting that run of bytes gives back the original document. */
#include <stdlib.h>
#include <string.h>

#include "result/jscan.h"
#include "result/result_private.h"
#include "util/error.h"

static const char member[] = "\"tee\":";

int bptee_result_injectable(const uint8_t *doc, size_t len)
{
    if (!doc && len)
        return fail(BPTEE_EINVAL, "result: missing document");
    struct jscan_result s;
    if (len > BPTEE_RESULT_MAX || jscan_document(doc, len, "result", &s) < 0)
        return 0;
    return s.is_object && s.tee_count == 0;
}

int bptee_result_inject(const struct bptee_result_meta *m, const uint8_t *doc, size_t len,
                        uint8_t **out, size_t *out_len)
{
    if (!m || (!doc && len) || !out || !out_len)
        return fail(BPTEE_EINVAL, "result: missing argument");
    if (len > BPTEE_RESULT_MAX)
        return fail(BPTEE_ELIMIT, "result: larger than %llu bytes", BPTEE_RESULT_MAX);
    struct jscan_result s;
    if (jscan_document(doc, len, "result", &s) < 0)
        return fail_prefix(BPTEE_EUNSUPPORTED, "result is not JSON (write a sidecar)");
    if (!s.is_object)
        return fail(BPTEE_EUNSUPPORTED, "result is not a JSON object (write a sidecar)");
    if (s.tee_count)
        return fail(BPTEE_EUNSUPPORTED, "result already has a \"tee\" member (write a sidecar)");
    if (m->size != len)
        return fail(BPTEE_EINVAL, "result: the metadata attests %llu bytes, the document has "
                                  "%zu", (unsigned long long)m->size, len);
    char *meta = NULL;
    size_t meta_len = 0;
    int rc = meta_serialize(m, COVERS_JSON, &meta, &meta_len);
    if (rc < 0)
        return rc;
    size_t comma = s.members ? 1 : 0, total = len + comma + strlen(member) + meta_len;
    uint8_t *buf = malloc(total + 1), *p = buf;
    if (!buf) {
        free(meta);
        return fail(BPTEE_ENOMEM, "result: out of memory");
    }
    memcpy(p, doc, s.close);
    p += s.close;
    if (comma)
        *p++ = ',';
    memcpy(p, member, strlen(member));
    p += strlen(member);
    memcpy(p, meta, meta_len);
    p += meta_len;
    memcpy(p, doc + s.close, len - s.close);
    buf[total] = '\0';
    free(meta);
    *out = buf;
    *out_len = total;
    return 0;
}

int inject_locate(const uint8_t *doc, size_t len, size_t *value, size_t *value_end,
                  size_t *prefix, size_t *suffix)
{
    struct jscan_result s;
    if (len > BPTEE_RESULT_MAX)
        return fail(BPTEE_ELIMIT, "result: larger than %llu bytes", BPTEE_RESULT_MAX);
    int rc = jscan_document(doc, len, "result", &s);
    if (rc < 0)
        return rc;
    if (!s.is_object || s.tee_count == 0)
        return fail(BPTEE_ENOTFOUND, "result: no \"tee\" member (is there a sidecar?)");
    if (s.tee_count > 1)
        return fail(BPTEE_EVERIFY, "result: more than one \"tee\" member");
    /* Exactly the bytes bptee_result_inject writes: [","] "\"tee\":" VALUE "}" */
    size_t sep = s.tee_first ? s.tee_key : s.tee_sep;
    if (!s.tee_is_last || s.tee_value_end != s.close ||
        (!s.tee_first && s.tee_key != s.tee_sep + 1) ||
        s.tee_value != s.tee_key + strlen(member) ||
        memcmp(doc + s.tee_key, member, strlen(member)) != 0)
        return fail(BPTEE_EVERIFY, "result: the \"tee\" member is not laid out as bptee "
                                   "writes it (last member, \",\\\"tee\\\":\" then the value "
                                   "then the closing brace)");
    *value = s.tee_value;
    *value_end = s.tee_value_end;
    *prefix = sep;
    *suffix = s.close;
    return 0;
}

int bptee_result_original(const uint8_t *doc, size_t len, uint8_t **out, size_t *out_len)
{
    if ((!doc && len) || !out || !out_len)
        return fail(BPTEE_EINVAL, "result: missing argument");
    size_t v, ve, prefix, suffix;
    int rc = inject_locate(doc, len, &v, &ve, &prefix, &suffix);
    if (rc < 0)
        return rc;
    size_t n = prefix + (len - suffix);
    uint8_t *buf = malloc(n + 1);
    if (!buf)
        return fail(BPTEE_ENOMEM, "result: out of memory");
    memcpy(buf, doc, prefix);
    memcpy(buf + prefix, doc + suffix, len - suffix);
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 0;
}
