/*
 * fuzz/fuzz_notice.c - libFuzzer target for the notice renderers (notify/render.c, mime.c).
 * The input is a small header (device count, categories, ports, times, flags) followed by
 * NUL-separated strings that become every free-text field of a notice and its devices.
 * Properties checked (abort on violation, so the fuzzer records the input):
 *  - the text body renders, is valid UTF-8 and holds no control character but LF;
 *  - the CSV, read back by an RFC 4180 reader, has exactly n_dev + 1 records of 11 fields;
 *  - the webhook JSON and every X-ARF report parse with jansson;
 *  - the IODEF document parses with expat and holds one Incident per device;
 *  - the MIME message either is refused for an invalid address (BW_EINVAL) or uses CRLF
 *    only, and every header line is one of ours or a folded continuation: no field can
 *    start a header (injection); rendering it twice gives the same bytes.
 */
#include "notify/notice.h"

#include <expat.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_notice: check failed: %s (line %d)\n", #cond, __LINE__);     \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#define MAX_DEV 3
#define HEAD_BYTES 16

/* NUL-separated strings from the input; "" once it runs out. */
struct fields {
    char *copy;
    size_t len, at;
};

static const char *next_field(struct fields *f)
{
    if (f->at >= f->len)
        return "";
    const char *s = f->copy + f->at;
    f->at += strlen(s) + 1;
    return s;
}

static void fill_array(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s);
}

static void build_device(struct bw_notice_device *d, const uint8_t *h, size_t i, struct fields *f)
{
    memset(d, 0, sizeof(*d));
    memcpy(d->addr.b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
    d->addr.b[12] = 81;
    d->addr.b[13] = h[1];
    d->addr.b[14] = h[2];
    d->addr.b[15] = (uint8_t)(h[3] + i);
    if (h[0] & 0x40) /* an IPv6 device */
        memcpy(d->addr.b, "\x2a\x02\x80\x10\0\0\0\0\0\0\0\0", 12);
    d->cats = ((bw_catmask)h[4] << 8 | h[5]) >> i & ((1u << BW_CAT_COUNT) - 1);
    d->port = (uint16_t)(h[6] << 8 | h[7]);
    d->first_s = 1700000000 + (int64_t)h[8] * 3600;
    d->last_s = d->first_s + (int64_t)h[9] * 60;
    d->reports = h[10];
    d->reporters = h[11] & 7;
    d->score = h[12] % 101;
    d->en.asn = h[13] & 1 ? 20712u : 0u;
    d->controller_juris = (enum bw_juris)(h[14] & 3);
    d->target_juris = (enum bw_juris)(h[14] >> 2 & 3);
    d->is_new = h[15] & 1;
    fill_array(d->en.as_org, sizeof(d->en.as_org), next_field(f));
    fill_array(d->en.country, sizeof(d->en.country), next_field(f));
    fill_array(d->en.device_type, sizeof(d->en.device_type), next_field(f));
    fill_array(d->en.device_vendor, sizeof(d->en.device_vendor), next_field(f));
    fill_array(d->en.device_model, sizeof(d->en.device_model), next_field(f));
    d->hostname = next_field(f);
    d->controller = next_field(f);
    d->controller_country = next_field(f);
    for (size_t k = 0; k < 3; k++)
        d->evidence[k] = next_field(f);
    d->advice = next_field(f);
}

static void build_notice(struct bw_notice *n, struct bw_notice_device *dev, const uint8_t *h,
                         struct fields *f)
{
    memset(n, 0, sizeof(*n));
    n->n_dev = h[0] % (MAX_DEV + 1);
    n->case_id = h[1];
    n->level = h[2] & 3;
    n->sent_s = 1780000000;
    n->due_s = n->sent_s + 72 * 3600;
    n->idem_key = next_field(f);
    n->contact = next_field(f);
    n->contact_role = next_field(f);
    n->registry_name = next_field(f);
    n->escalated_from = next_field(f);
    n->history = next_field(f);
    n->ack_url = next_field(f);
    const char *to = next_field(f), *from = next_field(f);
    /* Half the inputs keep good addresses so the headers with hostile names get rendered. */
    n->to = h[0] & 0x80 ? to : "abuse@isp.example";
    n->from = h[0] & 0x80 ? from : "botwatch@registry.example";
    for (size_t i = 0; i < n->n_dev; i++)
        build_device(&dev[i], h, i, f);
    n->dev = dev;
}

/* Records of an RFC 4180 text (CRLF-terminated); -1 when a record is not 11 fields. */
static long csv_records(const char *s, size_t len)
{
    long records = 0;
    size_t fields = 1;
    bool quoted = false;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') {
            quoted = !quoted; /* a doubled quote toggles twice */
        } else if (!quoted && s[i] == ',') {
            fields++;
        } else if (!quoted && s[i] == '\r') {
            CHECK(i + 1 < len && s[i + 1] == '\n');
            if (fields != 11)
                return -1;
            records++;
            fields = 1;
            i++;
        } else {
            CHECK(quoted || s[i] != '\n');
        }
    }
    CHECK(!quoted && fields == 1);
    return records;
}

