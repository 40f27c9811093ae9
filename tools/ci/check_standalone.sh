#!/usr/bin/env bash
# Standalone check: no build file, script or test of the repository may refer to the folder beside the
# checkout, ../shared (the vectors, spec and devnet notes live in the repository now: tests/vectors, docs/).
#
# Looks at meson.build / meson_options.txt, *.sh *.py *.mjs *.cjs *.js *.cpp *.hpp *.h *.json and the
# extension-less scripts (.ci/run, executables with a #! line); node_modules, .git, build* and any meson
# build directory (one holding meson-private/) excepted. Flags path-like uses only (std::shared_ptr,
# shared_mutex, make_shared, "shared" as a word or as a test user name are fine):
#   ../shared  ..\shared          any relative path up to the folder
#   shared/vectors, shared/spec, shared/devnet.md, shared/<anything>   a path starting at the folder
#   '..' / 'shared'  '..', 'shared'  'shared' / ...   meson's path operator, path.join / os.path.join parts
# A line that must name the folder on purpose (.ci/run tests whether it exists, to prove the suite runs
# without it) carries the marker "standalone-check: allow".
# Usage: tools/ci/check_standalone.sh [--root DIR]      Exit 0 clean, 1 when a reference is found.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "${1:-}" = "--root" ] && [ -n "${2:-}" ] && root=$(cd "$2" && pwd)
cd "$root" || exit 1
self=tools/ci/check_standalone.sh

# (1) ../shared, ..\shared; (2) shared/<x> not preceded by a name character, '/', '.' or '-' (so
#     foo_shared/x and lib/shared/x are not matched; "shared/x", 'shared/x', (shared/x, ` shared/x` are);
#     (3) a quoted 'shared' beside meson's path operator, or after quoted '..' parts in a join.
pattern='\.\.[/\\]shared([^A-Za-z0-9_]|$)'
pattern+='|(^|[^A-Za-z0-9_./-])shared/[A-Za-z0-9_.*-]'
pattern+="|['\"]shared['\"][[:space:]]*/|/[[:space:]]*['\"]shared['\"]"
pattern+="|['\"]\\.\\.['\"][[:space:]]*,[[:space:]]*(['\"]\\.\\.['\"][[:space:]]*,[[:space:]]*)*['\"]shared['\"]"

list_files() {
  find . -type d \( -name .git -o -name node_modules -o -path './build*' -o -exec test -e '{}/meson-private' \; \) -prune -o \
       -type f \( -name meson.build -o -name meson_options.txt -o -name meson.options \
                  -o -name '*.sh' -o -name '*.py' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.js' \
                  -o -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.json' -o -path ./.ci/run \) -print
  # extension-less executable scripts (tools/zerog wrappers and the like)
  find . -type d \( -name .git -o -name node_modules -o -path './build*' -o -exec test -e '{}/meson-private' \; \) -prune -o \
       -type f -perm -u+x ! -name '*.*' -print | while IFS= read -r f; do
    head -c2 "$f" 2>/dev/null | grep -q '^#!' && printf '%s\n' "$f"
  done
}

hits=$(list_files | sed 's|^\./||' | LC_ALL=C sort -u | grep -vxF "$self" | tr '\n' '\0' \
       | xargs -0 -r grep -nHE -- "$pattern" 2>/dev/null | grep -vF 'standalone-check: allow')
nfiles=$(list_files | sort -u | wc -l)
if [ -n "$hits" ]; then
  printf '%s\n' "$hits" | cut -c1-240
  echo "standalone: $(printf '%s\n' "$hits" | wc -l) reference(s) to ../shared (outside the repository) in" \
       "$(printf '%s\n' "$hits" | cut -d: -f1 | sort -u | wc -l) file(s); use tests/vectors, docs/ or tools/ instead"
  exit 1
fi
echo "standalone: OK, no reference to ../shared in $nfiles build, script and test files"
exit 0
