/* cell: facts about a process from /proc, and pidfds. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Start time of a process (field 22 of /proc/PID/stat), 0 when gone; sets
 * *zombie (may be NULL) when the process has exited but is not yet reaped.
 * A pid with the start time recorded earlier is the same process. */
unsigned long long proc_starttime(pid_t pid, bool *zombie);

/* The parent pid of a process (field 4 of /proc/PID/stat), or -1. */
pid_t proc_ppid(pid_t pid);

/* A pidfd for pid (pins the process against pid reuse), or -1. */
int proc_pidfd_open(pid_t pid);

/* Whether pid is alive (not a zombie) and started at starttime. */
bool proc_alive(pid_t pid, unsigned long long starttime);
