# Mode `containers`: the host's login copied into containers on this host, all at once: an
# access-only copy (access.sh), which no container can rotate, or with $CRL_SHARE_REFRESH the
# whole auth.json, refresh token included. For each container in $CRL_CONTAINERS: the engine that knows it (docker or podman, or
# $CRL_ENGINE), the user it runs as, and where that user's codex keeps its login (asked of
# the container itself: its CODEX_HOME, else its HOME's .codex). The file is written beside
# the old one as that user, private, and renamed into place, the old one kept as a backup; a
# copy refreshed more recently than the host's is left alone unless $CRL_FORCE. The token
# travels on the exec's stdin, never in a command line. With $CRL_KEEP this is a round of the
# keeper (keeper_loop.sh): a container already holding this copy is left be (`ctr-same`), and
# one holding a login with a refresh token (its own, or a whole copy) is never written over
# (`ctr-own`).
# needs: access_only capped each_container engine_exec engine_of engine_read engine_unpack
# needs: keep_theirs place_of refreshed say store_setting valid_login why $CRL_FORCE $CRL_KEEP
# needs: $CRL_SHARE_REFRESH $at $auth $cap $codes_sh $ctr_copy_sh $dir $errs $exit_declined
# needs: $exit_not_found $exit_not_runnable $gid $host_at $id $json_tool $kdir $refreshed_sh
# needs: $running $safe_sh $uid $why
# provides: archive by_archive into kept_in $e

# A host whose codex keeps its login in the OS keyring: an auth.json here, if any, is not the
# login its codex uses, and copying it would spread a stale one.
[ "$(store_setting)" != keyring ] || { say ctr-keyring; say done; exit 1; }
# The host must have a login to copy in.
[ -f "$auth" ] || { say ctr-nologin "$auth"; say done; exit 1; }
valid_login "$auth" || { say ctr-badlogin "$auth"; say done; exit 1; }

# What goes in: $copy, a login of $kind `access` (access-only), `apikey` or `full`.
if [ -n "${CRL_SHARE_REFRESH:-}" ]; then
    copy=$auth kind=full
    grep -q '"tokens"[[:space:]]*:[[:space:]]*{' "$auth" || kind=apikey
else
    copy=$errs/.copy
    kind=$(access_only "$auth" "$copy") || {
        if [ -z "$json_tool" ]; then
            say ctr-noaccess
        else
            say ctr-badlogin "$auth"
        fi
        say done
        exit 1
    }
fi
# What tells this copy from the last round's, for the keeper ($CRL_KEEP).
copy_sum=$(cksum <"$copy" | cut -d ' ' -f 1)

into() {
    c=$1
    case ${2:-} in
    known) ;;
    bad) say ctr-failed "$c" "$why"; return ;;
    *) engine_of "$c" || { say ctr-failed "$c" "$why"; return; } ;;
    esac
    # A round of the keeper: nothing to do where this very copy went into this very container
    # (the same id) on an earlier round.
    if [ -n "${CRL_KEEP:-}" ] && grep -qxF "$c $id $copy_sum" "$kdir/written" 2>/dev/null; then
        kept_in "$c"
        say ctr-same "$c"
        return
    fi
    if [ "$running" != true ]; then
        by_archive "$c" "$e" "$user"
        return
    fi
    # One exec does it all, inside the container as its user (ctr_copy.sh): engine execs are
    # what fanning out costs, and then the processes inside, so the checks use the shell
    # alone. A container without a shell (126, 127) goes by the archive copy. What it answers,
    # and its complaints, are cut short: the container is not trusted.
    capped "$errs/$c.out" "$errs/$c" engine_exec -i "$user" "$c" sh -c "$codes_sh
$refreshed_sh
$safe_sh
$ctr_copy_sh" sh "$host_at" "$stamp" "${CRL_FORCE:-}" "${CRL_KEEP:-}" <"$copy"
    case $? in
    0) ;;
    "$exit_not_runnable" | "$exit_not_found") by_archive "$c" "$e" "$user"; return ;;
    "$exit_declined") say ctr-failed "$c" "refused to write as $user: $(why "$c")"; return ;;
    *) say ctr-failed "$c" "writing its auth.json as $user failed: $(why "$c")"; return ;;
    esac
    result=$(head -n 1 "$errs/$c.out")
    case $result in
    "fresher "*) say ctr-fresher "$c" "$e" "$user" "${result#fresher }" ;;
    "own "*) say ctr-own "$c" "$e" "$user" "${result#own }" ;;
    "copied "*)
        result=${result#copied }
        kept_in "$c"
        say ctr-copied "$c" "$e" "$user" "$kind" "${result%% *}" "${result#* }"
        ;;
    *) say ctr-failed "$c" "its shell answered something unexpected" ;;
    esac
}

