#!/usr/bin/env bash
# The Debian package, end to end on this machine: builds it from a kumiki binary with
# packaging/deb/build.sh, installs it with dpkg, checks files, modes and the kumiki user, starts the
# server the way kumiki.service says (its ExecStart, User, Group, WorkingDirectory and environment)
# as the kumiki user, signs in through the form and through the kintone API, then purges the package
# and checks that nothing is left.
#   tests/package/run.sh BINARY
# Needs root (dpkg -i), dpkg-dev, binutils, curl, util-linux (runuser, flock) and systemd-analyze.
# Nothing is skipped: any problem is a failure. systemd need not be running (it is not PID 1 here).
# Refuses to run where a kumiki package, user or /var/lib/kumiki exists that an earlier run of this
# test did not leave (it would purge them); cleans up after itself on any exit, and before starting
# after a run that was killed (a marker in /var/tmp says so).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

say() { printf 'package test: %s\n' "$*"; }
fail() {
  printf 'package test: FAIL: %s\n' "$*" >&2
  if [[ -n ${SERVER_LOG:-} && -s $SERVER_LOG ]]; then
    echo "---- server log (last 40 lines) ----" >&2
    tail -n 40 "$SERVER_LOG" >&2
  fi
  exit 1
}

[[ $# -eq 1 ]] || { echo "usage: tests/package/run.sh BINARY" >&2; exit 2; }
BIN=$1
[[ $BIN == /* ]] || BIN=$ROOT/$BIN
[[ -f $BIN && -x $BIN ]] || fail "no kumiki binary at $BIN"
[[ $(id -u) -eq 0 ]] || fail "must run as root (dpkg -i installs the package on this machine)"
for tool in dpkg dpkg-deb dpkg-shlibdeps strip curl runuser flock pgrep systemd-analyze base64 stat getent; do
  command -v "$tool" >/dev/null || fail "$tool is missing"
done

# One run at a time on a machine; a marker says a run is between install and a clean machine.
exec 9>/run/lock/kumiki-package-test.lock
flock -n 9 || fail "another package test is running on this machine"
# Under the lock, temporary folders of this test are those of runs that were killed.
rm -rf /tmp/kumiki-package-test.*
MARKER=/var/tmp/kumiki-package-test.unclean

package_state() { dpkg-query -W -f='${db:Status-Status}' kumiki 2>/dev/null || true; }

# Removes everything the package and this test leave behind; returns non-zero when something stays.
purge_all() {
  local state
  state=$(package_state)
  if [[ -n $state && $state != not-installed ]]; then
    dpkg --purge kumiki >>"${PURGE_LOG:-/dev/null}" 2>&1 || dpkg --purge --force-all kumiki >/dev/null 2>&1 || true
  fi
  getent passwd kumiki >/dev/null && { userdel kumiki 2>/dev/null || true; }
  getent group kumiki >/dev/null && { groupdel kumiki 2>/dev/null || true; }
  rm -rf /var/lib/kumiki /etc/kumiki /etc/default/kumiki
  rm -f /etc/systemd/system/multi-user.target.wants/kumiki.service \
    /var/lib/systemd/deb-systemd-helper-enabled/kumiki.service.dsh-also \
    /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/kumiki.service
  state=$(package_state)
  [[ -z $state || $state == not-installed ]] && ! getent passwd kumiki >/dev/null && ! getent group kumiki >/dev/null
}

# What a previous run left (it was killed before its cleanup) is ours to remove; anything else
# named kumiki belongs to someone and stops the test.
if [[ -e $MARKER ]]; then
  say "cleaning up after an interrupted run"
  # The marker holds the pid of the server that run started, if it got that far.
  old_pid=$(cat "$MARKER")
  if [[ -n $old_pid && $(ps -o user=,comm= -p "$old_pid" 2>/dev/null | tr -s ' ') == "kumiki kumiki" ]]; then
    kill -KILL "$old_pid"
    for _ in $(seq 1 50); do
      [[ $(ps -o stat= -p "$old_pid" 2>/dev/null) == [^Z]* ]] || break
      sleep 0.1
    done
  fi
  purge_all || fail "could not clean up after an interrupted run (dpkg -l kumiki; getent passwd kumiki)"
  rm -f "$MARKER"
fi
state=$(package_state)
if [[ -n $state && $state != not-installed ]]; then
  fail "a kumiki package is installed here ($state); this test would purge it and /var/lib/kumiki"
fi
getent passwd kumiki >/dev/null && fail "a kumiki user exists without the package; remove it first (userdel kumiki)"
getent group kumiki >/dev/null && fail "a kumiki group exists without the package; remove it first (groupdel kumiki)"
[[ -e /var/lib/kumiki ]] && fail "/var/lib/kumiki exists without the package; move it away first"

TMP=$(mktemp -d /tmp/kumiki-package-test.XXXXXX)
SERVER_LOG=$TMP/server.log
PURGE_LOG=$TMP/purge.log
RUNNER_PID=""
SERVER_PID=""
SERVER_EXIT=""
# Stops the server as systemd does: SIGTERM to the main process, which finishes its requests and
# exits; runuser then reaps it and exits with its status (kept in SERVER_EXIT).
stop_server() {
  [[ -n $RUNNER_PID ]] || return 0
  kill -TERM "${SERVER_PID:-$RUNNER_PID}" 2>/dev/null || true
  for _ in $(seq 1 150); do
    kill -0 "$RUNNER_PID" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$RUNNER_PID" 2>/dev/null; then
    echo "package test: the server did not stop within 30 s of SIGTERM; killing it" >&2
    [[ -z $SERVER_PID ]] || kill -KILL "$SERVER_PID" 2>/dev/null || true
    kill -KILL "$RUNNER_PID" 2>/dev/null || true
  fi
  if wait "$RUNNER_PID" 2>/dev/null; then SERVER_EXIT=0; else SERVER_EXIT=$?; fi
  RUNNER_PID=""
}
cleanup() {
  local rc=$?
  trap - EXIT
  stop_server
  if [[ -e $MARKER ]]; then
    if purge_all; then rm -f "$MARKER"; else echo "package test: cleanup left kumiki behind" >&2; rc=1; fi
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build -------------------------------------------------------------------------------------
say "building the package from $BIN"
# gzip: the test's package is built and unpacked once; xz would spend a minute on a debug binary.
DEB=$(KUMIKI_DEB_COMPRESSION=gzip "$ROOT/packaging/deb/build.sh" --binary "$BIN" --out "$TMP" | tail -n 1)
[[ -f $DEB ]] || fail "build.sh made no package"
VERSION=$(dpkg-deb -f "$DEB" Version)
say "built $(basename "$DEB") ($(du -h "$DEB" | cut -f1)); Depends: $(dpkg-deb -f "$DEB" Depends)"
CONTENTS=$(dpkg-deb -c "$DEB" | awk '{print $1, $2, $NF}')
for want in "-rwxr-xr-x root/root ./usr/bin/kumiki" \
  "-rw-r--r-- root/root ./lib/systemd/system/kumiki.service" \
  "-rw-r----- root/root ./etc/kumiki/kumiki.toml" \
  "-rw------- root/root ./etc/default/kumiki" \
  "-rw-r--r-- root/root ./usr/share/doc/kumiki/copyright" \
  "-rw-r--r-- root/root ./usr/share/doc/kumiki/changelog.Debian.gz"; do
  grep -qxF -- "$want" <<<"$CONTENTS" || fail "the package lacks: $want"
done
[[ $(dpkg-deb -f "$DEB" Recommends) == mecab-ipadic ]] || fail "Recommends is not mecab-ipadic"
dpkg-deb -f "$DEB" Depends | grep -q 'libc6 (>=' || fail "Depends names no libc6 version"

# --- install -----------------------------------------------------------------------------------
touch "$MARKER"
say "dpkg -i"
DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB" </dev/null >"$TMP/install.log" 2>&1 \
  || { cat "$TMP/install.log" >&2; fail "dpkg -i failed"; }
[[ $(dpkg-query -W -f='${Status} ${Version}' kumiki) == "install ok installed $VERSION" ]] \
  || fail "kumiki is not installed: $(dpkg-query -W -f='${Status}' kumiki)"

mode_of() { stat -c '%a %U %G' "$1"; }
check_mode() { [[ $(mode_of "$1") == "$2" ]] || fail "$1 is $(mode_of "$1"), want $2"; }
check_installed() {
  check_mode /usr/bin/kumiki "755 root root"
  check_mode /lib/systemd/system/kumiki.service "644 root root"
  check_mode /etc/kumiki/kumiki.toml "640 root kumiki"
  check_mode /etc/default/kumiki "600 root root"
  check_mode /var/lib/kumiki "750 kumiki kumiki"
  local pw
  pw=$(getent passwd kumiki) || fail "no kumiki user"
  IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
  [[ $uid -lt 1000 ]] || fail "kumiki is not a system user (uid $uid)"
  [[ $(getent group kumiki | cut -d: -f3) == "$gid" ]] || fail "kumiki's primary group is not kumiki"
  [[ $home == /var/lib/kumiki ]] || fail "kumiki's home is $home"
  [[ $shell == */nologin || $shell == /bin/false ]] || fail "kumiki has a login shell: $shell"
  [[ $(readlink /etc/systemd/system/multi-user.target.wants/kumiki.service) == /lib/systemd/system/kumiki.service ]] \
    || fail "kumiki.service is not enabled (no multi-user.target.wants link)"
}
check_installed
dpkg-query -W -f='${Conffiles}\n' kumiki | grep -q ' /etc/kumiki/kumiki.toml ' || fail "kumiki.toml is not a conffile"
dpkg-query -W -f='${Conffiles}\n' kumiki | grep -q ' /etc/default/kumiki ' || fail "/etc/default/kumiki is not a conffile"
settings=$(grep -vE '^[[:space:]]*(#|$)' /etc/kumiki/kumiki.toml)
[[ $settings == 'data_dir = "/var/lib/kumiki"' ]] || fail "kumiki.toml sets more than data_dir: $settings"
/usr/bin/kumiki --version | grep -qF "${VERSION%-*}" || fail "kumiki --version does not say ${VERSION%-*}"
analyze=$(systemd-analyze verify /lib/systemd/system/kumiki.service 2>&1) || fail "systemd-analyze verify: $analyze"
[[ -z $analyze ]] || fail "systemd-analyze verify warns: $analyze"

# Reinstalling (an upgrade to the same version) keeps an edited conffile, and postinst runs again
# over an existing user and data directory.
echo "# kept by the package test" >>/etc/default/kumiki
DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB" </dev/null >"$TMP/reinstall.log" 2>&1 \
  || { cat "$TMP/reinstall.log" >&2; fail "installing over the installed package failed"; }
grep -qx '# kept by the package test' /etc/default/kumiki || fail "reinstalling replaced the edited /etc/default/kumiki"
check_installed
say "installed: files, modes, conffiles, the kumiki user, the enabled unit; a reinstall kept the edited conffile"

# --- start as the unit says --------------------------------------------------------------------
UNIT=/lib/systemd/system/kumiki.service
unit_values() { sed -n "s/^$1=//p" "$UNIT"; }
EXEC=$(unit_values ExecStart)
[[ $(wc -l <<<"$EXEC") -eq 1 && -n $EXEC ]] || fail "the unit has not exactly one ExecStart"
[[ $EXEC != [-@:+!]* ]] || fail "ExecStart prefixes are not supported by this test: $EXEC"
RUN_USER=$(unit_values User)
RUN_GROUP=$(unit_values Group)
WORKDIR=$(unit_values WorkingDirectory)
UMASK=$(unit_values UMask)
[[ $RUN_USER == kumiki && $RUN_GROUP == kumiki ]] || fail "the unit runs as $RUN_USER:$RUN_GROUP"
# The environment systemd would give: a few basics, Environment= lines, then the EnvironmentFile.
ENV=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "HOME=$(getent passwd kumiki | cut -d: -f6)"
  USER=kumiki LOGNAME=kumiki SHELL=/usr/sbin/nologin)
