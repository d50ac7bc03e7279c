/*
 * natsload: a raw-protocol NATS load generator used by bench/run.js.
 *
 * Why C and not a client library or Node: on a 2-core machine the server under test needs one
 * core, so the generator must drive well above 2 M msg/s with what is left. A Node generator
 * topped out at ~2.6 M msg/s against nats-server here while this one reaches ~4 M (see
 * bench/README.md), so the measurement is bounded by the server, not by us.
 *
 * Modes (one per process; bench/run.js composes them):
 *   pub    N connections publish pre-built batches of PUB frames for --count or --duration.
 *   sub    N connections subscribe (optionally in a queue group) and count delivered MSGs.
 *   lat    one requester and one responder connection; sequential request/reply round trips.
 *   conns  opens N idle connections and holds them until stdin closes.
 *   subs   opens C connections carrying N subscriptions in total and holds them.
 *
 * Protocol between natsload and the runner: one JSON object per line on stdout. Holding modes
 * (sub, conns, subs) print {"ready":...} once the server has acknowledged everything (PONG),
 * and read commands from stdin ("end <published>" for sub, anything or EOF to stop). Every
 * mode has a hard deadline so a server that drops or stalls cannot hang the benchmark.
 * Times are CLOCK_MONOTONIC nanoseconds, which is the same clock in every process, so the
 * runner can combine first/last timestamps from separate processes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ options */

/** Command-line options; which ones apply depends on the mode. */
typedef struct {
  const char *mode;
  const char *host;
  int port;
  const char *subject;
  const char *queue;
  int size;           /* payload bytes */
  int conns;          /* connections in this process */
  long count;         /* messages (pub: total over all conns; lat: requests); 0 = use duration */
  double duration;    /* seconds of publishing / requesting when count is 0 */
  double timeout;     /* hard deadline in seconds for the whole process */
  int idle_ms;        /* sub: after "end", stop when nothing arrived for this long */
  long subs;          /* subs mode: subscriptions in total */
  long warmup;        /* lat: round trips excluded from the statistics */
  int chunk_bytes;    /* pub: bytes of PUB frames per write batch (one PING after each) */
  int max_pings;      /* pub: unanswered PINGs allowed per connection before pausing */
  int window;         /* conns: connections being set up at once */
  int req_timeout_ms; /* lat: a round trip slower than this counts as lost */
  double setup_timeout; /* conns/subs: give up setting up after this many seconds, then hold */
} opts_t;

static opts_t O = {
    .mode = NULL, .host = "127.0.0.1", .port = 0, .subject = "bench.foo", .queue = NULL,
    .size = 16, .conns = 1, .count = 0, .duration = 3.0, .timeout = 60.0, .idle_ms = 1000,
    .subs = 0, .warmup = 500, .chunk_bytes = 128 * 1024, .max_pings = 8, .window = 256,
    .req_timeout_ms = 2000,
    .setup_timeout = 30.0,
};

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "natsload: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(2);
}

static long parse_long(const char *flag, const char *v, long min) {
  char *end;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (errno || *end || end == v || x < min) die("option %s: expected an integer >= %ld, got '%s'", flag, min, v);
  return x;
}

static double parse_double(const char *flag, const char *v, double min) {
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (errno || *end || end == v || x < min) die("option %s: expected a number >= %g, got '%s'", flag, min, v);
  return x;
}

static const char USAGE[] =
    "usage: natsload pub|sub|lat|conns|subs --port N [options]\n"
    "  common: --host IPv4 (127.0.0.1) --subject S (bench.foo) --timeout SEC (60, hard deadline)\n"
    "  pub:    --conns N --size BYTES --count N | --duration SEC --chunk-bytes N --max-pings N\n"
    "  sub:    --conns N [--queue Q] --idle-ms MS; stdin: \"end <published>\"\n"
    "  lat:    --size BYTES --count N | --duration SEC --warmup N --req-timeout-ms MS\n"
    "  conns:  --conns N --window N --setup-timeout SEC; holds until stdin closes\n"
    "  subs:   --conns N --subs N --setup-timeout SEC; holds until stdin closes\n";