# A stopped container, or one without a shell: the engine's archive copy (`cp -`), which
# needs no process in the container. Where the login goes comes from the container's settings
# and its /etc/passwd; the archive carries the directory and file as the container's user
# (0700, 0600) and the old file as the backup. The engine extracts it in place: not an atomic
# rename, which the result says.
by_archive() {
    c=$1 e=$2 user=$3
    place_of "$c" "$e" "$user" || { say ctr-failed "$c" "$why"; return; }
    old="$errs/$c.old"
    # Both engines' copies resolve a link at auth.json (so one cannot be seen from here), and
    # their extraction replaces a link rather than writing through it (checked with podman
    # 4 and docker's CLI on podman's API).
    engine_read "$c" "$dir/auth.json" | head -c $((cap + 1)) >"$old"
    refreshed "$old"
    if keep_theirs "$at"; then
        say ctr-fresher "$c" "$e" "$user" "$dir"
        return
    fi
    if [ -n "${CRL_KEEP:-}" ] && grep -q '"refresh_token"[[:space:]]*:[[:space:]]*"[^"]' "$old"; then
        say ctr-own "$c" "$e" "$user" "$dir"
        return
    fi
    kept=$stamp
    [ -s "$old" ] || kept=-
    archive "$dir" "$uid" "$gid" "$kept" "$old" <"$copy" >"$errs/$c.tar" 2>"$errs/$c" || {
        say ctr-failed "$c" "this host has neither python3 nor perl to build the archive with"
        return
    }
    engine_unpack "$c" "${dir%/*}" <"$errs/$c.tar" 2>"$errs/$c" || {
        say ctr-failed "$c" "$e cp into it failed: $(why "$c")"
        return
    }
    kept_in "$c"
    say ctr-archived "$c"
    say ctr-copied "$c" "$e" "$user" "$kind" "$kept" "$dir"
}

# A tar stream on stdout: directory $1's last part (0700) holding auth.json (stdin, 0600) and,
# unless $4 is -, auth.json.bak-$4 (file $5, 0600), all owned by $2:$3.
archive() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c '
import io, sys, tarfile, time
d, uid, gid, stamp, old = sys.argv[1:6]
base = d.rstrip("/").rsplit("/", 1)[-1]
out = tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.PAX_FORMAT)
def add(name, mode, data=None):
    info = tarfile.TarInfo(name)
    info.uid, info.gid, info.mode, info.mtime = int(uid), int(gid), mode, time.time()
    if data is None:
        info.type = tarfile.DIRTYPE
        out.addfile(info)
    else:
        info.size = len(data)
        out.addfile(info, io.BytesIO(data))
add(base, 0o700)
add(base + "/auth.json", 0o600, sys.stdin.buffer.read())
if stamp != "-":
    add(base + "/auth.json.bak-" + stamp, 0o600, open(old, "rb").read())
out.close()
' "$@"
    elif command -v perl >/dev/null 2>&1; then
        perl -MArchive::Tar -e '
my ($d, $uid, $gid, $stamp, $old) = @ARGV;
(my $base = $d) =~ s{/+$}{}; $base =~ s{.*/}{};
local $/; my $new = <STDIN>;
my $tar = Archive::Tar->new;
$tar->add_data($base, "", { type => Archive::Tar::Constant::DIR(), mode => 0700, uid => $uid, gid => $gid });
$tar->add_data("$base/auth.json", $new, { mode => 0600, uid => $uid, gid => $gid });
if ($stamp ne "-") { open(my $f, "<", $old) or exit 1; my $o = <$f>; $tar->add_data("$base/auth.json.bak-$stamp", $o, { mode => 0600, uid => $uid, gid => $gid }) }
binmode STDOUT; print $tar->write;
' "$@"
    else
        return 1
    fi
}

# `kept_in CONTAINER`: on a round of the keeper, that CONTAINER (as it is now, by its id)
# holds this copy: for the next round, which then leaves it be. One short line appended by
# each, all at once: appends of a line do not mix.
kept_in() {
    [ -z "${CRL_KEEP:-}" ] || printf '%s %s %s\n' "$1" "$id" "$copy_sum" >>"$kdir/written.new"
}

# The backups' name, the same in every container. All containers at once: each line of
# output is one short write, so lines do not mix.
stamp=$(date +%Y%m%dT%H%M%S)
each_container into
say done
