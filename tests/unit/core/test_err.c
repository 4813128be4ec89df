/*
 * tests/unit/core/test_err.c - error names, diagnostics, log lines, panics and the x-allocators.
 */
#include "test.h"
#include "core/core.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void every_code_has_a_name(void **state)
{
    (void)state;
    assert_string_equal(bw_strerror(BW_OK), "success");
    assert_string_equal(bw_strerror(BW_EMALFORMED), "malformed input");
    assert_string_equal(bw_strerror(BW_ENOENT), strerror(ENOENT));
    assert_string_equal(bw_strerror(BW_ENOMEM), strerror(ENOMEM));
    assert_string_equal(bw_strerror(-EPIPE), strerror(EPIPE));
    assert_string_equal(bw_strerror(1), "unknown error");
    assert_string_equal(bw_strerror(-100000), "unknown error");
    assert_string_equal(bw_strerror(INT32_MIN), "unknown error");
    const int ours[] = { BW_EMALFORMED, BW_ETOOBIG, BW_ECONFLICT, BW_EBACKEND, BW_ENOTFOUND };
    for (size_t i = 0; i < BW_ARRAY_LEN(ours); i++) {
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(bw_strerror(ours[i]), bw_strerror(ours[j]));
        assert_string_not_equal(bw_strerror(ours[i]), "unknown error");
    }
}

static void diag_formats_and_truncates(void **state)
{
    struct bw_diag d;
    char big[1000];
    (void)state;

    bw_diag_set(&d, "%s:%d: %s", "feed.csv", 12, "bad address");
    assert_string_equal(d.msg, "feed.csv:12: bad address");
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    bw_diag_set(&d, "%s", big);
    assert_int_equal(strlen(d.msg), sizeof(d.msg) - 1);
    bw_diag_set(NULL, "%d", 1);
}

/* Runs fn with stderr sent to a temporary file and returns what was written. */
static char *capture_stderr(void (*fn)(void))
{
    static char out[4096];
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);

    assert_non_null(tmp);
    assert_true(saved >= 0);
    fflush(stderr);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    fn();
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, sizeof(out) - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return out;
}

static void log_default_level(void)
{
    bw_log_info("core: dropped at the default level");
    bw_log_debug("core: dropped too");
    bw_log_warn("core: kept (%s) n=%d", "why", 3);
    bw_log_err("core: kept too");
}

static void log_debug_level(void)
{
    bw_log_set_level(BW_LOG_DEBUG);
    bw_log_debug("core: now shown");
    bw_log_set_level(BW_LOG_ERR);
    bw_log_warn("core: hidden at ERR");
    bw_log_set_level(BW_LOG_WARN);
}

static void log_hostile_text(void)
{
    bw_log_warn("user=%s", "root\nbotwatch: forged line\r");
}

static void log_long_line(void)
{
    static char big[5000];
    memset(big, 'q', sizeof(big) - 1);
    bw_log_warn("%s", big);
}

static void log_lines(void **state)
{
    (void)state;
    assert_string_equal(capture_stderr(log_default_level),
                        "botwatch: core: kept (why) n=3\nbotwatch: core: kept too\n");
    assert_string_equal(capture_stderr(log_debug_level), "botwatch: core: now shown\n");
    assert_string_equal(capture_stderr(log_hostile_text),
                        "botwatch: user=root?botwatch: forged line?\n");
    const char *out = capture_stderr(log_long_line);
    size_t len = strlen(out);
    assert_true(len > 100 && len <= 1024);
    assert_int_equal(out[len - 1], '\n');
    assert_ptr_equal(strchr(out, '\n'), out + len - 1);
}

/* Runs fn in a child with stderr on a pipe; returns its stderr, and its wait status in *status. */
static char *run_child(void (*fn)(void), int *status)
{
    static char out[4096];
    int fds[2];
    size_t n = 0;
    ssize_t r;

    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        fn();
        _exit(0);
    }
    close(fds[1]);
    while (n < sizeof(out) - 1) {
        r = read(fds[0], out + n, sizeof(out) - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    out[n] = '\0';
    close(fds[0]);
    assert_int_equal(waitpid(pid, status, 0), pid);
    return out;
}

static void panic_child(void)
{
    bw_panic("state %d cannot happen", 7);
}

static void assert_child(void)
{
    int impossible = 0;
    BW_ASSERT(impossible == 1);
}

static void oom_child(void)
{
    /* More than any address space: malloc must fail. */
    void *p = bw_xmalloc(SIZE_MAX / 2);
    free(p);
}

static void panic_aborts_with_a_message(void **state)
{
    int status;
    (void)state;

    const char *out = run_child(panic_child, &status);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_string_equal(out, "botwatch: panic: state 7 cannot happen\n");
#ifndef NDEBUG
    out = run_child(assert_child, &status);
    assert_true(WIFSIGNALED(status));
    assert_non_null(strstr(out, "botwatch: panic: assertion failed: impossible == 1"));
#endif
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void out_of_memory_aborts(void **state)
{
    int status;
    (void)state;

#ifdef UNDER_ASAN
    /* ASan's allocator reports a huge malloc itself instead of returning NULL. */
    skip();
#endif
    const char *out = run_child(oom_child, &status);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_non_null(strstr(out, "botwatch: panic: out of memory"));
}

static void allocators(void **state)
{
    (void)state;
    void *p = bw_xmalloc(0);
    assert_non_null(p);
    p = bw_xrealloc(p, 100);
    memset(p, 1, 100);
    p = bw_xrealloc(p, 0);
    assert_non_null(p);
    free(p);
    int *z = bw_xcalloc(10, sizeof(int));
    for (int i = 0; i < 10; i++)
        assert_int_equal(z[i], 0);
    free(z);
    char *s = bw_xstrdup("botwatch");
    assert_string_equal(s, "botwatch");
    free(s);
    s = bw_xstrndup("botwatch", 3);
    assert_string_equal(s, "bot");
    free(s);
    s = bw_xstrndup("ab", 10);
    assert_string_equal(s, "ab");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_has_a_name),
        cmocka_unit_test(diag_formats_and_truncates),
        cmocka_unit_test(log_lines),
        cmocka_unit_test(panic_aborts_with_a_message),
        cmocka_unit_test(out_of_memory_aborts),
        cmocka_unit_test(allocators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