static void parse_args(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(USAGE, stderr);
    exit(2);
  }
  O.mode = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *f = argv[i];
    if (i + 1 >= argc) die("option %s needs a value", f);
    const char *v = argv[++i];
    if (!strcmp(f, "--host")) O.host = v;
    else if (!strcmp(f, "--port")) O.port = (int)parse_long(f, v, 1);
    else if (!strcmp(f, "--subject")) O.subject = v;
    else if (!strcmp(f, "--queue")) O.queue = v;
    else if (!strcmp(f, "--size")) O.size = (int)parse_long(f, v, 0);
    else if (!strcmp(f, "--conns")) O.conns = (int)parse_long(f, v, 1);
    else if (!strcmp(f, "--count")) O.count = parse_long(f, v, 0);
    else if (!strcmp(f, "--duration")) O.duration = parse_double(f, v, 0.01);
    else if (!strcmp(f, "--timeout")) O.timeout = parse_double(f, v, 0.1);
    else if (!strcmp(f, "--idle-ms")) O.idle_ms = (int)parse_long(f, v, 1);
    else if (!strcmp(f, "--subs")) O.subs = parse_long(f, v, 1);
    else if (!strcmp(f, "--warmup")) O.warmup = parse_long(f, v, 0);
    else if (!strcmp(f, "--chunk-bytes")) O.chunk_bytes = (int)parse_long(f, v, 64);
    else if (!strcmp(f, "--max-pings")) O.max_pings = (int)parse_long(f, v, 1);
    else if (!strcmp(f, "--window")) O.window = (int)parse_long(f, v, 1);
    else if (!strcmp(f, "--req-timeout-ms")) O.req_timeout_ms = (int)parse_long(f, v, 1);
    else if (!strcmp(f, "--setup-timeout")) O.setup_timeout = parse_double(f, v, 0.1);
    else die("unknown option %s", f);
  }
  if (!O.port) die("--port is required");
  if (O.size > 1024 * 1024) die("option --size: %d exceeds the 1 MiB default max_payload", O.size);
}

/* ------------------------------------------------------------------ time */

static inline int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static volatile int64_t g_deadline_ns;

/* ------------------------------------------------------------------ connections */

enum { C_CONNECTING, C_OPEN, C_CLOSED };

/** One client connection: read buffer + parser state, pending control output, counters. */
typedef struct {
  int fd;
  int state;
  char *rbuf;
  size_t rcap, rlen;
  size_t skip;      /* bytes of the current MSG payload (+CRLF) not yet consumed */
  char *wbuf;       /* control output (CONNECT, SUB, PONG): small, written before data */
  size_t wcap, wlen, woff;
  int want_out;     /* EPOLLOUT currently registered */
  int64_t read_ns;  /* time of the read() being parsed: one clock call per read, not per msg */
  long msgs;
  int64_t first_ns, last_ns;
  long pongs;
  long pings_out;   /* pub: PINGs written and not yet answered */
  int keep_hdr;     /* lat: remember the MSG header line (reply subject) */
  char hdr[1024];
  size_t hdr_len, pend_hdr_len;
  char pend_hdr[1024];
  long errs;
  char err[256];    /* first -ERR text or socket error */
  /* pub state */
  long budget;      /* messages this connection must send (count mode) */
  long sent;
  int chunk_active;
  long chunk_msgs;
  size_t chunk_off, chunk_len;
  int done;
} conn_t;

static int g_ep = -1;

static void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void conn_error(conn_t *c, const char *fmt, ...) {
  c->errs++;
  if (c->err[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, sizeof c->err, fmt, ap);
  va_end(ap);
}

static void conn_close(conn_t *c) {
  if (c->state == C_CLOSED) return;
  if (g_ep >= 0) epoll_ctl(g_ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->state = C_CLOSED;
}

/** Start a TCP connection (non-blocking when nb, so 10,000 of them can be set up in a window). */
static int conn_open(conn_t *c, size_t rcap, int nb) {
  memset(c, 0, sizeof *c);
  c->rcap = rcap;
  c->rbuf = malloc(rcap);
  if (!c->rbuf) die("out of memory");
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)O.port);
  if (inet_pton(AF_INET, O.host, &a.sin_addr) != 1) die("option --host: '%s' is not an IPv4 address", O.host);
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0) die("socket: %s (raise the open files limit?)", strerror(errno));
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (nb) set_nonblock(c->fd);
  c->state = C_CONNECTING;
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0) {
    if (nb && errno == EINPROGRESS) return 0;
    conn_error(c, "connect %s:%d: %s", O.host, O.port, strerror(errno));
    close(c->fd);
    c->state = C_CLOSED;
    return -1;
  }
  c->state = C_OPEN;
  return 0;
}

static void wappend(conn_t *c, const char *s, size_t n) {
  if (c->woff == c->wlen) c->woff = c->wlen = 0;
  if (c->wlen + n > c->wcap) {
    size_t cap = c->wcap ? c->wcap : 256;
    while (cap < c->wlen + n) cap *= 2;
    c->wbuf = realloc(c->wbuf, cap);
    if (!c->wbuf) die("out of memory");
    c->wcap = cap;
  }
  memcpy(c->wbuf + c->wlen, s, n);
  c->wlen += n;
}

static void wappendf(conn_t *c, const char *fmt, ...) {
  char tmp[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tmp) die("internal: protocol line too long");
  wappend(c, tmp, (size_t)n);
}

static void ep_set(conn_t *c, uint32_t idx, int want_out) {
  if (g_ep < 0 || c->state == C_CLOSED || c->want_out == want_out) return;
  struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.u32 = idx};
  epoll_ctl(g_ep, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = want_out;
}

/** Write pending control output; returns 1 when all of it is out, 0 if the socket is full. */
static int wflush(conn_t *c) {
  while (c->woff < c->wlen && c->state != C_CLOSED) {
    ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) continue;
      conn_error(c, "write: %s", strerror(errno));
      conn_close(c);
      return 0;
    }
    c->woff += (size_t)n;
  }
  return c->woff >= c->wlen;
}

