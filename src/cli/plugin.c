// SPDX-License-Identifier: Apache-2.0
/* Loading a command's plugin (plugin.h). The plugin is looked for beside the executable that
 * runs (its real path, /proc/self/exe), never on a search path or through an environment
 * variable: which code a bptee process runs is decided by where bptee is installed, as for the
 * libraries it links. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/plugin.h"

#define PLUGIN_FAIL 2

typedef int (*plugin_entry_fn)(int argc, char **argv);

/* The directory of the running executable, without a trailing slash. */
static int self_dir(char *dir, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n <= 0 || (size_t)n >= size - 1)
        return -1;
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

int cli_plugin_call(const char *plugin, const char *entry, int argc, char **argv)
{
    /* The build tree keeps plugins in plugins/ beside bptee; an install (any prefix) in
     * lib/bptee/ beside bin/. */
    static const char *const layouts[] = {"/plugins/", "/../lib/bptee/"};
    char dir[PATH_MAX], path[PATH_MAX + 64];
    if (self_dir(dir, sizeof dir) < 0) {
        fprintf(stderr, "bptee: cannot find its own executable (/proc/self/exe): %s\n",
                strerror(errno));
        return PLUGIN_FAIL;
    }
    void *handle = NULL;
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0] && !handle; i++) {
        snprintf(path, sizeof path, "%s%s%s.so", dir, layouts[i], plugin);
        if (access(path, F_OK) == 0) {
            handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
            if (!handle) {
                fprintf(stderr, "bptee: plugin %s: %s\n", path, dlerror());
                return PLUGIN_FAIL;
            }
        }
    }
    if (!handle) {
        fprintf(stderr, "bptee: plugin %s.so is not installed (looked in %s/plugins and "
                        "%s/../lib/bptee)\n", plugin, dir, dir);
        return PLUGIN_FAIL;
    }
    plugin_entry_fn fn;
    *(void **)&fn = dlsym(handle, entry); /* POSIX's way to turn a symbol into a function */
    if (!fn) {
        fprintf(stderr, "bptee: plugin %s has no %s\n", path, entry);
        return PLUGIN_FAIL;
    }
    return fn(argc, argv); /* the plugin stays loaded until exit: its atexit handlers run */
}
