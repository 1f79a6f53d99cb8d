/* links.c - interfaces ready (see links.h). */
#define _DEFAULT_SOURCE
#include "links.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Ask NAME's driver for its link state: the kernel then applies a pending carrier change at once, where
 * linkwatch would batch it up to a second later.  A driver that cannot answer is left to linkwatch. */
static void sync_link(int sd, const char *name)
{
    struct ethtool_value value = {.cmd = ETHTOOL_GLINK};
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    ifr.ifr_data = (char *)&value;
    ioctl(sd, SIOCETHTOOL, &ifr);
}

static int running(int sd, const char *name)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    return ioctl(sd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING);
}

const char *links_wait_running(const char **names, int count, double seconds)
{
    double deadline = now() + seconds;
    const char *left = NULL;
    int sd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (sd < 0)
        return count ? names[0] : NULL;
    for (int i = 0; i < count; i++)
        sync_link(sd, names[i]);
    for (;;) {
        left = NULL;
        for (int i = 0; i < count && !left; i++)
            if (!running(sd, names[i]))
                left = names[i];
        if (!left || now() > deadline)
            break;
        usleep(1000);
    }
    close(sd);
    return left;
}
