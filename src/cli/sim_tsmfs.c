// SPDX-License-Identifier: Apache-2.0
/* `bptee sim tsm-fs MOUNTPOINT`: a FUSE file system that behaves as configfs-tsm's report tree
 * (Documentation/ABI/testing/configfs-tsm-report) backed by the simulated TEE, so the configfs
 * client runs exactly the calls it makes on a real guest: mkdir report/NAME, write inblob and
 * privlevel (each write advances generation), read outblob (generated over the inblob for the
 * current generation, then cached, as the kernel does), auxblob (the certificate table),
 * provider, generation and privlevel_floor, rmdir. With --tee tdx it is the tdx_guest
 * provider: outblob is a quote, and there is no auxblob, privlevel or privlevel_floor. Served
 * by one thread, so no locking. */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/guest_args.h"
#include "cli/sim_tsmfs.h"

#define INBLOB_MAX 64   /* TSM_INBLOB_MAX */
#define PRIVLEVEL_MAX 3 /* TSM_PRIVLEVEL_MAX */
#define INSTANCES_MAX 256

enum attr_id { A_INBLOB, A_OUTBLOB, A_AUXBLOB, A_PROVIDER, A_GENERATION, A_PRIVLEVEL, A_FLOOR };

static const struct attr {
    const char *name;
    mode_t mode;
} attrs[] = {
    [A_INBLOB] = {"inblob", 0200},         [A_OUTBLOB] = {"outblob", 0444},
    [A_AUXBLOB] = {"auxblob", 0444},       [A_PROVIDER] = {"provider", 0444},
    [A_GENERATION] = {"generation", 0444}, [A_PRIVLEVEL] = {"privlevel", 0200},
    [A_FLOOR] = {"privlevel_floor", 0444},
};
#define NATTRS (sizeof attrs / sizeof attrs[0])

struct instance {
    struct instance *next;
    char *name;
    uint8_t inblob[INBLOB_MAX];
    size_t inblob_len;
    unsigned privlevel;
    unsigned long long generation;
    /* outblob/auxblob generated for cached_gen */
    int cached;
    unsigned long long cached_gen;
    struct tsm_blob outblob, auxblob;
};

struct tsmfs {
    struct tsm_backend be;
    struct instance *instances;
    size_t count;
    unsigned race_left; /* test knob: outblob reads that see a concurrent writer */
    time_t started;     /* every node's timestamps */
};

/* What a path names: "/", "/report", "/report/NAME" or "/report/NAME/ATTR". */
struct node {
    int depth;
    struct instance *inst;
    int attr;
};

static struct tsmfs *fs_state(void)
{
    return fuse_get_context()->private_data;
}

/* tdx_guest shows neither auxblob nor privlevel (the kernel hides attributes a provider lacks). */
static int attr_visible(size_t a)
{
    return !fs_state()->be.tdx || (a != A_AUXBLOB && a != A_PRIVLEVEL && a != A_FLOOR);
}

static void blobs_free(struct instance *i)
{
    free(i->outblob.data);
    free(i->auxblob.data);
    i->outblob = i->auxblob = (struct tsm_blob){0};
}

static struct instance *find_instance(const char *name, size_t len)
{
    for (struct instance *i = fs_state()->instances; i; i = i->next)
        if (strlen(i->name) == len && !memcmp(i->name, name, len))
            return i;
    return NULL;
}

