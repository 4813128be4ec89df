/*
 * tests/unit/enrich/test_vertical.c - the sector classifier: names, the well-known ASN table,
 * keyword rules and their precedence, on real AS organisation names (copied from the
 * @ip-location-db/asn data; one test checks they still read so there, under $BW_DATA).
 */
#include "test.h"

#include "enrich/enrich.h"

#include <stdio.h>
#include <stdlib.h>

struct named {
    uint32_t asn;
    const char *org; /* exactly as in asn-ipv4.csv / asn-ipv6.csv */
    enum bw_vertical want;
};

/* Decided by the well-known ASN table. */
static const struct named by_table[] = {
    { 20712, "Andrews & Arnold Ltd", BW_VERTICAL_ISP },
    { 63949, "Akamai Technologies, Inc.", BW_VERTICAL_HOSTING }, /* Linode: 45.33.32.156 */
    { 4837, "CHINA UNICOM China169 Backbone", BW_VERTICAL_ISP },
    { 16509, "Amazon.com, Inc.", BW_VERTICAL_HOSTING },
    { 8075, "Microsoft Corporation", BW_VERTICAL_HOSTING },
    { 20473, "The Constant Company, LLC", BW_VERTICAL_HOSTING },
    { 22394, "Verizon Business", BW_VERTICAL_MOBILE },
    { 786, "Jisc Services Limited", BW_VERTICAL_EDUCATION },
    { 680, "Verein zur Foerderung eines Deutschen Forschungsnetzes e.V.",
      BW_VERTICAL_EDUCATION },
};

/* Decided by keywords (these ASNs are not in the table). */
static const struct named by_keyword[] = {
    { 24940, "Hetzner Online GmbH", BW_VERTICAL_HOSTING }, /* in the table too */
    { 9808, "China Mobile", BW_VERTICAL_MOBILE },
    { 56040, "China Mobile Communications Corporation", BW_VERTICAL_MOBILE },
    { 3352, "TELEFONICA DE ESPANA S.A.U.", BW_VERTICAL_ISP },
    { 27831, "Colombia Movil", BW_VERTICAL_MOBILE },
    { 3816, "COLOMBIA TELECOMUNICACIONES S.A. ESP", BW_VERTICAL_ISP },
    { 52335, "Colombia Hosting", BW_VERTICAL_HOSTING },
    { 9121, "Turk Telekomunikasyon Anonim Sirketi", BW_VERTICAL_ISP },
    { 4766, "Korea Telecom", BW_VERTICAL_ISP },
    { 17, "Purdue University", BW_VERTICAL_EDUCATION },
    { 3, "Massachusetts Institute of Technology", BW_VERTICAL_EDUCATION },
    { 1798, "State of Oregon", BW_VERTICAL_GOVERNMENT },
    { 212777, "Schweizerische Mobiliar Versicherungsgesellschaft AG", BW_VERTICAL_ENTERPRISE },
    { 22109, "Universal Insurance Group", BW_VERTICAL_ENTERPRISE },
    { 26609, "Universal Telecom S.A.", BW_VERTICAL_ISP },
    { 14753, "Universal Consulting", BW_VERTICAL_UNKNOWN },
    { 27614, "Elderhostel, Inc.", BW_VERTICAL_UNKNOWN },
    { 31497, "Comissao do Mercado de Valores Mobiliarios", BW_VERTICAL_UNKNOWN },
    { 62121, "Christian Ebsen ApS", BW_VERTICAL_UNKNOWN }, /* 2a02:cf40::99 */
    { 17445, "Universal Robina Corporation", BW_VERTICAL_UNKNOWN },
};

static void names_round_trip(void **state)
{
    (void)state;
    for (int v = 0; v < BW_VERTICAL_COUNT; v++) {
        enum bw_vertical got = BW_VERTICAL_COUNT;
        assert_int_equal(bw_vertical_parse(&got, bw_vertical_name((enum bw_vertical)v)), BW_OK);
        assert_int_equal(got, v);
    }
    assert_string_equal(bw_vertical_name(BW_VERTICAL_ISP), "isp");
    assert_string_equal(bw_vertical_name(BW_VERTICAL_COUNT), "unknown");
}

static void parse_is_case_insensitive_and_strict(void **state)
{
    enum bw_vertical v = BW_VERTICAL_UNKNOWN;

    (void)state;
    assert_int_equal(bw_vertical_parse(&v, "Education"), BW_OK);
    assert_int_equal(v, BW_VERTICAL_EDUCATION);
    assert_int_equal(bw_vertical_parse(&v, "HOSTING"), BW_OK);
    assert_int_equal(v, BW_VERTICAL_HOSTING);
    v = BW_VERTICAL_ISP;
    assert_int_equal(bw_vertical_parse(&v, "educatio"), BW_EMALFORMED);
    assert_int_equal(bw_vertical_parse(&v, "education "), BW_EMALFORMED);
    assert_int_equal(bw_vertical_parse(&v, ""), BW_EMALFORMED);
    assert_int_equal(bw_vertical_parse(&v, NULL), BW_EMALFORMED);
    assert_int_equal(v, BW_VERTICAL_ISP); /* untouched on failure */
}

