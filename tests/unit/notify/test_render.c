/*
 * tests/unit/notify/test_render.c - the forms of a notice, each parsed back by an independent
 * reader and compared field by field: the CSV by an RFC 4180 reader, JSON and X-ARF by
 * jansson (X-ARF also against the abusix JSON schemas), IODEF by expat; the text body by what
 * a reader sees. Hostile field values must come out cleaned and never break the structure.
 */
#include "test.h"

#include "notice_fixture.h"
#include "notify/render_int.h"

#include <expat.h>

/* What cleaning makes of EVIL_EVIDENCE: CR, LF and U+202E become spaces, 0xff 0xfe '?'. */
#define EVIL_EVIDENCE_CLEAN "GET /cgi-bin/<script>&\"'  Injected: line?? end  "

static void render(int (*fn)(const struct bw_notice *, struct bw_buf *), const struct bw_notice *n,
                   struct bw_buf *out)
{
    bw_buf_init(out, 0);
    assert_int_equal(fn(n, out), BW_OK);
}

/* ---- an RFC 4180 reader: records as a JSON array of arrays of strings ---- */

static json_t *csv_parse(const char *s, size_t len)
{
    json_t *records = json_array(), *rec = json_array();
    struct bw_buf field;
    bool quoted = false, was_quoted = false;

    bw_buf_init(&field, 0);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (quoted && c == '"' && i + 1 < len && s[i + 1] == '"') {
            assert_int_equal(bw_buf_append(&field, "\"", 1), BW_OK);
            i++;
        } else if (c == '"' && (quoted || field.len == 0)) {
            quoted = !quoted;
            was_quoted = true;
        } else if (!quoted && (c == ',' || c == '\r')) {
            if (c == '\r') {
                assert_true(i + 1 < len && s[i + 1] == '\n'); /* CRLF, never a bare CR */
                i++;
            }
            json_array_append_new(rec, json_stringn(field.data, field.len));
            bw_buf_reset(&field);
            was_quoted = false;
            if (c == '\r') {
                json_array_append_new(records, rec);
                rec = json_array();
            }
        } else {
            assert_false(!quoted && c == '\n'); /* a bare LF would be a broken row */
            assert_false(was_quoted && !quoted); /* text after a closing quote */
            assert_int_equal(bw_buf_append(&field, &c, 1), BW_OK);
        }
    }
    assert_false(quoted);
    assert_int_equal(json_array_size(rec), 0); /* the last record ends in CRLF */
    json_decref(rec);
    bw_buf_cleanup(&field);
    return records;
}

static const char *cell(json_t *records, size_t row, size_t col)
{
    return json_string_value(json_array_get(json_array_get(records, row), col));
}

static void csv_round_trips(void **state)
{
    struct fx f;
    struct bw_buf out;

    (void)state;
    fx_init(&f);
    render(bw_notice_csv, &f.n, &out);
    json_t *r = csv_parse(out.data, out.len);
    assert_int_equal(json_array_size(r), f.n.n_dev + 1);
    const char *head[] = { "timestamp", "ip", "port", "asn", "geo", "hostname", "device_vendor",
                           "device_type", "device_model", "infection", "controller" };
    for (size_t c = 0; c < BW_ARRAY_LEN(head); c++)
        assert_string_equal(cell(r, 0, c), head[c]);
    for (size_t row = 0; row < json_array_size(r); row++)
        assert_int_equal(json_array_size(json_array_get(r, row)), BW_ARRAY_LEN(head));
    const char *row1[] = { "2026-05-28T20:16:40Z", "81.2.69.142", "22", "20712", "GB",
                           "host-142.aaisp.example", "MikroTik", "router", "RB750",
                           "scan;bruteforce", "175.16.199.7" };
    for (size_t c = 0; c < BW_ARRAY_LEN(row1); c++)
        assert_string_equal(cell(r, 1, c), row1[c]);
    /* The hostile row: line breaks gone, quotes and commas kept, the formula defused. */
    assert_string_equal(cell(r, 2, 5), "evil  Bcc: victim@example.net,\"x\"<b>&amp;");
    assert_string_equal(cell(r, 2, 10), "'=HYPERLINK(\"http://x\")");
    assert_string_equal(cell(r, 2, 9), "bot");
    /* Unknown port and ASN are empty, not 0. */
    assert_string_equal(cell(r, 3, 1), "2a02:8010::1");
    assert_string_equal(cell(r, 3, 2), "8080");
    assert_string_equal(cell(r, 2, 2), "");
    json_decref(r);
    bw_buf_cleanup(&out);
}

