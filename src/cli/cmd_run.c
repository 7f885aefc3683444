// SPDX-License-Identifier: Apache-2.0
/* bptee run: route a job by the config's mode (and the hybrid routing file), run it plainly or
 * in the TEE path (interposer, secrets, attested result), and behave as if the job had run
 * directly: its stdin, stderr and exit status or signal pass through. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/run.h"

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: bptee run --config FILE --spec FILE [--routing FILE] [--job-id ID]\n"
            "                 [--agent-socket PATH] [--preload PATH] [--detect-root DIR]\n"
            "                 [--verbose] -- CMD [ARGS...]\n\n"
            "Run CMD as a job. The config's mode decides where: disabled runs it plainly,\n"
            "direct in the TEE path, hybrid as the routing file says for the job id, auto in\n"
            "the TEE path when TEE hardware is detected. In the TEE path the job runs in a\n"
            "mount namespace of its own where each declared secret is a read-only file the\n"
            "kernel serves to every binary (docs/view.md), kept current while the agent\n"
            "rotates or revokes it; as root, under a dynamic uid of its own unless the spec\n"
            "names a user; and, when it exits 0, it gets an attested result. A plain job gets\n"
            "no view, no preload, no secrets, no BPTEE_* variable.\n\n"
            "  --config FILE        TEE config (docs/config.md)\n"
            "  --spec FILE          job spec: job_id, secrets, result, sidecar, user,\n"
            "                       inherit_preload, fresh_attestation (docs/results.md)\n"
            "  --routing FILE       routing file (docs/routing.md); default: the config's\n"
            "                       hybrid_routing_source.policy_file\n"
            "  --job-id ID          the job id (default: the spec's job_id)\n"
            "  --agent-socket PATH  the agent's job socket (default: $BPTEE_AGENT_SOCKET,\n"
            "                       else /run/bptee/agent.sock)\n"
            "  --preload PATH       libbptee-preload.so (default: $BPTEE_PRELOAD, else next to\n"
            "                       bptee, else ../lib from it)\n"
            "  --detect-root DIR    look for TEE devices under DIR (default: $BPTEE_DETECT_ROOT\n"
            "                       or /)\n"
            "  --verbose            say on stderr where the job was routed and why\n\n"
            "Environment: TEE_BACKEND (blueprint-tee's: direct, direct-sev-snp, direct-tdx,\n"
            "direct-sim, ...; docs/backends.md) makes a TEE job run only on a backend it\n"
            "lists for the local TEE the config accepts; bptee run refuses otherwise.\n"
            "A job stopped at the spec's memory limit is reported on stderr.\n\n"
            "Exit status: the job's (a job killed by a signal kills bptee run with it);\n"
            "125 bptee run failed or refused, 126 CMD cannot be executed, 127 CMD not found,\n"
            "2 usage error.\n");
}

static int parse_args(int argc, char **argv, struct run_args *a)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},       {"routing", required_argument, NULL, 'r'},
        {"job-id", required_argument, NULL, 'j'},       {"spec", required_argument, NULL, 's'},
        {"agent-socket", required_argument, NULL, 'a'}, {"preload", required_argument, NULL, 'p'},
        {"detect-root", required_argument, NULL, 'd'},  {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},               {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
        switch (c) {
        case 'c': a->config = optarg; break;
        case 'r': a->routing = optarg; break;
        case 'j': a->job_id = optarg; break;
        case 's': a->spec = optarg; break;
        case 'a': a->agent_socket = optarg; break;
        case 'p': a->preload = optarg; break;
        case 'd': a->detect_root = optarg; break;
        case 'v': a->verbose = true; break;
        case 'h': run_usage(stdout); return 0;
        default:
            return cli_usage_error("run: unknown or incomplete option '%s' (see --help)",
                                   argv[optind - 1]);
        }
    }
    if (!a->config || !a->spec)
        return cli_usage_error("run: --config and --spec are required (see --help)");
    if (optind >= argc)
        return cli_usage_error("run: no command to run (give it after --)");
    a->cmd = argv + optind;
    a->cmd_len = (size_t)(argc - optind);
    return -1;
}

static int run_fail(const char *what, int code)
{
    cli_error(what, code);
    return RUN_EXIT_FAILURE;
}

static int load_routing(const struct run_job *job, struct bptee_routing **out)
{
    const char *path = job->args->routing ? job->args->routing
                                          : bptee_config_hybrid_policy_file(job->cfg);
    int rc = bptee_routing_load(path, out);
    return rc < 0 ? run_fail("run", rc) : 0;
}

/* The config's device paths count only where they differ from the defaults: a default path
 * stays under --detect-root. */
