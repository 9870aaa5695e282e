// Test-only allocation counter: interposes malloc and friends for the whole test process and
// counts the calls made by one chosen thread (by kernel thread id), so a test can prove that
// the worker's hot path allocates nothing.
#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H
#include <stdint.h>
/// Starts counting allocations made by the thread whose gettid() is `tid` and resets the count.
void malloc_counter_track(int tid);
/// Allocations counted since the last malloc_counter_track.
uint64_t malloc_counter_count(void);
/// Prints a backtrace (to stderr) for each of the next `n` counted allocations.
void malloc_counter_trace(int n);
#endif
