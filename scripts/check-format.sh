#!/bin/bash
# check-format.sh — every C file matches the checked-in .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r f; do
        if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
                echo "check-format.sh: $f does not match .clang-format (run clang-format -i $f)"
                bad=1
        fi
done < <(git ls-files '*.c' '*.h' 2>/dev/null || find lib cli tests -name '*.[ch]')
exit $bad
