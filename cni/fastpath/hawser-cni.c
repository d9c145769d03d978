/*
 * The hawser CNI plugin executable, thin-client form (cni/fastpath/README.md).
 *
 * Node.js needs 76-109 ms just to start on the machines we measured, more than the
 * reference bridge plugin's whole ADD; this client starts in about a millisecond. It
 * forwards the call (CNI_* variables + stdin) to the node agent over a unix socket and
 * prints the agent's answer. When no agent answers -- no socket, connection refused, the
 * agent died mid-call -- it runs the full plugin under Node instead, with the same stdin:
 * every CNI operation is idempotent, so a call the agent may have half done is simply
 * done again.
 *
 * Built by `hawser cni install --thin` with the paths compiled in:
 *   cc -O2 -DHAWSER_SOCKET='"/run/hawser/cni.sock"' -DHAWSER_NODE='"/usr/bin/node"' \
 *      -DHAWSER_ENTRY='"/opt/hawser/dist/cni/main.js"' -o hawser hawser-cni.c
 * Wire format: cni/fastpath/protocol.ts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef HAWSER_SOCKET
#define HAWSER_SOCKET "/run/hawser/cni.sock"
#endif
#ifndef HAWSER_NODE
#define HAWSER_NODE "/usr/bin/node"
#endif
#ifndef HAWSER_ENTRY
#error "HAWSER_ENTRY (path of dist/cni/main.js) must be defined"
#endif

extern char **environ;

struct buf { char *p; size_t len, cap; };

static void put(struct buf *b, const void *data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) { perror("hawser: realloc"); exit(1); }
    b->p = p; b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static int slurp(int fd, struct buf *b) {
  char tmp[65536];
  for (;;) {
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n == 0) return 0;
    if (n < 0) { if (errno == EINTR) continue; return -1; }
    put(b, tmp, (size_t)n);
  }
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    p += w; n -= (size_t)w;
  }
  return 0;
}

/* Run the full plugin under Node with the same stdin (a memfd holds it). */
static void fallback(const struct buf *in, const char *why) {
  /* stderr is for people (runtimes log it); stdout stays the plugin's answer alone. */
  fprintf(stderr, "hawser: no answer from the agent (%s: %s), running the plugin locally\n", why, strerror(errno));
  int mfd = memfd_create("hawser-cni-stdin", 0);
  if (mfd >= 0 && write_all(mfd, in->p ? in->p : "", in->len) == 0 && lseek(mfd, 0, SEEK_SET) == 0) {
    dup2(mfd, 0);
    close(mfd);
  }
  /* Runtimes exec plugins with their own PATH, which may lack /usr/sbin (where ip lives). */
  const char *path = getenv("PATH");
  char *np = NULL;
  if (asprintf(&np, "%s%s/usr/sbin:/usr/bin:/sbin:/bin", path && *path ? path : "", path && *path ? ":" : "") > 0) setenv("PATH", np, 1);
  char *argv[] = { HAWSER_NODE, HAWSER_ENTRY, NULL };
  execv(HAWSER_NODE, argv);
  printf("{\"cniVersion\":\"1.0.0\",\"code\":999,\"msg\":\"hawser: cannot start %s: %s\"}\n", HAWSER_NODE, strerror(errno));
  exit(1);
}

int main(void) {
  struct buf in = {0}, env = {0}, resp = {0};
  if (slurp(0, &in) < 0) fallback(&in, "stdin");

  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  strncpy(addr.sun_path, HAWSER_SOCKET, sizeof addr.sun_path - 1);
  if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) fallback(&in, HAWSER_SOCKET);

  for (char **e = environ; *e; e++) {
    if (strncmp(*e, "CNI_", 4) == 0) put(&env, *e, strlen(*e) + 1);
  }
  char head[64];
  int hl = snprintf(head, sizeof head, "HWCNI1 %zu %zu\n", env.len, in.len);
  /* A wedged agent must not hold the runtime forever: give up and do the work here. */
  struct timeval tv = { .tv_sec = 120 };
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (write_all(s, head, (size_t)hl) < 0 || write_all(s, env.p ? env.p : "", env.len) < 0 ||
      write_all(s, in.p ? in.p : "", in.len) < 0 || shutdown(s, SHUT_WR) < 0 || slurp(s, &resp) < 0) {
    fallback(&in, "exchange");
  }
  close(s);

  size_t i = 0;
  int code = 0;
  while (i < resp.len && resp.p[i] >= '0' && resp.p[i] <= '9' && i < 4) code = code * 10 + (resp.p[i++] - '0');
  if (i == 0 || i >= resp.len || resp.p[i] != '\n') {
    errno = EPROTO;
    fallback(&in, "answer");
  }
  i++;
  if (write_all(1, resp.p + i, resp.len - i) < 0) return 1;
  return code;
}
