// SPDX-License-Identifier: Apache-2.0
/* The owner's HTTP client (libcurl) and request signing, for `bptee provision` and `bptee
 * revoke`. Responses are capped at 8 MiB; each request times out after the client's timeout. */
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/owner_client.h"

#define RESPONSE_MAX (8u << 20)
#define URL_MAX 2048

static size_t on_data(char *ptr, size_t size, size_t n, void *userdata)
{
    struct http_body *b = userdata;
    size_t add = size * n;
    if (b->len + add > RESPONSE_MAX) {
        b->too_large = true;
        return 0; /* makes curl fail the transfer */
    }
    char *grown = realloc(b->data, b->len + add + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

static void setup(CURL *c, const struct owner_client *cl, const char *method, const char *url,
                  const char *json, struct curl_slist *hdr, struct http_body *resp, char *err)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    if (strcmp(method, "GET") && strcmp(method, "POST"))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (json) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cl->timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)(cl->timeout < 10 ? cl->timeout : 10));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
}

int owner_http(const struct owner_client *cl, const char *method, const char *path,
               const char *json, long *status, struct http_body *resp)
{
    char url[URL_MAX], err[CURL_ERROR_SIZE] = "";
    size_t al = strlen(cl->agent);
    while (al && cl->agent[al - 1] == '/')
        al--;
    snprintf(url, sizeof url, "%.*s%s", (int)al, cl->agent, path);
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (!c || !hdr) {
        curl_easy_cleanup(c);
        curl_slist_free_all(hdr);
        fprintf(stderr, "bptee: %s: cannot start libcurl\n", cl->cmd);
        return 1;
    }
    setup(c, cl, method, url, json, hdr, resp, err);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdr);
    if (rc == CURLE_OK && resp->data)
        return 0;
    if (resp->too_large)
        fprintf(stderr, "bptee: %s: %s %s: response larger than %u bytes\n", cl->cmd, method, url,
                RESPONSE_MAX);
    else
        fprintf(stderr, "bptee: %s: %s %s: %s\n", cl->cmd, method, url,
                err[0]           ? err
                : rc == CURLE_OK ? "empty response"
                                 : curl_easy_strerror(rc));
    return 1;
}

/* "the agent answered STATUS: its error" */
static void report_status(const struct owner_client *cl, const char *what, long status,
                          const struct http_body *resp)
{
    json_t *j = json_loadb(resp->data, resp->len, 0, NULL);
    const char *msg = json_string_value(json_object_get(j, "error"));
    fprintf(stderr, "bptee: %s: %s: the agent answered %ld: %s\n", cl->cmd, what, status,
            msg ? msg : "(no error message)");
    json_decref(j);
}

int owner_http_ok(const struct owner_client *cl, const char *what, const char *method,
                  const char *path, const char *json, struct http_body *resp)
{
    long status = 0;
    if (owner_http(cl, method, path, json, &status, resp) != 0)
        return 1;
    if (status == 200)
        return 0;
    report_status(cl, what, status, resp);
    return 1;
}

int owner_get_offer(const struct owner_client *cl, const char *name, struct bptee_offer **offer)
{
    uint8_t nonce[32];
    char hex[65], req[100], what[200];
    struct http_body resp = {0};
    randombytes_buf(nonce, sizeof nonce);
    sodium_bin2hex(hex, sizeof hex, nonce, sizeof nonce);
    snprintf(req, sizeof req, "{\"nonce\":\"%s\"}", hex);
    snprintf(what, sizeof what, "%s: session", name);
    int status = owner_http_ok(cl, what, "POST", "/v1/sessions", req, &resp);
    if (status == 0) {
        BPTEE_OPTS(bptee_verify_opts, vo, .at = cl->at, .policy = cl->policy);
        if (bptee_offer_verify(resp.data, resp.len, nonce, &vo, offer) < 0) {
            fprintf(stderr, "bptee: %s: %s: offer refused: %s\n", cl->cmd, name,
                    bptee_last_error());
            status = 1;
        }
    }
    free(resp.data);
    return status;
}

int owner_stored_version(const struct owner_client *cl, const char *name, bool *exists,
                         uint64_t *version)
{
    char path[200], what[200];
    struct http_body resp = {0};
    long status = 0;
    snprintf(path, sizeof path, "/v1/secrets/%s", name);
    snprintf(what, sizeof what, "%s: stored version", name);
    int rc = owner_http(cl, "GET", path, NULL, &status, &resp);
    *exists = false;
    if (rc == 0 && status != 200) {
        if (status != 404) { /* 404: nothing stored under the name yet */
            report_status(cl, what, status, &resp);
            rc = 1;
        }
        free(resp.data);
        return rc;
    }
    json_t *j = rc == 0 ? json_loadb(resp.data, resp.len, 0, NULL) : NULL;
    json_t *v = json_object_get(j, "version");
    if (rc == 0 && (!json_is_integer(v) || json_integer_value(v) < 1)) {
        fprintf(stderr, "bptee: %s: %s: the agent's answer has no version\n", cl->cmd, what);
        rc = 1;
    } else if (rc == 0) {
        *exists = true;
        *version = (uint64_t)json_integer_value(v);
    }
    json_decref(j);
    free(resp.data);
    return rc;
}

int owner_sign(const struct owner_client *cl, int op, const struct bptee_offer *offer,
               const char *name, uint64_t version, const struct bptee_sealed_payload *payload,
               uint8_t sig[64])
{
    struct bptee_owner_request r = {.op = op, .session_id = bptee_offer_session_id(offer),
                                    .owner = cl->owner_id, .name = name, .version = version};
    const char *digest = bptee_offer_evidence_digest(offer);
    size_t n = 0;
    int rc = sodium_hex2bin(r.attestation_digest, 32, digest, strlen(digest), NULL, &n, NULL) ||
                     n != 32
                 ? BPTEE_EPARSE
                 : 0;
    if (rc == 0 && payload)
        rc = bptee_sealed_payload_digest(payload, r.payload_digest);
    if (rc == 0)
        rc = bptee_owner_request_sign(cl->key, &r, sig);
    if (rc < 0) {
        fprintf(stderr, "bptee: %s: %s: cannot sign: %s\n", cl->cmd, name, bptee_last_error());
        return 1;
    }
    return 0;
}

int owner_load_key(struct owner_client *cl, const char *key_path)
{
    if (!key_path != !cl->owner_id) {
        fprintf(stderr, "bptee: %s: --owner-key and --owner-id go together (see --help)\n",
                cl->cmd);
        return 2;
    }
    if (!key_path)
        return 0;
    if (bptee_owner_id_check(cl->owner_id) < 0) {
        fprintf(stderr, "bptee: %s: --owner-id: %s\n", cl->cmd, bptee_last_error());
        return 2;
    }
    if (bptee_owner_key_load(key_path, &cl->key) < 0) {
        fprintf(stderr, "bptee: %s: --owner-key: %s\n", cl->cmd, bptee_last_error());
        return 1;
    }
    return 0;
}
