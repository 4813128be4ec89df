/*
 * tests/unit/notify/test_mime.c - the whole e-mail: read back by Python's email package (an
 * independent MIME reader) and compared with the forms it carries, byte for byte; line ends
 * and lengths checked on the raw bytes; hostile names and addresses never reach a header
 * line of their own.
 */
#include "test.h"

#include "notice_fixture.h"

struct mail {
    char dir[64];
    char path[128];
    struct bw_buf raw;
    json_t *parsed;
};

static void mail_render(struct mail *m, const struct bw_notice *n)
{
    fx_tmpdir(m->dir, sizeof(m->dir));
    snprintf(m->path, sizeof(m->path), "%s/m.eml", m->dir);
    bw_buf_init(&m->raw, 0);
    assert_int_equal(bw_notice_mime(n, &m->raw), BW_OK);
    fx_write(m->path, m->raw.data, m->raw.len);
    m->parsed = fx_parse_mime(m->path);
    assert_non_null(m->parsed);
    assert_int_equal(json_array_size(json_object_get(m->parsed, "defects")), 0);
}

static void mail_free(struct mail *m)
{
    json_decref(m->parsed);
    bw_buf_cleanup(&m->raw);
    fx_rmdir(m->dir);
}

/* The form a part must carry, rendered afresh. */
static void expect_part(struct mail *m, size_t i, const char *type, const char *filename,
                        const struct bw_buf *want)
{
    size_t len;
    char *got = fx_part(m->parsed, i, &len);

    assert_string_equal(fx_part_attr(m->parsed, i, "type"), type);
    assert_string_equal(fx_part_attr(m->parsed, i, "filename"), filename);
    assert_true(fx_same_text(got, len, want->data, want->len));
    free(got);
}

static void parts_carry_the_forms(void **state)
{
    struct fx f;
    struct mail m;
    struct bw_buf want;
    char name[64];

    (void)state;
    fx_init(&f);
    mail_render(&m, &f.n);
    assert_int_equal(json_array_size(json_object_get(m.parsed, "parts")), 3 + 3);
    /* The body: quoted-printable UTF-8 that decodes to the text (with CRLF line ends). */
    assert_string_equal(fx_part_attr(m.parsed, 0, "type"), "text/plain");
    assert_string_equal(fx_part_attr(m.parsed, 0, "charset"), "utf-8");
    assert_string_equal(fx_part_attr(m.parsed, 0, "cte"), "quoted-printable");
    bw_buf_init(&want, 0);
    assert_int_equal(bw_notice_text(&f.n, &want), BW_OK);
    char *body = fx_part(m.parsed, 0, NULL);
    size_t w = 0;
    for (size_t r = 0; body[r] != '\0'; r++) /* CRLF -> LF */
        if (!(body[r] == '\r' && body[r + 1] == '\n'))
            body[w++] = body[r];
    body[w] = '\0';
    assert_string_equal(body, want.data);
    free(body);
    bw_buf_reset(&want);
    assert_int_equal(bw_notice_csv(&f.n, &want), BW_OK);
    expect_part(&m, 1, "text/csv", "botwatch-case-17.csv", &want);
    assert_string_equal(fx_part_attr(m.parsed, 1, "disposition"), "attachment");
    bw_buf_reset(&want);
    assert_int_equal(bw_notice_iodef(&f.n, &want), BW_OK);
    expect_part(&m, 2, "application/xml", "botwatch-case-17.iodef.xml", &want);
    for (size_t i = 0; i < 3; i++) {
        bw_buf_reset(&want);
        assert_int_equal(bw_notice_xarf(&f.n, i, &want), BW_OK);
        snprintf(name, sizeof(name), "botwatch-case-17-xarf-%zu.json", i + 1);
        expect_part(&m, 3 + i, "application/json", name, &want);
    }
    bw_buf_cleanup(&want);
    mail_free(&m);
}

static void headers_read_back(void **state)
{
    struct fx f;
    struct mail m;

    (void)state;
    fx_init(&f);
    mail_render(&m, &f.n);
    assert_string_equal(fx_header(m.parsed, "Subject"),
                        "[botwatch] case 17: 3 compromised devices in AS20712 (aaisp)");
    assert_string_equal(fx_header(m.parsed, "Date"), "Thu, 28 May 2026 20:26:40 +0000");
    assert_string_equal(fx_header(m.parsed, "Message-ID"),
                        "<case-17-aaisp-0-1780000000@registry.example>");
    assert_string_equal(fx_header(m.parsed, "Auto-Submitted"), "auto-generated");
    assert_string_equal(fx_header(m.parsed, "MIME-Version"), "1.0");
    json_t *from = json_array_get(json_object_get(json_object_get(m.parsed, "addresses"),
                                                  "From"), 0);
    assert_string_equal(json_string_value(json_array_get(from, 0)),
                        "botwatch at registry.example");
    assert_string_equal(json_string_value(json_array_get(from, 1)), "botwatch@registry.example");
    json_t *to = json_array_get(json_object_get(json_object_get(m.parsed, "addresses"), "To"),
                                0);
    assert_string_equal(json_string_value(json_array_get(to, 1)), "abuse@aaisp.example");
    mail_free(&m);
}