static void check_all(const struct named *t, size_t n, bool with_asn)
{
    for (size_t i = 0; i < n; i++) {
        enum bw_vertical got = bw_vertical_classify(with_asn ? t[i].asn : 0, t[i].org);
        if (got != t[i].want)
            fail_msg("AS%u \"%s\": got %s, want %s", with_asn ? t[i].asn : 0, t[i].org,
                     bw_vertical_name(got), bw_vertical_name(t[i].want));
    }
}

static void well_known_asns_decide_first(void **state)
{
    (void)state;
    check_all(by_table, BW_ARRAY_LEN(by_table), true);
    /* The table wins over the name, and needs no name at all. */
    assert_int_equal(bw_vertical_classify(63949, NULL), BW_VERTICAL_HOSTING);
    assert_int_equal(bw_vertical_classify(20712, ""), BW_VERTICAL_ISP);
    assert_int_equal(bw_vertical_classify(20712, "Some University"), BW_VERTICAL_ISP);
}

static void keywords_classify_real_names(void **state)
{
    (void)state;
    check_all(by_keyword, BW_ARRAY_LEN(by_keyword), true);
}

static void keywords_without_the_table(void **state)
{
    (void)state;
    /* Without its ASN, "Andrews & Arnold Ltd" says nothing: unknown, not a guess. */
    assert_int_equal(bw_vertical_classify(0, "Andrews & Arnold Ltd"), BW_VERTICAL_UNKNOWN);
    assert_int_equal(bw_vertical_classify(0, "CHINA UNICOM China169 Backbone"), BW_VERTICAL_ISP);
    assert_int_equal(bw_vertical_classify(0, "DigitalOcean, LLC"), BW_VERTICAL_HOSTING);
    assert_int_equal(bw_vertical_classify(0, "OVH SAS"), BW_VERTICAL_HOSTING);
    assert_int_equal(bw_vertical_classify(0, "Verizon Business"), BW_VERTICAL_UNKNOWN);
    assert_int_equal(bw_vertical_classify(0, "Example Inc."), BW_VERTICAL_UNKNOWN);
    assert_int_equal(bw_vertical_classify(0, "Example Corp Ltd LLC"), BW_VERTICAL_UNKNOWN);
    assert_int_equal(bw_vertical_classify(0, "Internet Net Online"), BW_VERTICAL_UNKNOWN);
    assert_int_equal(bw_vertical_classify(0, NULL), BW_VERTICAL_UNKNOWN);
    assert_int_equal(bw_vertical_classify(0, ""), BW_VERTICAL_UNKNOWN);
}

static void precedence_between_keywords(void **state)
{
    (void)state;
    /* education before government: Brazilian federal universities. */
    assert_int_equal(bw_vertical_classify(0, "Universidade Federal do Rio Grande do Sul"),
                     BW_VERTICAL_EDUCATION);
    /* the credit-union exception before "federal" and "navy". */
    assert_int_equal(bw_vertical_classify(0, "Navy Federal Credit Union"),
                     BW_VERTICAL_ENTERPRISE);
    /* mobile before isp. */
    assert_int_equal(bw_vertical_classify(0, "T-Mobile USA, Inc."), BW_VERTICAL_MOBILE);
    assert_int_equal(bw_vertical_classify(0, "Telefonica Moviles El Salvador S.A. de C.V."),
                     BW_VERTICAL_MOBILE);
    /* "wireless" is weak: an ISP word beats it, alone it means mobile. */
    assert_int_equal(bw_vertical_classify(0, "Vortex Wireless Internet"), BW_VERTICAL_ISP);
    assert_int_equal(bw_vertical_classify(0, "ANTARIKSH BROADBAND AND WIRELESS SOLUTION PRIVATE "
                                             "LIMITED"),
                     BW_VERTICAL_ISP);
    assert_int_equal(bw_vertical_classify(0, "Natural Wireless, LLC"), BW_VERTICAL_MOBILE);
    /* hosting before isp. */
    assert_int_equal(bw_vertical_classify(0, "CLOUD NINE COMMUNICATIONS PTY LTD"),
                     BW_VERTICAL_HOSTING);
    /* isp before enterprise. */
    assert_int_equal(bw_vertical_classify(0, "Bank Telecom Ltd"), BW_VERTICAL_ISP);
}