/** Blocking-style write with a deadline, for the sequential latency mode. */
static int write_all(conn_t *c, const char *b, size_t n) {
  while (n) {
    ssize_t w = write(c->fd, b, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {.fd = c->fd, .events = POLLOUT};
        poll(&p, 1, 100);
        if (now_ns() > g_deadline_ns) return -1;
        continue;
      }
      conn_error(c, "write: %s", strerror(errno));
      return -1;
    }
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

static void msg_done(conn_t *c) {
  c->msgs++;
  if (c->msgs == 1) c->first_ns = c->read_ns;
  c->last_ns = c->read_ns;
  if (c->keep_hdr) {
    memcpy(c->hdr, c->pend_hdr, c->pend_hdr_len);
    c->hdr_len = c->pend_hdr_len;
  }
}

/* The MSG size is the last token of the line (for HMSG the total size), so scanning digits
 * backwards from the CRLF avoids tokenizing the whole line in the hot path. */
static long line_last_number(const char *line, size_t len) {
  size_t j = len;
  while (j > 0 && (line[j - 1] == ' ' || line[j - 1] == '\t')) j--;
  long v = 0, m = 1;
  size_t digits = 0;
  while (j > 0 && line[j - 1] >= '0' && line[j - 1] <= '9') {
    v += (line[j - 1] - '0') * m;
    m *= 10;
    j--;
    digits++;
  }
  if (!digits || digits > 10) return -1;
  return v;
}

/** Consume everything complete in rbuf. Returns -1 on a protocol error (connection closed). */
static int parse(conn_t *c) {
  size_t i = 0, have = c->rlen;
  char *b = c->rbuf;
  if (c->skip) {
    size_t take = c->skip < have ? c->skip : have;
    i = take;
    c->skip -= take;
    if (!c->skip) {
      /* Framing check: a payload must end in CRLF (when the CRLF is in this read). */
      if (take >= 2 && (b[take - 2] != '\r' || b[take - 1] != '\n')) {
        conn_error(c, "message payload not followed by CRLF: wrong size in a MSG header?");
        conn_close(c);
        return -1;
      }
      msg_done(c);
    }
  }
  while (i < have) {
    char *nl = memchr(b + i, '\n', have - i);
    if (!nl) break;
    size_t le = (size_t)(nl - b);
    char *line = b + i;
    size_t len = le - i;
    if (len && line[len - 1] == '\r') len--;
    i = le + 1;
    char op = (char)(line[0] | 0x20);
    if (op == 'm' || op == 'h') {
      long sz = line_last_number(line, len);
      if (sz < 0) {
        conn_error(c, "bad message header: %.*s", (int)(len > 80 ? 80 : len), line);
        conn_close(c);
        return -1;
      }
      if (c->keep_hdr) {
        size_t hl = len < sizeof c->pend_hdr ? len : sizeof c->pend_hdr - 1;
        memcpy(c->pend_hdr, line, hl);
        c->pend_hdr_len = hl;
      }
      size_t need = (size_t)sz + 2;
      if (have - i >= need) {
        i += need;
        if (b[i - 2] != '\r' || b[i - 1] != '\n') {
          conn_error(c, "message payload not followed by CRLF: wrong size in a MSG header?");
          conn_close(c);
          return -1;
        }
        msg_done(c);
      } else {
        c->skip = need - (have - i);
        i = have;
      }
    } else if (op == 'p' && len >= 4) {
      if ((line[1] | 0x20) == 'i') wappend(c, "PONG\r\n", 6);
      else {
        c->pongs++;
        if (c->pings_out > 0) c->pings_out--;
      }
    } else if (op == '-') {
      conn_error(c, "%.*s", (int)(len > 200 ? 200 : len), line);
    } else if (op == '+' || op == 'i' || len == 0) {
      /* +OK, INFO (initial or async) and empty lines carry nothing we count. */
    } else {
      conn_error(c, "unexpected line from server: %.*s", (int)(len > 80 ? 80 : len), line);
    }
  }
  if (i < have) memmove(b, b + i, have - i);
  c->rlen = have - i;
  if (c->rlen == c->rcap) {
    conn_error(c, "protocol line longer than %zu bytes", c->rcap);
    conn_close(c);
    return -1;
  }
  return 0;
}

/** Read what is available (a few reads per wakeup to amortise epoll) and parse it. */
static int conn_read(conn_t *c) {
  for (int k = 0; k < 4 && c->state != C_CLOSED; k++) {
    ssize_t n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
    if (n == 0) {
      conn_error(c, "connection closed by server");
      conn_close(c);
      return -1;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) continue;
      conn_error(c, "read: %s", strerror(errno));
      conn_close(c);
      return -1;
    }
    c->read_ns = now_ns();
    c->rlen += (size_t)n;
    if (parse(c) < 0) return -1;
    if ((size_t)n < c->rcap / 2) break;
  }
  return 0;
}

static void send_connect(conn_t *c) {
  static const char cmd[] =
      "CONNECT {\"verbose\":false,\"pedantic\":false,\"lang\":\"natsload\",\"version\":\"1\",\"protocol\":1}\r\n";
  wappend(c, cmd, sizeof cmd - 1);
}