static void csv_of_no_devices_is_the_header(void **state)
{
    struct fx f;
    struct bw_buf out;

    (void)state;
    fx_init(&f);
    f.n.n_dev = 0;
    render(bw_notice_csv, &f.n, &out);
    assert_string_equal(out.data, "timestamp,ip,port,asn,geo,hostname,device_vendor,device_type,"
                                  "device_model,infection,controller\r\n");
    bw_buf_cleanup(&out);
}

/* ---- JSON ---- */

static void webhook_json_round_trips(void **state)
{
    struct fx f;
    struct bw_buf out;
    json_error_t err;

    (void)state;
    fx_init(&f);
    render(bw_notice_json, &f.n, &out);
    json_t *j = json_loadb(out.data, out.len, 0, &err);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "case_id")), 17);
    assert_string_equal(json_string_value(json_object_get(j, "contact")), "aaisp");
    assert_int_equal(json_integer_value(json_object_get(j, "level")), 0);
    assert_string_equal(json_string_value(json_object_get(j, "sent")), "2026-05-28T20:26:40Z");
    assert_string_equal(json_string_value(json_object_get(j, "due")), "2026-05-31T20:26:40Z");
    assert_string_equal(json_string_value(json_object_get(j, "ack_url")), f.n.ack_url);
    json_t *devs = json_object_get(j, "devices");
    assert_int_equal(json_array_size(devs), 3);
    json_t *d0 = json_array_get(devs, 0), *d1 = json_array_get(devs, 1);
    assert_string_equal(json_string_value(json_object_get(d0, "ip")), "81.2.69.142");
    assert_int_equal(json_integer_value(json_object_get(d0, "port")), 22);
    assert_int_equal(json_integer_value(json_object_get(d0, "asn")), 20712);
    assert_string_equal(json_string_value(json_object_get(d0, "timestamp")),
                        "2026-05-28T20:16:40Z");
    assert_string_equal(json_string_value(json_object_get(d0, "infection")), "scan;bruteforce");
    assert_string_equal(json_string_value(json_array_get(json_object_get(d0, "categories"), 1)),
                        "bruteforce");
    assert_true(json_real_value(json_object_get(d0, "score")) == 68.0);
    assert_true(json_is_true(json_object_get(d0, "new")));
    assert_true(json_is_null(json_object_get(d1, "port")));
    assert_string_equal(json_string_value(json_object_get(d1, "hostname")),
                        "evil  Bcc: victim@example.net,\"x\"<b>&amp;");
    json_decref(j);
    bw_buf_cleanup(&out);
}

/* ---- X-ARF ---- */

static json_t *xarf_of(const struct bw_notice *n, size_t i)
{
    struct bw_buf out;
    json_error_t err;

    bw_buf_init(&out, 0);
    assert_int_equal(bw_notice_xarf(n, i, &out), BW_OK);
    json_t *j = json_loadb(out.data, out.len, 0, &err);
    if (j == NULL)
        fail_msg("X-ARF does not parse: %s\n%s", err.text, out.data);
    bw_buf_cleanup(&out);
    return j;
}

static const char *report_str(json_t *x, const char *key)
{
    return json_string_value(json_object_get(json_object_get(x, "Report"), key));
}

