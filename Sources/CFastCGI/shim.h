#include <fcgiapp.h>
#include <sys/prctl.h>
#include <signal.h>
/* epoll, for the request threads (ConnectionPoller); Swift's Glibc module does not bring it in. */
#include <sys/epoll.h>

/* prctl is variadic, so Swift cannot call it directly: workers use this to die with their master. */
static inline int gomoku_die_with_parent(int signal_number) {
    return prctl(PR_SET_PDEATHSIG, signal_number);
}

