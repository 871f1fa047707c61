/* Stand-in for the libc header ring's C code includes (type-check only: nothing is linked). */
#pragma once
#define assert(x) ((void)0)
