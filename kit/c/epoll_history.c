/*
 * epoll_history.c: a small epoll program that records its own history in
 * onering's JSON Lines format (docs/history-format.md, version 1).
 *
 * Two sources on one epoll instance:
 *   source 0: a pipe's read end, level-triggered (EPOLLIN)       key {0,0}
 *   source 1: an eventfd, edge-triggered (EPOLLIN | EPOLLET)      key {1,0}
 * Two worker threads wait concurrently while the main thread writes the
 * pipe once (never drained until the end) and increments the eventfd twice.
 * A level-triggered fd is re-queued right after delivery, so both workers
 * can get the pipe while the other still handles it: epoll allows this,
 * the `unified` profile (one thread per registration at a time) does not.
 * At the end the main thread drains the pipe and removes it twice
 * (0, then ENOENT).
 *
 * Recording: one atomic counter gives every invocation and response a
 * unique stamp, taken right before and right after the system call;
 * threads are numbered on their first call. Records are kept in memory and
 * written sorted by `ret`, as the format requires.
 *
 * Build and run: cc -O2 -pthread epoll_history.c -o epoll_history &&
 *                ./epoll_history > history.jsonl
 *                onering verify --profile epoll history.jsonl
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* ---- the recorder ------------------------------------------------------ */

static atomic_ulong clock_;          /* the one stamp counter */
static atomic_uint next_thread;      /* thread numbers, in order of first call */
static _Thread_local int my_thread = -1;

struct record {
    unsigned long call, ret;
    int thread;
    char op[16];
    char args[96];
    char result[256];
};

#define MAX_RECORDS 256
static struct record records[MAX_RECORDS];
static atomic_uint nrecords;

static unsigned long stamp(void) { return atomic_fetch_add(&clock_, 1); }

static int thread_id(void) {
    if (my_thread < 0)
        my_thread = (int)atomic_fetch_add(&next_thread, 1);
    return my_thread;
}

/* Starts a call: its record, with `call` stamped last. */
static struct record *begin(const char *op) {
    int t = thread_id();
    unsigned i = atomic_fetch_add(&nrecords, 1);
    if (i >= MAX_RECORDS) {
        fprintf(stderr, "too many records\n");
        exit(1);
    }
    struct record *r = &records[i];
    r->thread = t;
    snprintf(r->op, sizeof r->op, "%s", op);
    r->call = stamp();
    return r;
}

/* Ends a call: `ret` stamped first. */
static void end(struct record *r) { r->ret = stamp(); }

static int by_ret(const void *a, const void *b) {
    const struct record *x = a, *y = b;
    return (x->ret > y->ret) - (x->ret < y->ret);
}

static void write_history(FILE *out) {
    unsigned n = atomic_load(&nrecords);
    qsort(records, n, sizeof records[0], by_ret);
    for (unsigned i = 0; i < n; i++) {
        struct record *r = &records[i];
        fprintf(out,
                "{\"v\":1,\"thread\":%d,\"call\":%lu,\"ret\":%lu,\"op\":\"%s\","
                "\"args\":%s,\"result\":%s}\n",
                r->thread, r->call, r->ret, r->op, r->args, r->result);
    }
}

#define KEY(i) "{\"index\":" #i ",\"generation\":0}"

/* ---- the program ------------------------------------------------------- */

static int ep, pipe_r, pipe_w, efd;

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

/* The kind of each source: a real kernel history otherwise leaves the
 * checker to guess `level` from the first registration. */
static void add_source(int source, const char *kind) {
    struct record *r = begin("add_source");
    end(r);
    snprintf(r->args, sizeof r->args, "{\"kind\":\"%s\"}", kind);
    snprintf(r->result, sizeof r->result, "{\"source\":%d}", source);
}