static int lookup(const char *path, struct node *n)
{
    memset(n, 0, sizeof *n);
    n->attr = -1;
    if (!strcmp(path, "/"))
        return 0;
    if (strncmp(path, "/report", 7) || (path[7] && path[7] != '/'))
        return -ENOENT;
    n->depth = 1;
    if (!path[7] || !path[8])
        return 0;
    const char *name = path + 8, *slash = strchr(name, '/');
    n->inst = find_instance(name, slash ? (size_t)(slash - name) : strlen(name));
    if (!n->inst)
        return -ENOENT;
    n->depth = 2;
    if (!slash)
        return 0;
    for (size_t a = 0; a < NATTRS; a++)
        if (attr_visible(a) && !strcmp(slash + 1, attrs[a].name)) {
            n->depth = 3;
            n->attr = (int)a;
            return 0;
        }
    return -ENOENT;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    (void)fi;
    struct node n;
    int r = lookup(path, &n);
    if (r < 0)
        return r;
    memset(st, 0, sizeof *st);
    st->st_uid = getuid();
    st->st_gid = getgid();
    st->st_atime = st->st_mtime = st->st_ctime = fs_state()->started;
    if (n.depth < 3) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
    } else {
        st->st_mode = S_IFREG | attrs[n.attr].mode;
        st->st_nlink = 1; /* size 0 as in configfs: reads go through direct_io */
    }
    return 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    (void)off, (void)fi, (void)flags;
    struct node n;
    int r = lookup(path, &n);
    if (r < 0)
        return r;
    if (n.depth == 3)
        return -ENOTDIR;
    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);
    if (n.depth == 0)
        fill(buf, "report", NULL, 0, 0);
    else if (n.depth == 1)
        for (struct instance *i = fs_state()->instances; i; i = i->next)
            fill(buf, i->name, NULL, 0, 0);
    else
        for (size_t a = 0; a < NATTRS; a++)
            if (attr_visible(a))
                fill(buf, attrs[a].name, NULL, 0, 0);
    return 0;
}

static int fs_mkdir(const char *path, mode_t mode)
{
    (void)mode;
    struct tsmfs *fs = fs_state();
    struct node n;
    if (lookup(path, &n) == 0)
        return -EEXIST;
    if (strncmp(path, "/report/", 8) || !path[8] || strchr(path + 8, '/'))
        return -EPERM; /* configfs: instances are made in report/ only */
    if (fs->count >= INSTANCES_MAX)
        return -ENOSPC;
    struct instance *i = calloc(1, sizeof *i);
    if (!i || !(i->name = strdup(path + 8))) {
        free(i);
        return -ENOMEM;
    }
    i->next = fs->instances;
    fs->instances = i;
    fs->count++;
    return 0;
}

static int fs_rmdir(const char *path)
{
    struct tsmfs *fs = fs_state();
    struct node n;
    int r = lookup(path, &n);
    if (r < 0)
        return r;
    if (n.depth != 2)
        return n.depth == 3 ? -ENOTDIR : -EPERM;
    for (struct instance **p = &fs->instances; *p; p = &(*p)->next)
        if (*p == n.inst) {
            *p = n.inst->next;
            break;
        }
    fs->count--;
    blobs_free(n.inst);
    free(n.inst->name);
    free(n.inst);
    return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
    struct node n;
    int r = lookup(path, &n);
    if (r < 0)
        return r;
    if (n.depth != 3)
        return -EISDIR;
    int acc = fi->flags & O_ACCMODE;
    mode_t mode = attrs[n.attr].mode;
    if ((acc != O_WRONLY && !(mode & 0400)) || (acc != O_RDONLY && !(mode & 0200)))
        return -EACCES;
    fi->direct_io = 1; /* every read reaches us, whatever size getattr reported */
    return 0;
}

/* The evidence for the instance's current generation, as the kernel's tsm_report_read. */
static int refresh_blobs(struct tsmfs *fs, struct instance *i)
{
    if (i->cached && i->cached_gen == i->generation)
        return 0;
    blobs_free(i);
    i->cached = 0;
    if (tsm_backend_generate(&fs->be, i->inblob, i->inblob_len, i->privlevel, &i->outblob,
                             &i->auxblob) < 0) {
        blobs_free(i);
        return -EIO;
    }
    i->cached = 1;
    i->cached_gen = i->generation;
    return 0;
}

