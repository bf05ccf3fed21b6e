#!/usr/bin/env bash
# Materialise every source of precision/corpus.toml into a cache directory.
#
#   bash precision/fetch.sh [CACHE_DIR]          (default: /tmp/custos-precision)
#
# Layout of the cache:
#   CACHE/src/<name>/        the source tree that measure.py scans
#   CACHE/dl/                downloaded archives (sha256-checked)
#   CACHE/meta/<name>.ok     written when a source is complete (its content is the pin)
#   CACHE/meta/<name>.missing  git sources: files the mirror did not hold (not materialised)
#
# Registry sources: `pip download --no-deps --no-binary :all: PKG==VER`, sha256 check, unpack.
# Git sources: the pinned commit's tree, from a local bare mirror when one holds the commit
# (CUSTOS_PRECISION_MIRRORS, default /work/.mirror, laid out as <owner>+<name>/repo), else
# `git clone` from CUSTOS_PRECISION_GIT_BASE (default https://github.com) and a checkout.
# At the end it lists every source it could not get, and exits 1 if there was one.
# Needs: bash, python3 (>= 3.11, for tomllib), pip, git, tar, sha256sum.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
corpus="${CUSTOS_PRECISION_CORPUS:-$here/corpus.toml}"
cache="${1:-${CUSTOS_PRECISION_CACHE:-/tmp/custos-precision}}"
mirrors="${CUSTOS_PRECISION_MIRRORS:-/work/.mirror}"
git_base="${CUSTOS_PRECISION_GIT_BASE:-https://github.com}"

mkdir -p "$cache/src" "$cache/dl" "$cache/meta"
failed=()
got=()

# One line per source: name<TAB>kind<TAB>a<TAB>b<TAB>c
#   pypi-sdist: package, version, sha256     git: repo, commit, -
sources="$(python3 - "$corpus" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as fh:
    corpus = tomllib.load(fh)
for s in corpus["source"]:
    if s["kind"] == "pypi-sdist":
        print("\t".join([s["name"], s["kind"], s["package"], s["version"], s["sha256"]]))
    elif s["kind"] == "git":
        print("\t".join([s["name"], s["kind"], s["repo"], s["commit"], "-"]))
    else:
        print("\t".join([s["name"], "unknown", s["kind"], "-", "-"]))
PY
)" || { echo "fetch.sh: cannot read $corpus" >&2; exit 2; }

