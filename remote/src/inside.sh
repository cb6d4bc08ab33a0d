# codex-remote-login, into a container: runs $CRL_INNER (the shim, or a relay) inside the
# running container $CRL_INSIDE on this host, through whichever of docker and podman knows it
# (or $CRL_ENGINE). The exec's stdin, stdout and stderr are this channel's, so the program
# inside speaks to the local side as it would on the host; closing stdin ends it there too.
# needs: engine_exec engine_state engines $CRL_ENGINE $CRL_INNER $CRL_INSIDE
# provides: $e
for e in $(engines); do
    # `ID RUNNING "USER"`: the second field.
    if [ "$(engine_state "$CRL_INSIDE" 2>/dev/null | cut -d ' ' -f 2)" = true ]; then
        engine_exec -i "" "$CRL_INSIDE" sh -c "$CRL_INNER"
        exit
    fi
done
printf 'crl1 no-container %s %s\n' "$CRL_INSIDE" "no running container of that name for ${CRL_ENGINE:-docker or podman} on this host"
exit 1