/* ------------------------------------------------------------------ JSON output */

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
    else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
    else fputc(ch, f);
  }
  fputc('"', f);
}

/** CPU seconds this process used: shows the generator is not what limits the rate. */
static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/** First error over all connections, and how many connections had one. */
static void json_errors(FILE *f, conn_t *cs, int n) {
  int nerr = 0, closed = 0;
  const char *first = "";
  for (int k = 0; k < n; k++) {
    if (cs[k].errs) {
      if (!nerr) first = cs[k].err;
      nerr++;
    }
    if (cs[k].state == C_CLOSED) closed++;
  }
  fprintf(f, "\"cpu_s\":%.3f,\"conns_with_errors\":%d,\"closed\":%d,\"first_error\":", cpu_seconds(), nerr, closed);
  json_str(f, first);
}

static void stop_signal(int sig) {
  (void)sig;
  g_deadline_ns = 0; /* checked by every loop: report what we have and exit */
}

/* ------------------------------------------------------------------ stdin commands */

/** Reads runner commands; returns 1 on a complete line or EOF (eof set). */
static int read_cmd(char *line, size_t cap, int *eof) {
  static char buf[256];
  static size_t have = 0;
  ssize_t n = read(0, buf + have, sizeof buf - 1 - have);
  if (n == 0) {
    *eof = 1;
    return 1;
  }
  if (n < 0) return 0;
  have += (size_t)n;
  buf[have] = 0;
  char *nl = strchr(buf, '\n');
  if (!nl) return 0;
  *nl = 0;
  snprintf(line, cap, "%s", buf);
  size_t rest = have - (size_t)(nl + 1 - buf);
  memmove(buf, nl + 1, rest);
  have = rest;
  return 1;
}

static void ep_add(int fd, uint32_t idx, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.u32 = idx};
  if (epoll_ctl(g_ep, EPOLL_CTL_ADD, fd, &ev) < 0 && fd != 0) die("epoll_ctl: %s", strerror(errno));
}

#define STDIN_IDX 0xffffffffu

/* ------------------------------------------------------------------ pub */

static char *g_frames;      /* frames_per_chunk copies of one PUB frame */
static size_t g_frame_len;
static long g_frames_per_chunk;

static void build_frames(void) {
  char head[512];
  int hl = snprintf(head, sizeof head, "PUB %s %d\r\n", O.subject, O.size);
  g_frame_len = (size_t)hl + (size_t)O.size + 2;
  g_frames_per_chunk = (long)(O.chunk_bytes / g_frame_len);
  if (g_frames_per_chunk < 1) g_frames_per_chunk = 1;
  g_frames = malloc(g_frame_len * (size_t)g_frames_per_chunk);
  if (!g_frames) die("out of memory");
  for (long k = 0; k < g_frames_per_chunk; k++) {
    char *p = g_frames + (size_t)k * g_frame_len;
    memcpy(p, head, (size_t)hl);
    memset(p + hl, 'x', (size_t)O.size);
    memcpy(p + hl + O.size, "\r\n", 2);
  }
}

static int64_t g_pub_end_ns; /* duration mode: stop starting new batches after this */

/* Each batch is whole frames followed by a PING, so the PONG tells us the server has processed
 * the batch; capping unanswered PINGs bounds how far we run ahead of the server instead of
 * flooding its buffers (natscli relies on the server stalling fast producers instead). */
static void pub_pump(conn_t *c, uint32_t idx) {
  static const char ping[] = "PING\r\n";
  if (c->state != C_OPEN) return;
  if (!wflush(c)) {
    ep_set(c, idx, 1);
    return;
  }
  for (;;) {
    if (!c->chunk_active) {
      if (c->done || c->pings_out >= O.max_pings) break;
      long k = g_frames_per_chunk;
      if (O.count) {
        if (c->budget - c->sent < k) k = c->budget - c->sent;
      } else if (now_ns() >= g_pub_end_ns) {
        k = 0;
      }
      if (k <= 0) {
        c->done = 1;
        break;
      }
      c->chunk_active = 1;
      c->chunk_msgs = k;
      c->chunk_off = 0;
      c->chunk_len = (size_t)k * g_frame_len + 6;
    }
    size_t data_len = c->chunk_len - 6;
    struct iovec iov[2];
    int iovcnt = 0;
    if (c->chunk_off < data_len) {
      iov[iovcnt].iov_base = g_frames + c->chunk_off;
      iov[iovcnt++].iov_len = data_len - c->chunk_off;
      iov[iovcnt].iov_base = (void *)ping;
      iov[iovcnt++].iov_len = 6;
    } else {
      iov[iovcnt].iov_base = (void *)(ping + (c->chunk_off - data_len));
      iov[iovcnt++].iov_len = c->chunk_len - c->chunk_off;
    }
    ssize_t n = writev(c->fd, iov, iovcnt);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        ep_set(c, idx, 1);
        return;
      }
      conn_error(c, "write: %s", strerror(errno));
      conn_close(c);
      return;
    }
    c->chunk_off += (size_t)n;
    if (c->chunk_off == c->chunk_len) {
      c->chunk_active = 0;
      c->sent += c->chunk_msgs;
      c->pings_out++;
    }
  }
  ep_set(c, idx, 0);
}

