/*
 * ABI fixture plugins: one source, one variant per -DFIXTURE_<NAME>, each compiled by the tests
 * with `cc` against vpcrouter_plugin.h alone. Each variant breaks (or honours) one rule.
 */
#include <stdio.h>
#include <string.h>
#include "vpcrouter_plugin.h"

#ifndef FIXTURE_NAME
#define FIXTURE_NAME "fixture"
#endif

static const vpcr_host_api_v1 *host;
static char last_error[VPCR_ERROR_MESSAGE_CAPACITY + 16];
static char received[256];

/* Test hooks: what the plugin saw. */
VPCR_EXPORT const char *fixture_last_error(void) { return last_error; }
VPCR_EXPORT const char *fixture_received(void) { return received; }

#if defined(FIXTURE_BAD_MAGIC)
VPCR_EXPORT const vpcr_magic *vpcr_plugin_magic(void) {
    static const vpcr_magic block = {0xdeadbeefu, sizeof(vpcr_magic), 1, 0, FIXTURE_NAME, "1.0.0"};
    return &block;
}
#elif defined(FIXTURE_WRONG_MAJOR)
VPCR_EXPORT const vpcr_magic *vpcr_plugin_magic(void) {
    static const vpcr_magic block = {VPCR_MAGIC, sizeof(vpcr_magic), 2, 0, FIXTURE_NAME, "2.0.0"};
    return &block;
}
#elif defined(FIXTURE_NEWER_MINOR_NEEDS_HOST)
VPCR_EXPORT const vpcr_magic *vpcr_plugin_magic(void) {
    static const vpcr_magic block = {VPCR_MAGIC, sizeof(vpcr_magic), 1, 2, FIXTURE_NAME, "1.2.0"};
    return &block;
}
#define FIXTURE_VERSION "1.2.0"
#define FIXTURE_MIN_HOST_MINOR 2
#elif defined(FIXTURE_NEWER_MINOR)
VPCR_EXPORT const vpcr_magic *vpcr_plugin_magic(void) {
    static const vpcr_magic block = {VPCR_MAGIC, sizeof(vpcr_magic), 1, 3, FIXTURE_NAME, "1.3.0"};
    return &block;
}
#define FIXTURE_VERSION "1.3.0"
#else
VPCR_PLUGIN_DECLARE(FIXTURE_NAME, "1.0.0")
#endif

#ifndef FIXTURE_VERSION
#define FIXTURE_VERSION "1.0.0"
#endif
#ifndef FIXTURE_MIN_HOST_MINOR
#define FIXTURE_MIN_HOST_MINOR 0
#endif
#ifndef FIXTURE_OPTION_NAME
#define FIXTURE_OPTION_NAME FIXTURE_NAME "_level"
#endif

static const vpcr_option_decl options[] = {
    {sizeof(vpcr_option_decl), 0, VPCR_OPT_INT, 0, FIXTURE_OPTION_NAME, "N", "5", "a number from 1 to 10", 1, 10},
    {sizeof(vpcr_option_decl), 0, VPCR_OPT_CIDR, 0, FIXTURE_NAME "_cidr", "CIDR", NULL, "a CIDR to submit", 1, 0},
};

typedef struct instance {
    vpcr_host_ctx *ctx;
    char cidr[64];
} instance;

static instance the_instance;

static vpcr_status create(vpcr_host_ctx *ctx, const vpcr_option_value *values, uint32_t count, void **out,
                          vpcr_error *err) {
    (void)err;
    the_instance.ctx = ctx;
    received[0] = 0;
    for (uint32_t i = 0; i < count; i++) {
        strncat(received, values[i].long_name, sizeof(received) - strlen(received) - 1);
        strncat(received, "=", sizeof(received) - strlen(received) - 1);
        strncat(received, values[i].value, sizeof(received) - strlen(received) - 1);
        strncat(received, ";", sizeof(received) - strlen(received) - 1);
        if (strcmp(values[i].long_name, FIXTURE_NAME "_cidr") == 0)
            snprintf(the_instance.cidr, sizeof(the_instance.cidr), "%s", values[i].value);
    }
    *out = &the_instance;
    return VPCR_OK;
}

/* Mode fixtures submit a spec on start: the --<name>_cidr value routed to 10.0.0.5, or a bad one. */
__attribute__((unused)) static vpcr_status submit(const char *cidr, const char *router, uint64_t generation) {
    const char *routers[] = {router};
    vpcr_route route = {cidr, routers, 1, 0};
    vpcr_route_spec spec = {sizeof(vpcr_route_spec), sizeof(vpcr_route), generation, &route, 1, 0};
    vpcr_error err = {0, 0, {0}};
    vpcr_status status = host->submit_route_spec(the_instance.ctx, &spec, &err);
    snprintf(last_error, sizeof(last_error), "%d %s", status, err.message);
    return status;
}