static void xarf_fields(void **state)
{
    struct fx f;

    (void)state;
    fx_init(&f);
    json_t *x = xarf_of(&f.n, 0);
    assert_string_equal(json_string_value(json_object_get(x, "Version")), "3");
    assert_true(json_is_true(json_object_get(x, "Disclosure")));
    json_t *ri = json_object_get(x, "ReporterInfo");
    assert_string_equal(json_string_value(json_object_get(ri, "ReporterOrg")),
                        "botwatch at registry.example");
    assert_string_equal(json_string_value(json_object_get(ri, "ReporterOrgDomain")),
                        "registry.example");
    assert_string_equal(json_string_value(json_object_get(ri, "ReporterOrgEmail")),
                        "botwatch@registry.example");
    assert_string_equal(report_str(x, "ReportClass"), "Activity");
    assert_string_equal(report_str(x, "ReportType"), "LoginAttack");
    assert_string_equal(report_str(x, "SourceIp"), "81.2.69.142");
    assert_string_equal(report_str(x, "Date"), "2026-05-28T20:16:40Z");
    assert_string_equal(report_str(x, "FirstSeen"), "2026-05-27T20:26:40Z");
    json_t *r = json_object_get(x, "Report");
    assert_int_equal(json_integer_value(json_object_get(r, "SourcePort")), 22);
    assert_int_equal(json_integer_value(json_object_get(r, "ASN")), 20712);
    json_t *s = json_array_get(json_object_get(r, "Samples"), 0);
    assert_string_equal(json_string_value(json_object_get(s, "Payload")), f.dev[0].evidence[0]);
    json_decref(x);

    x = xarf_of(&f.n, 1);
    assert_string_equal(report_str(x, "ReportType"), "Botnet");
    s = json_array_get(json_object_get(json_object_get(x, "Report"), "Samples"), 0);
    assert_string_equal(json_string_value(json_object_get(s, "Payload")), EVIL_EVIDENCE_CLEAN);
    json_decref(x);

    x = xarf_of(&f.n, 2);
    assert_string_equal(report_str(x, "ReportClass"), "Vulnerability");
    assert_string_equal(report_str(x, "ReportType"), "OpenService");
    assert_string_equal(report_str(x, "ServiceName"), "proxy");
    assert_string_equal(report_str(x, "SourceIp"), "2a02:8010::1");
    assert_null(json_object_get(json_object_get(x, "Report"), "Samples")); /* none: omitted */
    json_decref(x);

    struct bw_buf out;
    bw_buf_init(&out, 0);
    assert_int_equal(bw_notice_xarf(&f.n, 3, &out), BW_EINVAL);
    bw_buf_cleanup(&out);
}

/* The documented table (docs/notify.md, "Message formats"). */
static void xarf_category_table(void **state)
{
    static const struct {
        enum bw_category c;
        const char *cls, *type;
    } want[] = {
        { BW_CAT_SCAN, "Activity", "PortScan" },       { BW_CAT_BRUTEFORCE, "Activity", "LoginAttack" },
        { BW_CAT_EXPLOIT, "Activity", "Exploit" },     { BW_CAT_WEB_ATTACK, "Activity", "Exploit" },
        { BW_CAT_DDOS, "Activity", "DOS" },            { BW_CAT_SPAM, "Activity", "Spam" },
        { BW_CAT_MALWARE, "Content", "Malware" },      { BW_CAT_C2, "Content", "Botnet" },
        { BW_CAT_BOT, "Content", "Botnet" },           { BW_CAT_PHISHING, "Content", "Phishing" },
        { BW_CAT_PROXY, "Vulnerability", "OpenService" },
    };
    struct fx f;

    (void)state;
    fx_init(&f);
    for (size_t i = 0; i < BW_ARRAY_LEN(want); i++) {
        f.dev[0].cats = 1u << want[i].c;
        json_t *x = xarf_of(&f.n, 0);
        assert_string_equal(report_str(x, "ReportClass"), want[i].cls);
        assert_string_equal(report_str(x, "ReportType"), want[i].type);
        json_decref(x);
    }
    /* Several categories: what the device is wins over what it did. */
    f.dev[0].cats = (1u << BW_CAT_SCAN) | (1u << BW_CAT_MALWARE) | (1u << BW_CAT_SPAM);
    json_t *x = xarf_of(&f.n, 0);
    assert_string_equal(report_str(x, "ReportType"), "Malware");
    json_decref(x);
}