/* CRLF everywhere, no bare CR or LF, lines within 78 characters; inside a part sent as 7bit
 * (text attachments), within 998 (RFC 5322's hard limit). */
static void check_lines(const struct bw_buf *raw)
{
    static const char cte7[] = "Content-Transfer-Encoding: 7bit";
    size_t col = 0, start = 0, limit = 78;

    for (size_t i = 0; i < raw->len; i++) {
        if (raw->data[i] == '\r') {
            assert_true(i + 1 < raw->len && raw->data[i + 1] == '\n');
            if (i - start == sizeof(cte7) - 1 && memcmp(raw->data + start, cte7, i - start) == 0)
                limit = 998; /* up to the next boundary */
            i++;
            col = 0;
            start = i + 1;
            if (start + 1 < raw->len && raw->data[start] == '-' && raw->data[start + 1] == '-')
                limit = 78;
            continue;
        }
        assert_true(raw->data[i] != '\n');
        col++;
        if (col > limit)
            fail_msg("line over %zu characters at byte %zu: %.100s", limit, i,
                     raw->data + i - 78);
    }
    assert_int_equal(col, 0); /* ends with CRLF */
}

/* The header section: up to the first empty line. */
static char *header_section(const struct bw_buf *raw)
{
    const char *end = strstr(raw->data, "\r\n\r\n");

    assert_non_null(end);
    return bw_xstrndup(raw->data, (size_t)(end - raw->data) + 2);
}

static void hostile_names_stay_inside_their_header(void **state)
{
    struct fx f;
    struct mail m;

    (void)state;
    fx_init(&f);
    f.n.contact = "aaisp\r\nBcc: victim@example.net";
    f.n.registry_name = "botwatch\n\rX-Evil: 1 \"quoted\" \\";
    f.n.level = 2;
    f.n.escalated_from = "Fournisseur d'acc\xc3\xa8s \xe2\x9c\x93 \xff\r\nSubject: spoofed";
    mail_render(&m, &f.n);
    check_lines(&m.raw);
    char *head = header_section(&m.raw);
    assert_null(strstr(head, "\r\nBcc:"));
    assert_null(strstr(head, "\r\nX-Evil:"));
    assert_null(strstr(head, "\r\nSubject: spoofed"));
    assert_non_null(strstr(head, "=?UTF-8?B?")); /* the non-ASCII subject is encoded */
    free(head);
    assert_string_equal(fx_header(m.parsed, "Subject"),
                        "[botwatch] case 17, escalation 2: 3 compromised devices in AS20712 "
                        "(Fournisseur d'acc\xc3\xa8s \xe2\x9c\x93 ?  Subject: spoofed)");
    json_t *addrs = json_object_get(m.parsed, "addresses");
    json_t *to = json_array_get(json_object_get(addrs, "To"), 0);
    assert_int_equal(json_array_size(json_object_get(addrs, "To")), 1);
    assert_string_equal(json_string_value(json_array_get(to, 0)), "aaisp  Bcc: victim@example.net");
    assert_string_equal(json_string_value(json_array_get(to, 1)), "abuse@aaisp.example");
    json_t *from = json_array_get(json_object_get(addrs, "From"), 0);
    assert_string_equal(json_string_value(json_array_get(from, 0)),
                        "botwatch  X-Evil: 1 \"quoted\" \\");
    mail_free(&m);
}

static void long_subjects_fold_and_read_back(void **state)
{
    char who[400];
    struct fx f;
    struct mail m;

    (void)state;
    fx_init(&f);
    snprintf(who, sizeof(who), "%s", "a very long contact name ");
    for (int i = 0; i < 12; i++)
        strncat(who, "with many words ", sizeof(who) - strlen(who) - 1);
    strncat(who, "end", sizeof(who) - strlen(who) - 1);
    f.n.contact = who;
    mail_render(&m, &f.n);
    check_lines(&m.raw);
    const char *subj = fx_header(m.parsed, "Subject");
    assert_non_null(strstr(subj, who));
    mail_free(&m);

    /* Non-ASCII and long: many encoded-words, each within the line limit. */
    snprintf(who, sizeof(who), "%s", "");
    for (int i = 0; i < 40; i++)
        strncat(who, "\xc3\xa9t\xc3\xa9 ", sizeof(who) - strlen(who) - 1);
    f.n.contact = who;
    mail_render(&m, &f.n);
    check_lines(&m.raw);
    assert_non_null(strstr(fx_header(m.parsed, "Subject"), "\xc3\xa9t\xc3\xa9 \xc3\xa9t"));
    mail_free(&m);
}

