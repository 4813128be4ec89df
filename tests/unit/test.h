/*
 * tests/unit/test.h - what every unit test includes first: cmocka and the headers it needs.
 */
#ifndef BW_TEST_H
#define BW_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#endif