static int read_slice(const void *data, size_t len, char *buf, size_t size, off_t off)
{
    if (off < 0 || (size_t)off >= len)
        return 0;
    size_t n = len - (size_t)off < size ? len - (size_t)off : size;
    memcpy(buf, (const uint8_t *)data + off, n);
    return (int)n;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)fi;
    struct node n;
    int r = lookup(path, &n);
    if (r < 0 || n.depth != 3)
        return r < 0 ? r : -EISDIR;
    struct instance *i = n.inst;
    char text[32];
    const char *text_p;
    switch (n.attr) {
    case A_OUTBLOB:
    case A_AUXBLOB:
        if (n.attr == A_OUTBLOB && off == 0 && fs_state()->race_left) {
            fs_state()->race_left--; /* as if another writer slipped in: readers must retry */
            i->generation++;
        }
        if (off == 0 && (r = refresh_blobs(fs_state(), i)) < 0)
            return r;
        if (!i->cached)
            return 0;
        return n.attr == A_OUTBLOB ? read_slice(i->outblob.data, i->outblob.len, buf, size, off)
                                   : read_slice(i->auxblob.data, i->auxblob.len, buf, size, off);
    case A_PROVIDER:
        text_p = tsm_backend_provider(&fs_state()->be);
        return read_slice(text_p, strlen(text_p), buf, size, off);
    case A_GENERATION:
        snprintf(text, sizeof text, "%llu\n", i->generation);
        return read_slice(text, strlen(text), buf, size, off);
    case A_FLOOR:
        return read_slice("0\n", 2, buf, size, off);
    default:
        return -EACCES;
    }
}

static int write_privlevel(struct instance *i, const char *buf, size_t size)
{
    char text[16];
    if (size == 0 || size >= sizeof text)
        return -EINVAL;
    memcpy(text, buf, size);
    text[size] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (end == text || (*end && strcmp(end, "\n")) || errno || v > PRIVLEVEL_MAX)
        return -EINVAL;
    i->privlevel = (unsigned)v;
    i->generation++;
    return (int)size;
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    (void)fi;
    struct node n;
    int r = lookup(path, &n);
    if (r < 0 || n.depth != 3)
        return r < 0 ? r : -EISDIR;
    struct instance *i = n.inst;
    if (n.attr == A_PRIVLEVEL)
        return write_privlevel(i, buf, size);
    if (n.attr != A_INBLOB)
        return -EACCES;
    if (off < 0 || (size_t)off > INBLOB_MAX || size > INBLOB_MAX - (size_t)off)
        return -EFBIG;
    if (off == 0) { /* a new blob replaces the old one; shorter ones are zero-padded */
        memset(i->inblob, 0, sizeof i->inblob);
        i->inblob_len = 0;
    }
    memcpy(i->inblob + off, buf, size);
    if ((size_t)off + size > i->inblob_len)
        i->inblob_len = (size_t)off + size;
    i->generation++;
    return (int)size;
}

/* open(O_TRUNC) of a write-only attribute: nothing to cut. */
static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    (void)size, (void)fi;
    struct node n;
    int r = lookup(path, &n);
    if (r < 0)
        return r;
    return n.depth == 3 && (attrs[n.attr].mode & 0200) ? 0 : -EACCES;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    (void)conn;
    cfg->direct_io = 1;
    cfg->kernel_cache = 0;
    cfg->entry_timeout = cfg->attr_timeout = cfg->negative_timeout = 0;
    return fuse_get_context()->private_data;
}

static const struct fuse_operations tsm_ops = {
    .init = fs_init,
    .getattr = fs_getattr,
    .readdir = fs_readdir,
    .mkdir = fs_mkdir,
    .rmdir = fs_rmdir,
    .open = fs_open,
    .read = fs_read,
    .write = fs_write,
    .truncate = fs_truncate,
};

static void tsmfs_usage_hint(void)
{
    fputs("usage: bptee sim tsm-fs MOUNTPOINT [--tee sev-snp|tdx] [--state-dir DIR]\n"
          "                        [--foreground] [--race N] [--measurement HEX] [--policy N]\n"
          "                        [--host-data HEX] [--version N] [--guest-svn N]\n"
          "  --tee T    sev-snp (default): provider sev_guest, the simulated SEV-SNP TEE;\n"
          "             tdx: provider tdx_guest, outblob a quote of the simulated TDX (state\n"
          "             in DIR-tdx; --measurement sets the MRTD; no auxblob, no privlevel)\n"
          "  --race N   test knob: the first N outblob reads see a concurrent writer\n",
          stdout);
}

struct tsmfs_args {
    struct sim_guest_args g;
    const char *mountpoint;
    int foreground, tdx;
    unsigned race;
};

