/*
 * enrich/vertical.c - the sector ("vertical") of a network from its ASN and AS organisation.
 *
 * The method, written out for people in docs/enrichment.md (Sector, contacts, advisories), in the order it is applied:
 *  1. A table of well-known ASNs (big clouds, hosters and CDNs, national carriers, mobile
 *     carriers, research and education networks) whose names say nothing useful ("Andrews &
 *     Arnold Ltd", "Akamai Technologies, Inc." for Linode's AS63949) or mislead.
 *  2. Keyword rules on the organisation name. The name is cut into words (ASCII letters and
 *     digits, lower-cased; Latin-1 accented letters in UTF-8 folded to their base letter; every
 *     other byte separates words). A rule is a phrase of one to four words that must appear as
 *     consecutive words; a word ending in '*' matches any word it begins. The first rule in
 *     rules[] that matches decides; the table is ordered: a few exceptions, then education,
 *     government, mobile, hosting, isp, enterprise. A "weak" rule ("wireless", used by mobile
 *     carriers and fixed-wireless ISPs alike) decides only when no other rule matches.
 *  3. Otherwise BW_VERTICAL_UNKNOWN: a legal form ("Inc", "Ltd", "Corp") or a bare "net" is not
 *     evidence of anything, so it is never used to guess.
 * Invariants: the tables are immutable; classification allocates nothing and is thread-safe.
 * The tables here and in the document are the same; tests/unit/enrich/test_vertical.c checks
 * real organisation names from the ASN data against them.
 */
#include "enrich/enrich.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[BW_VERTICAL_COUNT] = {
    [BW_VERTICAL_UNKNOWN] = "unknown",       [BW_VERTICAL_HOSTING] = "hosting",
    [BW_VERTICAL_ISP] = "isp",               [BW_VERTICAL_MOBILE] = "mobile",
    [BW_VERTICAL_EDUCATION] = "education",   [BW_VERTICAL_GOVERNMENT] = "government",
    [BW_VERTICAL_ENTERPRISE] = "enterprise",
};

const char *bw_vertical_name(enum bw_vertical v)
{
    if ((unsigned)v >= BW_VERTICAL_COUNT)
        return "unknown";
    return names[v];
}

static bool ascii_ieq(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        if (ca != *b)
            return false;
    }
    return *a == '\0' && *b == '\0';
}

int bw_vertical_parse(enum bw_vertical *out, const char *s)
{
    if (s == NULL)
        return BW_EMALFORMED;
    for (int v = 0; v < BW_VERTICAL_COUNT; v++) {
        if (ascii_ieq(s, names[v])) {
            *out = (enum bw_vertical)v;
            return BW_OK;
        }
    }
    return BW_EMALFORMED;
}

/* ---- well-known ASNs ------------------------------------------------------------------- */

struct known_asn {
    uint32_t asn;
    enum bw_vertical v;
};

/* Sorted by ASN (bsearch). Each entry was checked against the organisation name in the
 * @ip-location-db/asn data. */
