/* drainfile: a third-party health plugin in plain C, built against vpcrouter_plugin.h alone.
 * A router is QUESTIONABLE (drained: routes avoid it while a healthy router exists) when a file
 * named after its IP exists in --drain_dir, and HEALTHY otherwise.
 *
 *   cc -shared -fPIC -O2 -fvisibility=hidden -I /usr/include/vpcrouter -o libdrainfile.so drainfile.c
 *   touch /run/vpcrouter-drain/10.0.1.20   # drain that router
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "vpcrouter_plugin.h"

VPCR_PLUGIN_DECLARE("drainfile", "1.0.0")

static const vpcr_host_api_v1 *host;
static char drain_dir[PATH_MAX];

static const vpcr_option_decl options[] = {
    {sizeof(vpcr_option_decl), VPCR_OPT_F_REQUIRED, VPCR_OPT_PATH, 0, "drain_dir", "DIR", NULL,
     "a file named after a router IP in DIR marks that router drained", 1, 0},
};

static vpcr_status create(vpcr_host_ctx *ctx, const vpcr_option_value *values, uint32_t count,
                          void **out, vpcr_error *err) {
    for (uint32_t i = 0; i < count; i++)
        if (strcmp(values[i].long_name, "drain_dir") == 0)
            snprintf(drain_dir, sizeof drain_dir, "%s", values[i].value);
    if (access(drain_dir, R_OK | X_OK) != 0) {
        err->code = VPCR_E_CONFIG;
        snprintf(err->message, sizeof err->message, "--drain_dir %.400s is not a readable directory", drain_dir);
        return VPCR_E_CONFIG;
    }
    vpcr_field field = {"drain_dir", drain_dir};
    host->log(ctx, VPCR_LOG_INFO, "watching for drained routers", &field, 1);
    *out = drain_dir;
    return VPCR_OK;
}

static vpcr_status start(void *self, vpcr_error *err) { (void)self; (void)err; return VPCR_OK; }
static vpcr_status stop(void *self, uint64_t deadline) { (void)self; (void)deadline; return VPCR_OK; }
static void destroy(void *self) { (void)self; }

static vpcr_status probe(void *self, const vpcr_probe_request *req, vpcr_verdict *out, vpcr_error *err) {
    (void)self; (void)err;
    char path[PATH_MAX + 32];
    for (uint32_t i = 0; i < req->target_count; i++) {
        const vpcr_target *t = (const vpcr_target *)((const char *)req->targets + (size_t)i * req->target_stride);
        snprintf(path, sizeof path, "%s/%s", drain_dir, t->ip);
        out[i] = access(path, F_OK) == 0 ? VPCR_VERDICT_QUESTIONABLE : VPCR_VERDICT_HEALTHY;
    }
    return VPCR_OK;
}

static vpcr_status report(void *self, vpcr_info_sink *sink) {
    (void)self;
    host->info_add(sink, "params", "drain_dir", drain_dir);
    return VPCR_OK;
}

static const vpcr_plugin_v1 descriptor = {
    sizeof(vpcr_plugin_v1), 0, VPCR_KIND_HEALTH, 0, "drainfile", "1.0.0",
    "routers named by files in a directory are drained", options, 1, sizeof(vpcr_option_decl),
    create, start, stop, destroy, probe, report, {NULL, NULL, NULL, NULL}};

VPCR_EXPORT const vpcr_plugin_v1 *vpcr_plugin_entry_v1(const vpcr_host_api_v1 *api) {
    host = api;
    return &descriptor;
}
