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
 * Two builds of this one file (cni/fastpath/cc.ts writes both command lines):
 *  - `hawser cni install --thin`: with HAWSER_NODE and HAWSER_ENTRY, the Node fallback
 *    above; cc -O2 -DHAWSER_SOCKET='"/run/hawser/cni.sock"' -DHAWSER_NODE='"/usr/bin/node"'
 *    -DHAWSER_ENTRY='"/opt/hawser/dist/cni/main.js"' <skel defines> -o hawser hawser-cni.c
 *  - `npm run build:cni-static` (dist/cni/hawser-static): `cc -static`, no HAWSER_ENTRY, so
 *    no fallback and nothing on the host but this file. Without an agent it answers
 *    VERSION itself and every other command with CNI error 11 (try again later; STATUS:
 *    50, plugin not available): the runtime retries, and the agent is what makes it work.
 * The skel defines (HAWSER_VERSIONS, HAWSER_LATEST, HAWSER_CODE_*) are generated from
 * cni/skel/version.ts and errors.ts, so the answers match the Node plugin's.
 *
 * The socket: $HAWSER_CNI_SOCKET, else the config's top-level "agentSocket" string, else
 * the compiled-in HAWSER_SOCKET. Wire format: cni/fastpath/protocol.ts.
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
#if defined(HAWSER_ENTRY) && !defined(HAWSER_NODE)
#define HAWSER_NODE "/usr/bin/node"
#endif
#if !defined(HAWSER_VERSIONS) || !defined(HAWSER_LATEST) || !defined(HAWSER_CODE_TRY_AGAIN) || !defined(HAWSER_CODE_NOT_AVAILABLE)
#error "the skel defines (HAWSER_VERSIONS, HAWSER_LATEST, HAWSER_CODE_*) come from cni/fastpath/cc.ts"
#endif

extern char **environ;

static const char *const versions[] = { HAWSER_VERSIONS, NULL };

struct buf { char *p; size_t len, cap; };

static void put(struct buf *b, const void *data, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) { perror("hawser: realloc"); exit(1); }
    b->p = p; b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0'; /* always a C string too, for the config scan */
}

static void puts_buf(struct buf *b, const char *s) { put(b, s, strlen(s)); }

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

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The JSON string s[i..] (i just past the opening quote), unescaped; NULL if malformed or
 * if it escapes a character beyond ASCII (never needed for a path or a version). */
static char *json_unescape(const char *s, size_t n, size_t i) {
  struct buf out = {0};
  put(&out, "", 0);
  while (i < n && s[i] != '"') {
    char c = s[i++];
    if (c == '\\') {
      if (i >= n) break;
      char e = s[i++];
      const char *plain = strchr("\"\\/bfnrt", e);
      if (e == 'u') {
        unsigned v = 0;
        for (int k = 0; k < 4; k++, i++) {
          char h = i < n ? s[i] : 0;
          int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
          if (d < 0) { free(out.p); return NULL; }
          v = v * 16 + (unsigned)d;
        }
        if (v == 0 || v > 0x7f) { free(out.p); return NULL; }
        c = (char)v;
      } else if (plain && e) {
        c = "\"\\/\b\f\n\r\t"[plain - "\"\\/bfnrt"];
      } else {
        free(out.p); return NULL;
      }
    }
    put(&out, &c, 1);
  }
  if (i >= n) { free(out.p); return NULL; }
  return out.p;
}

/* The string value of a top-level key of the JSON object in s (the last one, as
 * JSON.parse keeps it); NULL when absent, not a string, or the text is not an object. */
