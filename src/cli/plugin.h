/* SPDX-License-Identifier: Apache-2.0 */
/* Commands whose libraries no other command needs live in plugins, shared objects loaded only
 * when such a command runs: the agent (libmicrohttpd, libsystemd), the owner's HTTP client
 * commands (libcurl) and the configfs-tsm emulator (libfuse3). `bptee verify`, `inspect` and
 * `run` then start without loading, relocating and binding any of them. The process is still
 * the bptee executable, so the agent still recognises its own binary in `bptee run`. */
#ifndef BPTEE_CLI_PLUGIN_H
#define BPTEE_CLI_PLUGIN_H

/* Load PLUGIN.so (docs: next to the bptee executable in plugins/, else ../lib/bptee/ from it)
 * and return what its function ENTRY returns for argc/argv. A plugin that cannot be found or
 * loaded, or lacks ENTRY, is one line on stderr and exit status 2. */
int cli_plugin_call(const char *plugin, const char *entry, int argc, char **argv);

#endif
