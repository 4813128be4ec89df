/*
 * bench/udp_floor.c - the kernel's floor for a UDP DNS server on this machine: a responder that
 * does no DNS work at all (it turns each datagram around with QR and NXDOMAIN set), with the
 * same recvmmsg/sendmmsg batches of 32 as the DNSBL. bench/dnsbl.sh measures it beside botwatch
 * and rbldnsd: the CPU it spends per query is what the socket path costs by itself, so no
 * server that answers through UDP sockets can cost less per query.
 *
 * Usage: udp_floor PORT   (binds 127.0.0.1:PORT, runs until killed)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BATCH 32
#define MSG_MAX 4096

int main(int argc, char **argv)
{
    static unsigned char buf[BATCH][MSG_MAX];
    struct mmsghdr m[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_in peer[BATCH];
    struct sockaddr_in a = { .sin_family = AF_INET };
    long port = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (port <= 0 || port > 65535 || fd < 0) {
        fprintf(stderr, "usage: udp_floor PORT\n");
        return 2;
    }
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("udp_floor: bind");
        return 1;
    }
    for (;;) {
        memset(m, 0, sizeof(m));
        for (int i = 0; i < BATCH; i++) {
            iov[i].iov_base = buf[i];
            iov[i].iov_len = MSG_MAX;
            m[i].msg_hdr.msg_iov = &iov[i];
            m[i].msg_hdr.msg_iovlen = 1;
            m[i].msg_hdr.msg_name = &peer[i];
            m[i].msg_hdr.msg_namelen = sizeof(peer[i]);
        }
        int n = recvmmsg(fd, m, BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (m[i].msg_len >= 4) {
                buf[i][2] |= 0x84; /* QR, AA */
                buf[i][3] = 3;     /* NXDOMAIN */
            }
            iov[i].iov_len = m[i].msg_len;
        }
        for (int sent = 0; sent < n;) {
            int k = sendmmsg(fd, m + sent, (unsigned)(n - sent), 0);
            sent += k > 0 ? k : 1;
        }
    }
}