static const struct known_asn known[] = {
    { 137, BW_VERTICAL_EDUCATION },    /* Consortium GARR (Italian NREN) */
    { 174, BW_VERTICAL_ISP },          /* Cogent Communications */
    { 209, BW_VERTICAL_ISP },          /* CenturyLink (Lumen) */
    { 559, BW_VERTICAL_EDUCATION },    /* SWITCH (Swiss NREN) */
    { 577, BW_VERTICAL_ISP },          /* Bell Canada */
    { 680, BW_VERTICAL_EDUCATION },    /* DFN (German NREN) */
    { 701, BW_VERTICAL_ISP },          /* Verizon Business */
    { 766, BW_VERTICAL_EDUCATION },    /* Red.es / RedIRIS (Spanish NREN) */
    { 786, BW_VERTICAL_EDUCATION },    /* Jisc (UK NREN) */
    { 1103, BW_VERTICAL_EDUCATION },   /* SURF (Dutch NREN) */
    { 1136, BW_VERTICAL_ISP },         /* KPN */
    { 1299, BW_VERTICAL_ISP },         /* Arelion (Telia Carrier) */
    { 2119, BW_VERTICAL_ISP },         /* Telenor Norge */
    { 2152, BW_VERTICAL_EDUCATION },   /* CENIC */
    { 2200, BW_VERTICAL_EDUCATION },   /* Renater (French NREN) */
    { 2516, BW_VERTICAL_ISP },         /* KDDI */
    { 2603, BW_VERTICAL_EDUCATION },   /* NORDUnet */
    { 2914, BW_VERTICAL_ISP },         /* NTT America (NTT transit) */
    { 3215, BW_VERTICAL_ISP },         /* Orange S.A. */
    { 3257, BW_VERTICAL_ISP },         /* GTT */
    { 3301, BW_VERTICAL_ISP },         /* Telia Company */
    { 3320, BW_VERTICAL_ISP },         /* Deutsche Telekom */
    { 3356, BW_VERTICAL_ISP },         /* Level 3 (Lumen) */
    { 4134, BW_VERTICAL_ISP },         /* Chinanet (China Telecom backbone) */
    { 4837, BW_VERTICAL_ISP },         /* China Unicom China169 backbone */
    { 5089, BW_VERTICAL_ISP },         /* Virgin Media UK */
    { 6167, BW_VERTICAL_MOBILE },      /* Verizon Wireless (Cellco) */
    { 6453, BW_VERTICAL_ISP },         /* Tata Communications */
    { 6509, BW_VERTICAL_EDUCATION },   /* CANARIE (Canadian NREN) */
    { 6830, BW_VERTICAL_ISP },         /* Liberty Global */
    { 6939, BW_VERTICAL_ISP },         /* Hurricane Electric (transit) */
    { 7018, BW_VERTICAL_ISP },         /* AT&T */
    { 7575, BW_VERTICAL_EDUCATION },   /* AARNet (Australian NREN) */
    { 7922, BW_VERTICAL_ISP },         /* Comcast */
    { 8068, BW_VERTICAL_HOSTING },     /* Microsoft */
    { 8075, BW_VERTICAL_HOSTING },     /* Microsoft (Azure) */
    { 8100, BW_VERTICAL_HOSTING },     /* QuadraNet */
    { 8560, BW_VERTICAL_HOSTING },     /* IONOS */
    { 8987, BW_VERTICAL_HOSTING },     /* Amazon Data Services Ireland (AWS) */
    { 9009, BW_VERTICAL_HOSTING },     /* M247 */
    { 11537, BW_VERTICAL_EDUCATION },  /* Internet2 */
    { 12322, BW_VERTICAL_ISP },        /* Free SAS */
    { 12876, BW_VERTICAL_HOSTING },    /* Scaleway */
    { 13335, BW_VERTICAL_HOSTING },    /* Cloudflare */
    { 14061, BW_VERTICAL_HOSTING },    /* DigitalOcean */
    { 14618, BW_VERTICAL_HOSTING },    /* Amazon (AWS) */
    { 15169, BW_VERTICAL_HOSTING },    /* Google */
    { 16265, BW_VERTICAL_HOSTING },    /* Leaseweb Network */
    { 16276, BW_VERTICAL_HOSTING },    /* OVH */
    { 16509, BW_VERTICAL_HOSTING },    /* Amazon (AWS) */
    { 16625, BW_VERTICAL_HOSTING },    /* Akamai */
    { 19527, BW_VERTICAL_HOSTING },    /* Google */
    { 20057, BW_VERTICAL_MOBILE },     /* AT&T Mobility */
    { 20473, BW_VERTICAL_HOSTING },    /* Vultr (The Constant Company) */
    { 20712, BW_VERTICAL_ISP },        /* Andrews & Arnold (UK ISP) */
    { 20940, BW_VERTICAL_HOSTING },    /* Akamai */
    { 20965, BW_VERTICAL_EDUCATION },  /* GEANT */
    { 21928, BW_VERTICAL_MOBILE },     /* T-Mobile USA */
    { 22394, BW_VERTICAL_MOBILE },     /* Verizon Wireless (Cellco) */
    { 22612, BW_VERTICAL_HOSTING },    /* Namecheap */
    { 24940, BW_VERTICAL_HOSTING },    /* Hetzner */
    { 26496, BW_VERTICAL_HOSTING },    /* GoDaddy */
    { 28753, BW_VERTICAL_HOSTING },    /* Leaseweb Deutschland */
    { 29802, BW_VERTICAL_HOSTING },    /* HIVELOCITY */
    { 31898, BW_VERTICAL_HOSTING },    /* Oracle Cloud */
    { 35540, BW_VERTICAL_HOSTING },    /* OVH */
    { 36351, BW_VERTICAL_HOSTING },    /* IBM Cloud (SoftLayer) */
    { 37963, BW_VERTICAL_HOSTING },    /* Alibaba Cloud */
    { 40021, BW_VERTICAL_HOSTING },    /* Contabo Inc */
    { 45090, BW_VERTICAL_HOSTING },    /* Tencent Cloud */
    { 45102, BW_VERTICAL_HOSTING },    /* Alibaba Cloud (US) */
    { 45609, BW_VERTICAL_MOBILE },     /* Bharti Airtel (GPRS) */
    { 46606, BW_VERTICAL_HOSTING },    /* Unified Layer */
    { 47583, BW_VERTICAL_HOSTING },    /* Hostinger */
    { 51167, BW_VERTICAL_HOSTING },    /* Contabo */
    { 53667, BW_VERTICAL_HOSTING },    /* FranTech (BuyVM) */
    { 55836, BW_VERTICAL_MOBILE },     /* Reliance Jio */
    { 60781, BW_VERTICAL_HOSTING },    /* Leaseweb Netherlands */
    { 63949, BW_VERTICAL_HOSTING },    /* Linode (Akamai Connected Cloud) */
    { 132203, BW_VERTICAL_HOSTING },   /* Tencent Cloud */
    { 213230, BW_VERTICAL_HOSTING },   /* Hetzner */
    { 396982, BW_VERTICAL_HOSTING },   /* Google Cloud */
    { 398101, BW_VERTICAL_HOSTING },   /* GoDaddy */
};

