// BSD libedit through its readline-compatible header (not GNU readline's).
#pragma once
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <editline/readline.h>

// MARK: - SIGINT forwarding
//
// A raw signal handler may only touch async-signal-safe state, so the REPL's handler does one
// thing: write a byte to a pipe. A normal thread reads that pipe and decides what Ctrl-C means
// (cancel the line being edited, or interrupt the running statement). The handler lives in C
// because a Swift closure cannot promise to avoid the runtime (allocation, lazy globals, locks).

/// Write end of the pipe the SIGINT handler signals through; -1 while no REPL listens.
static volatile sig_atomic_t dpl_sigint_pipe_fd = -1;

static void dpl_sigint_handler(int signo) {
    (void)signo;
    int saved_errno = errno;
    int fd = dpl_sigint_pipe_fd;
    if (fd >= 0) {
        char byte = 'I';
        // A full pipe already holds an undelivered Ctrl-C, so a failed write loses nothing.
        (void)write(fd, &byte, 1);
    }
    errno = saved_errno;
}

/// Routes SIGINT to a byte on `pipe_write_fd`; the previous action is stored in `previous`.
/// SA_RESTART keeps the REPL's own blocking calls from failing with EINTR on Ctrl-C.
static inline int dpl_install_sigint_forwarding(int pipe_write_fd, struct sigaction *previous) {
    dpl_sigint_pipe_fd = pipe_write_fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = dpl_sigint_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return sigaction(SIGINT, &action, previous);
}

/// Restores the SIGINT action saved by `dpl_install_sigint_forwarding`.
static inline int dpl_restore_sigint(const struct sigaction *previous) {
    int result = sigaction(SIGINT, previous, NULL);
    dpl_sigint_pipe_fd = -1;
    return result;
}