static void bodies_keep_to_76_and_crlf(void **state)
{
    char evidence[600];
    struct fx f;
    struct mail m;

    (void)state;
    fx_init(&f);
    char dots[300];
    memset(evidence, '=', sizeof(evidence) - 1); /* every byte encoded: 3 columns each */
    evidence[sizeof(evidence) - 1] = '\0';
    memset(dots, '.', sizeof(dots) - 1);
    dots[sizeof(dots) - 1] = '\0';
    f.dev[0].evidence[1] = dots;
    f.dev[0].evidence[2] = evidence;
    mail_render(&m, &f.n);
    check_lines(&m.raw);
    /* Past the headers no encoded line is longer than 76 (text attachments sent as 7bit keep
     * their own lines, up to 998: check_lines above) */
    const char *body = strstr(m.raw.data, "\r\n\r\n") + 4;
    bool seven = false;
    for (const char *p = body; *p != '\0';) {
        const char *e = strstr(p, "\r\n");
        if (strncmp(p, "Content-Transfer-Encoding: 7bit", (size_t)(e - p)) == 0 && e - p == 31)
            seven = true;
        else if (strncmp(p, "--", 2) == 0)
            seven = false;
        assert_true(seven || e - p <= 76);
        p = e + 2;
    }
    /* No line of the message starts with a dot (SMTP's end of data), however the soft
     * breaks of quoted-printable fall. */
    assert_null(strstr(m.raw.data, "\r\n."));
    char *text = fx_part(m.parsed, 0, NULL);
    assert_non_null(strstr(text, evidence));
    assert_non_null(strstr(text, dots));
    free(text);
    mail_free(&m);
}

static void addresses_are_checked(void **state)
{
    const char *bad[] = { "abuse@x.example\r\nBcc: y@z.example", "no-at-sign", "a@b@c",
                          "<a@b.example>", "a b@c.example", "@b.example", "a@", "" };
    struct fx f;
    struct bw_buf out;

    (void)state;
    fx_init(&f);
    for (size_t i = 0; i < BW_ARRAY_LEN(bad); i++) {
        bw_buf_init(&out, 0);
        f.n.to = bad[i];
        f.n.from = "botwatch@registry.example";
        if (bad[i][0] != '\0') /* "" is no recipient (a dry run): the group below */
            assert_int_equal(bw_notice_mime(&f.n, &out), BW_EINVAL);
        f.n.to = "abuse@aaisp.example";
        f.n.from = bad[i];
        assert_int_equal(bw_notice_mime(&f.n, &out), BW_EINVAL);
        bw_buf_cleanup(&out);
    }
    f.n.from = "botwatch@registry.example";
    f.n.to = "";
    bw_buf_init(&out, 0);
    assert_int_equal(bw_notice_mime(&f.n, &out), BW_OK);
    assert_non_null(strstr(out.data, "\r\nTo: undisclosed-recipients:;\r\n"));
    bw_buf_cleanup(&out);
}

static void boundary_follows_the_key(void **state)
{
    struct fx f;
    struct mail a, b;

    (void)state;
    fx_init(&f);
    mail_render(&a, &f.n);
    f.n.idem_key = "case-17-aaisp-0-1780000001";
    mail_render(&b, &f.n);
    const char *ba = json_string_value(json_object_get(a.parsed, "boundary"));
    const char *bb = json_string_value(json_object_get(b.parsed, "boundary"));
    assert_int_equal(strncmp(ba, "=_bw_", 5), 0);
    assert_int_equal(strlen(ba), 5 + 32);
    assert_string_not_equal(ba, bb);
    assert_non_null(strstr(b.raw.data, "Message-ID: <case-17-aaisp-0-1780000001@registry.example>"));
    mail_free(&a);
    mail_free(&b);
}

/* Over 100 devices the X-ARF parts are left out; the CSV and IODEF carry them all. */
static void many_devices_leave_out_xarf(void **state)
{
    struct fx f;
    struct mail m;
    struct bw_notice_device *many = calloc(101, sizeof(*many));

    (void)state;
    fx_init(&f);
    for (size_t i = 0; i < 101; i++) {
        many[i] = f.dev[i % 3];
        many[i].addr.b[15] = (uint8_t)i;
    }
    f.n.dev = many;
    f.n.n_dev = 101;
    mail_render(&m, &f.n);
    assert_int_equal(json_array_size(json_object_get(m.parsed, "parts")), 3);
    size_t len;
    char *csv = fx_part(m.parsed, 1, &len);
    size_t rows = 0;
    for (size_t i = 0; i < len; i++)
        rows += csv[i] == '\n';
    assert_int_equal(rows, 102);
    free(csv);
    mail_free(&m);
    free(many);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parts_carry_the_forms),
        cmocka_unit_test(headers_read_back),
        cmocka_unit_test(hostile_names_stay_inside_their_header),
        cmocka_unit_test(long_subjects_fold_and_read_back),
        cmocka_unit_test(bodies_keep_to_76_and_crlf),
        cmocka_unit_test(addresses_are_checked),
        cmocka_unit_test(boundary_follows_the_key),
        cmocka_unit_test(many_devices_leave_out_xarf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