static int known_cmp(const void *key, const void *elem)
{
    uint32_t k = *(const uint32_t *)key;
    uint32_t e = ((const struct known_asn *)elem)->asn;

    return k < e ? -1 : k > e;
}

/* ---- keyword rules --------------------------------------------------------------------- */

struct rule {
    const char *phrase; /* lower-case words separated by one space; "w*" matches a prefix */
    enum bw_vertical v;
    bool weak; /* only decides when no other rule matches */
};

/* First match wins; see the file comment and docs/enrichment.md (Sector, contacts, advisories) for why this order. */
static const struct rule rules[] = {
    /* Exceptions that would otherwise fall under a later, wrong rule. */
    { "credit union", BW_VERTICAL_ENTERPRISE },     /* "Navy Federal Credit Union" */
    { "federal reserve", BW_VERTICAL_GOVERNMENT },  /* central bank, not a bank */
    { "central bank", BW_VERTICAL_GOVERNMENT },

    /* education: before government ("Universidade Federal ..."), mobile and hosting. */
    { "universi*", BW_VERTICAL_EDUCATION },  /* university, universidad(e), universitaet, ... */
    { "uniwersytet", BW_VERTICAL_EDUCATION },
    { "univerzit*", BW_VERTICAL_EDUCATION },
    { "college*", BW_VERTICAL_EDUCATION },
    { "school*", BW_VERTICAL_EDUCATION },
    { "schule", BW_VERTICAL_EDUCATION },
    { "hochschule", BW_VERTICAL_EDUCATION },
    { "fachhochschule", BW_VERTICAL_EDUCATION },
    { "ecole", BW_VERTICAL_EDUCATION },
    { "escuela", BW_VERTICAL_EDUCATION },
    { "academic", BW_VERTICAL_EDUCATION },
    { "academia", BW_VERTICAL_EDUCATION },
    { "polytechnic", BW_VERTICAL_EDUCATION },
    { "politecnic*", BW_VERTICAL_EDUCATION },
    { "institute of technology", BW_VERTICAL_EDUCATION },
    { "research and education", BW_VERTICAL_EDUCATION },
    { "education*", BW_VERTICAL_EDUCATION },   /* education, educational */
    { "educacion*", BW_VERTICAL_EDUCATION },
    { "educacao", BW_VERTICAL_EDUCATION },
    { "edu", BW_VERTICAL_EDUCATION },          /* ".edu" names */
    { "nren", BW_VERTICAL_EDUCATION },
    { "k12", BW_VERTICAL_EDUCATION },
    { "k 12", BW_VERTICAL_EDUCATION },         /* "K-12" */

    /* government */
    { "government*", BW_VERTICAL_GOVERNMENT },
    { "govt", BW_VERTICAL_GOVERNMENT },
    { "gov", BW_VERTICAL_GOVERNMENT },         /* ".gov" names */
    { "gouv", BW_VERTICAL_GOVERNMENT },
    { "gob", BW_VERTICAL_GOVERNMENT },
    { "gobierno", BW_VERTICAL_GOVERNMENT },
    { "governo", BW_VERTICAL_GOVERNMENT },
    { "gouvernement", BW_VERTICAL_GOVERNMENT },
    { "regierung", BW_VERTICAL_GOVERNMENT },
    { "ministry", BW_VERTICAL_GOVERNMENT },
    { "ministerio", BW_VERTICAL_GOVERNMENT },
    { "ministere", BW_VERTICAL_GOVERNMENT },
    { "ministerium", BW_VERTICAL_GOVERNMENT },
    { "state of", BW_VERTICAL_GOVERNMENT },
    { "city of", BW_VERTICAL_GOVERNMENT },
    { "county of", BW_VERTICAL_GOVERNMENT },
    { "county government", BW_VERTICAL_GOVERNMENT },
    { "department of", BW_VERTICAL_GOVERNMENT },
    { "municip*", BW_VERTICAL_GOVERNMENT },    /* municipal, municipality, municipio */
    { "prefeitura", BW_VERTICAL_GOVERNMENT },
    { "federal", BW_VERTICAL_GOVERNMENT },
    { "tribunal", BW_VERTICAL_GOVERNMENT },
    { "parliament", BW_VERTICAL_GOVERNMENT },
    { "senate", BW_VERTICAL_GOVERNMENT },
    { "police", BW_VERTICAL_GOVERNMENT },
    { "dod", BW_VERTICAL_GOVERNMENT },         /* "DoD Network Information Center" */
    { "army", BW_VERTICAL_GOVERNMENT },
    { "navy", BW_VERTICAL_GOVERNMENT },
    { "air force", BW_VERTICAL_GOVERNMENT },

    /* mobile: before isp ("China Mobile Communications") and hosting. */
    { "mobile", BW_VERTICAL_MOBILE },
    { "mobiles", BW_VERTICAL_MOBILE },
    { "mobil", BW_VERTICAL_MOBILE },           /* "Turkcell Mobil", "Mobil Telesystems" */
    { "mobilcom", BW_VERTICAL_MOBILE },
    { "mobilink", BW_VERTICAL_MOBILE },
    { "movil*", BW_VERTICAL_MOBILE },          /* movil, moviles */
    { "movel", BW_VERTICAL_MOBILE },
    { "cellular", BW_VERTICAL_MOBILE },
    { "celular", BW_VERTICAL_MOBILE },
    { "wireless", BW_VERTICAL_MOBILE, true }, /* weak: fixed-wireless ISPs use it too */
    { "gsm", BW_VERTICAL_MOBILE },
    { "lte", BW_VERTICAL_MOBILE },
    { "selular", BW_VERTICAL_MOBILE },         /* "Telekomunikasi Selular" (Telkomsel) */

    /* hosting: clouds, hosters, data centres, CDNs. */
    { "host*", BW_VERTICAL_HOSTING },          /* host, hosting, hostinger, hostkey */
    { "cloud*", BW_VERTICAL_HOSTING },         /* cloud, cloudflare */
    { "datacent*", BW_VERTICAL_HOSTING },      /* datacenter, datacentre, datacenters */
    { "data cent*", BW_VERTICAL_HOSTING },
    { "server*", BW_VERTICAL_HOSTING },        /* server, servers, serverius */
    { "vps", BW_VERTICAL_HOSTING },
    { "vds", BW_VERTICAL_HOSTING },
    { "colo", BW_VERTICAL_HOSTING },
    { "colocation", BW_VERTICAL_HOSTING },
    { "colocrossing", BW_VERTICAL_HOSTING },
    { "dedicated", BW_VERTICAL_HOSTING },
    { "cdn", BW_VERTICAL_HOSTING },
    { "linode", BW_VERTICAL_HOSTING },
    { "digitalocean", BW_VERTICAL_HOSTING },
    { "ovh", BW_VERTICAL_HOSTING },
    { "hetzner", BW_VERTICAL_HOSTING },
    { "contabo", BW_VERTICAL_HOSTING },
    { "vultr", BW_VERTICAL_HOSTING },
    { "choopa", BW_VERTICAL_HOSTING },
    { "leaseweb", BW_VERTICAL_HOSTING },
    { "scaleway", BW_VERTICAL_HOSTING },
    { "ionos", BW_VERTICAL_HOSTING },
    { "godaddy", BW_VERTICAL_HOSTING },
    { "namecheap", BW_VERTICAL_HOSTING },
    { "akamai", BW_VERTICAL_HOSTING },
    { "fastly", BW_VERTICAL_HOSTING },
    { "alibaba", BW_VERTICAL_HOSTING },
    { "tencent", BW_VERTICAL_HOSTING },
    { "amazon", BW_VERTICAL_HOSTING },

    /* isp: fixed-line access and transit carriers. */
    { "telecom*", BW_VERTICAL_ISP },   /* telecom(s), telecommunication(s), telecomunicacoes */
    { "telekom*", BW_VERTICAL_ISP },   /* telekom, telekomunikasyon, telekomunikasi */
    { "telco*", BW_VERTICAL_ISP },
    { "telefon*", BW_VERTICAL_ISP },   /* telefonica, telefonos */
    { "telephone", BW_VERTICAL_ISP },
    { "communication*", BW_VERTICAL_ISP },
    { "comunicac*", BW_VERTICAL_ISP }, /* comunicaciones, comunicacoes, comunicacao */
    { "broadband", BW_VERTICAL_ISP },
    { "cable*", BW_VERTICAL_ISP },     /* cable, cablevision */
    { "kabel", BW_VERTICAL_ISP },
    { "wireless internet", BW_VERTICAL_ISP },
    { "wireless isp", BW_VERTICAL_ISP },
    { "internet service*", BW_VERTICAL_ISP },
    { "internet provider", BW_VERTICAL_ISP },
    { "internet access", BW_VERTICAL_ISP },
    { "provedor", BW_VERTICAL_ISP },   /* "provedor de internet / acesso" */
    { "fiber", BW_VERTICAL_ISP },
    { "fibre", BW_VERTICAL_ISP },
    { "fibra", BW_VERTICAL_ISP },
    { "dsl", BW_VERTICAL_ISP },
    { "adsl", BW_VERTICAL_ISP },
    { "isp", BW_VERTICAL_ISP },
    { "backbone", BW_VERTICAL_ISP },
    { "unicom", BW_VERTICAL_ISP },
    { "chinanet", BW_VERTICAL_ISP },

    /* enterprise: only unambiguous kinds of business; never "corp", "inc" or "ltd". */
    { "bank", BW_VERTICAL_ENTERPRISE },
    { "banco", BW_VERTICAL_ENTERPRISE },
    { "banque", BW_VERTICAL_ENTERPRISE },
    { "bancorp", BW_VERTICAL_ENTERPRISE },
    { "insurance", BW_VERTICAL_ENTERPRISE },
    { "assurance", BW_VERTICAL_ENTERPRISE },
    { "seguros", BW_VERTICAL_ENTERPRISE },
    { "versicherung*", BW_VERTICAL_ENTERPRISE },
    { "hospital", BW_VERTICAL_ENTERPRISE },
    { "hospitals", BW_VERTICAL_ENTERPRISE },
    { "hospitalier*", BW_VERTICAL_ENTERPRISE }, /* "Centre Hospitalier", hospitaliere */
    { "hospitalar", BW_VERTICAL_ENTERPRISE },
    { "pharma*", BW_VERTICAL_ENTERPRISE },
    { "airlines", BW_VERTICAL_ENTERPRISE },
    { "airways", BW_VERTICAL_ENTERPRISE },
    { "securities", BW_VERTICAL_ENTERPRISE },
    { "petroleum", BW_VERTICAL_ENTERPRISE },
    { "automotive", BW_VERTICAL_ENTERPRISE },
};

