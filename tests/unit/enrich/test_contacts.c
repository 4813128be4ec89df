/*
 * tests/unit/enrich/test_contacts.c - the contacts table: CSV import and its error lines,
 * building from stored rows, parent checks, and "the most specific scope wins".
 */
#include "test.h"

#include "enrich/enrich.h"

#include <stdio.h>
#include <stdlib.h>

static struct bw_addr addr(const char *s)
{
    struct bw_addr a;

    if (bw_addr_parse(&a, s, strlen(s)) != BW_OK)
        fail_msg("bad address in test: %s", s);
    return a;
}

/* Parses csv; the error lines go to errors (caller cleans up). */
static struct bw_contacts *parse(const char *csv, struct bw_buf *errors, size_t *bad)
{
    struct bw_contacts *c = NULL;

    bw_buf_init(errors, 0);
    assert_int_equal(bw_contacts_parse(&c, csv, strlen(csv), errors, bad), BW_OK);
    assert_non_null(c);
    return c;
}

static const char *resolve_name(const struct bw_contacts *c, const char *ip, uint32_t asn,
                                const char *cc)
{
    struct bw_addr a;

    if (ip != NULL)
        a = addr(ip);
    const struct bw_contact *k = bw_contacts_resolve(c, ip != NULL ? &a : NULL, asn, cc);
    return k != NULL ? k->name : "(none)";
}

static void acceptance_csv_as_beats_country(void **state)
{
    struct bw_buf e;
    size_t bad = 99;

    (void)state;
    struct bw_contacts *c = parse("name,scope,email,webhook,role,parent\n"
                                  "cert-gb,GB,cert@example.org,,cert,\n"
                                  "aaisp,AS20712,abuse@aaisp.example,,isp,cert-gb\n",
                                  &e, &bad);
    assert_int_equal(bad, 0);
    assert_string_equal(e.data, "");
    assert_int_equal(bw_contacts_count(c), 2);
    /* 81.2.69.142 is AS20712 in GB. */
    assert_string_equal(resolve_name(c, "81.2.69.142", 20712, "GB"), "aaisp");
    /* Another GB network falls back to the country. */
    assert_string_equal(resolve_name(c, "81.2.69.142", 5089, "GB"), "cert-gb");
    assert_string_equal(resolve_name(c, "81.2.69.142", 5089, "gb"), "cert-gb");
    assert_string_equal(resolve_name(c, "175.16.199.1", 4837, "CN"), "(none)");
    assert_string_equal(resolve_name(c, NULL, 0, NULL), "(none)");

    const struct bw_contact *k = bw_contacts_by_name(c, "aaisp");
    assert_non_null(k);
    assert_int_equal(k->role, BW_ROLE_ISP);
    assert_string_equal(k->email, "abuse@aaisp.example");
    assert_string_equal(k->parent, "cert-gb");
    assert_string_equal(k->scope, "AS20712");
    /* The escalation chain is the parent chain. */
    const struct bw_contact *p = bw_contacts_by_name(c, k->parent);
    assert_non_null(p);
    assert_int_equal(p->role, BW_ROLE_CERT);
    assert_string_equal(p->parent, "");
    assert_null(bw_contacts_by_name(c, "nobody"));
    assert_null(bw_contacts_at(c, 2));
    bw_contacts_free(c);
    bw_buf_cleanup(&e);
}

static void acceptance_bad_rows_have_line_numbers(void **state)
{
    struct bw_buf e;
    size_t bad = 0;

    (void)state;
    struct bw_contacts *c = parse("name,scope,email,webhook,role,parent\n"
                                  "broken,,,,isp,\n"
                                  "loop-a,AS1,a@x.example,,isp,loop-b\n"
                                  "loop-b,AS2,b@x.example,,upstream,loop-a\n",
                                  &e, &bad);
    assert_int_equal(bad, 3);
    assert_int_equal(bw_contacts_count(c), 0);
    assert_non_null(strstr(e.data, "line 2: contact \"broken\": empty scope\n"));
    assert_non_null(strstr(e.data, "line 3: contact \"loop-a\" is in a cycle of parents "
                                   "(loop-a -> loop-b -> loop-a)\n"));
    assert_non_null(strstr(e.data, "line 4: contact \"loop-b\" is in a cycle of parents "
                                   "(loop-b -> loop-a -> loop-b)\n"));
    bw_contacts_free(c);
    bw_buf_cleanup(&e);
}