static void words_not_substrings(void **state)
{
    (void)state;
    /* "colo" is a whole word, "host*" a word start: neither matches inside another word. */
    assert_int_equal(bw_vertical_classify(0, "Colorado Springs Utilities"), BW_VERTICAL_UNKNOWN);
    assert_int_equal(bw_vertical_classify(0, "Ghostly Ventures"), BW_VERTICAL_UNKNOWN);
    assert_int_equal(bw_vertical_classify(0, "Real Estate Hospitality Ltd."), BW_VERTICAL_UNKNOWN);
    assert_int_equal(bw_vertical_classify(0, "Acme Colo"), BW_VERTICAL_HOSTING);
    assert_int_equal(bw_vertical_classify(0, "acme-hosting.example"), BW_VERTICAL_HOSTING);
    /* ".gov" and ".edu" domains, punctuation as word breaks. */
    assert_int_equal(bw_vertical_classify(0, "ca.gov"), BW_VERTICAL_GOVERNMENT);
    assert_int_equal(bw_vertical_classify(0, "example.edu"), BW_VERTICAL_EDUCATION);
}

static void accented_names_fold(void **state)
{
    (void)state;
    /* Real names with Latin-1 letters in UTF-8. */
    assert_int_equal(bw_vertical_classify(0, "Universit\xc3\xa9 de Maroua - Universit\xc3\xa9 de "
                                             "Maroua"),
                     BW_VERTICAL_EDUCATION);
    assert_int_equal(bw_vertical_classify(0, "Minist\xc3\xa8re du Num\xc3\xa9rique - Minist\xc3"
                                             "\xa8re du Num\xc3\xa9rique"),
                     BW_VERTICAL_GOVERNMENT);
    assert_int_equal(bw_vertical_classify(0, "Universit\xc3\xa4t Wien"), BW_VERTICAL_EDUCATION);
    /* Stray bytes are word breaks, not crashes. */
    assert_int_equal(bw_vertical_classify(0, "\xc3"), BW_VERTICAL_UNKNOWN);
    assert_int_equal(bw_vertical_classify(0, "\xff\xfe telecom \xc3\x97"), BW_VERTICAL_ISP);
}

static void long_names_are_bounded(void **state)
{
    char name[4096];

    (void)state;
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(bw_vertical_classify(0, name), BW_VERTICAL_UNKNOWN);
    for (size_t i = 0; i + 4 < sizeof(name); i += 4)
        memcpy(name + i, "ab ", 3);
    assert_int_equal(bw_vertical_classify(0, name), BW_VERTICAL_UNKNOWN);
}

/* The names above are the data's own: look each up in the real CSVs. */
static void names_match_the_asn_data(void **state)
{
    const char *data = getenv("BW_DATA");
    const char *files[] = { "asn/asn-ipv4.csv", "asn/asn-ipv6.csv" };
    const struct named *all[] = { by_table, by_keyword };
    size_t counts[] = { BW_ARRAY_LEN(by_table), BW_ARRAY_LEN(by_keyword) };
    size_t total = counts[0] + counts[1];
    bool *seen = calloc(total, 1);
    char line[1024], path[512];

    (void)state;
    if (data == NULL || data[0] == '\0')
        fail_msg("BW_DATA is not set: run scripts/fetch-data.sh");
    assert_non_null(seen);
    for (size_t f = 0; f < BW_ARRAY_LEN(files); f++) {
        snprintf(path, sizeof(path), "%s/%s", data, files[f]);
        FILE *fp = fopen(path, "r");
        if (fp == NULL)
            fail_msg("%s is missing: run scripts/fetch-data.sh", path);
        while (fgets(line, sizeof(line), fp) != NULL) {
            /* first,last,asn,org where org may be quoted */
            char *c1 = strchr(line, ',');
            char *c2 = c1 != NULL ? strchr(c1 + 1, ',') : NULL;
            if (c2 == NULL)
                continue;
            unsigned long asn = strtoul(c2 + 1, NULL, 10);
            char *org = strchr(c2 + 1, ',');
            if (org == NULL)
                continue;
            org++;
            org[strcspn(org, "\r\n")] = '\0';
            if (org[0] == '"') {
                org++;
                char *q = strrchr(org, '"');
                if (q != NULL)
                    *q = '\0';
            }
            size_t k = 0;
            for (size_t g = 0; g < 2; g++) {
                for (size_t i = 0; i < counts[g]; i++, k++) {
                    if (all[g][i].asn == asn && strcmp(all[g][i].org, org) == 0)
                        seen[k] = true;
                }
            }
        }
        fclose(fp);
    }
    size_t k = 0;
    for (size_t g = 0; g < 2; g++) {
        for (size_t i = 0; i < counts[g]; i++, k++) {
            if (!seen[k])
                fail_msg("AS%u \"%s\" is not in the ASN data as written", all[g][i].asn,
                         all[g][i].org);
        }
    }
    free(seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(parse_is_case_insensitive_and_strict),
        cmocka_unit_test(well_known_asns_decide_first),
        cmocka_unit_test(keywords_classify_real_names),
        cmocka_unit_test(keywords_without_the_table),
        cmocka_unit_test(precedence_between_keywords),
        cmocka_unit_test(words_not_substrings),
        cmocka_unit_test(accented_names_fold),
        cmocka_unit_test(long_names_are_bounded),
        cmocka_unit_test(names_match_the_asn_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
