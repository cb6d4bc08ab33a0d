# codex-remote-login, into a container: runs $CRL_INNER (the shim, or a relay) inside the
# running container $CRL_INSIDE on this host, through whichever of docker and podman knows it
# (or $CRL_ENGINE). The exec's stdin, stdout and stderr are this channel's, so the program
# inside speaks to the local side as it would on the host; closing stdin ends it there too.
for e in ${CRL_ENGINE:-docker podman}; do
    if command -v "$e" >/dev/null 2>&1 &&
        [ "$("$e" inspect --type container --format '{{.State.Running}}' "$CRL_INSIDE" 2>/dev/null)" = true ]; then
        exec "$e" exec -i "$CRL_INSIDE" sh -c "$CRL_INNER"
    fi
done
printf 'crl1 ctr-failed %s %s\n' "$CRL_INSIDE" "no running container of that name for ${CRL_ENGINE:-docker or podman} on this host"
exit 1