static void every_kind_of_bad_row(void **state)
{
    struct bw_buf e;
    size_t bad = 0;

    (void)state;
    struct bw_contacts *c =
        parse("Role,Name,Email,Scope,Parent,Webhook\n"                  /* 1: any order */
              "isp,,a@x.example,AS1,,\n"                                 /* 2: no name */
              "isp,noroute,,AS1,,\n"                                     /* 3: kept */
              "boss,badrole,a@x.example,AS1,,\n"                         /* 4 */
              "isp,badscope,a@x.example,AS1 81.2.69.142/24,,\n"          /* 5: host bits */
              "isp,badasn,a@x.example,AS0,,\n"                           /* 6 */
              "isp,badcc,a@x.example,GBR,,\n"                            /* 7 */
              "isp,ok,a@x.example,AS1,,\n"                               /* 8 */
              "isp,ok,b@x.example,AS2,,\n"                               /* 9: duplicate */
              "isp,orphan,a@x.example,AS3,nobody,\n"                     /* 10 */
              "isp,child,a@x.example,AS4,badrole,\n"                     /* 11 */
              "isp,grandchild,a@x.example,AS5,child,\n"                  /* 12 */
              "isp,selfish,a@x.example,AS6,selfish,\n"                   /* 13 */
              "isp,short,a@x.example\n"                                  /* 14 */
              "isp,badmail,nobody,AS7,,\n"                               /* 15 */
              "isp,badhook,,AS8,,ftp://x.example/\n"                     /* 16 */
              "\n"                                                       /* 17: blank */
              "isp,hook,,AS9,,https://hooks.example/abuse\n",            /* 18 */
              &e, &bad);
    const char *want[] = {
        "line 2: missing name\n",
        "line 4: contact \"badrole\": unknown role \"boss\" (want isp, upstream or cert)\n",
        "line 5: contact \"badscope\": bad scope item \"81.2.69.142/24\"",
        "line 6: contact \"badasn\": bad scope item \"AS0\"",
        "line 7: contact \"badcc\": bad scope item \"GBR\"",
        "line 9: duplicate name \"ok\" (first on line 8)\n",
        "line 10: contact \"orphan\": parent \"nobody\" is not a known contact\n",
        "line 11: contact \"child\": parent \"badrole\" (line 4) was not accepted\n",
        "line 12: contact \"grandchild\": parent \"child\" (line 11) was not accepted\n",
        "line 13: contact \"selfish\": its own parent\n",
        "line 14: 3 fields, the header has 6\n",
        "line 15: contact \"badmail\": bad email \"nobody\"\n",
        "line 16: contact \"badhook\": webhook \"ftp://x.example/\" is not an http(s) URL\n",
    };
    for (size_t i = 0; i < BW_ARRAY_LEN(want); i++) {
        if (strstr(e.data, want[i]) == NULL)
            fail_msg("missing \"%s\" in:\n%s", want[i], e.data);
    }
    assert_int_equal(bad, BW_ARRAY_LEN(want));
    assert_int_equal(bw_contacts_count(c), 3);
    assert_null(strstr(e.data, "line 3:"));
    /* no route: accepted, and it answers for its scope */
    assert_non_null(bw_contacts_by_name(c, "noroute"));
    assert_string_equal(bw_contacts_by_name(c, "noroute")->email, "");
    assert_string_equal(bw_contacts_by_name(c, "noroute")->webhook, "");
    assert_string_equal(resolve_name(c, NULL, 1, NULL), "noroute");
    assert_non_null(bw_contacts_by_name(c, "ok"));
    assert_string_equal(bw_contacts_by_name(c, "ok")->email, "a@x.example");
    assert_string_equal(bw_contacts_by_name(c, "hook")->webhook, "https://hooks.example/abuse");
    bw_contacts_free(c);
    bw_buf_cleanup(&e);
}