static int run_pub(void) {
  conn_t *cs = calloc((size_t)O.conns, sizeof *cs);
  build_frames();
  g_ep = epoll_create1(EPOLL_CLOEXEC);
  for (int k = 0; k < O.conns; k++) {
    if (conn_open(&cs[k], 64 * 1024, 0) < 0) die("%s", cs[k].err);
    set_nonblock(cs[k].fd);
    send_connect(&cs[k]);
    cs[k].budget = O.count / O.conns + (k < O.count % O.conns ? 1 : 0);
    ep_add(cs[k].fd, (uint32_t)k, EPOLLIN);
  }
  int64_t start = now_ns();
  g_pub_end_ns = start + (int64_t)(O.duration * 1e9);
  for (int k = 0; k < O.conns; k++) pub_pump(&cs[k], (uint32_t)k);
  struct epoll_event evs[64];
  int64_t last_batch_ns = 0;
  for (;;) {
    int active = 0, pending = 0;
    for (int k = 0; k < O.conns; k++) {
      if (cs[k].state != C_OPEN) continue;
      if (!cs[k].done || cs[k].chunk_active) active++;
      else if (cs[k].pings_out) pending++;
    }
    if (!active && !last_batch_ns) last_batch_ns = now_ns();
    if (!active && !pending) break;
    if (now_ns() > g_deadline_ns) break;
    int n = epoll_wait(g_ep, evs, 64, 100);
    for (int e = 0; e < n; e++) {
      conn_t *c = &cs[evs[e].data.u32];
      if (evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) conn_read(c);
      pub_pump(c, evs[e].data.u32);
    }
    if (!O.count && now_ns() >= g_pub_end_ns)
      for (int k = 0; k < O.conns; k++)
        if (!cs[k].chunk_active && cs[k].state == C_OPEN) cs[k].done = 1;
  }
  int64_t end = now_ns();
  long sent = 0, unflushed = 0;
  for (int k = 0; k < O.conns; k++) {
    sent += cs[k].sent;
    unflushed += cs[k].pings_out;
  }
  printf("{\"mode\":\"pub\",\"sent\":%ld,\"start_ns\":%lld,\"last_batch_ns\":%lld,\"end_ns\":%lld,"
         "\"flushed\":%s,\"rate\":%.0f,",
         sent, (long long)start, (long long)(last_batch_ns ? last_batch_ns : end), (long long)end,
         unflushed ? "false" : "true", sent / ((end - start) / 1e9));
  json_errors(stdout, cs, O.conns);
  printf("}\n");
  for (int k = 0; k < O.conns; k++) conn_close(&cs[k]);
  return 0;
}

/* ------------------------------------------------------------------ sub */

static int run_sub(void) {
  conn_t *cs = calloc((size_t)O.conns, sizeof *cs);
  g_ep = epoll_create1(EPOLL_CLOEXEC);
  for (int k = 0; k < O.conns; k++) {
    if (conn_open(&cs[k], 256 * 1024, 0) < 0) die("%s", cs[k].err);
    set_nonblock(cs[k].fd);
    send_connect(&cs[k]);
    if (O.queue) wappendf(&cs[k], "SUB %s %s 1\r\nPING\r\n", O.subject, O.queue);
    else wappendf(&cs[k], "SUB %s 1\r\nPING\r\n", O.subject);
    ep_add(cs[k].fd, (uint32_t)k, EPOLLIN);
    wflush(&cs[k]);
  }
  set_nonblock(0);
  ep_add(0, STDIN_IDX, EPOLLIN);
  int ready = 0, ended = 0;
  int64_t ended_ns = 0;
  long expected = -1;
  const char *reason = "deadline";
  struct epoll_event evs[64];
  for (;;) {
    int64_t t = now_ns();
    if (t > g_deadline_ns) break;
    long total = 0, min_conn = -1;
    int64_t last = 0;
    for (int k = 0; k < O.conns; k++) {
      total += cs[k].msgs;
      if (min_conn < 0 || cs[k].msgs < min_conn) min_conn = cs[k].msgs;
      if (cs[k].last_ns > last) last = cs[k].last_ns;
    }
    if (!ready) {
      int ok = 1;
      for (int k = 0; k < O.conns; k++) {
        if (cs[k].state == C_CLOSED) die("subscriber connection failed: %s", cs[k].err);
        if (!cs[k].pongs) ok = 0;
      }
      if (ok) {
        ready = 1;
        printf("{\"ready\":true}\n");
        fflush(stdout);
      }
    }
    if (ended) {
      /* Plain subscribers each get every message; a queue group shares them. */
      if (expected >= 0 && (O.queue ? total >= expected : min_conn >= expected)) {
        reason = "complete";
        break;
      }
      int64_t quiet_since = last > ended_ns ? last : ended_ns;
      if (t - quiet_since > (int64_t)O.idle_ms * 1000000LL) {
        reason = "idle";
        break;
      }
    }
    int n = epoll_wait(g_ep, evs, 64, 50);
    for (int e = 0; e < n; e++) {
      uint32_t idx = evs[e].data.u32;
      if (idx == STDIN_IDX) {
        char line[256];
        int eof = 0;
        if (read_cmd(line, sizeof line, &eof)) {
          if (eof) {
            epoll_ctl(g_ep, EPOLL_CTL_DEL, 0, NULL);
            if (!ended) g_deadline_ns = 0;
          } else if (!strncmp(line, "end ", 4)) {
            expected = strtol(line + 4, NULL, 10);
            ended = 1;
            ended_ns = now_ns();
          }
        }
        continue;
      }
      conn_t *c = &cs[idx];
      if (evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) conn_read(c);
      if (!wflush(c)) ep_set(c, idx, 1);
      else ep_set(c, idx, 0);
    }
  }
  long total = 0;
  int64_t first = 0, last = 0;
  printf("{\"mode\":\"sub\",\"reason\":\"%s\",\"expected\":%ld,\"per_conn\":[", reason, expected);
  for (int k = 0; k < O.conns; k++) {
    printf("%s%ld", k ? "," : "", cs[k].msgs);
    total += cs[k].msgs;
    if (cs[k].msgs && (!first || cs[k].first_ns < first)) first = cs[k].first_ns;
    if (cs[k].last_ns > last) last = cs[k].last_ns;
  }
  printf("],\"received\":%ld,\"first_ns\":%lld,\"last_ns\":%lld,\"rate\":%.0f,", total, (long long)first,
         (long long)last, last > first ? total / ((last - first) / 1e9) : 0.0);
  json_errors(stdout, cs, O.conns);
  printf("}\n");
  return 0;
}

