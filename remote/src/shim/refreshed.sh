# When a login was last refreshed, for `containers` and `collect`: its text, carried as
# $refreshed_sh, also runs inside containers (prepended to the program each one's shell
# runs), and is evaluated here for the host.
# provides: later refreshed $at $body

# `refreshed FILE` sets `at` to when the login in FILE was last refreshed, as the digits
# YYYYMMDDhhmmss, or - when it does not say. Shell builtins only: it also runs inside
# containers, which may have nothing but a shell, and each process there costs time.
refreshed() {
    body=
    while IFS= read -r line || [ -n "$line" ]; do body="$body$line"; done 2>/dev/null <"$1"
    at=${body#*\"last_refresh\"}
    [ "$at" != "$body" ] || { at=-; return; }
    at=${at#"${at%%[!	 :]*}"}
    case $at in \"*) ;; *) at=-; return ;; esac
    at=${at#\"}; at=${at%%\"*}; at=${at%%.*}; at=${at%Z}; at=${at%+00:00}
    old_ifs=$IFS; IFS=-T:; set -f; set -- $at; IFS=$old_ifs; set +f
    at=$1$2$3$4$5$6
    case $at in *[!0-9]*) at=- ;; *) [ ${#at} -eq 14 ] || at=- ;; esac
}
# `later A B`: whether digits A are later than digits B. Date and time apart: some shells
# count in 32 bits, and a comparison that failed would overwrite a fresher login.
later() {
    [ "${1%??????}" -gt "${2%??????}" ] ||
        { [ "${1%??????}" -eq "${2%??????}" ] && [ "1${1#????????}" -gt "1${2#????????}" ]; }
}