static void rfc4180_quoting(void **state)
{
    struct bw_buf e;
    size_t bad = 0;

    (void)state;
    struct bw_contacts *c =
        parse("\xef\xbb\xbfname,scope,email,webhook,role,parent\r\n"
              "\"Example, \"\"the\"\" ISP\",\"AS64500  2001:db8:100::/40\r\n  DE\",a@x.example,,"
              "isp,\r\n"
              "after,AS64501,b@x.example,,upstream,\"Example, \"\"the\"\" ISP\"\r\n"
              "badquote,AS64502,b\"c@x.example,,isp,\r\n"
              "\"open,AS64503,c@x.example,,isp,\r\n",
              &e, &bad);
    const struct bw_contact *k = bw_contacts_by_name(c, "Example, \"the\" ISP");
    assert_non_null(k);
    assert_string_equal(k->scope, "AS64500  2001:db8:100::/40\r\n  DE");
    assert_non_null(bw_contacts_by_name(c, "after"));
    /* The quoted row spans lines 2-3, so the rows after it are on 4 and 5. */
    assert_non_null(strstr(e.data, "line 5: bad quoting"));
    assert_non_null(strstr(e.data, "line 6: bad quoting"));
    assert_int_equal(bad, 2);
    assert_string_equal(resolve_name(c, "2001:db8:1ff::1", 0, NULL), "Example, \"the\" ISP");
    assert_string_equal(resolve_name(c, NULL, 0, "de"), "Example, \"the\" ISP");
    bw_contacts_free(c);
    bw_buf_cleanup(&e);
}

/* Found by fuzz_contacts: a name holding a line break must not split its error line. */
static void error_lines_stay_one_line(void **state)
{
    struct bw_buf e;
    size_t bad = 0;

    (void)state;
    struct bw_contacts *c = parse("name,scope,email,webhook,role,parent\n"
                                  "\"multi\nline\",,a@x.example,,isp,\n"
                                  "ok,AS1,a@x.example,,isp,\"multi\nline\"\n",
                                  &e, &bad);
    assert_int_equal(bad, 2);
    assert_string_equal(e.data, "line 2: contact \"multi?line\": empty scope\n"
                                "line 4: contact \"ok\": parent \"multi?line\" (line 2) was not "
                                "accepted\n");
    bw_contacts_free(c);
    bw_buf_cleanup(&e);
}

static void bad_headers_refuse_the_file(void **state)
{
    const char *bad_headers[] = {
        "",
        "\n\n",
        "name,email,role\n",                 /* no scope */
        "name,scope,role\n",                 /* no way to reach anyone */
        "name,scope,email,scope,role\n",     /* twice */
        "\"name,scope,email,role\n",         /* bad quoting */
    };

    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(bad_headers); i++) {
        struct bw_contacts *c = (struct bw_contacts *)0x1;
        struct bw_buf e;
        bw_buf_init(&e, 0);
        assert_int_equal(bw_contacts_parse(&c, bad_headers[i], strlen(bad_headers[i]), &e, NULL),
                         BW_EMALFORMED);
        assert_ptr_equal(c, (struct bw_contacts *)0x1); /* untouched */
        assert_non_null(strstr(e.data, "line "));
        bw_buf_cleanup(&e);
    }
    /* Unknown columns are ignored; email alone or webhook alone is enough. */
    struct bw_buf e;
    size_t bad = 9;
    struct bw_contacts *c = parse("notes,name,role,scope,webhook\n"
                                  "hello,h,cert,FR,https://cert.example/\n",
                                  &e, &bad);
    assert_int_equal(bad, 0);
    assert_string_equal(resolve_name(c, NULL, 0, "FR"), "h");
    bw_contacts_free(c);
    bw_buf_cleanup(&e);
}

