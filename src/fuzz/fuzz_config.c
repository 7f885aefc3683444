// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for the config JSON loader: any input either fails cleanly or loads, and a
 * loaded config must survive save -> load -> save with identical JSON (compact and pretty). The
 * same bytes also go through the TeeRequirements reader, with the same round-trip check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bptee.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_config: %s: %s\n", what, bptee_last_error());
    abort();
}

static char *save(const struct bptee_config *cfg, unsigned flags)
{
    char *s = NULL;
    if (bptee_config_save(cfg, flags, &s) < 0)
        die("a loaded config does not save");
    return s;
}

/* Load text, save it with flags, and return the saved JSON. */
static char *reload(const char *text, unsigned flags)
{
    struct bptee_config *cfg = NULL;
    if (bptee_config_load(text, strlen(text), &cfg) < 0)
        die("saved JSON does not load");
    char *s = save(cfg, flags);
    bptee_config_free(cfg);
    return s;
}

static void config_round_trip(const uint8_t *data, size_t size)
{
    struct bptee_config *cfg = NULL;
    if (bptee_config_load((const char *)data, size, &cfg) < 0)
        return;
    if (bptee_config_validate(cfg) < 0)
        die("a loaded config does not validate");
    char *first = save(cfg, 0), *pretty = save(cfg, BPTEE_CONFIG_SAVE_PRETTY);
    char *second = reload(first, 0), *from_pretty = reload(pretty, 0);
    if (strcmp(first, second) != 0 || strcmp(first, from_pretty) != 0)
        die("round trip changed the JSON");
    bptee_free(first);
    bptee_free(pretty);
    bptee_free(second);
    bptee_free(from_pretty);
    bptee_config_free(cfg);
}

static void requirements_round_trip(const uint8_t *data, size_t size)
{
    struct bptee_tee_requirements a, b;
    char *first = NULL, *second = NULL;
    if (bptee_tee_requirements_from_json((const char *)data, size, &a) < 0)
        return;
    if (bptee_tee_requirements_to_json(&a, &first) < 0 ||
        bptee_tee_requirements_from_json(first, strlen(first), &b) < 0 ||
        bptee_tee_requirements_to_json(&b, &second) < 0 || strcmp(first, second) != 0)
        die("requirements round trip");
    bptee_free(first);
    bptee_free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    config_round_trip(data, size);
    requirements_round_trip(data, size);
    return 0;
}
