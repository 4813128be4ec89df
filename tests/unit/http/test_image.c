/*
 * tests/unit/http/test_image.c - the device image lookups answer from: interned enrichment
 * (one record however many devices share it), finding by address, and merging a delta of
 * devices judged again into an image without touching the old one.
 */
#include "test.h"

#include <string.h>

#include "http/http_int.h"

static void device(struct bw_device *d, const char *ip, uint32_t asn, const char *type,
                   int64_t last_s)
{
    memset(d, 0, sizeof(*d));
    assert_int_equal(bw_addr_parse(&d->addr, ip, strlen(ip)), BW_OK);
    d->en.asn = asn;
    snprintf(d->en.country, sizeof(d->en.country), "GB");
    snprintf(d->en.device_type, sizeof(d->en.device_type), "%s", type);
    d->first_seen_s = last_s - 100;
    d->last_seen_s = last_s;
    d->reports = 3;
    d->reporters = 2;
    d->cats = 1u << BW_CAT_SCAN;
}

static void add(struct bw_http_image_builder *b, const char *ip, uint32_t asn, const char *type,
                int score, int64_t last_s)
{
    struct bw_device d;
    struct bw_verdict v = { .score = score, .listed = score >= 25 };

    device(&d, ip, asn, type, last_s);
    bw_http__image_add(b, &d, &v, false);
}

static void check(const struct bw_http_image *im, const char *ip, uint32_t asn,
                  const char *type, int score)
{
    const struct bw_http_dev *x;
    struct bw_device d;
    struct bw_verdict v;
    struct bw_addr a;

    assert_int_equal(bw_addr_parse(&a, ip, strlen(ip)), BW_OK);
    x = bw_http__image_find(im, &a);
    if (asn == 0) {
        assert_null(x);
        return;
    }
    assert_non_null(x);
    bw_http__image_device(im, x, &d, &v);
    assert_int_equal(d.en.asn, asn);
    assert_string_equal(d.en.country, "GB");
    assert_string_equal(d.en.device_type, type);
    assert_int_equal(v.score, score);
    assert_int_equal(v.listed, score >= 25);
    assert_int_equal(d.reports, 3);
}

static void shared_enrichment_is_stored_once(void **state)
{
    struct bw_http_image_builder b;
    struct bw_http_image im;
    size_t one;

    (void)state;
    bw_http__image_builder_init(&b, &im);
    add(&b, "81.2.69.1", 64500, "", 40, 1000);
    one = im.pool_len;
    add(&b, "81.2.69.2", 64500, "", 40, 1000);
    add(&b, "81.2.69.3", 64500, "", 10, 1000);
    assert_int_equal(im.pool_len, one); /* three devices, one record */
    add(&b, "81.2.69.4", 64500, "router", 60, 1000);
    assert_true(im.pool_len > one);
    bw_http__image_builder_done(&b);
    assert_int_equal(im.n, 4);
    check(&im, "81.2.69.1", 64500, "", 40);
    check(&im, "81.2.69.3", 64500, "", 10);
    check(&im, "81.2.69.4", 64500, "router", 60);
    check(&im, "81.2.69.5", 0, "", 0);
    check(&im, "81.2.69.0", 0, "", 0);
    bw_http__image_free(&im);
}

static void many_records_grow_the_table(void **state)
{
    struct bw_http_image_builder b;
    struct bw_http_image im;
    char ip[32];

    (void)state;
    bw_http__image_builder_init(&b, &im);
    for (int i = 0; i < 5000; i++) {
        snprintf(ip, sizeof(ip), "81.%d.%d.1", 2 + i / 250, i % 250);
        add(&b, ip, (uint32_t)(64500 + i % 700), "camera", 50, 1000);
    }
    bw_http__image_builder_done(&b);
    assert_int_equal(im.n, 5000);
    check(&im, "81.2.0.1", 64500, "camera", 50);
    check(&im, "81.21.249.1", 64500 + 4999 % 700, "camera", 50);
    bw_http__image_free(&im);
}

static void a_delta_replaces_joins_and_leaves_out(void **state)
{
    struct bw_http_image_builder b;
    struct bw_http_image old, delta, out;

    (void)state;
    bw_http__image_builder_init(&b, &old);
    add(&b, "81.2.69.1", 64500, "", 40, 1000);
    add(&b, "81.2.69.3", 64500, "", 40, 1000);
    add(&b, "81.2.69.5", 64500, "", 40, 1000);
    bw_http__image_builder_done(&b);
    bw_http__image_builder_init(&b, &delta);
    add(&b, "81.2.69.0", 64501, "dvr", 30, 2000);  /* joins, first */
    add(&b, "81.2.69.3", 64502, "nas", 90, 2000);  /* replaces */
    add(&b, "81.2.69.4", 64503, "", 30, 10);       /* last report before the window */
    add(&b, "81.2.69.9", 64504, "", 20, 2000);     /* joins, last */
    bw_http__image_builder_done(&b);
    bw_http__image_merge(&old, &delta, 500, &out);
    assert_int_equal(out.n, 5);
    check(&out, "81.2.69.0", 64501, "dvr", 30);
    check(&out, "81.2.69.1", 64500, "", 40);
    check(&out, "81.2.69.3", 64502, "nas", 90);
    check(&out, "81.2.69.4", 0, "", 0);
    check(&out, "81.2.69.5", 64500, "", 40);
    check(&out, "81.2.69.9", 64504, "", 20);
    for (size_t i = 1; i < out.n; i++)
        assert_true(bw_addr_cmp(&out.dev[i - 1].addr, &out.dev[i].addr) < 0);
    check(&old, "81.2.69.3", 64500, "", 40); /* the old image is untouched */
    bw_http__image_free(&delta);
    /* a delta whose records are known already adds nothing to the pool */
    {
        struct bw_http_image again, out2;

        bw_http__image_builder_init(&b, &again);
        add(&b, "81.2.69.1", 64500, "", 45, 2000);
        add(&b, "81.2.69.9", 64504, "", 25, 2000);
        bw_http__image_builder_done(&b);
        bw_http__image_merge(&out, &again, 500, &out2);
        assert_int_equal(out2.pool_len, out.pool_len);
        assert_int_equal(out2.n, out.n);
        check(&out2, "81.2.69.1", 64500, "", 45);
        check(&out2, "81.2.69.9", 64504, "", 25);
        bw_http__image_free(&again);
        bw_http__image_free(&out2);
    }
    bw_http__image_free(&old);
    bw_http__image_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_enrichment_is_stored_once),
        cmocka_unit_test(many_records_grow_the_table),
        cmocka_unit_test(a_delta_replaces_joins_and_leaves_out),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