# Write the tree of COMMIT in bare git dir GITDIR into DEST, skipping blobs the store lacks
# (a partial mirror omits large files); the skipped paths go to MISSING.
extract_tree() {
  local gitdir="$1" commit="$2" dest="$3" missing="$4"
  python3 - "$gitdir" "$commit" "$dest" "$missing" <<'PY'
import os, subprocess, sys
gitdir, commit, dest, missing_path = sys.argv[1:5]
git = ["git", "--git-dir", gitdir]
listing = subprocess.run(git + ["ls-tree", "-r", "-z", commit], check=True,
                         capture_output=True).stdout
entries = []
for rec in listing.split(b"\0"):
    if not rec:
        continue
    meta, path = rec.split(b"\t", 1)
    mode, typ, sha = meta.split()
    entries.append((mode.decode(), typ.decode(), sha.decode(), path.decode("utf-8", "surrogateescape")))
blobs = [e for e in entries if e[1] == "blob"]
proc = subprocess.Popen(git + ["cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
missing = []
for mode, _typ, sha, path in blobs:
    proc.stdin.write(sha.encode() + b"\n")
    proc.stdin.flush()
    header = proc.stdout.readline().split()
    if len(header) < 3 or header[1] == b"missing":
        missing.append(path)
        continue
    size = int(header[2])
    data = proc.stdout.read(size)
    proc.stdout.read(1)
    target = os.path.join(dest, path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if mode == "120000":
        os.symlink(data.decode("utf-8", "surrogateescape"), target)
    else:
        with open(target, "wb") as fh:
            fh.write(data)
        if mode == "100755":
            os.chmod(target, 0o755)
proc.stdin.close()
proc.wait()
with open(missing_path, "w") as fh:
    fh.writelines(p + "\n" for p in missing)
print(f"  {len(blobs) - len(missing)} files written, {len(missing)} absent from the store")
PY
}

while IFS=$'\t' read -r name kind a b c; do
  [ -n "$name" ] || continue
  dest="$cache/src/$name"
  stamp="$cache/meta/$name.ok"
  pin="$kind $a $b $c"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pin" ] && [ -d "$dest" ]; then
    echo "ok    $name (cached)"
    got+=("$name")
    continue
  fi
  rm -rf "$dest" "$stamp"
  case "$kind" in
    pypi-sdist)
      pkg="$a" ver="$b" want="$c"
      dl="$cache/dl/$name"
      rm -rf "$dl" && mkdir -p "$dl"
      echo "pip   $name: $pkg==$ver"
      if ! pip download --quiet --no-deps --no-binary :all: "$pkg==$ver" -d "$dl" >"$cache/meta/$name.log" 2>&1; then
        echo "FAIL  $name: pip download failed (see $cache/meta/$name.log)"
        failed+=("$name: pip download of $pkg==$ver failed")
        continue
      fi
      archive="$(find "$dl" -maxdepth 1 -type f \( -name '*.tar.gz' -o -name '*.zip' \) | head -n 1)"
      if [ -z "$archive" ]; then
        failed+=("$name: pip produced no sdist archive")
        continue
      fi
      got_sha="$(sha256sum "$archive" | cut -d' ' -f1)"
      if [ "$got_sha" != "$want" ]; then
        echo "FAIL  $name: sha256 mismatch ($got_sha, want $want)"
        failed+=("$name: sha256 mismatch for $(basename "$archive")")
        continue
      fi
      mkdir -p "$dest"
      case "$archive" in
        *.tar.gz) tar -xzf "$archive" -C "$dest" --strip-components=1 ;;
        *.zip) python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$archive" "$dest.tmp" \
                 && mv "$dest.tmp"/*/ "$dest.x" && rm -rf "$dest" "$dest.tmp" && mv "$dest.x" "$dest" ;;
      esac || { failed+=("$name: could not unpack $(basename "$archive")"); rm -rf "$dest"; continue; }
      ;;
    git)
      repo="$a" commit="$b"
      gitdir=""
      mirror="$mirrors/${repo/\//+}/repo"
      if [ -d "$mirror" ] && git --git-dir="$mirror" cat-file -e "$commit^{commit}" 2>/dev/null; then
        gitdir="$mirror"
        echo "git   $name: $repo@$commit from mirror $mirror"
      else
        clone="$cache/git/${repo/\//+}.git"
        echo "git   $name: $repo@$commit by clone from $git_base"
        if [ ! -d "$clone" ]; then
          mkdir -p "$cache/git"
          GIT_TERMINAL_PROMPT=0 timeout 600 git clone --quiet --bare --filter=blob:limit=4m \
            "$git_base/$repo.git" "$clone" >"$cache/meta/$name.log" 2>&1 || rm -rf "$clone"
        fi
        if [ -d "$clone" ] && ! git --git-dir="$clone" cat-file -e "$commit^{commit}" 2>/dev/null; then
          GIT_TERMINAL_PROMPT=0 timeout 600 git --git-dir="$clone" fetch --quiet origin "$commit" >>"$cache/meta/$name.log" 2>&1
        fi
        if [ -d "$clone" ] && git --git-dir="$clone" cat-file -e "$commit^{commit}" 2>/dev/null; then
          gitdir="$clone"
        fi
      fi
      if [ -z "$gitdir" ]; then
        echo "FAIL  $name: no mirror holds $commit and the clone failed (see $cache/meta/$name.log)"
        failed+=("$name: $repo@$commit not found in a mirror and could not be cloned")
        continue
      fi
      mkdir -p "$dest"
      if ! extract_tree "$gitdir" "$commit" "$dest" "$cache/meta/$name.missing"; then
        failed+=("$name: could not write the tree of $commit")
        rm -rf "$dest"
        continue
      fi
      if [ -s "$cache/meta/$name.missing" ]; then
        echo "  note: $(wc -l <"$cache/meta/$name.missing") files absent from the store are not materialised (listed in $cache/meta/$name.missing)"
      fi
      ;;
    *)
      failed+=("$name: unknown kind '$a'")
      continue
      ;;
  esac
  printf '%s' "$pin" >"$stamp"
  echo "ok    $name"
  got+=("$name")
done <<<"$sources"

echo
echo "fetched ${#got[@]} source(s) into $cache/src"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "COULD NOT GET ${#failed[@]} source(s):"
  printf '  - %s\n' "${failed[@]}"
  exit 1
fi
echo "all sources fetched"
