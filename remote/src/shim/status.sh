# Mode `status`: where the host's login stands, read-only. codex is asked with the user's own
# credential store setting, not the file store a sign-in forces. Then its copies in containers
# here, and the keeper (held.sh).
# needs: claims_of held report_login say store_setting $auth

say store "$(store_setting)"
report_login
if [ -f "$auth" ]; then
    exp=$(claims_of access_token "$auth" | sed -n 's/.*"exp"[[:space:]]*:[[:space:]]*\([0-9]*\).*/\1/p' | head -n 1)
    say expires "${exp:--}" "$(date +%s)"
fi
held
say done
