/* test_sockutil.c - CUnit tests of the helpers in src/sockutil.c. */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockutil.h"
#include "unit.h"

/* A dotted quad is taken as is, without a lookup. */
static void test_resolve_dotted_quad(void)
{
    struct in_addr addr;
    int herr = -7, looked_up = -1;

    CU_ASSERT_EQUAL(resolve_ipv4("198.18.0.1", &addr, &herr, &looked_up), 0);
    CU_ASSERT_EQUAL(ntohl(addr.s_addr), 0xC6120001u);
    CU_ASSERT_EQUAL(looked_up, 0);
    CU_ASSERT_EQUAL(herr, -7);
}

/* localhost comes from /etc/hosts through gethostbyname(). */
static void test_server_address(void)
{
    struct sockaddr_in addr;
    int herr = 0, looked_up = 1;

    memset(&addr, 0xff, sizeof(addr));
    CU_ASSERT_EQUAL(server_address("198.18.0.2", 12345, &addr, &herr, &looked_up), 0);
    CU_ASSERT_EQUAL(addr.sin_family, AF_INET);
    CU_ASSERT_EQUAL(ntohs(addr.sin_port), 12345);
    CU_ASSERT_EQUAL(ntohl(addr.sin_addr.s_addr), 0xC6120002u);
    CU_ASSERT_EQUAL(looked_up, 0);
    for (size_t i = 0; i < sizeof(addr.sin_zero); i++)
        CU_ASSERT_EQUAL(addr.sin_zero[i], 0);
}

static void test_resolve_name(void)
{
    struct in_addr addr;
    int herr = 0, looked_up = 0;

    CU_ASSERT_EQUAL(resolve_ipv4("localhost", &addr, &herr, &looked_up), 0);
    CU_ASSERT_EQUAL(looked_up, 1);
    CU_ASSERT_EQUAL(ntohl(addr.s_addr) >> 24, 127u);
}

/* A name that cannot exist fails with an h_errno and a lookup. */
static void test_resolve_failure(void)
{
    struct in_addr addr;
    int herr = 0, looked_up = 0;

    CU_ASSERT_EQUAL(resolve_ipv4("no-such-host.invalid", &addr, &herr, &looked_up), -1);
    CU_ASSERT_EQUAL(looked_up, 1);
    CU_ASSERT_NOT_EQUAL(herr, 0);
}

/* read_full gathers pieces until LEN and stops short only at EOF. */
static void test_read_full_pieces_and_eof(void)
{
    int sv[2];
    char buf[10];

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CU_ASSERT_EQUAL(write(sv[1], "abc", 3), 3);
    CU_ASSERT_EQUAL(write(sv[1], "defg", 4), 4);
    CU_ASSERT_EQUAL(read_full(sv[0], buf, 5), 5);
    CU_ASSERT_EQUAL(memcmp(buf, "abcde", 5), 0);
    close(sv[1]);
    CU_ASSERT_EQUAL(read_full(sv[0], buf, 10), 2);
    CU_ASSERT_EQUAL(memcmp(buf, "fg", 2), 0);
    CU_ASSERT_EQUAL(read_full(sv[0], buf, 10), 0);
    close(sv[0]);
}

/* read_full needs more than one read(): a SEQPACKET socket returns one
 * message per read(), so two messages make a short first read, always. */
static void test_read_full_two_reads(void)
{
    int sv[2];
    char buf[5];

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
    CU_ASSERT_EQUAL(write(sv[1], "abc", 3), 3);
    CU_ASSERT_EQUAL(write(sv[1], "de", 2), 2);
    CU_ASSERT_EQUAL(read_full(sv[0], buf, sizeof(buf)), 5);
    CU_ASSERT_EQUAL(memcmp(buf, "abcde", 5), 0);
    close(sv[1]);
    close(sv[0]);
}

/* read_full reports an error as -1 with errno. */
static void test_read_full_error(void)
{
    char buf[4];

    errno = 0;
    CU_ASSERT_EQUAL(read_full(-1, buf, sizeof(buf)), -1);
    CU_ASSERT_EQUAL(errno, EBADF);
}

/* write_full sends everything, even more than one socket buffer. */
static void test_write_full_large(void)
{
    static char out[300000], in[300000];
    int sv[2];
    pid_t pid;

    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (char)(i * 7);
    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(sv[0]);
        _exit(write_full(sv[1], out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 1);
    }
    close(sv[1]);
    CU_ASSERT_EQUAL(read_full(sv[0], in, sizeof(in)), (ssize_t)sizeof(in));
    CU_ASSERT_EQUAL(memcmp(in, out, sizeof(in)), 0);
    close(sv[0]);
}

