// SPDX-License-Identifier: Apache-2.0
/* The DT_NEEDED libraries of a dynamically linked executable. */
#include <gelf.h>
#include <jansson.h>
#include <string.h>

#include <bptee/elf.h>

#include "elf/elf_private.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/json.h"

/* Append the DT_NEEDED names of one SHT_DYNAMIC section. */
static int section_needed(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, const char *what,
                          json_t *list)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data || sh->sh_entsize == 0)
        return fail(BPTEE_EPARSE, "%s: unreadable .dynamic section", what);
    size_t n = (size_t)(sh->sh_size / sh->sh_entsize);
    for (size_t i = 0; i < n; i++) {
        GElf_Dyn dyn;
        if (!gelf_getdyn(data, (int)i, &dyn))
            return fail(BPTEE_EPARSE, "%s: .dynamic entry %zu unreadable", what, i);
        if (dyn.d_tag == DT_NULL)
            break;
        if (dyn.d_tag != DT_NEEDED)
            continue;
        const char *name = elf_strptr(e, sh->sh_link, (size_t)dyn.d_un.d_val);
        if (!name)
            return fail(BPTEE_EPARSE, "%s: DT_NEEDED %zu points outside its string table",
                        what, i);
        if (json_array_append_new(list, json_string(name)) < 0)
            return fail(BPTEE_EPARSE, "%s: DT_NEEDED %zu is not UTF-8", what, i);
    }
    return 0;
}

int bptee_elf_needed(const char *path, char **json_out)
{
    if (!json_out)
        return fail(BPTEE_EINVAL, "elf: missing argument");
    _cleanup_close_ int fd = -1;
    int rc = elf_open_ro(path, &fd);
    if (rc < 0)
        return rc;
    Elf *e = NULL;
    if ((rc = elf_begin_fd(fd, path, &e)) < 0)
        return rc;
    _cleanup_json_ json_t *list = json_array();
    if (!list) {
        elf_end(e);
        return fail(BPTEE_ENOMEM, "%s: out of memory", path);
    }
    for (Elf_Scn *scn = elf_nextscn(e, NULL); scn && rc == 0; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh)) {
            rc = fail(BPTEE_EPARSE, "%s: section header unreadable (%s)", path, elf_errmsg(-1));
            break;
        }
        if (sh.sh_type == SHT_DYNAMIC)
            rc = section_needed(e, scn, &sh, path, list);
    }
    elf_end(e);
    if (rc < 0)
        return rc;
    *json_out = json_to_string(list, 0);
    return *json_out ? 0 : fail(BPTEE_ENOMEM, "%s: out of memory", path);
}
