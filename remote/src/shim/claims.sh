# Reading a JWT's claims in the shell alone (sed and base64), for the common part and for the
# keeper, which runs apart from any job: carried as $claims_sh.
# provides: claims_of

# The decoded claims of the JWT in field $1 of auth.json $2 (empty if none).
claims_of() {
    field=$1 file=$2
    payload=$(sed -n "s/.*\"$field\"[[:space:]]*:[[:space:]]*\"[^\".]*\\.\\([^\".]*\\)\\..*/\\1/p" "$file" | head -n 1)
    [ -n "$payload" ] || return 0
    pad=$(( (4 - ${#payload} % 4) % 4 ))
    while [ "$pad" -gt 0 ]; do payload="$payload="; pad=$((pad - 1)); done
    tr '_-' '/+' <<EOF | { base64 -d 2>/dev/null || base64 -D 2>/dev/null; }
$payload
EOF
}
