/*
 * explain.h - `relaywarden explain` and `relaywarden check`: the offline
 * faces of the same config loader and session steps the milter runs.
 */
#ifndef RW_EXPLAIN_H
#define RW_EXPLAIN_H

/* argv starts after the subcommand word. Return the process exit status:
 * check 0 / 78 (EX_CONFIG); explain 0 accept, 1 reject, 2 tempfail,
 * 64 usage, 78 config. */
int explain_main(int argc, char **argv);
int check_main(int argc, char **argv);

#endif
