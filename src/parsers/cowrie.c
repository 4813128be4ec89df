/*
 * parsers/cowrie.c - the cowrie format (not built yet: the registry reports it as unknown).
 */
#include "parsers/parsers_int.h"

struct bw_parser *bw_parser__cowrie_new(const struct bw_parser_opts *o)
{
    (void)o;
    return NULL;
}

int bw_parser__cowrie_detect(const char *head, size_t len)
{
    (void)head;
    (void)len;
    return 0;
}
