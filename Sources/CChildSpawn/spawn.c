// Children that die with this process.
//
// posix_spawn cannot set PR_SET_PDEATHSIG, so the child is started here with vfork + execve,
// doing in between what posix_spawn's attributes did (own process group, default signal
// dispositions, empty mask, dup2 of the standard streams) plus prctl(PR_SET_PDEATHSIG, SIGKILL).
//
// - vfork, not fork: the parent is suspended until the child execs and no page tables are
//   copied (the worker spawns a process per job; glibc's posix_spawn uses CLONE_VFORK for the
//   same reason). Between vfork and execve the child calls only async-signal-safe system calls
//   on its own stack frame and writes nothing shared but `child_error`, as posix_spawn does.
// - Signals are blocked across vfork and the child resets every handler to SIG_DFL before it
//   unblocks, so no handler of this process ever runs in the child.
// - The kernel sends the parent-death signal when the *thread* that forked exits, not the
//   process: a child spawned from a Dispatch or cooperative-pool thread would be killed when
//   that thread is retired. Every spawn therefore runs on one dedicated thread that lives as
//   long as the process (and has every signal blocked, so it never runs a handler either).
// - If the parent dies between vfork and prctl, the child has already been reparented and
//   the signal would never come: it checks getppid() after prctl and exits if so.
#define _GNU_SOURCE
#include "CChildSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noreturn)) static void child(const orch_spawn_request *request, pid_t parent, volatile int *child_error) {
    struct sigaction defaults = {0};
    defaults.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &defaults, NULL);  // EINVAL for glibc's own: fine
    }
    if (setpgid(0, 0) != 0) goto fail;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) goto fail;
    if (getppid() != parent) _exit(127);  // the parent is already gone; nobody waits for us

    int fds[3] = {request->fds[0], request->fds[1], request->fds[2]};
    // A source descriptor below 3 could be overwritten by an earlier dup2: move it out of the way.
    for (int target = 0; target < 3; target++) {
        if (fds[target] >= 0 && fds[target] < 3 && fds[target] != target) {
            fds[target] = fcntl(fds[target], F_DUPFD_CLOEXEC, 3);
            if (fds[target] < 0) goto fail;
        }
    }
    for (int target = 0; target < 3; target++) {
        if (fds[target] < 0) continue;
        if (fds[target] == target) {
            if (fcntl(target, F_SETFD, 0) != 0) goto fail;  // dup2 onto itself would keep close-on-exec
        } else if (dup2(fds[target], target) < 0) {
            goto fail;
        }
    }
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    execve(request->path, request->argv, request->envp);
fail:
    *child_error = errno ? errno : ECHILD;
    _exit(127);
}

static int spawn_here(const orch_spawn_request *request, pid_t *pid) {
    volatile int child_error = 0;
    pid_t parent = getpid();
    pid_t made = vfork();
    if (made == 0) child(request, parent, &child_error);
    if (made < 0) return errno;
    if (child_error != 0) {
        // It never ran the program; reap it here, the caller never learns its pid.
        while (waitpid(made, NULL, 0) < 0 && errno == EINTR) {}
        return child_error;
    }
    *pid = made;
    return 0;
}

// One request at a time goes to the spawner thread and back.
static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static const orch_spawn_request *pending;
static int done;
static int result;
static pid_t result_pid;
static pthread_once_t started = PTHREAD_ONCE_INIT;
static int start_error;

static void *spawner(void *unused) {
    (void)unused;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (pending == NULL) pthread_cond_wait(&changed, &lock);
        result = spawn_here(pending, &result_pid);
        pending = NULL;
        done = 1;
        pthread_cond_broadcast(&changed);
    }
    return NULL;
}

static void start_spawner(void) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);  // the new thread inherits the full mask
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    start_error = pthread_create(&thread, &attributes, spawner, NULL);
    pthread_attr_destroy(&attributes);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int orch_spawn(const orch_spawn_request *request, pid_t *pid) {
    pthread_once(&started, start_spawner);
    if (start_error != 0) return start_error;
    pthread_mutex_lock(&submit_lock);
    pthread_mutex_lock(&lock);
    pending = request;
    done = 0;
    pthread_cond_broadcast(&changed);
    while (!done) pthread_cond_wait(&changed, &lock);
    int answer = result;
    if (answer == 0) *pid = result_pid;
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&submit_lock);
    return answer;
}

int orch_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
