/* links.h - interfaces ready: RUNNING (their carrier on), in the calling
 * thread's network namespace. */
#ifndef SOCKCONF_LINKS_H
#define SOCKCONF_LINKS_H

/* Wait until each of the COUNT interfaces NAMES is RUNNING, at most SECONDS: NULL, or the first that is not. */
const char *links_wait_running(const char **names, int count, double seconds);

#endif
