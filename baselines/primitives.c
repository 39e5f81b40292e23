/*
 * The primitives the labs measure, timed by a small C program with nothing between the
 * timer and the system call: no Rust standard library, no criterion, no lab harness. The
 * Rust side (src/lib.rs) calls these functions and reports their samples next to the labs'.
 *
 * Every function fills `ns[0..n]` with one sample each, in nanoseconds, after a few
 * untimed rounds (the first thread stack, the first page of /bin/true read from disk are not
 * a cost of creation). The clock is clock_gettime(2) with CLOCK_MONOTONIC. A function returns
 * 0, or -1 with one line in `err` that names the call that failed and strerror(3)'s words.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARM_UP_ROUNDS 5
#define WARM_UP_ROUND_TRIPS 100

/* Writes "what: strerror(code)" into err; returns -1 for the caller to return. */
static int fail(char *err, size_t len, const char *what, int code) {
    snprintf(err, len, "%s: %s", what, strerror(code));
    return -1;
}

static int now(struct timespec *t, char *err, size_t len) {
    if (clock_gettime(CLOCK_MONOTONIC, t) != 0)
        return fail(err, len, "clock_gettime", errno);
    return 0;
}

static double ns_between(const struct timespec *a, const struct timespec *b) {
    return (double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_nsec - a->tv_nsec);
}

/* waitpid(2) for exactly `pid`, retrying after a signal; the child must have exited 0. */
static int reap(pid_t pid, char *err, size_t len) {
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return fail(err, len, "waitpid", errno);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, len, "child %d ended with wait status %#x", (int)pid, status);
        return -1;
    }
    return 0;
}

/* ---- creation: one round creates a thread or process and waits until it has ended ---- */

static void *empty_thread(void *arg) { return arg; }

/* pthread_create(3) of a thread that returns at once, then pthread_join(3). Both return an
 * error number instead of setting errno. */
static int pthread_round(char *err, size_t len) {
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, empty_thread, NULL);
    if (rc != 0)
        return fail(err, len, "pthread_create", rc);
    rc = pthread_join(thread, NULL);
    if (rc != 0)
        return fail(err, len, "pthread_join", rc);
    return 0;
}

/* fork(2); the child calls _exit(2) at once (no atexit handlers, no stdio flush); the
 * parent waits for it. */
static int fork_round(char *err, size_t len) {
    pid_t pid = fork();
    if (pid < 0)
        return fail(err, len, "fork", errno);
    if (pid == 0)
        _exit(0);
    return reap(pid, err, len);
}

/* vfork(2): the child borrows the parent's memory and the parent is suspended until the
 * child calls _exit(2) or execve(2). The child may do nothing else (vfork(2), "the behavior
 * is undefined if the process created by vfork() ... calls any other function"). */
static int vfork_round(char *err, size_t len) {
    pid_t pid = vfork();
    if (pid < 0)
        return fail(err, len, "vfork", errno);
    if (pid == 0)
        _exit(0);
    return reap(pid, err, len);
}

/* posix_spawn(3) of /bin/true with no file actions, default attributes and an empty
 * environment (as spawn-cost's kind), then waitpid. glibc (since 2.24) implements it with
 * clone(CLONE_VM | CLONE_VFORK) (sysdeps/unix/sysv/linux/spawni.c), so it never copies the
 * parent's page tables. */
static int posix_spawn_round(char *err, size_t len) {
    char *argv[] = {"/bin/true", NULL};
    char *envp[] = {NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, envp);
    if (rc != 0)
        return fail(err, len, "posix_spawn /bin/true", rc);
    return reap(pid, err, len);
}

/* WARM_UP_ROUNDS untimed rounds, then n rounds timed one by one. */
static int time_rounds(int (*round)(char *, size_t), double *ns, size_t n, char *err, size_t len) {
    struct timespec start, end;
    for (int i = 0; i < WARM_UP_ROUNDS; i++)
        if (round(err, len) != 0)
            return -1;
    for (size_t i = 0; i < n; i++) {
        if (now(&start, err, len) != 0 || round(err, len) != 0 || now(&end, err, len) != 0)
            return -1;
        ns[i] = ns_between(&start, &end);
    }
    return 0;
}

int bl_pthread(double *ns, size_t n, char *err, size_t len) {
    return time_rounds(pthread_round, ns, n, err, len);
}
int bl_fork(double *ns, size_t n, char *err, size_t len) {
    return time_rounds(fork_round, ns, n, err, len);
}
int bl_vfork(double *ns, size_t n, char *err, size_t len) {
    return time_rounds(vfork_round, ns, n, err, len);
}
int bl_posix_spawn(double *ns, size_t n, char *err, size_t len) {
    return time_rounds(posix_spawn_round, ns, n, err, len);
}

/* ---- switching: a one-byte ping-pong through two pipes ---- */

/* The CPUs the calling thread may run on (sched_getaffinity(2)), at most `max` of them. */
int bl_allowed_cpus(int *cpus, int max, char *err, size_t len) {
    cpu_set_t set;
    int count = 0;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return fail(err, len, "sched_getaffinity", errno);
    for (int cpu = 0; cpu < CPU_SETSIZE && count < max; cpu++)
        if (CPU_ISSET(cpu, &set))
            cpus[count++] = cpu;
    return count;
}

/* Pins the calling thread to one CPU: with pid 0, sched_setaffinity(2) sets the mask of the
 * calling thread only. A system call on stack memory, so a forked child may call it. */