static void reg(int source, int fd, uint32_t flags, const char *mode) {
    struct epoll_event ev = {.events = flags, .data.u32 = (uint32_t)source};
    struct record *r = begin("register");
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        die("EPOLL_CTL_ADD");
    end(r);
    snprintf(r->args, sizeof r->args, "{\"source\":%d,\"mode\":\"%s\"}", source, mode);
    /* The key's index is the source: one registration per fd here. */
    snprintf(r->result, sizeof r->result, "{\"key\":{\"index\":%d,\"generation\":0}}", source);
}

static void wait_events(int max, int timeout_ms) {
    struct epoll_event evs[8];
    struct record *r = begin("wait");
    int n = epoll_wait(ep, evs, max, timeout_ms);
    end(r);
    if (n < 0)
        die("epoll_wait");
    snprintf(r->args, sizeof r->args, "{\"max\":%d,\"timeout\":\"%s\"}", max,
             timeout_ms == 0 ? "poll" : timeout_ms < 0 ? "block" : "deadline");
    int len = snprintf(r->result, sizeof r->result, "{\"events\":[");
    for (int i = 0; i < n; i++)
        len += snprintf(r->result + len, sizeof r->result - len,
                        "%s{\"key\":{\"index\":%u,\"generation\":0},\"kind\":\"ready\"}",
                        i ? "," : "", evs[i].data.u32);
    snprintf(r->result + len, sizeof r->result - len, "]}");
}

static void raise_pipe(void) {
    struct record *r = begin("raise");
    if (write(pipe_w, "x", 1) != 1)
        die("write pipe");
    end(r);
    snprintf(r->args, sizeof r->args, "{\"source\":0}");
    snprintf(r->result, sizeof r->result, "{\"ok\":true}");
}

static void increment_eventfd(void) {
    uint64_t one = 1;
    struct record *r = begin("increment");
    if (write(efd, &one, sizeof one) != sizeof one)
        die("write eventfd");
    end(r);
    snprintf(r->args, sizeof r->args, "{\"source\":1,\"n\":1}");
    snprintf(r->result, sizeof r->result, "{\"ok\":true}");
}

static void lower_pipe(void) {
    char buf[64];
    struct record *r = begin("lower");
    while (read(pipe_r, buf, sizeof buf) > 0) {
    }
    end(r);
    snprintf(r->args, sizeof r->args, "{\"source\":0}");
    snprintf(r->result, sizeof r->result, "{\"ok\":true}");
}

static void cancel_pipe(void) {
    struct record *r = begin("cancel");
    int rc = epoll_ctl(ep, EPOLL_CTL_DEL, pipe_r, NULL);
    int err = errno;
    end(r);
    snprintf(r->args, sizeof r->args, "{\"key\":" KEY(0) ",\"mode\":\"sync\"}");
    if (rc == 0)
        snprintf(r->result, sizeof r->result, "{\"cancel\":\"removed\",\"completion\":null}");
    else if (err == ENOENT)
        snprintf(r->result, sizeof r->result, "{\"cancel\":\"not-found\"}");
    else
        die("EPOLL_CTL_DEL");
}

static void *worker(void *arg) {
    (void)arg;
    for (int i = 0; i < 3; i++) {
        wait_events(4, 50);
        sleep_ms(20); /* handles (holds) what it got */
    }
    return NULL;
}

int main(void) {
    int p[2];
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0 || pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
        die("setup");
    pipe_r = p[0];
    pipe_w = p[1];
    efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0)
        die("eventfd");

    add_source(0, "level");
    add_source(1, "counter");
    reg(0, pipe_r, EPOLLIN, "level");
    reg(1, efd, EPOLLIN | EPOLLET, "edge");
    raise_pipe();

    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, worker, NULL) != 0)
            die("pthread_create");
    sleep_ms(5);
    increment_eventfd();
    sleep_ms(30);
    increment_eventfd();
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);

    lower_pipe();
    wait_events(4, 0);
    cancel_pipe();
    cancel_pipe();
    wait_events(4, 0);

    write_history(stdout);
    return 0;
}
