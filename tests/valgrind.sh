#!/bin/sh
# tests/valgrind.sh - relaywarden under valgrind, for `make valgrind` (the
# runner starts this in place of the binary). One log per process in
# $RW_VALGRIND_DIR; the Makefile then requires "definitely lost: 0 bytes".
exec valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
	--log-file="${RW_VALGRIND_DIR:?}/vg.%p.log" "$(dirname "$0")/../build/relaywarden" "$@"
