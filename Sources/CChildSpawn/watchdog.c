// The watchdog: kills the process groups of this process' children when this process dies.
//
// PR_SET_PDEATHSIG reaches only the direct child. A handler runs as `sh -c "<command>"`, and
// dash forks the command instead of exec'ing it, so the handler itself (and anything else in
// its process group) would outlive a SIGKILLed orchestrator. The watchdog is a small process
// forked once, in a session of its own, that holds one end of a socket pair whose other end
// only this process holds (close-on-exec, so no child inherits it). The parent sends "watch pgid" when
// it starts a child and "unwatch pgid" when it reaps it; when the parent dies, however it dies,
// the kernel closes its end, recv() returns 0, and the watchdog sends SIGKILL to every
// group still watched, then exits. A group is unwatched when its leader is reaped, so a process
// group id the kernel hands out again later is never killed by mistake; members that outlive
// their leader are not covered, nor are processes that start a process group of their own.
//
// Forked from a multi-threaded process, the watchdog calls only async-signal-safe functions and
// never returns into Swift.
#define _GNU_SOURCE
#include "CChildSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

enum { watch = 1, unwatch = 2, max_groups = 8192 };

typedef struct {
    int32_t op;
    int32_t pgid;
} record;

static int write_end = -1;
static pthread_once_t started = PTHREAD_ONCE_INIT;
static pid_t groups[max_groups];
static int group_count;

static void apply(record entry) {
    if (entry.op == watch) {
        if (group_count < max_groups) groups[group_count++] = entry.pgid;
        return;
    }
    for (int index = 0; index < group_count; index++) {
        if (groups[index] == entry.pgid) {
            groups[index] = groups[--group_count];
            return;
        }
    }
}

__attribute__((noreturn)) static void watchdog(int read_end) {
    struct sigaction action = {0};
    action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &action, NULL);
    }
    // It must outlive its parent long enough to do its one job: terminal and stop signals
    // meant for the orchestrator's group or session are not for it.
    action.sa_handler = SIG_IGN;
    int ignored[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGUSR1, SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU};
    for (unsigned index = 0; index < sizeof ignored / sizeof ignored[0]; index++) sigaction(ignored[index], &action, NULL);
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    setsid();
    prctl(PR_SET_NAME, "orch-watchdog");

    // Keep only the socket: inherited sockets and pipes (Redis, a test harness' stdout) must not
    // be held open by it.
    int socket_fd = fcntl(read_end, F_DUPFD, 10);
    int null_fd = open("/dev/null", O_RDWR);
    for (int target = 0; target < 3; target++) {
        if (null_fd >= 0) dup2(null_fd, target);
    }
    if (socket_fd < 0 || dup2(socket_fd, 3) < 0) _exit(1);
    if (close_range(4, ~0U, 0) != 0) {
        for (int fd = 4; fd < 65536; fd++) close(fd);
    }

    for (;;) {
        record entry;
        ssize_t count = recv(3, &entry, sizeof entry, 0);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) break;  // 0: the parent is gone
        if (count == (ssize_t)sizeof entry) apply(entry);
    }
    for (int index = 0; index < group_count; index++) kill(-groups[index], SIGKILL);
    _exit(0);
}

static void start_watchdog(void) {
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) return;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pid_t made = fork();
    if (made == 0) {
        close(ends[1]);
        watchdog(ends[0]);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(ends[0]);
    if (made < 0) {
        close(ends[1]);
        return;
    }
    write_end = ends[1];
}

static void send_record(int32_t op, pid_t pgid) {
    pthread_once(&started, start_watchdog);
    if (write_end < 0) return;
    record entry = {op, (int32_t)pgid};
    // One message per record (SOCK_SEQPACKET), so records from several threads never
    // interleave; MSG_NOSIGNAL: a watchdog that was killed must not take this process with it.
    while (send(write_end, &entry, sizeof entry, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
}

void orch_watch_group(pid_t pgid) { send_record(watch, pgid); }
void orch_unwatch_group(pid_t pgid) { send_record(unwatch, pgid); }
