#ifndef CCHILDSPAWN_H
#define CCHILDSPAWN_H
#include <sys/types.h>

/// What to start. Every pointer must stay valid until orch_spawn returns.
typedef struct {
    /// An absolute path (no PATH search happens here).
    const char *path;
    /// NULL-terminated, argv[0] included.
    char *const *argv;
    /// NULL-terminated "NAME=value" strings.
    char *const *envp;
    /// The descriptors that become the child's 0, 1 and 2; -1 leaves that one inherited.
    /// They should be close-on-exec in the parent: the child gets only its dup2'ed copies.
    int fds[3];
} orch_spawn_request;

/// Starts the child in a process group of its own, with default signal dispositions, an empty
/// signal mask and PR_SET_PDEATHSIG = SIGKILL. Returns 0 and sets *pid, or returns an errno
/// (the child's exec failure included). Thread-safe; blocks until the child has exec'd.
int orch_spawn(const orch_spawn_request *request, pid_t *pid);

/// pipe2(fds, O_CLOEXEC), which Swift's Glibc module does not show (it needs _GNU_SOURCE).
int orch_pipe_cloexec(int fds[2]);

/// The watchdog kills process group `pgid` with SIGKILL should this process die before
/// orch_unwatch_group(pgid). Does nothing when the watchdog could not be started.
void orch_watch_group(pid_t pgid);
void orch_unwatch_group(pid_t pgid);

#endif
