# Mode `status`: where the host's login stands, read-only. codex is asked with the user's own
# credential store setting, not the file store a sign-in forces.

say store "$(store_setting)"
if "$codex" login status >/dev/null 2>&1; then
    say status logged-in
else
    say status not-logged-in
fi
if [ -f "$auth" ]; then
    say authfile "$(ls -ln "$auth" | cut -c 1-10)" "$auth"
    account_of account "$auth"
    exp=$(claims_of access_token "$auth" | sed -n 's/.*"exp"[[:space:]]*:[[:space:]]*\([0-9]*\).*/\1/p' | head -n 1)
    say expires "${exp:--}" "$(date +%s)"
else
    say authfile missing "$auth"
fi
say done