static int parse_tee(const char *arg, struct tsmfs_args *a)
{
    if (strcmp(arg, "sev-snp") && strcmp(arg, "tdx"))
        return cli_usage_error("sim tsm-fs: --tee: expected sev-snp or tdx, got '%s'", arg);
    a->tdx = !strcmp(arg, "tdx");
    return 0;
}

static int tsmfs_parse(int argc, char **argv, struct tsmfs_args *a)
{
    static const struct option longopts[] = {
        SIM_GUEST_LONGOPTS,
        {"foreground", no_argument, NULL, 'f'},
        {"race", required_argument, NULL, 'R'},
        {"tee", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    uint64_t v = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":fh", longopts, NULL)) != -1) {
        int r = sim_guest_opt(c, optarg, &a->g);
        if (r > 0)
            return r;
        if (r == 0)
            continue;
        if (c == 'h')
            return -1;
        if (c == 'f')
            a->foreground = 1;
        else if (c == 'T' && (r = parse_tee(optarg, a)) != 0)
            return r;
        else if (c == 'T')
            continue;
        else if (c == 'R' && cli_uint_arg("sim tsm-fs", "--race", optarg, 1000, &v))
            return 2;
        else if (c == 'R')
            a->race = (unsigned)v;
        else if (c == ':')
            return cli_usage_error("sim tsm-fs: %s needs a value", argv[optind - 1]);
        else
            return cli_usage_error("sim tsm-fs: unknown option '%s' (see --help)",
                                   argv[optind - 1]);
    }
    if (optind != argc - 1)
        return cli_usage_error("sim tsm-fs: expected one MOUNTPOINT (see --help)");
    a->mountpoint = argv[optind];
    return tsm_backend_check_args(a->tdx, &a->g);
}

/* Mount, detach unless --foreground, and serve until unmounted or signalled. */
static int serve(struct tsmfs *fs, const struct tsmfs_args *a)
{
    char *argv0[] = {"bptee-sim-tsmfs", "-o", "fsname=bptee-sim-tsm,subtype=bptee", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, argv0);
    struct fuse *f = fuse_new(&args, &tsm_ops, sizeof tsm_ops, fs);
    fuse_opt_free_args(&args); /* fuse_new copies what it keeps */
    if (!f) {
        fprintf(stderr, "bptee: sim tsm-fs: cannot create the FUSE file system\n");
        return 1;
    }
    if (fuse_mount(f, a->mountpoint) != 0) {
        fprintf(stderr, "bptee: sim tsm-fs: cannot mount at %s (is /dev/fuse usable?)\n",
                a->mountpoint);
        fuse_destroy(f);
        return 1;
    }
    fprintf(stderr,
            "bptee: sim tsm-fs: configfs-tsm emulation (provider %s) of the simulated %s at "
            "%s/report (evidence is simulated)\n",
            a->tdx ? "tdx_guest" : "sev_guest", a->tdx ? "TDX" : "SEV-SNP TEE", a->mountpoint);
    int status = 1;
    struct fuse_session *se = fuse_get_session(f);
    if (fuse_daemonize(a->foreground) == 0 && fuse_set_signal_handlers(se) == 0) {
        status = fuse_loop(f) == 0 ? 0 : 1;
        fuse_remove_signal_handlers(se);
    }
    fuse_unmount(f);
    fuse_destroy(f);
    return status;
}

int sim_tsmfs_main(int argc, char **argv)
{
    struct tsmfs_args a = {.g = {.opts = {.sz = sizeof a.g.opts}}};
    int r = tsmfs_parse(argc, argv, &a);
    if (r < 0) {
        tsmfs_usage_hint();
        return 0;
    }
    if (r)
        return r;
    struct tsmfs fs = {.be = {.tdx = a.tdx}, .race_left = a.race, .started = time(NULL)};
    /* The state is loaded before mounting so a bad state fails here, not inside the mount. */
    r = tsm_backend_open(&fs.be, &a.g);
    if (r < 0) {
        tsm_backend_free(&fs.be);
        return cli_error("sim tsm-fs", r);
    }
    int status = serve(&fs, &a);
    while (fs.instances) {
        struct instance *next = fs.instances->next;
        blobs_free(fs.instances);
        free(fs.instances->name);
        free(fs.instances);
        fs.instances = next;
    }
    tsm_backend_free(&fs.be);
    return status;
}
