/* ct-probe's JSON reports (report.c): see the comment at the top of report.c. */
#ifndef CT_PROBE_REPORT_H
#define CT_PROBE_REPORT_H

#include <stddef.h>

/* The rlimits the probe knows, by name without RLIMIT_ (probe.c): `rlimit NAME` and the report's `rlimits`. */
struct probe_rlimit {
  const char *name;
  int resource;
};
extern const struct probe_rlimit PROBE_RLIMITS[];
extern const size_t PROBE_RLIMITS_COUNT;

/* Names in a directory (without . and ..), sorted, malloc'd (report.c); NULL with errno set on failure. */
char **probe_list_dir(const char *path, size_t *count);
void probe_free_list(char **names, size_t n);

/* `report [--sysctl NAME]... [--path PATH]... [--file PATH]... [--wait]`: argv after "report". */
int cmd_report(int argc, char **argv);

/* `hook-record FILE`: stdin, argv (the whole of it), environment and cwd as JSON into FILE. */
int cmd_hook_record(const char *file, char **argv);

#endif
