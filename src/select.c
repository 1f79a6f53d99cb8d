/* select.c - multi-user chat server on port 2020 using select().
 *
 * Every line a client sends is relayed to all other connected clients.
 * Console lines follow the tutorial's select.c listing; see tests/SPEC.md.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockutil.h"

#define PORT 2020
#define BACKLOG 10
#define CHAT_BUFSIZE 1024

/* The chat room: every descriptor select() watches, and the largest. */
struct room {
    fd_set members;
    int fdmax;
    int listener;
};

/* Create the listening socket: socket, SO_REUSEADDR, bind, listen. */
static int open_listener(void)
{
    int yes = 1;
    int listener = socket(AF_INET, SOCK_STREAM, 0);

    if (listener == -1)
        die_errno("Server-socket() error lol!", 1);
    printf("Server-socket() is OK...\n");
    if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes)) == -1)
        die_errno("Server-setsockopt() error lol!", 1);
    printf("Server-setsockopt() is OK...\n");
    bind_any(listener, PORT, "Server-bind() error lol!", 1);
    printf("Server-bind() is OK...\n");
    if (listen(listener, BACKLOG) == -1)
        die_errno("Server-listen() error lol!", 1);
    printf("Server-listen() is OK...\n");
    return listener;
}

/* Accept one new client and add it to the room. */
static void admit_client(struct room *room, const char *progname)
{
    struct sockaddr_in clientaddr;
    socklen_t addrlen = sizeof(clientaddr);
    int newfd = accept(room->listener, (struct sockaddr *)&clientaddr, &addrlen);

    if (newfd == -1) {
        perror("Server-accept() error lol!");     /* as listed: report, serve on */
        return;
    }
    printf("Server-accept() is OK...\n");
    if (newfd >= FD_SETSIZE) {
        fprintf(stderr, "Server-accept() error lol!: socket %d is beyond FD_SETSIZE\n", newfd);
        close(newfd);
        return;
    }
    FD_SET(newfd, &room->members);
    if (newfd > room->fdmax)
        room->fdmax = newfd;
    printf("%s: New connection from %s on socket %d\n", progname,
           inet_ntoa(clientaddr.sin_addr), newfd);
}

/* Send BUF to every member but the listener and the sender. */
static void relay(const struct room *room, int sender, const char *buf, size_t len)
{
    for (int member = 0; member <= room->fdmax; member++) {
        if (!FD_ISSET(member, &room->members) || member == room->listener || member == sender)
            continue;
        if (send(member, buf, len, MSG_NOSIGNAL) == -1)
            perror("send() error lol!");          /* as listed: report, relay on */
    }
}

/* Read what CLIENT sent and relay it; drop the client at EOF or error. */
static void serve_client(struct room *room, int client, const char *progname)
{
    char buf[CHAT_BUFSIZE];
    ssize_t nbytes = recv(client, buf, sizeof(buf), 0);

    if (nbytes > 0) {
        relay(room, client, buf, (size_t)nbytes);
        return;
    }
    if (nbytes == 0)
        printf("%s: socket %d hung up\n", progname, client);
    else
        perror("recv() error lol!");              /* as listed: report, drop the client */
    close(client);
    FD_CLR(client, &room->members);
}

int main(int argc, char *argv[])
{
    struct room room;
    const char *progname = argc > 0 ? argv[0] : "select";

    FD_ZERO(&room.members);
    room.listener = open_listener();
    FD_SET(room.listener, &room.members);
    room.fdmax = room.listener;
    for (;;) {
        fd_set ready = room.members;
        if (select(room.fdmax + 1, &ready, NULL, NULL, NULL) == -1) {
            if (errno == EINTR)
                continue;
            die_errno("Server-select() error lol!", 1);
        }
        printf("Server-select() is OK...\n");
        for (int fd = 0; fd <= room.fdmax; fd++) {
            if (!FD_ISSET(fd, &ready))
                continue;
            if (fd == room.listener)
                admit_client(&room, progname);
            else
                serve_client(&room, fd, progname);
        }
    }
}