/* ------------------------------------------------------------------ lat */


/** Wait until c has seen `target` messages; -1 when the connection died, -2 on timeout. */
static int wait_msgs(conn_t *c, long target, int64_t until) {
  while (c->msgs < target) {
    if (c->state == C_CLOSED) return -1;
    int64_t t = now_ns();
    if (t >= until || t >= g_deadline_ns) return -2;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int64_t left = (until < g_deadline_ns ? until : g_deadline_ns) - t;
    int r = poll(&p, 1, (int)(left / 1000000) + 1);
    if (r < 0 && errno != EINTR) return -1;
    if (r > 0) conn_read(c);
    if (c->wlen > c->woff) {
      if (write_all(c, c->wbuf + c->woff, c->wlen - c->woff) < 0) return -1;
      c->woff = c->wlen = 0;
    }
  }
  return 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static int64_t pct(const int64_t *s, long n, double p) {
  if (!n) return 0;
  long i = (long)(p / 100.0 * (double)n + 0.5) - 1;
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return s[i];
}

/* Requester and responder live in one process: requests are strictly sequential, so a second
 * process would add nothing but a wakeup, and the round trip still crosses the server twice. */
static int run_lat(void) {
  conn_t req, rep;
  char inbox[128];
  snprintf(inbox, sizeof inbox, "%s.inbox.%d", O.subject, (int)getpid());
  if (conn_open(&req, 64 * 1024, 0) < 0) die("%s", req.err);
  if (conn_open(&rep, 64 * 1024, 0) < 0) die("%s", rep.err);
  set_nonblock(req.fd);
  set_nonblock(rep.fd);
  rep.keep_hdr = 1;
  send_connect(&req);
  wappendf(&req, "SUB %s 1\r\nPING\r\n", inbox);
  send_connect(&rep);
  wappendf(&rep, "SUB %s 2\r\nPING\r\n", O.subject);
  conn_t *both[2] = {&req, &rep};
  for (int k = 0; k < 2; k++) {
    conn_t *c = both[k];
    if (write_all(c, c->wbuf, c->wlen) < 0) die("setup: %s", c->err);
    c->woff = c->wlen = 0;
    int64_t until = now_ns() + 5000000000LL;
    while (!c->pongs) {
      struct pollfd p = {.fd = c->fd, .events = POLLIN};
      if (now_ns() > until || c->state == C_CLOSED) die("setup: no PONG from server (%s)", c->err);
      if (poll(&p, 1, 100) > 0) conn_read(c);
    }
  }
  char *payload = malloc((size_t)O.size + 2);
  memset(payload, 'r', (size_t)O.size);
  memcpy(payload + O.size, "\r\n", 2);
  char head[1200];
  int hl = snprintf(head, sizeof head, "PUB %s %s %d\r\n", O.subject, inbox, O.size);
  char *reqbuf = malloc((size_t)hl + (size_t)O.size + 2);
  memcpy(reqbuf, head, (size_t)hl);
  memcpy(reqbuf + hl, payload, (size_t)O.size + 2);
  size_t reqlen = (size_t)hl + (size_t)O.size + 2;
  char *repbuf = malloc(1200 + (size_t)O.size + 2);

  long cap = O.count ? O.count : 1 << 16, n = 0, timeouts = 0, done = 0;
  int64_t *samples = malloc((size_t)cap * sizeof *samples);
  const char *stop = "complete";
  int64_t measure_start = 0, measure_end = 0;
  for (long i = 0;; i++) {
    if (i == O.warmup) measure_start = now_ns();
    if (i >= O.warmup) {
      if (O.count && n >= O.count) break;
      if (!O.count && now_ns() - measure_start >= (int64_t)(O.duration * 1e9)) break;
    }
    if (now_ns() > g_deadline_ns) {
      stop = "deadline";
      break;
    }
    int64_t t0 = now_ns(), until = t0 + (int64_t)O.req_timeout_ms * 1000000LL;
    if (write_all(&req, reqbuf, reqlen) < 0) { stop = "write error"; break; }
    int r = wait_msgs(&rep, rep.msgs + 1, until);
    if (r == 0) {
      /* MSG <subject> <sid> <reply> <size>: the reply subject is the fourth token. */
      char h[1024];
      memcpy(h, rep.hdr, rep.hdr_len);
      h[rep.hdr_len] = 0;
      char *tok[6];
      int nt = 0;
      for (char *p = strtok(h, " \t"); p && nt < 6; p = strtok(NULL, " \t")) tok[nt++] = p;
      if (nt != 5) {
        conn_error(&rep, "request arrived without a reply subject: %s", rep.hdr);
        stop = "protocol";
        break;
      }
      int rl = snprintf(repbuf, 1200, "PUB %s %d\r\n", tok[3], O.size);
      memcpy(repbuf + rl, payload, (size_t)O.size + 2);
      if (write_all(&rep, repbuf, (size_t)rl + (size_t)O.size + 2) < 0) { stop = "write error"; break; }
      r = wait_msgs(&req, req.msgs + 1, until);
    }
    if (r == -2) {
      /* A lost request or reply: later replies could be mistaken for this one, so stop. */
      timeouts++;
      stop = "timeout";
      break;
    }
    if (r < 0) { stop = "connection closed"; break; }
    int64_t t1 = now_ns();
    done++;
    if (i >= O.warmup) {
      if (n == cap) {
        cap *= 2;
        samples = realloc(samples, (size_t)cap * sizeof *samples);
        if (!samples) die("out of memory");
      }
      samples[n++] = t1 - t0;
      measure_end = t1;
    }
  }
  qsort(samples, (size_t)n, sizeof *samples, cmp_i64);
  double sum = 0;
  for (long k = 0; k < n; k++) sum += (double)samples[k];
  printf("{\"mode\":\"lat\",\"stop\":\"%s\",\"round_trips\":%ld,\"samples\":%ld,\"timeouts\":%ld,"
         "\"min_ns\":%lld,\"p50_ns\":%lld,\"p90_ns\":%lld,\"p99_ns\":%lld,\"p999_ns\":%lld,\"max_ns\":%lld,"
         "\"avg_ns\":%.0f,\"rate\":%.0f,",
         stop, done, n, timeouts, (long long)(n ? samples[0] : 0), (long long)pct(samples, n, 50),
         (long long)pct(samples, n, 90), (long long)pct(samples, n, 99), (long long)pct(samples, n, 99.9),
         (long long)(n ? samples[n - 1] : 0), n ? sum / (double)n : 0.0,
         n && measure_end > measure_start ? n / ((measure_end - measure_start) / 1e9) : 0.0);
  conn_t pair[2] = {req, rep};
  json_errors(stdout, pair, 2);
  printf("}\n");
  return 0;
}

/* ------------------------------------------------------------------ conns / subs */

/* 10,000 sockets need more than the usual 1024 descriptors; the hard limit is ours to use. */
static void raise_nofile(long need) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return;
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  if ((long)rl.rlim_cur < need + 16)
    die("need %ld open files but the hard limit is %ld: split the connections over more processes", need + 16,
        (long)rl.rlim_cur);
}