/* Test hook: submits the --<name>_cidr spec with the given generation (for mode fixtures). */
VPCR_EXPORT int fixture_submit_generation(uint64_t generation) {
#if defined(FIXTURE_KIND_HEALTH)
    (void)generation;
    return VPCR_E_STATE;
#else
    return submit(the_instance.cidr, "10.0.0.5", generation);
#endif
}

static vpcr_status start(void *self, vpcr_error *err) {
    (void)self;
    (void)err;
    vpcr_field field = {"fixture.phase", "start"};
    host->log(the_instance.ctx, VPCR_LOG_INFO, "fixture starting", &field, 1);
#if defined(FIXTURE_KIND_HEALTH)
    return VPCR_OK;
#else
    if (the_instance.cidr[0] == 0) return VPCR_OK;
    submit("10.1.0.1/16", "10.0.0.5", 1); /* host bits: refused, and the message says so */
    return submit(the_instance.cidr, "10.0.0.5", 2);
#endif
}

static vpcr_status stop(void *self, uint64_t deadline) {
    (void)self;
    (void)deadline;
    return VPCR_OK;
}

static void destroy(void *self) { (void)self; }

__attribute__((unused)) static vpcr_status probe(void *self, const vpcr_probe_request *req, vpcr_verdict *out, vpcr_error *err) {
    (void)self;
    (void)err;
    for (uint32_t i = 0; i < req->target_count; i++) {
        const vpcr_target *t = (const vpcr_target *)((const char *)req->targets + i * req->target_stride);
        out[i] = strstr(t->ip, ".13") ? VPCR_VERDICT_FAILED : (vpcr_verdict)VPCR_VERDICT_HEALTHY;
        /* 1.1 round trips: 1.5 ms, none for the failed router, and an impossible hour for .14. */
        if (VPCR_PROBE_HAS_RTT(req)) {
            req->out_rtt_ns[i] = strstr(t->ip, ".13") ? 0 : strstr(t->ip, ".14") ? 3600000000000ULL : 1500000;
        }
    }
    return VPCR_OK;
}

static vpcr_status report(void *self, vpcr_info_sink *sink) {
    (void)self;
    host->info_add(sink, "params", "received", received);
    host->info_add(sink, "stats", "probes", "0");
    return VPCR_OK;
}

/* A descriptor with room for fields a newer minor might add after the 1.0 ones. */
typedef struct {
    vpcr_plugin_v1 v1;
    void *future[2];
} extended_descriptor;

__attribute__((unused)) static extended_descriptor descriptor = {
    {
        sizeof(vpcr_plugin_v1), FIXTURE_MIN_HOST_MINOR,
#if defined(FIXTURE_KIND_HEALTH)
        VPCR_KIND_HEALTH,
#elif defined(FIXTURE_BAD_KIND)
        (vpcr_kind)7,
#else
        VPCR_KIND_MODE,
#endif
        0, FIXTURE_NAME, FIXTURE_VERSION, "an ABI test fixture", options, 2, sizeof(vpcr_option_decl),
        create, start, stop, destroy,
#if defined(FIXTURE_KIND_HEALTH)
        probe,
#else
        NULL,
#endif
        report, {NULL, NULL, NULL, NULL}},
    {NULL, NULL}};

#if !defined(FIXTURE_NO_ENTRY)
VPCR_EXPORT const vpcr_plugin_v1 *vpcr_plugin_entry_v1(const vpcr_host_api_v1 *api) {
    host = api;
#if defined(FIXTURE_OLDER_MINOR)
    descriptor.v1.struct_size = offsetof(vpcr_plugin_v1, report_info); /* an ABI 1.0 prefix only */
#elif defined(FIXTURE_NEWER_MINOR)
    descriptor.v1.struct_size = sizeof(extended_descriptor);
#elif defined(FIXTURE_TOO_SMALL)
    descriptor.v1.struct_size = 40;
#elif defined(FIXTURE_NO_CREATE)
    descriptor.v1.create = NULL;
#elif defined(FIXTURE_RESERVED_SET)
    descriptor.v1.flags = 4;
#elif defined(FIXTURE_DESCRIPTOR_NAME)
    descriptor.v1.name = FIXTURE_DESCRIPTOR_NAME; /* disagrees with the identification block */
#elif defined(FIXTURE_DECLINE)
    host->log(NULL, VPCR_LOG_WARNING, "fixture declines to load", NULL, 0);
    return NULL;
#endif
    return &descriptor.v1;
}
#endif