static void detect_opts(const struct run_job *job, struct bptee_detect_opts *d)
{
    const char *sev = bptee_config_sev_guest_path(job->cfg);
    const char *tdx = bptee_config_tdx_guest_path(job->cfg);
    const char *root = job->args->detect_root ? job->args->detect_root
                                               : secure_getenv("BPTEE_DETECT_ROOT");
    memset(d, 0, sizeof *d);
    d->sz = sizeof *d;
    d->root = root;
    if (sev && strcmp(sev, BPTEE_CONFIG_DEFAULT_SEV_GUEST_PATH))
        d->sev_guest = sev;
    if (tdx && strcmp(tdx, BPTEE_CONFIG_DEFAULT_TDX_GUEST_PATH))
        d->tdx_guest = tdx;
}

/* With $TEE_BACKEND set, a TEE job runs on the backend it registers for the local TEE the
 * config accepts (docs/backends.md), or not at all: decided before anything is prepared. */
static int select_backend(struct run_job *job, const struct bptee_detect_opts *d)
{
    const char *value = secure_getenv("TEE_BACKEND");
    if (!value || job->tee != BPTEE_ROUTE_TEE)
        return 0;
    BPTEE_OPTS(bptee_guest_opts, g);
    char why[400];
    int rc = bptee_guest_opts_from_config(job->cfg, &g);
    if (rc == 0)
        rc = bptee_registry_from_env(value, d, &g, &job->registry);
    if (rc == 0)
        rc = bptee_registry_select(job->registry, job->cfg, d, &job->backend, why, sizeof why);
    if (rc < 0)
        return run_fail("run", rc);
    if (job->args->verbose)
        fprintf(stderr, "bptee: run: TEE_BACKEND=%s: %s\n", value, why);
    return 0;
}

static int route(struct run_job *job)
{
    struct bptee_routing *routing = NULL;
    struct bptee_detect_opts d;
    struct bptee_route_decision dec;
    int mode = bptee_config_mode(job->cfg);
    if (mode == BPTEE_TEE_MODE_HYBRID && load_routing(job, &routing))
        return RUN_EXIT_FAILURE;
    detect_opts(job, &d);
    BPTEE_OPTS(bptee_route_opts, o, .routing = routing, .detect = &d);
    int rc = bptee_route_job(job->cfg, job->job_id, &o, &dec);
    bptee_routing_free(routing);
    if (rc < 0)
        return run_fail("run", rc);
    job->tee = dec.route;
    if (job->args->verbose)
        fprintf(stderr, "bptee: run: job '%s' -> %s (%s)\n", job->job_id,
                dec.route == BPTEE_ROUTE_TEE ? "TEE" : "plain", dec.reason);
    return select_backend(job, &d);
}

static int load_inputs(struct run_job *job)
{
    int rc = bptee_config_load_file(job->args->config, &job->cfg);
    if (rc < 0)
        return run_fail("run", rc);
    if ((rc = bptee_job_spec_load(job->args->spec, &job->spec)) < 0)
        return run_fail("run", rc);
    job->job_id = job->args->job_id ? job->args->job_id : bptee_job_spec_job_id(job->spec);
    if (!job->job_id)
        return cli_usage_error("run: no job id: give --job-id or \"job_id\" in the spec");
    if ((rc = bptee_job_id_check(job->job_id)) < 0)
        return cli_usage_error("run: --job-id: %s", bptee_last_error());
    return 0;
}

static int run_main(struct run_job *job)
{
    int status, wstatus = 0;
    if ((status = load_inputs(job)) || (status = route(job)) ||
        (status = run_resolve_command(job)))
        return status;
    if (job->tee == BPTEE_ROUTE_TEE && (status = run_prepare_tee(job)))
        return status;
    if ((status = run_build_env(job)) || (status = run_exec(job, &wstatus)))
        return status;
    if ((status = run_finish(job, wstatus)))
        return status;
    run_job_release(job);
    run_exit_like(wstatus);
}

int cmd_run(int argc, char **argv)
{
    struct run_args a = {0};
    int r = parse_args(argc, argv, &a);
    if (r >= 0)
        return r;
    struct run_job job = {.args = &a, .capture_fd = -1};
    int status = run_main(&job);
    run_job_release(&job);
    return status;
}