while read -r line; do
  [[ $line != *[\"\'\\]* ]] || fail "quoted Environment= values are not supported by this test: $line"
  read -ra words <<<"$line"
  ENV+=("${words[@]}")
done < <(unit_values Environment)
while read -r file; do
  file=${file#-}
  [[ -f $file ]] || continue
  while IFS= read -r line; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    [[ $line =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || fail "$file: not KEY=value: $line"
    ENV+=("$line")
  done <"$file"
done < <(unit_values EnvironmentFile)
printf '%s\n' "${ENV[@]}" | grep -qx 'KUMIKI_DATA_DIR=/var/lib/kumiki' || fail "the unit does not set KUMIKI_DATA_DIR=/var/lib/kumiki"

PORT=""
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 40000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[[ -n $PORT ]] || fail "no free port"
PASSWORD="package-test-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
read -ra COMMAND <<<"$EXEC"
say "starting as the unit says: runuser -u $RUN_USER -g $RUN_GROUP -- $EXEC (in ${WORKDIR:-/}, umask ${UMASK:-0022}, port $PORT)"
(
  cd "${WORKDIR:-/}"
  umask "${UMASK:-0022}"
  exec 9>&- # the server must not hold this test's lock
  exec runuser -u "$RUN_USER" -g "$RUN_GROUP" -- env -i "${ENV[@]}" KUMIKI_PORT="$PORT" \
    KUMIKI_ADMIN_PASSWORD="$PASSWORD" KUMIKI_NO_EXAMPLES=true KUMIKI_SEARCH_DICTIONARY=off RUST_LOG=info \
    "${COMMAND[@]}"
) </dev/null >"$SERVER_LOG" 2>&1 &
RUNNER_PID=$!
BASE=http://localhost:$PORT
up=false
for _ in $(seq 1 240); do
  kill -0 "$RUNNER_PID" 2>/dev/null || fail "the server exited during startup"
  if [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz" || true) == 200 ]]; then up=true; break; fi
  sleep 0.5
done
$up || fail "/healthz did not answer 200 within 120 s"
# runuser forks the command (for its PAM session), unless it ran it in its own place.
SERVER_PID=$(pgrep -P "$RUNNER_PID" || echo "$RUNNER_PID")
[[ $(ps -o comm= -p "$SERVER_PID") == kumiki ]] || fail "no kumiki process under runuser"
echo "$SERVER_PID" >"$MARKER"
[[ $(ps -o user= -p "$SERVER_PID" | tr -d ' ') == kumiki ]] || fail "the server does not run as kumiki"
check_mode /var/lib/kumiki/kumiki.db "640 kumiki kumiki"
check_mode /var/lib/kumiki/jwt.key "600 kumiki kumiki"
say "/healthz answers; the server runs as kumiki with its database in /var/lib/kumiki"

# --- sign in through the form ------------------------------------------------------------------
JAR=$TMP/cookies
code=$(curl -sS -c "$JAR" -b "$JAR" -o "$TMP/login.html" -w '%{http_code}' "$BASE/login")
[[ $code == 200 ]] || fail "GET /login answered $code"
CSRF=$(sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' "$TMP/login.html" | head -n 1)
[[ -n $CSRF ]] || fail "no _csrf field on the sign-in page"
grep -q 'login_csrf' "$JAR" || fail "no sign-in CSRF cookie was set"
code=$(curl -sS -c "$JAR" -b "$JAR" -o "$TMP/post.html" -D "$TMP/post.headers" -w '%{http_code}' \
  --data-urlencode login=Administrator --data-urlencode "password=$PASSWORD" --data-urlencode "_csrf=$CSRF" \
  "$BASE/login")
[[ $code == 303 || $code == 302 ]] || fail "POST /login answered $code, not a redirect (wrong password or CSRF?)"
location=$(sed -n 's/^[Ll]ocation: *//p' "$TMP/post.headers" | tr -d '\r')
[[ $location == / || $location == "$BASE/" ]] || fail "POST /login redirected to $location, not /"
grep -q 'kumiki_session' "$JAR" || fail "no session cookie after signing in"
code=$(curl -sS -b "$JAR" -o "$TMP/portal.html" -w '%{http_code}' "$BASE/")
[[ $code == 200 ]] || fail "GET / answered $code"
grep -q 'id="portal-unread"' "$TMP/portal.html" && grep -qE '<h1>(ポータル|Portal)</h1>' "$TMP/portal.html" \
  || fail "GET / is not the portal"
say "signed in as Administrator through the form; / is the portal"

# --- the kintone API with the password header ---------------------------------------------------
AUTH=$(printf 'Administrator:%s' "$PASSWORD" | base64 -w0)
code=$(curl -sS -H "X-Cybozu-Authorization: $AUTH" -o "$TMP/apps.json" -w '%{http_code}' "$BASE/k/v1/apps.json")
[[ $code == 200 ]] || fail "GET /k/v1/apps.json answered $code"
grep -q '"apps"' "$TMP/apps.json" || fail "apps.json has no apps list: $(head -c 200 "$TMP/apps.json")"
say "GET /k/v1/apps.json with X-Cybozu-Authorization answers 200"

# --- stop, purge, nothing left ------------------------------------------------------------------
KUMIKI_UID=$(id -u kumiki)
stop_server
[[ $SERVER_EXIT == 0 ]] || fail "the server exited with status $SERVER_EXIT after SIGTERM (systemd would count a failure)"
say "the server stopped on SIGTERM with status 0"
say "dpkg --purge"
dpkg --purge kumiki >"$PURGE_LOG" 2>&1 || { cat "$PURGE_LOG" >&2; fail "dpkg --purge failed"; }
state=$(package_state)
[[ -z $state || $state == not-installed ]] || fail "kumiki is still known to dpkg after purge ($state)"
getent passwd kumiki >/dev/null && fail "the kumiki user is still there after purge"
pgrep -U "$KUMIKI_UID" >/dev/null && fail "processes of the removed kumiki user (uid $KUMIKI_UID) still run"
getent group kumiki >/dev/null && fail "the kumiki group is still there after purge"
for path in /var/lib/kumiki /etc/kumiki /etc/default/kumiki /usr/bin/kumiki /lib/systemd/system/kumiki.service \
  /usr/share/doc/kumiki /etc/systemd/system/multi-user.target.wants/kumiki.service \
  /var/lib/systemd/deb-systemd-helper-enabled/kumiki.service.dsh-also; do
  [[ ! -e $path && ! -L $path ]] || fail "$path is still there after purge"
done
rm -f "$MARKER"
say "purged: no package, no kumiki user or group, no /var/lib/kumiki"
say "passed"
