/* ct-probe's output helpers (json.c): a JSON writer on stdout and file readers that print JSON values. */
#ifndef CT_PROBE_JSON_H
#define CT_PROBE_JSON_H

#include <stddef.h>
#include <sys/types.h>

/* Open or close an object ('{', '}') or array ('[', ']'), with the comma the position needs. */
void j_open(char c);
void j_close(char c);
/* An object key; the next value written is its value. */
void j_key(const char *k);
/* Values: a string (escaped byte by byte, >= 0x7f as \u00XX), a number, an errno's name ("ENOENT"). */
void j_strn(const char *s, size_t n);
void j_str(const char *s);
void j_num(long long v);
void j_errno(int err);

/* Read up to size-1 bytes of path into buf (NUL-terminated); returns the length or -errno. */
ssize_t read_file(const char *path, char *buf, size_t size);
/* A file as a value: its contents (one trailing newline removed), its lines, its NUL-separated list (cmdline),
 * or a symlink's target; its errno name when it cannot be read. */
void j_file(const char *path);
void j_file_lines(const char *path);
void j_file_nul_list(const char *path);
void j_readlink(const char *path);
/* j_key(key), then probe_list_dir(path); on failure the value is its errno name and NULL is returned. */
char **j_key_list_dir(const char *key, const char *path, size_t *count);
/* A mode's file type as one letter: f d l c b p s, '?' for anything else. */
char type_char(mode_t m);

/* A scratch buffer for whole files (the readers above use it; its contents last until the next read). */
#define PROBE_BIG_SIZE (1 << 20)
extern char big[PROBE_BIG_SIZE];

#endif