struct xml_count {
    size_t incidents;
};

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xml_count *c = ud;

    (void)atts;
    c->incidents += strcmp(name, "urn:ietf:params:xml:ns:iodef-2.0|Incident") == 0;
}

static void check_iodef(const struct bw_notice *n)
{
    struct bw_buf b;
    struct xml_count c = { 0 };

    bw_buf_init(&b, 0);
    int rc = bw_notice_iodef(n, &b);
    CHECK(rc == (n->n_dev > 0 ? BW_OK : BW_EINVAL));
    if (rc == BW_OK) {
        XML_Parser p = XML_ParserCreateNS(NULL, '|');
        XML_SetUserData(p, &c);
        XML_SetStartElementHandler(p, on_start);
        CHECK(XML_Parse(p, b.data, (int)b.len, 1) == XML_STATUS_OK);
        XML_ParserFree(p);
        CHECK(c.incidents == n->n_dev);
    }
    bw_buf_cleanup(&b);
}

static void check_json(const struct bw_notice *n)
{
    struct bw_buf b;
    json_error_t err;

    bw_buf_init(&b, 0);
    CHECK(bw_notice_json(n, &b) == BW_OK);
    json_t *j = json_loadb(b.data, b.len, 0, &err);
    CHECK(j != NULL);
    CHECK(json_array_size(json_object_get(j, "devices")) == n->n_dev);
    json_decref(j);
    for (size_t i = 0; i < n->n_dev; i++) {
        bw_buf_reset(&b);
        CHECK(bw_notice_xarf(n, i, &b) == BW_OK);
        j = json_loadb(b.data, b.len, 0, &err);
        CHECK(j != NULL);
        CHECK(json_is_object(json_object_get(j, "Report")));
        json_decref(j);
    }
    bw_buf_cleanup(&b);
}

static void check_text_and_csv(const struct bw_notice *n)
{
    struct bw_buf b;

    bw_buf_init(&b, 0);
    CHECK(bw_notice_text(n, &b) == BW_OK);
    CHECK(bw_utf8_valid(b.data, b.len));
    for (size_t i = 0; i < b.len; i++)
        CHECK((unsigned char)b.data[i] >= 0x20 || b.data[i] == '\n');
    bw_buf_reset(&b);
    CHECK(bw_notice_csv(n, &b) == BW_OK);
    CHECK(csv_records(b.data, b.len) == (long)n->n_dev + 1);
    bw_buf_cleanup(&b);
}

static bool our_header(const char *line)
{
    static const char *const names[] = { "From:", "To:", "Subject:", "Date:", "Message-ID:",
                                         "Auto-Submitted:", "X-Botwatch-Case:",
                                         "X-Botwatch-Level:", "MIME-Version:", "Content-Type:" };

    if (line[0] == ' ' || line[0] == '\t')
        return true; /* a folded continuation */
    for (size_t i = 0; i < BW_ARRAY_LEN(names); i++) {
        if (strncmp(line, names[i], strlen(names[i])) == 0)
            return true;
    }
    return false;
}

static void check_mime(const struct bw_notice *n)
{
    struct bw_buf a, b;

    bw_buf_init(&a, 0);
    bw_buf_init(&b, 0);
    int rc = bw_notice_mime(n, &a);
    CHECK(rc == BW_OK || rc == BW_EINVAL);
    if (rc == BW_OK) {
        for (size_t i = 0; i < a.len; i++) { /* CRLF only */
            CHECK(a.data[i] != '\r' || (i + 1 < a.len && a.data[i + 1] == '\n'));
            CHECK(a.data[i] != '\n' || (i > 0 && a.data[i - 1] == '\r'));
        }
        const char *end = strstr(a.data, "\r\n\r\n");
        CHECK(end != NULL);
        for (const char *line = a.data; line < end + 2;) {
            CHECK(our_header(line));
            line = strstr(line, "\r\n") + 2;
        }
        CHECK(bw_notice_mime(n, &b) == BW_OK);
        CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    }
    bw_buf_cleanup(&a);
    bw_buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bw_notice n;
    struct bw_notice_device dev[MAX_DEV];
    uint8_t head[HEAD_BYTES] = { 0 };
    struct fields f;

    if (size > 8192)
        return 0;
    memcpy(head, data, size < HEAD_BYTES ? size : HEAD_BYTES);
    f.len = size > HEAD_BYTES ? size - HEAD_BYTES : 0;
    f.copy = malloc(f.len + 1);
    memcpy(f.copy, data + (size > HEAD_BYTES ? HEAD_BYTES : size), f.len);
    f.copy[f.len] = '\0';
    f.at = 0;
    build_notice(&n, dev, head, &f);
    check_text_and_csv(&n);
    check_json(&n);
    check_iodef(&n);
    check_mime(&n);
    free(f.copy);
    return 0;
}
