/* Loads a thread-sanitized multi plugin (scripts/tsan-multi.sh builds it) with three fake children
 * that answer at the same time, and probes it many times; ThreadSanitizer reports any race. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "vpcrouter_plugin.h"

static void host_log(vpcr_host_ctx *c, vpcr_log_level l, const char *m, const vpcr_field *f, uint32_t n) {
    (void)c; (void)l; (void)m; (void)f; (void)n;
}
static uint64_t now_ns(vpcr_host_ctx *c) {
    (void)c; struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
static int children_opened;
static vpcr_status open_child(vpcr_host_ctx *c, const char *name, vpcr_child **out, vpcr_error *e) {
    (void)c; (void)name; (void)e;
    *out = (vpcr_child *)(intptr_t)(++children_opened);
    return VPCR_OK;
}
static vpcr_status probe_child(vpcr_child *child, const vpcr_probe_request *r, vpcr_verdict *v, vpcr_error *e) {
    (void)e;
    for (uint32_t i = 0; i < r->target_count; i++) v[i] = ((intptr_t)child + i) % 3 ? VPCR_VERDICT_HEALTHY : VPCR_VERDICT_FAILED;
    return VPCR_OK;
}
static void close_child(vpcr_child *child) { (void)child; }

int main(int argc, char **argv) {
    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!library) { fprintf(stderr, "%s\n", dlerror()); return 2; }
    vpcr_plugin_entry_v1_fn entry = (vpcr_plugin_entry_v1_fn)dlsym(library, VPCR_ENTRY_V1_SYMBOL);
    static vpcr_host_api_v1 host;
    host.struct_size = sizeof host;
    host.abi_minor = VPCR_ABI_MINOR;
    host.host_version = "tsan-driver";
    host.log = host_log;
    host.monotonic_now_ns = now_ns;
    host.child_health_open = open_child;
    host.child_health_probe = probe_child;
    host.child_health_close = close_child;
    const vpcr_plugin_v1 *plugin = entry(&host);
    if (!plugin) return 2;
    vpcr_option_value options[] = {{"multi_plugins", "a:b:c"}};
    void *instance = NULL;
    vpcr_error error = {0};
    if (plugin->create(NULL, options, 1, &instance, &error) != VPCR_OK) { fprintf(stderr, "create: %s\n", error.message); return 2; }
    enum { TARGETS = 64 };
    vpcr_target targets[TARGETS];
    char names[TARGETS][16];
    for (int i = 0; i < TARGETS; i++) { snprintf(names[i], sizeof names[i], "10.0.0.%d", i + 1); targets[i].ip = names[i]; targets[i].instance_id = NULL; }
    vpcr_verdict verdicts[TARGETS];
    int rounds = argc > 2 ? atoi(argv[2]) : 200;
    for (int round = 0; round < rounds; round++) {
        vpcr_probe_request request = {sizeof request, sizeof(vpcr_target), 1, now_ns(NULL) + 1000000000u, targets, TARGETS, 0};
        if (plugin->probe(instance, &request, verdicts, &error) != VPCR_OK) { fprintf(stderr, "probe: %s\n", error.message); return 1; }
        for (int i = 0; i < TARGETS; i++) {
            vpcr_verdict expected = VPCR_VERDICT_FAILED; /* one of the three children fails every target */
            if (verdicts[i] != expected) { fprintf(stderr, "round %d target %d: verdict %d, expected %d\n", round, i, verdicts[i], expected); return 1; }
        }
    }
    plugin->stop(instance, now_ns(NULL) + 1000000000u);
    plugin->destroy(instance);
    printf("multi: %d rounds of %d targets from 3 children\n", rounds, TARGETS);
    return 0;
}
