# codex-remote-login relay: joins this exec channel's stdin/stdout to 127.0.0.1:$CRL_PORT on
# the host, for hosts whose sshd forbids TCP forwarding. The local side prepends CRL_PORT and
# CRL_RELAY (a tool the shim found: nc, python3, perl or bash).
# needs: $CRL_PORT $CRL_RELAY
case $CRL_RELAY in
nc)
    exec nc 127.0.0.1 "$CRL_PORT"
    ;;
python3)
    exec python3 -c '
import os, select, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
out = sys.stdout.buffer
while True:
    ready = select.select([0, s], [], [])[0]
    if 0 in ready:
        data = os.read(0, 65536)
        if not data:
            break
        s.sendall(data)
    if s in ready:
        data = s.recv(65536)
        if not data:
            break
        out.write(data)
        out.flush()
' "$CRL_PORT"
    ;;
perl)
    exec perl -MIO::Socket::INET -MIO::Select -e '
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0], Proto => "tcp") or exit 1;
my $sel = IO::Select->new(\*STDIN, $s);
sub put { my ($fh, $buf) = @_; while (length $buf) { my $n = syswrite($fh, $buf) or exit 0; substr($buf, 0, $n) = "" } }
while (my @ready = $sel->can_read) {
    for my $fh (@ready) {
        my $n = sysread($fh, my $buf, 65536);
        exit 0 unless $n;
        put($fh == $s ? \*STDOUT : $s, $buf);
    }
}
' "$CRL_PORT"
    ;;
bash)
    exec bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1; cat <&3 & cat >&3; kill $! 2>/dev/null' relay "$CRL_PORT"
    ;;
esac
echo "codex-remote-login relay: unknown tool $CRL_RELAY" >&2
exit 1
