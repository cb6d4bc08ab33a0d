/* A stand-in for Windows' bcryptprimitives.dll, for running the Windows build under Wine 8 on
 * Linux only (scripts/windows copies it into the test Wine prefix; it never ships). Rust's
 * standard library (1.78 on) takes its randomness from ProcessPrng in that DLL, which Wine 8
 * lacks: every Rust program would fail to start (status c0000135). This forwards ProcessPrng
 * to advapi32's SystemFunction036 (RtlGenRandom), which Wine implements over the host's
 * random source. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    /* RtlGenRandom takes a 32-bit length; ProcessPrng a pointer-sized one. */
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