static void most_specific_scope_wins(void **state)
{
    struct bw_buf e;
    size_t bad = 0;

    (void)state;
    struct bw_contacts *c =
        parse("name,scope,email,webhook,role,parent\n"
              "cert-gb,GB,cert@x.example,,cert,\n"
              "upstream,AS20712 81.0.0.0/8,up@x.example,,upstream,cert-gb\n"
              "aaisp,AS20712,abuse@x.example,,isp,upstream\n"
              "office,81.2.69.0/24,noc@x.example,,isp,aaisp\n"
              "host,81.2.69.142,host@x.example,,isp,office\n"
              "v6,2a02:cf40::/29 AS62121,v6@x.example,,isp,\n",
              &e, &bad);
    assert_int_equal(bad, 0);
    /* Prefix (longest first) beats ASN beats country. */
    assert_string_equal(resolve_name(c, "81.2.69.142", 20712, "GB"), "host");
    assert_string_equal(resolve_name(c, "81.2.69.143", 20712, "GB"), "office");
    assert_string_equal(resolve_name(c, "81.2.70.1", 20712, "GB"), "upstream");
    assert_string_equal(resolve_name(c, "82.0.0.1", 20712, "GB"), "aaisp");
    assert_string_equal(resolve_name(c, "82.0.0.1", 1, "GB"), "cert-gb");
    assert_string_equal(resolve_name(c, "2a02:cf40::99", 62121, "DK"), "v6");
    assert_string_equal(resolve_name(c, "2a03::1", 62121, "DK"), "v6");
    assert_string_equal(resolve_name(c, "2a03::1", 0, "XX"), "(none)");
    assert_string_equal(resolve_name(c, NULL, 0, "G"), "(none)");
    assert_string_equal(resolve_name(c, NULL, 0, "GBR"), "(none)");
    /* AS20712 is claimed by an isp and an upstream: the isp answers (the more direct role). */
    assert_string_equal(resolve_name(c, NULL, 20712, NULL), "aaisp");
    /* The escalation chain from the most specific contact up to the CERT. */
    const char *chain[] = { "host", "office", "aaisp", "upstream", "cert-gb" };
    const struct bw_contact *k = bw_contacts_by_name(c, "host");
    for (size_t i = 0; i < BW_ARRAY_LEN(chain); i++) {
        assert_non_null(k);
        assert_string_equal(k->name, chain[i]);
        k = k->parent[0] != '\0' ? bw_contacts_by_name(c, k->parent) : NULL;
    }
    assert_null(k);
    bw_contacts_free(c);
    bw_buf_cleanup(&e);
}

static struct bw_contact row(const char *name, const char *scope, enum bw_contact_role role,
                             const char *parent)
{
    struct bw_contact r;

    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "%s", name);
    snprintf(r.scope, sizeof(r.scope), "%s", scope);
    snprintf(r.email, sizeof(r.email), "%s@x.example", name);
    snprintf(r.parent, sizeof(r.parent), "%s", parent);
    r.role = role;
    return r;
}

static void stored_rows_build_and_seal(void **state)
{
    struct bw_diag d = { "" };
    struct bw_contact r;

    (void)state;
    struct bw_contacts *c = bw_contacts_new();
    r = row("cert", "NL", BW_ROLE_CERT, "");
    assert_int_equal(bw_contacts_add(c, &r), BW_OK);
    r = row("isp", "AS1103", BW_ROLE_ISP, "cert");
    assert_int_equal(bw_contacts_add(c, &r), BW_OK);
    assert_int_equal(bw_contacts_add(c, &r), BW_ECONFLICT);
    r = row("bad", "AS1x", BW_ROLE_ISP, "");
    assert_int_equal(bw_contacts_add(c, &r), BW_EINVAL);
    r = row("bad", "", BW_ROLE_ISP, "");
    assert_int_equal(bw_contacts_add(c, &r), BW_EINVAL);
    r = row("bad", "NL", BW_ROLE_COUNT, "");
    assert_int_equal(bw_contacts_add(c, &r), BW_EINVAL);
    r = row("bad", "NL", BW_ROLE_ISP, "");
    memset(r.name, 'x', sizeof(r.name)); /* not terminated */
    assert_int_equal(bw_contacts_add(c, &r), BW_EINVAL);
    assert_int_equal(bw_contacts_count(c), 2);
    /* Before seal there are no lookups. */
    assert_null(bw_contacts_resolve(c, NULL, 1103, "NL"));
    assert_int_equal(bw_contacts_seal(c, &d), BW_OK);
    assert_string_equal(resolve_name(c, "145.100.0.1", 1103, "NL"), "isp");
    r = row("late", "NL", BW_ROLE_ISP, "");
    assert_int_equal(bw_contacts_add(c, &r), BW_ECONFLICT);
    bw_contacts_free(c);

    /* A parent that names nobody, and a cycle, fail the seal with a reason. */
    c = bw_contacts_new();
    r = row("a", "AS1", BW_ROLE_ISP, "ghost");
    assert_int_equal(bw_contacts_add(c, &r), BW_OK);
    assert_int_equal(bw_contacts_seal(c, &d), BW_ECONFLICT);
    assert_non_null(strstr(d.msg, "ghost"));
    bw_contacts_free(c);
    c = bw_contacts_new();
    const char *names[] = { "a", "b", "c" };
    for (size_t i = 0; i < 3; i++) {
        r = row(names[i], "AS1", BW_ROLE_ISP, names[(i + 1) % 3]);
        assert_int_equal(bw_contacts_add(c, &r), BW_OK);
    }
    assert_int_equal(bw_contacts_seal(c, &d), BW_ECONFLICT);
    assert_non_null(strstr(d.msg, "cycle"));
    bw_contacts_free(c);
    bw_contacts_free(NULL);
}

