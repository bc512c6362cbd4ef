/* A preload library that moves the wall clock (CLOCK_REALTIME and what reads it) by
 * CLOCKSHIFT_S seconds and leaves every other clock alone, so that a whole test run, with the
 * processes it starts, sees another date while sleeps, timed waits and timeouts (which run on
 * the monotonic clock) behave as they do without it. scripts/with_date.sh builds and uses it.
 *
 * Why not libfaketime: Debian's 0.9.10 also moves the monotonic clock, under which a timed
 * wait (threading.Event.wait(1.0)) never returns; told to leave the monotonic clock alone,
 * it makes time.sleep fail with EINVAL. Its "start at" form restarts the date in each child
 * process, so a server started later than the test that talks to it lives in its past. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long shift_s(void) {
    static int done;
    static long shift;
    if (!done) {
        const char *s = getenv("CLOCKSHIFT_S");
        shift = s ? strtol(s, NULL, 10) : 0;
        done = 1;
    }
    return shift;
}

static int is_wall(clockid_t id) {
    return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI;
}

int clock_gettime(clockid_t id, struct timespec *tp) {
    static int (*real)(clockid_t, struct timespec *);
    if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    int rc = real(id, tp);
    if (rc == 0 && tp && is_wall(id)) tp->tv_sec += shift_s();
    return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    static int (*real)(struct timeval *restrict, void *restrict);
    if (!real) real = (int (*)(struct timeval *restrict, void *restrict))dlsym(RTLD_NEXT, "gettimeofday");
    int rc = real(tv, tz);
    if (rc == 0 && tv) tv->tv_sec += shift_s();
    return rc;
}

time_t time(time_t *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}

int timespec_get(struct timespec *ts, int base) {
    if (base != TIME_UTC || clock_gettime(CLOCK_REALTIME, ts) != 0) return 0;
    return base;
}