/* Every category's report validates against the published abusix schemas. */
static void xarf_validates_against_the_schemas(void **state)
{
    char dir[64], path[128], fixtures[512], args[4096] = "";
    struct fx f;
    size_t n = 0, used;

    (void)state;
    fx_init(&f);
    fx_tmpdir(dir, sizeof(dir));
    snprintf(fixtures, sizeof(fixtures), "%s/xarf",
             getenv("BW_FIXTURES") != NULL ? getenv("BW_FIXTURES") : "tests/fixtures");
    used = (size_t)snprintf(args, sizeof(args), "'%s'", fixtures);
    for (unsigned c = 0; c <= BW_CAT_COUNT; c++) {
        struct bw_buf out;
        f.dev[1].cats = c < BW_CAT_COUNT ? 1u << c : 0; /* and no category at all */
        f.dev[1].port = (uint16_t)(c * 1000);
        for (size_t i = 0; i < f.n.n_dev; i++) {
            bw_buf_init(&out, 0);
            assert_int_equal(bw_notice_xarf(&f.n, i, &out), BW_OK);
            snprintf(path, sizeof(path), "%s/x-%u-%zu.json", dir, c, i);
            fx_write(path, out.data, out.len);
            used += (size_t)snprintf(args + used, sizeof(args) - used, " '%s'", path);
            assert_true(used < sizeof(args));
            n++;
            bw_buf_cleanup(&out);
        }
    }
    json_t *res = fx_python_json("xarf_validate.py", args);
    assert_non_null(res);
    if (json_object_get(res, "skipped") != NULL) {
        print_message("SKIPPED schema validation: %s\n",
                      json_string_value(json_object_get(res, "skipped")));
    } else {
        json_t *errs = json_object_get(res, "errors");
        for (size_t i = 0; i < json_array_size(errs); i++)
            print_message("%s\n", json_string_value(json_array_get(errs, i)));
        assert_int_equal(json_array_size(errs), 0);
        assert_int_equal(json_integer_value(json_object_get(res, "valid")), n);
    }
    json_decref(res);
    fx_rmdir(dir);
}

/* ---- IODEF through expat: a flat list of {path, attrs, text} in document order ---- */

#define IODEF_NS "urn:ietf:params:xml:ns:iodef-2.0"

struct xml_walk {
    json_t *elems;      /* [{path, attrs{}, text}] */
    json_t *stack;      /* indexes into elems of the open elements */
    char path[1024];
    bool foreign_ns;    /* an element outside the IODEF namespace */
};

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xml_walk *w = ud;
    const char *local = strchr(name, '|');
    json_t *e = json_object(), *a = json_object();

    if (local == NULL || strncmp(name, IODEF_NS "|", strlen(IODEF_NS) + 1) != 0)
        w->foreign_ns = true;
    local = local != NULL ? local + 1 : name;
    size_t len = strlen(w->path);
    snprintf(w->path + len, sizeof(w->path) - len, "%s%s", len > 0 ? "/" : "", local);
    for (size_t i = 0; atts[i] != NULL; i += 2)
        json_object_set_new(a, atts[i], json_string(atts[i + 1]));
    json_object_set_new(e, "path", json_string(w->path));
    json_object_set_new(e, "attrs", a);
    json_object_set_new(e, "text", json_string(""));
    json_array_append_new(w->stack, json_integer((json_int_t)json_array_size(w->elems)));
    json_array_append_new(w->elems, e);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct xml_walk *w = ud;
    char *slash = strrchr(w->path, '/');

    (void)name;
    if (slash != NULL)
        *slash = '\0';
    else
        w->path[0] = '\0';
    json_array_remove(w->stack, json_array_size(w->stack) - 1);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct xml_walk *w = ud;
    size_t top = json_array_size(w->stack);

    if (top == 0)
        return;
    json_t *e = json_array_get(w->elems, (size_t)json_integer_value(json_array_get(w->stack, top - 1)));
    const char *old = json_string_value(json_object_get(e, "text"));
    char *joined = malloc(strlen(old) + (size_t)len + 1);
    memcpy(joined, old, strlen(old));
    memcpy(joined + strlen(old), s, (size_t)len);
    joined[strlen(old) + (size_t)len] = '\0';
    json_object_set_new(e, "text", json_string(joined));
    free(joined);
}