static void ties_on_one_item(void **state)
{
    struct bw_diag d;
    struct bw_contact r;

    (void)state;
    struct bw_contacts *c = bw_contacts_new();
    r = row("cert", "AS5 10.0.0.0/8 FR", BW_ROLE_CERT, "");
    assert_int_equal(bw_contacts_add(c, &r), BW_OK);
    r = row("first-isp", "AS5 10.0.0.0/8 FR", BW_ROLE_ISP, "");
    assert_int_equal(bw_contacts_add(c, &r), BW_OK);
    r = row("second-isp", "as5 10.0.0.0/8 fr", BW_ROLE_ISP, "");
    assert_int_equal(bw_contacts_add(c, &r), BW_OK);
    assert_int_equal(bw_contacts_seal(c, &d), BW_OK);
    assert_string_equal(resolve_name(c, "10.1.2.3", 0, NULL), "first-isp");
    assert_string_equal(resolve_name(c, NULL, 5, NULL), "first-isp");
    assert_string_equal(resolve_name(c, NULL, 0, "FR"), "first-isp");
    bw_contacts_free(c);
}

static void many_rows_and_a_long_chain(void **state)
{
    struct bw_buf csv, e;
    size_t bad = 1;
    const size_t n = 20000;

    (void)state;
    bw_buf_init(&csv, 0);
    assert_int_equal(bw_buf_printf(&csv, "name,scope,email,webhook,role,parent\n"), BW_OK);
    /* A chain c0 <- c1 <- ... <- c19999, every one with its own ASN and a /32 prefix. */
    for (size_t i = 0; i < n; i++) {
        char parent[32] = "";
        if (i > 0)
            snprintf(parent, sizeof(parent), "c%zu", i - 1);
        assert_int_equal(bw_buf_printf(&csv, "c%zu,AS%zu 10.%zu.%zu.0/24,c%zu@x.example,,isp,%s\n",
                                       i, 64512 + i, i / 256, i % 256, i, parent),
                         BW_OK);
    }
    struct bw_contacts *c = parse(csv.data, &e, &bad);
    assert_int_equal(bad, 0);
    assert_int_equal(bw_contacts_count(c), n);
    assert_string_equal(resolve_name(c, "10.78.31.9", 0, NULL), "c19999");
    assert_string_equal(resolve_name(c, NULL, 64512 + 777, NULL), "c777");
    bw_contacts_free(c);
    bw_buf_cleanup(&e);

    /* Break the chain's root: every row below it is dropped, each with its own line. */
    char *root = strstr(csv.data, "\nc0,");
    assert_non_null(root);
    memcpy(root + 1, "c0,,", 4); /* "c0,,S64512 ..." makes the scope empty */
    c = parse(csv.data, &e, &bad);
    assert_int_equal(bw_contacts_count(c), 0);
    assert_int_equal(bad, n);
    assert_non_null(strstr(e.data, "line 20001: contact \"c19999\": parent \"c19998\" (line 20000) "
                                   "was not accepted\n"));
    bw_contacts_free(c);
    bw_buf_cleanup(&e);
    bw_buf_cleanup(&csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(acceptance_csv_as_beats_country),
        cmocka_unit_test(acceptance_bad_rows_have_line_numbers),
        cmocka_unit_test(every_kind_of_bad_row),
        cmocka_unit_test(rfc4180_quoting),
        cmocka_unit_test(error_lines_stay_one_line),
        cmocka_unit_test(bad_headers_refuse_the_file),
        cmocka_unit_test(most_specific_scope_wins),
        cmocka_unit_test(stored_rows_build_and_seal),
        cmocka_unit_test(ties_on_one_item),
        cmocka_unit_test(many_rows_and_a_long_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