/* write_full to a closed socket peer is an error, not a SIGPIPE. */
static void test_write_full_closed_peer(void)
{
    int sv[2];

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    close(sv[1]);
    errno = 0;
    CU_ASSERT_EQUAL(write_full(sv[0], "x", 1), -1);
    CU_ASSERT_EQUAL(errno, EPIPE);
    close(sv[0]);
}

/* parse_long accepts plain decimals in range and nothing else. */
static void test_parse_long(void)
{
    long v = -1;

    CU_ASSERT_EQUAL(parse_long("2", 1, 10, &v), 0);
    CU_ASSERT_EQUAL(v, 2);
    CU_ASSERT_EQUAL(parse_long("10", 1, 10, &v), 0);
    CU_ASSERT_EQUAL(v, 10);
    CU_ASSERT_EQUAL(parse_long("1", 1, 10, &v), 0);
    CU_ASSERT_EQUAL(parse_long("0", 1, 10, &v), -1);
    CU_ASSERT_EQUAL(parse_long("11", 1, 10, &v), -1);
    CU_ASSERT_EQUAL(parse_long("-1", -5, 10, &v), -1);
    CU_ASSERT_EQUAL(parse_long("+3", 1, 10, &v), -1);
    CU_ASSERT_EQUAL(parse_long(" 3", 1, 10, &v), -1);
    CU_ASSERT_EQUAL(parse_long("3x", 1, 10, &v), -1);
    CU_ASSERT_EQUAL(parse_long("", 1, 10, &v), -1);
    CU_ASSERT_EQUAL(parse_long(NULL, 1, 10, &v), -1);
    CU_ASSERT_EQUAL(parse_long("99999999999999999999999", 1, 10, &v), -1);
    CU_ASSERT_EQUAL(v, 1);
}

/* Feed TEXT to read_line through a memory stream with capacity CAP. */
static enum line_status line_of(const char *text, char *buf, size_t cap, FILE **left)
{
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    enum line_status status;

    CU_ASSERT_FATAL(in != NULL);
    status = read_line(in, buf, cap);
    if (left)
        *left = in;
    else
        fclose(in);
    return status;
}

/* read_line: plain lines, the longest that fits, one too long, EOF. */
static void test_read_line(void)
{
    char buf[8];
    FILE *rest;

    CU_ASSERT_EQUAL(line_of("hello\nworld\n", buf, sizeof(buf), NULL), LINE_OK);
    CU_ASSERT_STRING_EQUAL(buf, "hello");
    CU_ASSERT_EQUAL(line_of("1234567\n", buf, sizeof(buf), NULL), LINE_OK);
    CU_ASSERT_STRING_EQUAL(buf, "1234567");
    CU_ASSERT_EQUAL(line_of("12345678\nnext\n", buf, sizeof(buf), &rest), LINE_TOO_LONG);
    CU_ASSERT_EQUAL(strlen(buf), 7u);
    CU_ASSERT_EQUAL(read_line(rest, buf, sizeof(buf)), LINE_OK);
    CU_ASSERT_STRING_EQUAL(buf, "next");
    fclose(rest);
    CU_ASSERT_EQUAL(line_of("\n", buf, sizeof(buf), NULL), LINE_OK);
    CU_ASSERT_STRING_EQUAL(buf, "");
    CU_ASSERT_EQUAL(line_of("", buf, sizeof(buf), NULL), LINE_EOF);
    CU_ASSERT_EQUAL(line_of("tail", buf, sizeof(buf), NULL), LINE_OK);
    CU_ASSERT_STRING_EQUAL(buf, "tail");
}

/* text_length stops at the first NUL and never past LEN. */
static void test_text_length(void)
{
    CU_ASSERT_EQUAL(text_length("abc\0def", 7), 3);
    CU_ASSERT_EQUAL(text_length("abcdef", 4), 4);
    CU_ASSERT_EQUAL(text_length("\0", 1), 0);
    CU_ASSERT_EQUAL(text_length("", 0), 0);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"resolve_ipv4 dotted quad", test_resolve_dotted_quad},
        {"resolve_ipv4 name", test_resolve_name},
        {"server_address", test_server_address},
        {"resolve_ipv4 failure", test_resolve_failure},
        {"read_full pieces and EOF", test_read_full_pieces_and_eof},
        {"read_full two reads", test_read_full_two_reads},
        {"read_full error", test_read_full_error},
        {"write_full large", test_write_full_large},
        {"write_full closed peer", test_write_full_closed_peer},
        {"parse_long", test_parse_long},
        {"read_line", test_read_line},
        {"text_length", test_text_length},
        CU_TEST_INFO_NULL};

    return unit_run("sockutil", tests);
}