static json_t *xml_parse(const char *doc, size_t len)
{
    struct xml_walk w = { json_array(), json_array(), "", false };
    XML_Parser p = XML_ParserCreateNS(NULL, '|');

    XML_SetUserData(p, &w);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    if (XML_Parse(p, doc, (int)len, 1) != XML_STATUS_OK)
        fail_msg("IODEF is not well-formed XML: %s at line %lu",
                 XML_ErrorString(XML_GetErrorCode(p)), XML_GetCurrentLineNumber(p));
    XML_ParserFree(p);
    assert_false(w.foreign_ns);
    json_decref(w.stack);
    return w.elems;
}

/* The n-th element (0-based) whose path is path, within Incident number inc (0-based). */
static json_t *xml_find(json_t *elems, int inc, const char *path, int nth)
{
    int seen_inc = -1;
    size_t i;
    json_t *e;

    json_array_foreach(elems, i, e) {
        const char *p = json_string_value(json_object_get(e, "path"));
        if (strcmp(p, "IODEF-Document/Incident") == 0)
            seen_inc++;
        if (seen_inc == inc && strcmp(p, path) == 0 && nth-- == 0)
            return e;
    }
    return NULL;
}

static const char *xml_text_at(json_t *elems, int inc, const char *path, int nth)
{
    json_t *e = xml_find(elems, inc, path, nth);

    if (e == NULL)
        fail_msg("incident %d has no %s", inc, path);
    return json_string_value(json_object_get(e, "text"));
}

static const char *xml_attr(json_t *elems, int inc, const char *path, const char *attr)
{
    json_t *e = xml_find(elems, inc, path, 0);

    if (e == NULL)
        fail_msg("incident %d has no %s", inc, path);
    return json_string_value(json_object_get(json_object_get(e, "attrs"), attr));
}

#define INC "IODEF-Document/Incident/"
#define SRC INC "EventData/Flow/System"

