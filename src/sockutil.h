/* sockutil.h - small helpers shared by the sockconf reference programs.
 *
 * Name resolution as the tutorial does it (dotted quad first, then
 * gethostbyname), full reads and writes, strict number parsing, a bounded
 * line reader and error reporting that names the failing call.
 */
#ifndef SOCKUTIL_H
#define SOCKUTIL_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <netinet/in.h>

/* exit(-1) in the tutorial's listings: the shell sees 255. */
#define EXIT_MINUS_ONE 255

/* Resolve NAME to an IPv4 address: a dotted quad is taken as is, anything
 * else goes through gethostbyname().  Returns 0 on success; on failure
 * returns -1 and stores h_errno in *herr.  *looked_up tells whether
 * gethostbyname() was used (the tutorial prints extra lines then). */
int resolve_ipv4(const char *name, struct in_addr *addr, int *herr, int *looked_up);

/* Read exactly LEN bytes unless end of file or an error comes first.
 * Returns the number of bytes read (short only at end of file), or -1 on
 * error with errno set.  EINTR is retried. */
ssize_t read_full(int fd, void *buf, size_t len);

/* Write all LEN bytes.  Returns LEN, or -1 on error with errno set.
 * Uses send(MSG_NOSIGNAL) on sockets so a closed peer is an error, not a
 * SIGPIPE; falls back to write() on other descriptors. */
ssize_t write_full(int fd, const void *buf, size_t len);

/* Parse TEXT as a decimal integer in [MIN, MAX], with no sign games, no
 * leading or trailing garbage.  Returns 0 and stores it in *value, or -1. */
int parse_long(const char *text, long min, long max, long *value);

/* Outcome of read_line(). */
enum line_status { LINE_OK, LINE_TOO_LONG, LINE_EOF, LINE_ERROR };

/* Read one line from IN into BUF (capacity CAP, at least 2) without its
 * newline, NUL-terminated.  A line of CAP or more characters is
 * LINE_TOO_LONG (the rest of it is consumed); end of input before any
 * character is LINE_EOF; a last line without newline is LINE_OK. */
enum line_status read_line(FILE *in, char *buf, size_t cap);

/* Length of the text in BUF: up to the first NUL, never past LEN bytes.
 * Used to print a received buffer as "%.*s" without reading past it. */
int text_length(const char *buf, size_t len);

/* The interface address the multicast listings hard-code. */
#define TUTORIAL_INTERFACE "203.106.93.94"

/* The local interface of the multicast programs: argv[1] when given, else
 * TUTORIAL_INTERFACE.  More than one argument, or one that is not an IPv4
 * address, prints "Usage: NAME [local interface IPv4 address]", exit(1). */
struct in_addr mcast_interface(int argc, char *argv[]);

/* ADDR set to INADDR_ANY:PORT, family AF_INET, the rest zero. */
void any_address(struct sockaddr_in *addr, int port);

/* A client's ADDR: NAME (resolve_ipv4, same results) and PORT, family
 * AF_INET, the rest zero. */
int server_address(const char *name, int port, struct sockaddr_in *addr, int *herr, int *looked_up);

/* Bind SD to INADDR_ANY:PORT; on failure die_errno(WHAT, STATUS). */
void bind_any(int sd, int port, const char *what, int status);

/* After a failed write, as the TCP listings do: perror(LABEL) with errno
 * set to the socket's SO_ERROR, whenever SO_ERROR can be read (also when
 * it is 0, which prints "LABEL: Success"). */
void report_so_error(int sd, const char *label);

/* perror(WHAT) and exit with STATUS: the one way every program reports a
 * failed call.  The listings close their sockets before exit(-1); exit()
 * closes them all the same. */
void die_errno(const char *what, int status) __attribute__((noreturn));

#endif
