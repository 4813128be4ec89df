/*
 * pipeline/enricher.c - puts enrich/'s knowledge sources together for one device: network
 * and place from the ASN table and the MMDB, sector from the classifier unless the operator
 * overrode it, the responsible contact, and the device fingerprint from a report's banner or
 * the device fields a feed carried.
 * Invariants:
 *  - A missing source leaves its fields empty ("unknown"); nothing here fails.
 */
#include <stdio.h>
#include <string.h>

#include "pipeline/pipeline.h"

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

static enum bw_vertical override_for(const struct bw_enricher *en, uint32_t asn, bool *found)
{
    size_t lo = 0, hi = en->n_overrides;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (en->override_asn[mid] == asn) {
            *found = true;
            return (enum bw_vertical)en->override_vertical[mid];
        }
        if (en->override_asn[mid] < asn)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return BW_VERTICAL_UNKNOWN;
}

void bw_enrich_network(const struct bw_enricher *en, const struct bw_addr *a,
                       struct bw_enrichment *e)
{
    struct bw_asn_info info;
    enum bw_vertical v = BW_VERTICAL_UNKNOWN;
    const struct bw_contact *c;
    bool overridden = false;

    e->asn = 0;
    e->as_org[0] = e->prefix[0] = e->country[0] = e->region[0] = e->city[0] = '\0';
    e->contact[0] = '\0';
    if (en->asn != NULL && bw_asn_lookup(en->asn, a, &info)) {
        e->asn = info.asn;
        copy(e->as_org, sizeof(e->as_org), info.org);
        bw_prefix_format(&info.prefix, e->prefix);
    }
    if (en->geo != NULL)
        (void)bw_geo_lookup(en->geo, a, e->country, e->region, sizeof(e->region), e->city,
                            sizeof(e->city));
    if (e->asn != 0)
        v = override_for(en, e->asn, &overridden);
    if (!overridden)
        v = bw_vertical_classify(e->asn, e->as_org);
    copy(e->vertical, sizeof(e->vertical), bw_vertical_name(v));
    if (en->contacts != NULL) {
        c = bw_contacts_resolve(en->contacts, a, e->asn, e->country);
        if (c != NULL)
            copy(e->contact, sizeof(e->contact), c->name);
    }
}

bool bw_enrich_device(const struct bw_enricher *en, const struct bw_report *r,
                      struct bw_enrichment *e)
{
    struct bw_device_info d;

    if (r->banner != NULL && en->recog != NULL &&
        bw_recog_match(en->recog, r->banner, r->service, r->port, &d)) {
        copy(e->device_type, sizeof(e->device_type), d.type);
        copy(e->device_vendor, sizeof(e->device_vendor), d.vendor);
        copy(e->device_model, sizeof(e->device_model), d.model);
        copy(e->device_os, sizeof(e->device_os), d.os);
        copy(e->device_software, sizeof(e->device_software), d.software);
        copy(e->device_version, sizeof(e->device_version), d.version);
        copy(e->device_matched, sizeof(e->device_matched), d.matched);
        return true;
    }
    if (r->device_vendor != NULL || r->device_type != NULL || r->device_model != NULL) {
        copy(e->device_type, sizeof(e->device_type), r->device_type);
        copy(e->device_vendor, sizeof(e->device_vendor), r->device_vendor);
        copy(e->device_model, sizeof(e->device_model), r->device_model);
        e->device_os[0] = e->device_software[0] = e->device_version[0] = '\0';
        snprintf(e->device_matched, sizeof(e->device_matched), "%s report",
                 r->source != NULL ? r->source : "feed");
        return true;
    }
    return false;
}