static void iodef_parses_with_the_required_elements(void **state)
{
    struct fx f;
    struct bw_buf out;
    char ip[BW_ADDR_TEXT_MAX];

    (void)state;
    fx_init(&f);
    render(bw_notice_iodef, &f.n, &out);
    json_t *x = xml_parse(out.data, out.len);
    json_t *root = json_array_get(x, 0);
    assert_string_equal(json_string_value(json_object_get(root, "path")), "IODEF-Document");
    assert_string_equal(json_string_value(json_object_get(json_object_get(root, "attrs"),
                                                          "version")), "2.00");
    for (int i = 0; i < 3; i++) {
        const struct bw_notice_device *d = &f.dev[i];
        char id[32];
        snprintf(id, sizeof(id), "case-17-%d", i + 1);
        assert_string_equal(xml_text_at(x, i, INC "IncidentID", 0), id);
        assert_string_equal(xml_attr(x, i, INC "IncidentID", "name"), "registry.example");
        assert_string_equal(xml_attr(x, i, "IODEF-Document/Incident", "purpose"), "mitigation");
        assert_string_equal(xml_text_at(x, i, INC "GenerationTime", 0), "2026-05-28T20:26:40Z");
        assert_string_equal(xml_attr(x, i, INC "Assessment/SystemImpact", "type"),
                            "takeover-system");
        assert_string_equal(xml_attr(x, i, INC "Contact", "role"), "creator");
        assert_string_equal(xml_text_at(x, i, INC "Contact/Email/EmailTo", 0),
                            "botwatch@registry.example");
        assert_string_equal(xml_attr(x, i, SRC, "category"), "source");
        assert_string_equal(xml_text_at(x, i, SRC "/Node/Address", 0),
                            bw_addr_format(&d->addr, ip));
        assert_string_equal(xml_attr(x, i, SRC "/Node/Address", "category"),
                            bw_addr_is_v4(&d->addr) ? "ipv4-addr" : "ipv6-addr");
        if (d->port != 0) {
            char port[8];
            snprintf(port, sizeof(port), "%u", d->port);
            assert_string_equal(xml_text_at(x, i, SRC "/Service/Port", 0), port);
        } else {
            assert_null(xml_find(x, i, SRC "/Service/Port", 0));
        }
    }
    /* Evidence: the markup in it is text again after parsing, cleaned of line breaks. */
    assert_string_equal(xml_text_at(x, 0, INC "EventData/Record/RecordData/RecordItem", 0),
                        f.dev[0].evidence[0]);
    assert_string_equal(xml_text_at(x, 1, INC "EventData/Record/RecordData/RecordItem", 0),
                        EVIL_EVIDENCE_CLEAN);
    assert_string_equal(xml_text_at(x, 1, SRC "/Description", 0),
                        "evil  Bcc: victim@example.net,\"x\"<b>&amp;");
    assert_null(xml_find(x, 2, INC "EventData/Record", 0)); /* no evidence, no Record */
    /* The controller as a second system, a C2 server. */
    assert_string_equal(xml_text_at(x, 0, SRC "/Node/Address", 1), "175.16.199.7");
    assert_string_equal(xml_attr(x, 0, SRC "/NodeRole", "category"), "c2-server");
    assert_null(xml_find(x, 3, "IODEF-Document/Incident", 0));
    json_decref(x);
    bw_buf_cleanup(&out);

    f.n.n_dev = 0;
    bw_buf_init(&out, 0);
    assert_int_equal(bw_notice_iodef(&f.n, &out), BW_EINVAL);
    bw_buf_cleanup(&out);
}

/* ---- the text body ---- */

static void text_body_says_what_to_do(void **state)
{
    struct fx f;
    struct bw_buf out;

    (void)state;
    fx_init(&f);
    render(bw_notice_text, &f.n, &out);
    const char *t = out.data;
    assert_non_null(strstr(t, "case 17, 3 compromised devices"));
    assert_non_null(strstr(t, "devices:     3 (1 newly listed, 2 still listed)"));
    assert_non_null(strstr(t, "device types: router 2, camera 1"));
    assert_non_null(strstr(t, "vendors:     Hikvision 1, MikroTik 1"));
    assert_non_null(strstr(t, "1. 81.2.69.142 (newly listed)"));
    assert_non_null(strstr(t, "3. 2a02:8010::1 (still listed)"));
    assert_non_null(strstr(t, "seen:        2026-05-27T20:26:40Z .. 2026-05-28T20:16:40Z, "
                              "6 reports from 2 reporters"));
    assert_non_null(strstr(t, "network:     AS20712 Andrews & Arnold Ltd, 81.2.69.0/24, GB"));
    assert_non_null(strstr(t, "device:      MikroTik router RB750\n"));
    assert_non_null(strstr(t, "controller:  175.16.199.7 (CN), in another country"));
    assert_non_null(strstr(t, "targets:     in several countries"));
    assert_non_null(strstr(t, "     > Failed password for root from 81.2.69.142"));
    assert_non_null(strstr(t, "     > " EVIL_EVIDENCE_CLEAN "\n"));
    assert_non_null(strstr(t, "advice:      Update RouterOS"));
    assert_non_null(strstr(t, "Please acknowledge by: 2026-05-31T20:26:40Z"));
    assert_non_null(strstr(t, "Open this link: https://registry.example/ack/17?sig=abc"));
    assert_null(strstr(t, "Escalation")); /* level 0 */
    /* No field starts a line of its own; no control character but LF. */
    assert_null(strstr(t, "\nInjected"));
    assert_null(strstr(t, "\nBcc"));
    for (const unsigned char *p = (const unsigned char *)t; *p != '\0'; p++)
        assert_true(*p >= 0x20 || *p == '\n');
    assert_true(bw_utf8_valid(out.data, out.len));
    bw_buf_cleanup(&out);
}