static char *top_string(const char *s, size_t n, const char *key) {
  size_t i = 0, klen = strlen(key);
  int depth = 0, expect_key = 0;
  char *found = NULL;
  while (i < n && is_ws(s[i])) i++;
  if (i >= n || s[i] != '{') return NULL;
  while (i < n) {
    char c = s[i];
    if (c == '"') {
      size_t start = ++i;
      while (i < n && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
      if (i >= n) break;
      size_t end = i++;
      if (depth == 1 && expect_key) {
        expect_key = 0;
        while (i < n && is_ws(s[i])) i++;
        if (i >= n || s[i] != ':') break;
        i++;
        while (i < n && is_ws(s[i])) i++;
        if (end - start == klen && memcmp(s + start, key, klen) == 0) {
          free(found);
          found = i < n && s[i] == '"' ? json_unescape(s, n, i + 1) : NULL;
        }
      }
      continue;
    }
    if (c == '{' || c == '[') { if (++depth == 1) expect_key = 1; }
    else if (c == '}' || c == ']') depth--;
    else if (c == ',' && depth == 1) expect_key = 1;
    i++;
  }
  return found;
}

static void json_str(struct buf *b, const char *s) {
  put(b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char esc[8];
    if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; put(b, esc, 2); }
    else if (c < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", c); puts_buf(b, esc); }
    else put(b, s, 1);
  }
  put(b, "\"", 1);
}

/* The config's cniVersion when we speak it, else the latest (as the Node skel answers). */
static const char *answer_version(const struct buf *in) {
  char *asked = in->p ? top_string(in->p, in->len, "cniVersion") : NULL;
  const char *v = HAWSER_LATEST;
  for (int k = 0; asked && versions[k]; k++) if (strcmp(asked, versions[k]) == 0) v = versions[k];
  free(asked);
  return v;
}

static void print_and_exit(struct buf *out, int code) {
  put(out, "\n", 1);
  exit(write_all(1, out->p, out->len) < 0 ? 1 : code);
}

/* No agent and no Node: what the Node plugin's skel would answer for VERSION; for any
 * other command an error the runtime retries (the agent may be starting). */
static void answer_alone(const struct buf *in, const char *sock, const char *why) {
  struct buf out = {0};
  const char *cmd = getenv("CNI_COMMAND");
  if (!cmd || !*cmd) {
    /* Run by hand: say what this is, as the Node plugin and the reference plugins do. */
    fprintf(stderr, "hawser CNI plugin (client of the node agent); CNI protocol versions supported:");
    for (int k = 0; versions[k]; k++) fprintf(stderr, "%s %s", k ? "," : "", versions[k]);
    fputc('\n', stderr);
  }
  puts_buf(&out, "{\"cniVersion\":");
  json_str(&out, answer_version(in));
  if (cmd && strcmp(cmd, "VERSION") == 0) {
    puts_buf(&out, ",\"supportedVersions\":[");
    for (int k = 0; versions[k]; k++) { if (k) put(&out, ",", 1); json_str(&out, versions[k]); }
    puts_buf(&out, "]}");
    print_and_exit(&out, 0);
  }
  /* STATUS asks whether ADD can work now: "not available" is its answer (spec 1.1). */
  int code = cmd && strcmp(cmd, "STATUS") == 0 ? HAWSER_CODE_NOT_AVAILABLE : HAWSER_CODE_TRY_AGAIN;
  char *msg = NULL;
  if (asprintf(&msg, "no answer from the hawser node agent at %s", sock) < 0) exit(1);
  char num[16];
  snprintf(num, sizeof num, "%d", code);
  puts_buf(&out, ",\"code\":");
  puts_buf(&out, num);
  puts_buf(&out, ",\"msg\":");
  json_str(&out, msg);
  puts_buf(&out, ",\"details\":");
  json_str(&out, why);
  puts_buf(&out, "}");
  print_and_exit(&out, 1);
}

/* No answer from the agent: run the full plugin under Node with the same stdin (a memfd
 * holds it) where this build has it, else (or if Node cannot start) answer alone. */
static void no_agent(const struct buf *in, const char *sock, const char *step) {
  char *why = NULL;
  if (asprintf(&why, "%s %s: %s", step, sock, strerror(errno)) < 0) exit(1);
#ifdef HAWSER_ENTRY
  /* stderr is for people (runtimes log it); stdout stays the plugin's answer alone. */
  fprintf(stderr, "hawser: no answer from the agent (%s), running the plugin locally\n", why);
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
  char *more = NULL;
  if (asprintf(&more, "%s; cannot start %s: %s", why, HAWSER_NODE, strerror(errno)) > 0) why = more;
#else
  fprintf(stderr, "hawser: no answer from the agent (%s)\n", why);
#endif
  answer_alone(in, sock, why);
}

int main(void) {
  struct buf in = {0}, env = {0}, resp = {0};
  const char *sock = getenv("HAWSER_CNI_SOCKET");
  int read_errno = slurp(0, &in) < 0 ? errno : 0;
  if (!sock || !*sock) {
    char *conf = in.p ? top_string(in.p, in.len, "agentSocket") : NULL;
    sock = conf && *conf ? conf : HAWSER_SOCKET;
  }
  if (read_errno) {
    errno = read_errno;
    no_agent(&in, sock, "reading stdin for");
  }

  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen(sock) >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    no_agent(&in, sock, "connect");
  }
  strcpy(addr.sun_path, sock);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) no_agent(&in, sock, "connect");

  for (char **e = environ; *e; e++) {
    if (strncmp(*e, "CNI_", 4) == 0) put(&env, *e, strlen(*e) + 1);
  }
  char head[64];
  int hl = snprintf(head, sizeof head, "HWCNI1 %zu %zu\n", env.len, in.len);
  /* A wedged agent must not hold the runtime forever: give up (and do the work here). */
  struct timeval tv = { .tv_sec = 120 };
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (write_all(s, head, (size_t)hl) < 0 || write_all(s, env.p ? env.p : "", env.len) < 0 ||
      write_all(s, in.p ? in.p : "", in.len) < 0 || shutdown(s, SHUT_WR) < 0 || slurp(s, &resp) < 0) {
    no_agent(&in, sock, "exchange with");
  }
  close(s);

  size_t i = 0;
  int code = 0;
  while (i < resp.len && resp.p[i] >= '0' && resp.p[i] <= '9' && i < 4) code = code * 10 + (resp.p[i++] - '0');
  if (i == 0 || i >= resp.len || resp.p[i] != '\n') {
    errno = EPROTO;
    no_agent(&in, sock, "answer from");
  }
  i++;
  if (write_all(1, resp.p + i, resp.len - i) < 0) return 1;
  return code;
}