/** Keep connections open (answering server PINGs) until the runner writes to or closes stdin. */
static void hold(conn_t *cs, long n) {
  set_nonblock(0);
  ep_add(0, STDIN_IDX, EPOLLIN);
  struct epoll_event evs[256];
  for (;;) {
    if (now_ns() > g_deadline_ns) return;
    int k = epoll_wait(g_ep, evs, 256, 200);
    for (int e = 0; e < k; e++) {
      uint32_t idx = evs[e].data.u32;
      if (idx == STDIN_IDX) return;
      if (idx >= (uint32_t)n) continue;
      conn_t *c = &cs[idx];
      if (evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) conn_read(c);
      ep_set(c, idx, !wflush(c));
    }
  }
}

static int run_conns(void) {
  long total = O.conns;
  raise_nofile(total);
  conn_t *cs = calloc((size_t)total, sizeof *cs);
  if (!cs) die("out of memory");
  g_ep = epoll_create1(EPOLL_CLOEXEC);
  long opened = 0, established = 0, failed = 0, inflight = 0;
  char *counted = calloc((size_t)total, 1);
  int64_t t0 = now_ns();
  struct epoll_event evs[256];
  /* A window of connections in setup at once keeps the server's accept backlog from
   * overflowing (an overflow costs a 1 s SYN retransmit, not a failure). */
  int64_t setup_until = t0 + (int64_t)(O.setup_timeout * 1e9);
  while (established + failed < total && now_ns() < g_deadline_ns && now_ns() < setup_until) {
    while (opened < total && inflight < O.window) {
      conn_t *c = &cs[opened];
      if (conn_open(c, 8192, 1) < 0) {
        counted[opened] = 1;
        failed++;
      } else {
        ep_add(c->fd, (uint32_t)opened, EPOLLIN | EPOLLOUT);
        c->want_out = 1;
        inflight++;
      }
      opened++;
    }
    int k = epoll_wait(g_ep, evs, 256, 100);
    for (int e = 0; e < k; e++) {
      uint32_t idx = evs[e].data.u32;
      conn_t *c = &cs[idx];
      if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
          conn_error(c, "connect: %s", strerror(err));
          conn_close(c);
        } else if (evs[e].events & EPOLLOUT) {
          c->state = C_OPEN;
          send_connect(c);
          wappend(c, "PING\r\n", 6);
        }
      }
      if (c->state == C_OPEN && (evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) conn_read(c);
      if (c->state == C_OPEN) ep_set(c, idx, !wflush(c));
      if (!counted[idx] && (c->pongs || c->state == C_CLOSED)) {
        counted[idx] = 1;
        inflight--;
        if (c->pongs) established++;
        else failed++;
      }
    }
  }
  int64_t t1 = now_ns();
  printf("{\"ready\":true,\"established\":%ld,\"failed\":%ld,\"setup_ms\":%.1f}\n", established, failed,
         (t1 - t0) / 1e6);
  fflush(stdout);
  hold(cs, total);
  long dropped = 0;
  for (long k = 0; k < total; k++)
    if (cs[k].pongs && cs[k].state == C_CLOSED) dropped++;
  printf("{\"mode\":\"conns\",\"established\":%ld,\"failed\":%ld,\"dropped_while_idle\":%ld,", established, failed,
         dropped);
  json_errors(stdout, cs, (int)total);
  printf("}\n");
  return 0;
}