static int pin_to(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

/* Pong's side: `rounds` times, read one byte, send it back plus one. Pong owns its two ends
 * and closes them when it stops, so a ping blocked in read(2) then sees end-of-file (pipe(7))
 * instead of waiting forever. Only read, write and close: fine in a forked child. */
struct pong { int from_ping, to_ping, cpu; size_t rounds; };

static int pong_loop(const struct pong *p) {
    int ok = pin_to(p->cpu) == 0;
    unsigned char byte;
    for (size_t i = 0; ok && i < p->rounds; i++) {
        ok = read(p->from_ping, &byte, 1) == 1;
        byte++;
        ok = ok && write(p->to_ping, &byte, 1) == 1;
    }
    close(p->from_ping);
    close(p->to_ping);
    return ok ? 0 : 1;
}

static void *pong_thread(void *arg) { return (void *)(long)pong_loop(arg); }

/* Ping's side, in the calling thread pinned to `cpu`: WARM_UP_ROUND_TRIPS untimed round
 * trips, then n batches of `batch` round trips, each batch timed as a whole (as the
 * context-switch lab does), giving ns per round trip. Checks every answer and closes its own
 * two ends. A write to a pipe whose reader has gone fails with EPIPE here instead of killing
 * the process: Rust's runtime ignores SIGPIPE before main (pipe(7)). */
static int ping_loop(int to_pong, int from_pong, int cpu, double *ns, size_t n, size_t batch,
                     char *err, size_t len) {
    int rc = -1;
    unsigned char sent = 0, answer;
    struct timespec start, end;
    if (pin_to(cpu) != 0) {
        fail(err, len, "sched_setaffinity (ping)", errno);
        goto out;
    }
    for (size_t b = 0; b <= n; b++) {
        size_t trips = b == 0 ? WARM_UP_ROUND_TRIPS : batch;
        if (now(&start, err, len) != 0)
            goto out;
        for (size_t i = 0; i < trips; i++, sent++) {
            if (write(to_pong, &sent, 1) != 1) {
                fail(err, len, "write (ping)", errno);
                goto out;
            }
            ssize_t got = read(from_pong, &answer, 1);
            if (got < 0) {
                fail(err, len, "read (ping)", errno);
                goto out;
            }
            if (got == 0 || answer != (unsigned char)(sent + 1)) {
                snprintf(err, len, "ping: pong %s", got == 0 ? "stopped" : "answered wrong");
                goto out;
            }
        }
        if (now(&end, err, len) != 0)
            goto out;
        if (b > 0)
            ns[b - 1] = ns_between(&start, &end) / (double)batch;
    }
    rc = 0;
out:
    close(to_pong);
    close(from_pong);
    return rc;
}

/* Runs ping in the calling thread on `ping_cpu` and pong on `pong_cpu`, in a new thread
 * (as_process == 0) or a forked child (as_process == 1). The calling thread's CPU mask is
 * restored before returning, and pong is always joined or reaped. */
int bl_pipe_ping_pong(int as_process, int ping_cpu, int pong_cpu, double *ns, size_t n,
                      size_t batch, char *err, size_t len) {
    int to_pong[2], to_ping[2], rc = -1;
    cpu_set_t before;
    if (sched_getaffinity(0, sizeof before, &before) != 0)
        return fail(err, len, "sched_getaffinity", errno);
    if (pipe(to_pong) != 0)
        return fail(err, len, "pipe", errno);
    if (pipe(to_ping) != 0) {
        fail(err, len, "pipe", errno);
        close(to_pong[0]);
        close(to_pong[1]);
        return -1;
    }
    struct pong p = {to_pong[0], to_ping[1], pong_cpu, WARM_UP_ROUND_TRIPS + n * batch};
    if (as_process) {
        pid_t parent = getpid(), pid = fork();
        if (pid < 0) {
            fail(err, len, "fork", errno);
            close(to_pong[0]), close(to_pong[1]), close(to_ping[0]), close(to_ping[1]);
            return -1;
        }
        if (pid == 0) {
            /* Die with the parent (prctl(2) PR_SET_PDEATHSIG); if it has already gone, the
             * signal will never come, so stop now. Then close ping's ends: only pong's own
             * remain, so each side sees end-of-file when the other stops. */
            if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
                _exit(2);
            close(to_pong[1]);
            close(to_ping[0]);
            _exit(pong_loop(&p));
        }
        close(to_pong[0]);
        close(to_ping[1]);
        rc = ping_loop(to_pong[1], to_ping[0], ping_cpu, ns, n, batch, err, len);
        char reap_err[256];
        if (reap(pid, reap_err, sizeof reap_err) != 0 && rc == 0)
            rc = -1, snprintf(err, len, "pong %s", reap_err);
    } else {
        pthread_t thread;
        void *pong_rc;
        int e = pthread_create(&thread, NULL, pong_thread, &p);
        if (e != 0) {
            fail(err, len, "pthread_create", e);
            close(to_pong[0]), close(to_pong[1]), close(to_ping[0]), close(to_ping[1]);
            return -1;
        }
        rc = ping_loop(to_pong[1], to_ping[0], ping_cpu, ns, n, batch, err, len);
        if ((e = pthread_join(thread, &pong_rc)) != 0) {
            if (rc == 0)
                rc = fail(err, len, "pthread_join", e);
        } else if (pong_rc != NULL && rc == 0)
            rc = -1, snprintf(err, len, "pong thread: could not pin, read or write");
    }
    if (sched_setaffinity(0, sizeof before, &before) != 0 && rc == 0)
        rc = fail(err, len, "sched_setaffinity (restore)", errno);
    return rc;
}
