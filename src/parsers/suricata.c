/*
 * parsers/suricata.c - the suricata format (not built yet: the registry reports it as unknown).
 */
#include "parsers/parsers_int.h"

struct bw_parser *bw_parser__suricata_new(const struct bw_parser_opts *o)
{
    (void)o;
    return NULL;
}

int bw_parser__suricata_detect(const char *head, size_t len)
{
    (void)head;
    (void)len;
    return 0;
}
