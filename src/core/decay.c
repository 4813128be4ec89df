/*
 * core/decay.c - decayed event counters, the arithmetic under scoring.
 * Invariants:
 *  - A counter only ever moves forward in time: merging expresses the sum at the later time,
 *    so no weight above 1 is ever created and the stored value cannot overflow.
 */
#include <math.h>

#include "core/core.h"

double bw_decay(double mass, int64_t from_s, int64_t to_s, int64_t half_life_s)
{
    if (to_s <= from_s || half_life_s <= 0)
        return mass;
    return mass * exp2(-(double)(to_s - from_s) / (double)half_life_s);
}

void bw_decay_merge(double *mass, int64_t *at_s, double add_mass, int64_t add_at_s,
                    int64_t half_life_s)
{
    if (add_at_s >= *at_s) {
        *mass = bw_decay(*mass, *at_s, add_at_s, half_life_s) + add_mass;
        *at_s = add_at_s;
    } else {
        *mass += bw_decay(add_mass, add_at_s, *at_s, half_life_s);
    }
}
