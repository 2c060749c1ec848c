/*
 * ct-pause: the init of a Kubernetes pod sandbox (the "pause" container), for ct's CRI tests.
 *
 * The sandbox holds the pod's namespaces (network, IPC, and with shareProcessNamespace PID) while the pod's
 * containers come and go, so its one process does nothing but wait: it sleeps until SIGTERM or SIGINT and then
 * exits 0, and, being PID 1 of a shared pid namespace, it reaps every child that is reparented to it (SIGCHLD,
 * waitpid(-1, WNOHANG) until none is left) so no zombie stays. `ct-pause -v` prints its name and exits.
 * Static, no allocation after start. Man pages: pause(2), sigaction(2), waitpid(2), signal-safety(7).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  int saved = errno;
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

static void say(int fd, const char *text) {
  ssize_t ignored = write(fd, text, strlen(text));
  (void)ignored;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "-v") == 0) {
    say(1, "ct-pause\n");
    return 0;
  }
  if (argc != 1) {
    say(2, "usage: ct-pause [-v]\n");
    return 2;
  }
  struct sigaction stop = {0}, child = {0};
  stop.sa_handler = on_stop;
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGINT, &stop, NULL) != 0 || sigaction(SIGTERM, &stop, NULL) != 0 ||
      sigaction(SIGCHLD, &child, NULL) != 0) {
    say(2, "ct-pause: sigaction failed\n");
    return 1;
  }
  if (getpid() != 1) say(2, "ct-pause: warning: not pid 1, orphans of the pod are not reaped here\n");
  for (;;) pause();
}