static int run_subs(void) {
  if (!O.subs) die("subs mode needs --subs N");
  raise_nofile(O.conns);
  conn_t *cs = calloc((size_t)O.conns, sizeof *cs);
  g_ep = epoll_create1(EPOLL_CLOEXEC);
  int64_t t0 = now_ns();
  for (int k = 0; k < O.conns; k++) {
    conn_t *c = &cs[k];
    if (conn_open(c, 64 * 1024, 0) < 0) die("%s", c->err);
    set_nonblock(c->fd);
    send_connect(c);
    long share = O.subs / O.conns + (k < O.subs % O.conns ? 1 : 0);
    /* Distinct literal subjects: the worst case for the index's memory, no wildcard sharing. */
    for (long i = 0; i < share; i++) wappendf(c, "SUB %s.%d.%ld %ld\r\n", O.subject, k, i, i + 1);
    wappend(c, "PING\r\n", 6);
    ep_add(c->fd, (uint32_t)k, EPOLLIN);
    ep_set(c, (uint32_t)k, !wflush(c));
  }
  struct epoll_event evs[64];
  int64_t setup_until = t0 + (int64_t)(O.setup_timeout * 1e9);
  for (;;) {
    int ok = 1;
    for (int k = 0; k < O.conns; k++) {
      if (cs[k].state == C_CLOSED) die("subscription connection failed: %s", cs[k].err);
      if (!cs[k].pongs) ok = 0;
    }
    if (ok) break;
    if (now_ns() > g_deadline_ns || now_ns() > setup_until)
      die("server did not acknowledge the subscriptions (no PONG after the SUBs) within %g s", O.setup_timeout);
    int n = epoll_wait(g_ep, evs, 64, 100);
    for (int e = 0; e < n; e++) {
      conn_t *c = &cs[evs[e].data.u32];
      if (evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) conn_read(c);
      ep_set(c, evs[e].data.u32, !wflush(c));
    }
  }
  int64_t t1 = now_ns();
  long errs = 0;
  for (int k = 0; k < O.conns; k++) errs += cs[k].errs;
  printf("{\"ready\":true,\"subscriptions\":%ld,\"errors\":%ld,\"setup_ms\":%.1f}\n", O.subs, errs, (t1 - t0) / 1e6);
  fflush(stdout);
  hold(cs, O.conns);
  printf("{\"mode\":\"subs\",\"subscriptions\":%ld,", O.subs);
  json_errors(stdout, cs, O.conns);
  printf("}\n");
  return 0;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv) {
  parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = stop_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  g_deadline_ns = now_ns() + (int64_t)(O.timeout * 1e9);
  if (!strcmp(O.mode, "pub")) return run_pub();
  if (!strcmp(O.mode, "sub")) return run_sub();
  if (!strcmp(O.mode, "lat")) return run_lat();
  if (!strcmp(O.mode, "conns")) return run_conns();
  if (!strcmp(O.mode, "subs")) return run_subs();
  die("unknown mode '%s' (expected pub, sub, lat, conns or subs)", O.mode);
  return 2;
}