static void text_body_of_an_escalation(void **state)
{
    struct fx f;
    struct bw_buf out;

    (void)state;
    fx_init(&f);
    f.n.level = 1;
    f.n.contact = "transit";
    f.n.contact_role = "upstream";
    f.n.escalated_from = "aaisp";
    f.n.history = "2026-05-28T20:26:40Z sent to aaisp\r\n2026-05-31T20:26:41Z overdue\n";
    render(bw_notice_text, &f.n, &out);
    assert_non_null(strstr(out.data, "To: transit (upstream)"));
    assert_non_null(strstr(out.data, "escalation level 1: the case was first sent to aaisp"));
    assert_non_null(strstr(out.data, "\n   2026-05-28T20:26:40Z sent to aaisp\n"
                                     "   2026-05-31T20:26:41Z overdue\n"));
    assert_null(strchr(out.data, '\r'));
    bw_buf_cleanup(&out);
}

/* ---- properties of all forms ---- */

static void rendering_is_deterministic(void **state)
{
    int (*forms[])(const struct bw_notice *, struct bw_buf *) = {
        bw_notice_text, bw_notice_csv, bw_notice_iodef, bw_notice_json, bw_notice_mime,
    };
    struct fx f;

    (void)state;
    fx_init(&f);
    for (size_t i = 0; i < BW_ARRAY_LEN(forms); i++) {
        struct bw_buf a, b;
        render(forms[i], &f.n, &a);
        render(forms[i], &f.n, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        bw_buf_cleanup(&a);
        bw_buf_cleanup(&b);
    }
}

static void a_capped_buffer_fails_cleanly(void **state)
{
    struct fx f;
    struct bw_buf out;

    (void)state;
    fx_init(&f);
    bw_buf_init(&out, 100);
    assert_int_equal(bw_notice_text(&f.n, &out), BW_ETOOBIG);
    assert_int_equal(bw_notice_iodef(&f.n, &out), BW_ETOOBIG);
    assert_int_equal(bw_notice_json(&f.n, &out), BW_ETOOBIG);
    bw_buf_cleanup(&out);
}

static void clean_keeps_text_and_drops_controls(void **state)
{
    struct {
        const char *in, *out;
        size_t max;
    } cases[] = {
        { "plain", "plain", 0 },
        { "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", 0 },
        { "a\r\nb\tc\x7f" "d", "a  b c d", 0 },
        { "\xc2\x85nel", " nel", 0 },               /* C1 NEL */
        { "x\xe2\x80\xa8y\xe2\x81\xa6z", "x y z", 0 }, /* LINE SEPARATOR, LRI */
        { "\xc0\xaf\xed\xa0\x80", "?????", 0 },     /* overlong '/', a surrogate */
        { "abc\xc3\xa9", "abc", 4 },                /* cut before a split character */
        { NULL, "", 0 },
    };

    (void)state;
    for (size_t i = 0; i < BW_ARRAY_LEN(cases); i++) {
        char *got = bw_notify__clean_dup(cases[i].in, cases[i].max);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_round_trips),
        cmocka_unit_test(csv_of_no_devices_is_the_header),
        cmocka_unit_test(webhook_json_round_trips),
        cmocka_unit_test(xarf_fields),
        cmocka_unit_test(xarf_category_table),
        cmocka_unit_test(xarf_validates_against_the_schemas),
        cmocka_unit_test(iodef_parses_with_the_required_elements),
        cmocka_unit_test(text_body_says_what_to_do),
        cmocka_unit_test(text_body_of_an_escalation),
        cmocka_unit_test(rendering_is_deterministic),
        cmocka_unit_test(a_capped_buffer_fails_cleanly),
        cmocka_unit_test(clean_keeps_text_and_drops_controls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
