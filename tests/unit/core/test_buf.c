/*
 * tests/unit/core/test_buf.c - growing buffers: NUL termination, growth, the cap.
 */
#include "test.h"
#include "core/core.h"

static void appends_and_stays_terminated(void **state)
{
    struct bw_buf b;
    (void)state;

    bw_buf_init(&b, 0);
    assert_non_null(b.data);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(bw_buf_append(&b, "abc", 3), BW_OK);
    assert_int_equal(bw_buf_append(&b, "", 0), BW_OK);
    assert_int_equal(bw_buf_append(&b, "def", 3), BW_OK);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.data, "abcdef");
    bw_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    bw_buf_cleanup(&b);
    assert_null(b.data);
    bw_buf_cleanup(NULL);
}

static void grows_past_the_first_allocation(void **state)
{
    struct bw_buf b;
    char chunk[100];
    (void)state;

    memset(chunk, 'x', sizeof(chunk));
    bw_buf_init(&b, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(bw_buf_append(&b, chunk, sizeof(chunk)), BW_OK);
    assert_int_equal(b.len, 100000);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(b.data[99999], 'x');
    bw_buf_cleanup(&b);
}

static void printf_appends(void **state)
{
    struct bw_buf b;
    char big[1000];
    (void)state;

    bw_buf_init(&b, 0);
    assert_int_equal(bw_buf_printf(&b, "%s=%d", "n", 42), BW_OK);
    assert_int_equal(bw_buf_printf(&b, " %s", ""), BW_OK);
    assert_string_equal(b.data, "n=42 ");
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    /* Longer than whatever is allocated: the second formatting pass must be used. */
    assert_int_equal(bw_buf_printf(&b, "[%s]", big), BW_OK);
    assert_int_equal(b.len, 5 + 1 + 999 + 1);
    assert_int_equal(b.data[5], '[');
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len], '\0');
    bw_buf_cleanup(&b);
}

static void cap_refuses_and_leaves_the_buffer_alone(void **state)
{
    struct bw_buf b;
    (void)state;

    bw_buf_init(&b, 5);
    assert_int_equal(bw_buf_append(&b, "abc", 3), BW_OK);
    assert_int_equal(bw_buf_append(&b, "def", 3), BW_ETOOBIG);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    assert_int_equal(bw_buf_printf(&b, "%d", 123), BW_ETOOBIG);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    assert_int_equal(bw_buf_printf(&b, "%d", 45), BW_OK); /* exactly at the cap */
    assert_string_equal(b.data, "abc45");
    assert_int_equal(bw_buf_append(&b, "", 0), BW_OK);
    assert_int_equal(bw_buf_append(&b, "!", 1), BW_ETOOBIG);
    assert_int_equal(bw_buf_append(&b, "!", SIZE_MAX), BW_ETOOBIG);
    assert_string_equal(b.data, "abc45");
    bw_buf_cleanup(&b);

    bw_buf_init(&b, 0);
    assert_int_equal(bw_buf_append(&b, "a", 1), BW_OK);
    assert_int_equal(bw_buf_append(&b, "!", SIZE_MAX), BW_ETOOBIG);
    assert_string_equal(b.data, "a");
    bw_buf_cleanup(&b);
}

static void zeroed_struct_works(void **state)
{
    struct bw_buf b = { 0 };
    (void)state;

    assert_int_equal(bw_buf_append(&b, "hi", 2), BW_OK);
    assert_string_equal(b.data, "hi");
    bw_buf_cleanup(&b);
    struct bw_buf c = { 0 };
    assert_int_equal(bw_buf_printf(&c, "%u", 7u), BW_OK);
    assert_string_equal(c.data, "7");
    bw_buf_cleanup(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_and_stays_terminated),
        cmocka_unit_test(grows_past_the_first_allocation),
        cmocka_unit_test(printf_appends),
        cmocka_unit_test(cap_refuses_and_leaves_the_buffer_alone),
        cmocka_unit_test(zeroed_struct_works),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
