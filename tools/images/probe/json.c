/*
 * ct-probe's output helpers (report.c writes its sections with them): a tiny JSON writer on stdout and the file
 * readers that print a file's contents, lines or link target as JSON values, or its errno name.
 */
#define _GNU_SOURCE
#include "json.h"
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a tiny JSON writer on stdout: strings are escaped byte by byte (>= 0x7f as \u00XX, so output is ASCII) */

static int depth;
static int need_comma[64];
static int after_key;

static void j_prefix(void) {
  if (after_key) {
    after_key = 0;
    return;
  }
  if (need_comma[depth]) putchar(',');
  need_comma[depth] = 1;
}

static void j_raw_string(const char *s, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c == '\n') fputs("\\n", stdout);
    else if (c < 0x20 || c >= 0x7f) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

void j_open(char c) {
  j_prefix();
  putchar(c);
  need_comma[++depth] = 0;
}

void j_close(char c) {
  depth--;
  putchar(c);
}

void j_key(const char *k) {
  j_prefix();
  j_raw_string(k, strlen(k));
  putchar(':');
  after_key = 1;
}

void j_strn(const char *s, size_t n) {
  j_prefix();
  j_raw_string(s, n);
}

void j_str(const char *s) { j_strn(s, strlen(s)); }

void j_num(long long v) {
  j_prefix();
  printf("%lld", v);
}

void j_errno(int err) {
  const char *name = strerrorname_np(err);
  char buf[16];
  if (!name) {
    snprintf(buf, sizeof buf, "E%d", err);
    name = buf;
  }
  j_str(name);
}

/* ---- file helpers */

/* Read up to size-1 bytes of path into buf (NUL-terminated); returns the length or -errno. */
ssize_t read_file(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t len = 0;
  while (len < size - 1) {
    ssize_t n = read(fd, buf + len, size - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return -err;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = 0;
  return (ssize_t)len;
}

char big[PROBE_BIG_SIZE];

/* The file's contents as a string with one trailing newline removed, or its errno name. */
void j_file(const char *path) {
  ssize_t n = read_file(path, big, sizeof big);
  if (n < 0) {
    j_errno((int)-n);
    return;
  }
  if (n > 0 && big[n - 1] == '\n') n--;
  j_strn(big, (size_t)n);
}

/* The file's lines as an array of strings, or its errno name. */
void j_file_lines(const char *path) {
  ssize_t n = read_file(path, big, sizeof big);
  if (n < 0) {
    j_errno((int)-n);
    return;
  }
  j_open('[');
  char *p = big, *end = big + n;
  while (p < end) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    j_strn(p, len);
    p += len + 1;
  }
  j_close(']');
}

/* A NUL-separated file (cmdline) as an array of strings, or its errno name. */
void j_file_nul_list(const char *path) {
  ssize_t n = read_file(path, big, sizeof big);
  if (n < 0) {
    j_errno((int)-n);
    return;
  }
  j_open('[');
  for (char *p = big; p < big + n; p += strlen(p) + 1) j_str(p);
  j_close(']');
}

void j_readlink(const char *path) {
  char buf[4096];
  ssize_t n = readlink(path, buf, sizeof buf - 1);
  if (n < 0) j_errno(errno);
  else j_strn(buf, (size_t)n);
}

static int compare_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **probe_list_dir(const char *path, size_t *count) {
  DIR *d = opendir(path);
  if (!d) return NULL;
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **grown = realloc(names, cap * sizeof *names);
      if (!grown) abort();
      names = grown;
    }
    if (!(names[n++] = strdup(e->d_name))) abort();
  }
  closedir(d);
  *count = n;
  /* qsort's first argument is declared nonnull: calling it with NULL would let the compiler drop this check */
  if (!names) return calloc(1, sizeof *names);
  qsort(names, n, sizeof *names, compare_names);
  return names;
}

/* j_key(key), then probe_list_dir(path); on failure the value is its errno name and NULL is returned. */
char **j_key_list_dir(const char *key, const char *path, size_t *count) {
  j_key(key);
  char **names = probe_list_dir(path, count);
  if (!names) j_errno(errno);
  return names;
}

void probe_free_list(char **names, size_t n) {
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

char type_char(mode_t m) {
  if (S_ISREG(m)) return 'f';
  if (S_ISDIR(m)) return 'd';
  if (S_ISLNK(m)) return 'l';
  if (S_ISCHR(m)) return 'c';
  if (S_ISBLK(m)) return 'b';
  if (S_ISFIFO(m)) return 'p';
  if (S_ISSOCK(m)) return 's';
  return '?';
}
