// SPDX-License-Identifier: Apache-2.0
/* bptee config: check a TEE config file and print it normalized, or print the defaults. */
#include <stdio.h>
#include <string.h>

#include <bptee.h>

#include "cli/cli.h"
#include "cli/commands.h"

static void config_usage(FILE *out)
{
    fprintf(out, "usage: bptee config check FILE\n"
                 "       bptee config show\n\n"
                 "check  load FILE (blueprint-tee TeeConfig JSON, optionally with a \"bptee\"\n"
                 "       object; '-' reads stdin), validate it and print it with every key\n"
                 "show   print the default config\n\n"
                 "Exit status: 0 valid, 1 invalid (one line on stderr), 2 usage error.\n"
                 "docs/config.md describes every key.\n");
}

static int print_config(const struct bptee_config *cfg, const char *what)
{
    char *json = NULL;
    int r = bptee_config_save(cfg, BPTEE_CONFIG_SAVE_PRETTY, &json);
    if (r < 0)
        return cli_error(what, r);
    printf("%s\n", json);
    bptee_free(json);
    return fflush(stdout) == 0 ? 0 : 1;
}

static int config_check(const char *path)
{
    struct bptee_config *cfg = NULL;
    int r = bptee_config_load_file(path, &cfg);
    if (r < 0) {
        /* The library's reason starts with the file's name already. */
        fprintf(stderr, "bptee: %s\n", bptee_last_error());
        return 1;
    }
    int status = print_config(cfg, path);
    bptee_config_free(cfg);
    return status;
}

static int config_show(void)
{
    struct bptee_config *cfg = NULL;
    int r = bptee_config_new(&cfg);
    if (r < 0)
        return cli_error("config", r);
    int status = print_config(cfg, "config");
    bptee_config_free(cfg);
    return status;
}

static int is_help(const char *arg)
{
    return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int cmd_config(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (is_help(argv[i])) {
            config_usage(stdout);
            return 0;
        }
    if (argc < 2)
        return cli_usage_error("config: missing subcommand (check or show; see --help)");
    if (!strcmp(argv[1], "check")) {
        if (argc != 3)
            return cli_usage_error("config check: expected one FILE (see --help)");
        return config_check(argv[2]);
    }
    if (!strcmp(argv[1], "show")) {
        if (argc != 2)
            return cli_usage_error("config show: takes no arguments (see --help)");
        return config_show();
    }
    return cli_usage_error("config: unknown subcommand '%s' (check or show; see --help)", argv[1]);
}
