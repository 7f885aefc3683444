// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>

#include <bptee.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/plugin.h"

struct command {
    const char *name;
    cli_command_fn fn;           /* in this executable, or */
    const char *plugin, *entry;  /* a plugin's function */
    const char *summary;
};

static const struct command commands[] = {
#define CLI_COMMAND(name, fn, summary) {name, fn, NULL, NULL, summary},
#define CLI_PLUGIN(name, plugin, fn, summary) {name, NULL, plugin, #fn, summary},
#include "cli/commands.h"
#undef CLI_COMMAND
#undef CLI_PLUGIN
    {NULL, NULL, NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: bptee COMMAND [ARGS...]\n\n"
                 "Confidential-computing job runtime: attestation evidence, verification,\n"
                 "sealed secrets and attested results.\n\ncommands:\n");
    for (size_t i = 0; commands[i].name; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'bptee COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return cli_close_stdout(0);
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("bptee %s\n", bptee_version());
        return cli_close_stdout(0);
    }
    for (size_t i = 0; commands[i].name; i++)
        if (!strcmp(name, commands[i].name))
            return cli_close_stdout(commands[i].fn
                                        ? commands[i].fn(argc - 1, argv + 1)
                                        : cli_plugin_call(commands[i].plugin, commands[i].entry,
                                                          argc - 1, argv + 1));
    fprintf(stderr, "bptee: unknown command '%s' (see 'bptee --help')\n", name);
    return 2;
}