#define MAX_WORDS 48
#define MAX_WORD 32
#define MAX_NAME 512 /* bytes of the organisation name looked at */

struct words {
    char w[MAX_WORDS][MAX_WORD];
    size_t n;
};

/* The ASCII letter a Latin-1 supplement letter (UTF-8 0xC3 0x80..0xBF) is folded to; 0 when the
 * character is not a letter with a plain base. */
static char fold_c3(unsigned char c2)
{
    static const char map[65] = "aaaaaaaceeeeiiiidnooooo ouuuuyts" /* 0x80..0x9f */
                                "aaaaaaaceeeeiiiidnooooo ouuuuyty"; /* 0xa0..0xbf */

    if (c2 < 0x80 || c2 > 0xbf)
        return 0;
    char c = map[c2 - 0x80];
    return c == ' ' ? 0 : c;
}

static void split_words(struct words *ws, const char *s)
{
    size_t len = 0;
    char cur[MAX_WORD];

    ws->n = 0;
    for (size_t i = 0; ws->n < MAX_WORDS && i < MAX_NAME; i++) {
        unsigned char c = (unsigned char)s[i];
        char out = 0;

        if (c >= 'A' && c <= 'Z')
            out = (char)(c + 32);
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out = (char)c;
        else if (c == 0xc3 && s[i + 1] != '\0') {
            out = fold_c3((unsigned char)s[i + 1]);
            if (out != 0)
                i++;
        }
        if (out != 0) {
            if (len < MAX_WORD - 1)
                cur[len++] = out;
            continue;
        }
        if (len > 0) {
            memcpy(ws->w[ws->n], cur, len);
            ws->w[ws->n][len] = '\0';
            ws->n++;
            len = 0;
        }
        if (c == '\0')
            return;
    }
    if (len > 0 && ws->n < MAX_WORDS) {
        memcpy(ws->w[ws->n], cur, len);
        ws->w[ws->n][len] = '\0';
        ws->n++;
    }
}

