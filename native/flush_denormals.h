#pragma once
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

// Flush denormals to zero inside a kernel or a session run (moments of unused weights decay into
// the denormal range, where x86 arithmetic is 10–100× slower), restoring the caller's mode
// afterwards so that JavaScript keeps IEEE semantics.
class FlushDenormals {
 public:
#if defined(__SSE__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned int saved_;
#endif
};
