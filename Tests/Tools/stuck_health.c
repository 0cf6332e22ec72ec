/* stuck: a test-only health plugin that misbehaves on purpose. It answers HEALTHY for the first
 * --stuck_after rounds, then its probe never returns (it ignores the deadline). With
 * --stuck_verdict N it answers the raw value N instead of HEALTHY (a value outside the ABI's).
 * With --stuck_fail N its first N probes return an error instead of an answer.
 * Probes every --stuck_interval seconds with a timeout of half that. Its stats show the targets
 * of the last round as ip=instance_id (instance_id "-" when the host gave none).
 *
 *   cc -shared -fPIC -O1 -fvisibility=hidden -I Sources/PluginABI/include -o libstuck.so stuck_health.c
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vpcrouter_plugin.h"

VPCR_PLUGIN_DECLARE("stuck", "1.0.0")

static const vpcr_host_api_v1 *host;
static long stuck_after;
static long stuck_verdict = VPCR_VERDICT_HEALTHY;
static long fail_first;
static long failed_rounds;
static double interval_s = 0.2;
static long rounds;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char seen[1024]; /* the last round's targets, ip=instance_id, space-separated */

static const vpcr_option_decl options[] = {
    {sizeof(vpcr_option_decl), 0, VPCR_OPT_INT, 0, "stuck_after", "ROUNDS", "0",
     "rounds answered before every probe hangs for ever", 0, 1000000},
    {sizeof(vpcr_option_decl), 0, VPCR_OPT_INT, 0, "stuck_verdict", "N", "1",
     "the raw verdict value answered for every router", -1000, 1000},
    {sizeof(vpcr_option_decl), 0, VPCR_OPT_FLOAT, 0, "stuck_interval", "SECONDS", "0.2",
     "seconds between rounds", 0.05, 60},
    {sizeof(vpcr_option_decl), 0, VPCR_OPT_INT, 0, "stuck_fail", "ROUNDS", "0",
     "first probes that return an error", 0, 1000000},
};

static vpcr_status create(vpcr_host_ctx *ctx, const vpcr_option_value *values, uint32_t count,
                          void **out, vpcr_error *err) {
    for (uint32_t i = 0; i < count; i++) {
        if (strcmp(values[i].long_name, "stuck_after") == 0) stuck_after = strtol(values[i].value, NULL, 10);
        if (strcmp(values[i].long_name, "stuck_verdict") == 0) stuck_verdict = strtol(values[i].value, NULL, 10);
        if (strcmp(values[i].long_name, "stuck_interval") == 0) interval_s = strtod(values[i].value, NULL);
        if (strcmp(values[i].long_name, "stuck_fail") == 0) fail_first = strtol(values[i].value, NULL, 10);
    }
    uint64_t interval_ns = (uint64_t)(interval_s * 1e9);
    vpcr_status status = host->health_set_schedule(ctx, interval_ns, interval_ns / 2, err);
    if (status != VPCR_OK) return status;
    *out = &rounds;
    return VPCR_OK;
}

static vpcr_status start(void *self, vpcr_error *err) { (void)self; (void)err; return VPCR_OK; }
static vpcr_status stop(void *self, uint64_t deadline) { (void)self; (void)deadline; return VPCR_OK; }
static void destroy(void *self) { (void)self; }

static vpcr_status probe(void *self, const vpcr_probe_request *req, vpcr_verdict *out, vpcr_error *err) {
    (void)self;
    if (failed_rounds < fail_first) {
        failed_rounds++;
        err->code = VPCR_E_IO;
        snprintf(err->message, sizeof err->message, "failing on purpose (%ld of %ld)", failed_rounds, fail_first);
        return VPCR_E_IO;
    }
    if (rounds >= stuck_after) {
        for (;;) pause(); /* never returns, whatever the deadline says */
    }
    rounds++;
    char line[sizeof seen] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < req->target_count; i++) {
        out[i] = (vpcr_verdict)stuck_verdict;
        const vpcr_target *target = (const vpcr_target *)((const char *)req->targets + (size_t)i * req->target_stride);
        int wrote = snprintf(line + used, sizeof line - used, "%s%s=%s", i ? " " : "", target->ip,
                             target->instance_id ? target->instance_id : "-");
        if (wrote < 0 || (size_t)wrote >= sizeof line - used) break;
        used += (size_t)wrote;
    }
    pthread_mutex_lock(&seen_lock);
    memcpy(seen, line, sizeof seen);
    pthread_mutex_unlock(&seen_lock);
    return VPCR_OK;
}

static vpcr_status report(void *self, vpcr_info_sink *sink) {
    (void)self;
    host->info_add(sink, "params", "stuck_after", stuck_after > 0 ? "set" : "0");
    char targets[sizeof seen];
    pthread_mutex_lock(&seen_lock);
    memcpy(targets, seen, sizeof seen);
    pthread_mutex_unlock(&seen_lock);
    host->info_add(sink, "stats", "targets", targets);
    return VPCR_OK;
}

static const vpcr_plugin_v1 descriptor = {
    sizeof(vpcr_plugin_v1), 0, VPCR_KIND_HEALTH, 0, "stuck", "1.0.0",
    "test only: a health plugin whose probe hangs", options, 4, sizeof(vpcr_option_decl),
    create, start, stop, destroy, probe, report, {NULL, NULL, NULL, NULL}};

VPCR_EXPORT const vpcr_plugin_v1 *vpcr_plugin_entry_v1(const vpcr_host_api_v1 *api) {
    host = api;
    return &descriptor;
}
