/* Wine 8 (Debian 12) lacks ProcessPrng, which Rust's std (1.78+) imports from
   bcryptprimitives.dll to seed its randomness: without it a Rust .exe does not start (exit 53).
   This stand-in DLL exports ProcessPrng and forwards to RtlGenRandom (advapi32's
   SystemFunction036), the generator Windows had before ProcessPrng. Test use only: it is
   copied into a throwaway WINEPREFIX by scripts/cross-check, never shipped. */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