/* Does the rule word p[0..plen) (maybe ending in '*') match word w? */
static bool word_matches(const char *p, size_t plen, const char *w)
{
    bool prefix = plen > 0 && p[plen - 1] == '*';
    size_t n = prefix ? plen - 1 : plen;

    for (size_t i = 0; i < n; i++) {
        if (w[i] != p[i])
            return false; /* also stops at the end of w */
    }
    return prefix || w[n] == '\0';
}

static bool phrase_at(const char *phrase, const struct words *ws, size_t at)
{
    const char *p = phrase;

    for (size_t k = at;; k++) {
        size_t plen = 0;

        if (k >= ws->n)
            return false;
        while (p[plen] != '\0' && p[plen] != ' ')
            plen++;
        if (!word_matches(p, plen, ws->w[k]))
            return false;
        if (p[plen] == '\0')
            return true;
        p += plen + 1;
    }
}

enum bw_vertical bw_vertical_classify(uint32_t asn, const char *as_org)
{
    const struct known_asn *k =
        bsearch(&asn, known, BW_ARRAY_LEN(known), sizeof(known[0]), known_cmp);

    if (k != NULL)
        return k->v;
    if (as_org == NULL || as_org[0] == '\0')
        return BW_VERTICAL_UNKNOWN;

    struct words ws;
    split_words(&ws, as_org);
    for (int weak = 0; weak <= 1; weak++) {
        for (size_t r = 0; r < BW_ARRAY_LEN(rules); r++) {
            if (rules[r].weak != (weak == 1))
                continue;
            char first = rules[r].phrase[0];
            for (size_t i = 0; i < ws.n; i++) {
                if (ws.w[i][0] == first && phrase_at(rules[r].phrase, &ws, i))
                    return rules[r].v;
            }
        }
    }
    return BW_VERTICAL_UNKNOWN;
}
