/*
 * vpcrouter_plugin.h — the vpcrouter plugin ABI, version 1.1.
 *
 * This header is the only contract between the vpcrouter host and its plugins. A plugin is a
 * shared object that exports two C symbols:
 *
 *   const vpcr_magic     *vpcr_plugin_magic(void);                       layout frozen forever
 *   const vpcr_plugin_v1 *vpcr_plugin_entry_v1(const vpcr_host_api_v1 *); the ABI-1 entry point
 *
 * VPCR_PLUGIN_DECLARE(name, version) writes the first one. A future ABI 2 adds
 * vpcr_plugin_entry_v2; a plugin may export both and the host calls the highest it supports.
 *
 * Rules (see docs/plugin-abi.md for the full compatibility policy):
 *  - Every struct starts with struct_size and only ever grows at the end. The host copies
 *    min(struct_size, what it knows) into a zeroed copy, so a field an older plugin lacks reads 0.
 *  - Reserved fields and flags must be zero. Enums are 32 bits. Zero means "absent/default".
 *  - Memory: every pointer passed into a call is borrowed for that call only; the receiver copies
 *    what it keeps. Static data (magic, descriptor, option table) lives until process exit.
 *    Output buffers (vpcr_error, verdict arrays) are owned by the caller. Nobody frees memory the
 *    other side allocated, so each side may use any allocator or runtime.
 *  - Strings are UTF-8 and NUL-terminated; IPs and CIDRs are canonical dotted-quad text.
 *  - Nothing unwinds across the boundary: no exceptions, longjmp, exit() or abort() in plugins,
 *    no signal handlers, no changes to process-wide state (cwd, umask, locale, environment).
 *  - Plugins are never unloaded (the host opens them with RTLD_NODELETE and never dlclose()s).
 *
 * Threading classes, written beside each function:
 *  DISCOVERY  called once on the host's main thread before anything else; no side effects.
 *  INSTANCE   create, start, stop, destroy: in that order, never concurrently for one instance.
 *  PROBE      on a host-owned thread; never concurrent with itself or with INSTANCE calls of the
 *             same instance; must return by the request's deadline.
 *  HANDLER    HTTP handlers and report_info: any host thread, possibly concurrently with each
 *             other and with the plugin's own threads; the plugin synchronises its own state.
 *  ANY        host services: thread-safe, callable from any thread; they never call back into
 *             the calling instance (child_health_probe runs the *child's* probe on the caller's
 *             thread, by design).
 */
#ifndef VPCROUTER_PLUGIN_H
#define VPCROUTER_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VPCR_ABI_MAJOR 1
#define VPCR_ABI_MINOR 1
#define VPCR_MAGIC 0x52435056u /* the bytes "VPCR" in memory on little-endian machines */

#define VPCR_MAGIC_SYMBOL "vpcr_plugin_magic"
#define VPCR_ENTRY_V1_SYMBOL "vpcr_plugin_entry_v1"

#if defined(__GNUC__) || defined(__clang__)
#define VPCR_EXPORT __attribute__((visibility("default")))
#else
#define VPCR_EXPORT
#endif

/* ---------------------------------------------------------------------------------------------
 * Status codes and errors
 * ------------------------------------------------------------------------------------------- */

/* 0 is success; -1 ... -999 are the ABI's; -1000 and below are plugin-defined. */
typedef int32_t vpcr_status;
enum {
    VPCR_OK = 0,
    VPCR_E_INVALID = -1,     /* an argument is malformed (the message says which) */
    VPCR_E_CONFIG = -2,      /* an option value is unusable */
    VPCR_E_UNSUPPORTED = -3, /* the operation is not offered */
    VPCR_E_STATE = -4,       /* called in the wrong state */
    VPCR_E_TIMEOUT = -5,     /* the deadline passed */
    VPCR_E_IO = -6,          /* an operating-system or network error */
    VPCR_E_TRY_AGAIN = -7,   /* transient; the same call may succeed later */
    VPCR_E_INTERNAL = -8,    /* a bug */
    VPCR_E_REJECTED = -9,    /* the host refused the data (a route spec, say); message says why */
    VPCR_E_NOT_FOUND = -10,  /* a named thing does not exist */
    VPCR_E_PLUGIN_BASE = -1000
};

#define VPCR_ERROR_MESSAGE_CAPACITY 512

/* Caller-owned. The callee writes code and a NUL-terminated message within the capacity. */
typedef struct vpcr_error {
    int32_t code;
    uint32_t reserved; /* zero */
    char message[VPCR_ERROR_MESSAGE_CAPACITY];
} vpcr_error;

/* Fills a caller-owned error (which may be NULL) and returns the code, for
 * `return vpcr_fail(err, VPCR_E_CONFIG, "...");`. The message is truncated to fit. */
static inline vpcr_status vpcr_fail(vpcr_error *err, vpcr_status code, const char *message) {
    if (err) {
        size_t i = 0;
        err->code = code;
        for (; message && message[i] && i + 1 < VPCR_ERROR_MESSAGE_CAPACITY; i++) err->message[i] = message[i];
        err->message[i] = 0;
    }
    return code;
}

/* ---------------------------------------------------------------------------------------------
 * Enumerations (all 32 bits)
 * ------------------------------------------------------------------------------------------- */

typedef enum vpcr_kind {
    VPCR_KIND_INVALID = 0,
    VPCR_KIND_MODE = 1,   /* produces route specs (-m) */
    VPCR_KIND_HEALTH = 2, /* judges routers (-H) */
    VPCR_KIND_FORCE32 = 0x7fffffff
} vpcr_kind;

typedef enum vpcr_verdict {
    VPCR_VERDICT_UNKNOWN = 0, /* no opinion this round (the host keeps the previous state) */
    VPCR_VERDICT_HEALTHY = 1,
    VPCR_VERDICT_QUESTIONABLE = 2, /* usable, but avoid when a healthy router exists */
    VPCR_VERDICT_FAILED = 3,
    VPCR_VERDICT_FORCE32 = 0x7fffffff
} vpcr_verdict;

typedef enum vpcr_log_level {
    VPCR_LOG_TRACE = 0,
    VPCR_LOG_DEBUG = 1,
    VPCR_LOG_INFO = 2,
    VPCR_LOG_NOTICE = 3,
    VPCR_LOG_WARNING = 4,
    VPCR_LOG_ERROR = 5,
    VPCR_LOG_CRITICAL = 6,
    VPCR_LOG_FORCE32 = 0x7fffffff
} vpcr_log_level;

typedef enum vpcr_option_type {
    VPCR_OPT_INVALID = 0,
    VPCR_OPT_STRING = 1, /* any text */
    VPCR_OPT_INT = 2,    /* decimal integer, checked against min/max when min <= max */
    VPCR_OPT_FLOAT = 3,  /* decimal number, checked against min/max when min <= max */
    VPCR_OPT_BOOL = 4,   /* a flag without a value; the plugin receives "true" or "false" */
    VPCR_OPT_IP = 5,     /* dotted-quad IPv4 address, delivered canonical */
    VPCR_OPT_CIDR = 6,   /* IPv4 CIDR without host bits, delivered canonical */
    VPCR_OPT_PATH = 7,   /* a file system path (not checked for existence) */
    VPCR_OPT_FORCE32 = 0x7fffffff
} vpcr_option_type;

/* ---------------------------------------------------------------------------------------------
 * Identification: frozen forever, read before anything else (DISCOVERY)
 * ------------------------------------------------------------------------------------------- */

typedef struct vpcr_magic {
    uint32_t magic;       /* VPCR_MAGIC */
    uint32_t struct_size; /* sizeof(vpcr_magic) */
    uint32_t abi_major;   /* VPCR_ABI_MAJOR the plugin was built against */
    uint32_t abi_minor;   /* VPCR_ABI_MINOR the plugin was built against */
    const char *name;     /* the -m / -H name, e.g. "tcp": [a-z0-9_-]{1,32} */
    const char *version;  /* the plugin's own version, e.g. "1.2.0" */
} vpcr_magic;

#define VPCR_PLUGIN_DECLARE(plugin_name, plugin_version)                                          \
    VPCR_EXPORT const vpcr_magic *vpcr_plugin_magic(void) {                                       \
        static const vpcr_magic vpcr_magic_block = {VPCR_MAGIC, (uint32_t)sizeof(vpcr_magic),     \
                                                    VPCR_ABI_MAJOR, VPCR_ABI_MINOR,               \
                                                    (plugin_name), (plugin_version)};             \
        return &vpcr_magic_block;                                                                 \
    }

/* ---------------------------------------------------------------------------------------------
 * Options: declared as data; the host parses and type-checks them
 * ------------------------------------------------------------------------------------------- */

#define VPCR_OPT_F_REQUIRED (1u << 0) /* start-up fails without it */
#define VPCR_OPT_F_SECRET (1u << 1)   /* the value is never logged, echoed or shown */
/* The value is a colon-separated list of health plugin names that this plugin opens as children
 * (multi): the host selects them too, so their options are accepted and checked. */
#define VPCR_OPT_F_PLUGIN_REFS (1u << 2)
#define VPCR_OPT_F_KNOWN_FLAGS (VPCR_OPT_F_REQUIRED | VPCR_OPT_F_SECRET | VPCR_OPT_F_PLUGIN_REFS)

typedef struct vpcr_option_decl {
    uint32_t struct_size;        /* sizeof(vpcr_option_decl) */
    uint32_t flags;              /* VPCR_OPT_F_* */
    vpcr_option_type type;
    int32_t short_name;          /* a single ASCII letter for "-f", or 0 */
    const char *long_name;       /* without dashes; '_' and '-' are interchangeable on the CLI */
    const char *value_name;      /* shown in --help, e.g. "SECONDS"; may be NULL */
    const char *default_value;   /* text as typed on the command line; NULL = no default */
    const char *help;            /* one line */
    double min;                  /* bounds for INT and FLOAT; ignored when min > max */
    double max;
} vpcr_option_decl;

/* A parsed option value handed to create(): frozen pair layout. */
typedef struct vpcr_option_value {
    const char *long_name; /* as declared */
    const char *value;     /* canonical text */
} vpcr_option_value;

/* ---------------------------------------------------------------------------------------------
 * Data exchanged
 * ------------------------------------------------------------------------------------------- */

/* One route of a spec: a destination CIDR and the router IPs eligible to carry it, all equal. An
 * empty router list asks for the route to be removed. A spec whose routers are in order of
 * preference is submitted as JSON (submit_route_spec_json, the object form). */
typedef struct vpcr_route {
    const char *cidr;
    const char *const *routers;
    uint32_t router_count;
    uint32_t reserved; /* zero */
} vpcr_route;

/* A full route spec (never a delta). The generation must increase with every submission of the
 * same plugin instance; the host refuses one whose generation is not newer than the last accepted
 * with VPCR_E_REJECTED and a message naming both generations. */
typedef struct vpcr_route_spec {
    uint32_t struct_size;  /* sizeof(vpcr_route_spec) */
    uint32_t route_stride; /* sizeof(vpcr_route) as the plugin was built */
    uint64_t generation;
    const vpcr_route *routes;
    uint32_t route_count;
    uint32_t reserved; /* zero */
} vpcr_route_spec;

typedef struct vpcr_target {
    const char *ip;          /* router IP, canonical */
    const char *instance_id; /* EC2 instance id when known, else NULL (plugins must cope with NULL) */
} vpcr_target;

typedef struct vpcr_probe_request {
    uint32_t struct_size;     /* sizeof(vpcr_probe_request) */
    uint32_t target_stride;   /* sizeof(vpcr_target) as the host was built */
    uint64_t generation;      /* changes whenever the target list changes */
    uint64_t deadline_mono_ns; /* host monotonic clock (monotonic_now_ns); return before it */
    const vpcr_target *targets;
    uint32_t target_count;
    uint32_t reserved; /* zero */
    /* 1.1: target_count entries the host zeroed, or NULL. A plugin may write the round-trip time
     * (nanoseconds) of the check behind each verdict; 0 means not measured. Read it only when
     * VPCR_PROBE_HAS_RTT(request) holds: a 1.0 host's request ends before this field. */
    uint64_t *out_rtt_ns;
} vpcr_probe_request;

#define VPCR_PROBE_HAS_RTT(request)                                                               \
    ((request)->struct_size >= offsetof(vpcr_probe_request, out_rtt_ns) + sizeof(uint64_t *) &&   \
     (request)->out_rtt_ns != NULL)

/* A key/value field for structured logging: frozen pair layout. */
typedef struct vpcr_field {
    const char *key;
    const char *value;
} vpcr_field;

/* An HTTP request handed to a plugin's handler; borrowed for the call. */
typedef struct vpcr_http_request {
    uint32_t struct_size; /* sizeof(vpcr_http_request) */
    uint32_t header_count;
    const char *method;           /* "GET", "POST", ... */
    const char *path;             /* without the query, e.g. "/route_spec" */
    const char *query;            /* raw query without '?', or "" */
    const vpcr_field *headers;    /* names lower-case */
    const uint8_t *body;
    uint64_t body_length;
} vpcr_http_request;

typedef struct vpcr_host_ctx vpcr_host_ctx;         /* opaque: one per plugin instance */
typedef struct vpcr_child vpcr_child;               /* opaque: a child health instance */
typedef struct vpcr_http_response vpcr_http_response; /* opaque: the answer being built */
typedef struct vpcr_info_sink vpcr_info_sink;       /* opaque: collects report_info fields */

/* An HTTP handler registered by a plugin. HANDLER class. It answers through
 * host->http_respond(); if it returns without responding the host answers 500. */
typedef vpcr_status (*vpcr_http_handler_fn)(void *handler_ctx, const vpcr_http_request *request,
                                             vpcr_http_response *response);

/* ---------------------------------------------------------------------------------------------
 * Host services: an append-only table passed to the entry point; valid for the process lifetime
 * ------------------------------------------------------------------------------------------- */

typedef struct vpcr_host_api_v1 {
    uint32_t struct_size; /* sizeof(vpcr_host_api_v1) as the host was built */
    uint32_t abi_minor;   /* the host's VPCR_ABI_MINOR */
    const char *host_version;

    /* ANY. Log through the host's logger. ctx may be NULL (during entry). fields: borrowed. */
    void (*log)(vpcr_host_ctx *ctx, vpcr_log_level level, const char *message,
                const vpcr_field *fields, uint32_t field_count);

    /* ANY. The host's monotonic clock in nanoseconds (the clock of every deadline). */
    uint64_t (*monotonic_now_ns)(vpcr_host_ctx *ctx);

    /* ANY, MODE plugins between start() and the return of stop(). Validates the full spec on the
     * spot; VPCR_OK when it is accepted, VPCR_E_REJECTED with the reason in err otherwise (the
     * previous spec stays in force; a generation that is not newer is refused too). The host
     * copies the spec. submit_route_spec_json below is the easier call when the spec is text. */
    vpcr_status (*submit_route_spec)(vpcr_host_ctx *ctx, const vpcr_route_spec *spec,
                                     vpcr_error *err);

    /* ANY. Writes the route spec in force as JSON into buf (caller-owned, capacity bytes,
     * NUL-terminated). *needed receives the length without the NUL. VPCR_E_NOT_FOUND before the
     * first spec; VPCR_E_INVALID when the buffer is too small (call again with *needed + 1). */
    vpcr_status (*route_spec_json)(vpcr_host_ctx *ctx, char *buf, uint64_t capacity,
                                   uint64_t *needed, vpcr_error *err);

    /* INSTANCE (create only, so the host knows every route before it binds its server; a call
     * from start or later fails with VPCR_E_STATE). Serve method+path on the host's HTTP server. handler_ctx is passed back unchanged and must stay
     * valid until the process exits. The host answers 413 for bodies above its limit and 401 for
     * mutating requests without the configured bearer token before a handler is called. */
    vpcr_status (*http_register)(vpcr_host_ctx *ctx, const char *method, const char *path,
                                 vpcr_http_handler_fn handler, void *handler_ctx,
                                 vpcr_error *err);

    /* HANDLER. Answer a request: status code, content type and body are copied by the host. */
    vpcr_status (*http_respond)(vpcr_http_response *response, int32_t status,
                                const char *content_type, const uint8_t *body,
                                uint64_t body_length);

    /* INSTANCE (create only), HEALTH plugins. How often the host should probe and how long a
     * round may take; without this call the host uses 2 s and 0.75 x interval. */
    vpcr_status (*health_set_schedule)(vpcr_host_ctx *ctx, uint64_t interval_ns,
                                       uint64_t timeout_ns, vpcr_error *err);

    /* INSTANCE (create only), HEALTH plugins. Opens another loaded health plugin as a child of
     * this instance (its options come from the command line as usual). The child lives until
     * child_health_close() or process exit. */
    vpcr_status (*child_health_open)(vpcr_host_ctx *ctx, const char *plugin_name,
                                     vpcr_child **out_child, vpcr_error *err);

    /* PROBE (the parent's). Runs the child's probe on the calling thread; out_verdicts has
     * request->target_count slots, caller-owned, and so has request->out_rtt_ns when present. */
    vpcr_status (*child_health_probe)(vpcr_child *child, const vpcr_probe_request *request,
                                      vpcr_verdict *out_verdicts, vpcr_error *err);

    /* INSTANCE (stop or destroy of the parent). Stops and destroys the child. */
    void (*child_health_close)(vpcr_child *child);

    /* HANDLER (inside report_info). Adds one field to the plugin's status: section is "params"
     * or "stats"; value is text (numbers are shown as numbers). */
    void (*info_add)(vpcr_info_sink *sink, const char *section, const char *key,
                     const char *value);

    /* ANY, MODE plugins between start() and the return of stop(). The easy path for mode plugins:
     * like submit_route_spec (same validation, same generation rule), but the spec is JSON text in the original format ({"10.55.16.0/24": ["10.33.20.142"], ...}),
     * parsed strictly by the host: plugins that read specs from files, HTTP bodies or key-value
     * stores need no JSON parser of their own. json is borrowed; it need not be NUL-terminated. */
    vpcr_status (*submit_route_spec_json)(vpcr_host_ctx *ctx, const char *json, uint64_t length,
                                          uint64_t generation, vpcr_error *err);

    /* 1.1 and later: append here only. Test with VPCR_HOST_HAS before calling. */
} vpcr_host_api_v1;

#define VPCR_HOST_HAS(api, member)                                                                \
    ((api)->struct_size >= offsetof(vpcr_host_api_v1, member) + sizeof((api)->member))

/* ---------------------------------------------------------------------------------------------
 * The plugin descriptor: static, plugin-owned, lives until process exit
 * ------------------------------------------------------------------------------------------- */

typedef struct vpcr_plugin_v1 {
    uint32_t struct_size;        /* sizeof(vpcr_plugin_v1) as the plugin was built */
    uint32_t min_host_abi_minor; /* oldest host minor this plugin works with */
    vpcr_kind kind;
    uint32_t flags;              /* reserved: zero */
    const char *name;            /* must equal the magic block's name */
    const char *version;         /* must equal the magic block's version */
    const char *summary;         /* one line for `vpcrouter plugins` */
    const vpcr_option_decl *options; /* option_count entries, option_stride bytes apart */
    uint32_t option_count;
    uint32_t option_stride;      /* sizeof(vpcr_option_decl) as the plugin was built */

    /* INSTANCE. Parse-checked option values are borrowed for the call; on success store the
     * instance in *out_instance. ctx stays valid for the life of the instance. */
    vpcr_status (*create)(vpcr_host_ctx *ctx, const vpcr_option_value *options,
                          uint32_t option_count, void **out_instance, vpcr_error *err);
    /* INSTANCE. Begin work (threads, sockets, the first spec submission). When it fails the host
     * does not call stop, only destroy. */
    vpcr_status (*start)(void *instance, vpcr_error *err);
    /* INSTANCE. Finish by the deadline; afterwards no host callbacks and no running threads.
     * Called only after a start that succeeded. */
    vpcr_status (*stop)(void *instance, uint64_t deadline_mono_ns);
    /* INSTANCE. Free the instance; always called when create succeeded. */
    void (*destroy)(void *instance);

    /* PROBE. HEALTH plugins only (NULL for MODE): one verdict per target into out_verdicts. A
     * probe not back by the deadline plus a grace (1 s) gives no opinion that round: routers keep
     * their previous state, no new probe starts while it runs, and its late answer is ignored. */
    vpcr_status (*probe)(void *instance, const vpcr_probe_request *request,
                         vpcr_verdict *out_verdicts, vpcr_error *err);

    /* HANDLER. Optional: report params and stats through host->info_add for /plugins. */
    vpcr_status (*report_info)(void *instance, vpcr_info_sink *sink);

    void *reserved[4]; /* NULL */
} vpcr_plugin_v1;

/* DISCOVERY. Return the static descriptor, or NULL to decline (log the reason first). The host
 * pointer stays valid for the process lifetime; keep it in a static. */
typedef const vpcr_plugin_v1 *(*vpcr_plugin_entry_v1_fn)(const vpcr_host_api_v1 *host);
typedef const vpcr_magic *(*vpcr_plugin_magic_fn)(void);

/* DISCOVERY. The two symbols every plugin exports, declared here: a definition with the wrong
 * type does not compile, the right ones stay quiet under -Wmissing-prototypes, and a misspelt
 * name is what that warning then reports (it has no prototype). */
VPCR_EXPORT const vpcr_magic *vpcr_plugin_magic(void);
VPCR_EXPORT const vpcr_plugin_v1 *vpcr_plugin_entry_v1(const vpcr_host_api_v1 *host);

/* Sizes frozen at ABI 1.0 (LP64). They are literals, not sizeof, because the structs grow in
 * 1.1 and later while these numbers must not: a plugin that needs only 1.0 services checks
 * host->struct_size >= VPCR_HOST_API_V1_0_SIZE (sizeof(vpcr_host_api_v1) would refuse an older
 * host once the table has grown), and the host accepts any descriptor or option declaration at
 * least this large. The descriptor's 1.0 size ends before report_info, which is optional. */
#define VPCR_PLUGIN_V1_0_SIZE 96
#define VPCR_HOST_API_V1_0_SIZE 112
#define VPCR_OPTION_DECL_V1_0_SIZE 64
/* A probe target's 1.0 fields (ip, instance_id): what a plugin needs target_stride to cover. */
#define VPCR_TARGET_V1_0_SIZE 16
/* A probe request as a 1.0 host sends it (no out_rtt_ns). */
#define VPCR_PROBE_REQUEST_V1_0_SIZE 40

/* ---------------------------------------------------------------------------------------------
 * Layout checks for LP64 targets (x86_64 and aarch64 Linux)
 * ------------------------------------------------------------------------------------------- */
#if defined(__LP64__) && !defined(__cplusplus)
_Static_assert(sizeof(vpcr_kind) == 4, "enums are 32 bits");
_Static_assert(sizeof(vpcr_verdict) == 4, "enums are 32 bits");
_Static_assert(sizeof(vpcr_error) == 8 + VPCR_ERROR_MESSAGE_CAPACITY, "vpcr_error layout");
_Static_assert(sizeof(vpcr_magic) == 32, "vpcr_magic layout is frozen");
_Static_assert(offsetof(vpcr_magic, name) == 16, "vpcr_magic layout is frozen");
_Static_assert(sizeof(vpcr_option_decl) == 64, "vpcr_option_decl layout");
_Static_assert(offsetof(vpcr_option_decl, long_name) == 16, "vpcr_option_decl layout");
_Static_assert(offsetof(vpcr_option_decl, min) == 48, "vpcr_option_decl layout");
_Static_assert(sizeof(vpcr_option_value) == 16, "vpcr_option_value layout");
_Static_assert(sizeof(vpcr_route) == 24, "vpcr_route layout");
_Static_assert(sizeof(vpcr_route_spec) == 32, "vpcr_route_spec layout");
_Static_assert(offsetof(vpcr_route_spec, routes) == 16, "vpcr_route_spec layout");
_Static_assert(sizeof(vpcr_target) == 16, "vpcr_target layout");
_Static_assert(sizeof(vpcr_probe_request) == 48, "vpcr_probe_request layout");
_Static_assert(offsetof(vpcr_probe_request, out_rtt_ns) == VPCR_PROBE_REQUEST_V1_0_SIZE, "vpcr_probe_request layout");
_Static_assert(offsetof(vpcr_probe_request, targets) == 24, "vpcr_probe_request layout");
_Static_assert(sizeof(vpcr_http_request) == 56, "vpcr_http_request layout");
_Static_assert(offsetof(vpcr_host_api_v1, log) == 16, "vpcr_host_api_v1 layout");
_Static_assert(sizeof(vpcr_host_api_v1) == 112, "vpcr_host_api_v1 layout");
_Static_assert(offsetof(vpcr_plugin_v1, name) == 16, "vpcr_plugin_v1 layout");
_Static_assert(offsetof(vpcr_plugin_v1, create) == 56, "vpcr_plugin_v1 layout");
_Static_assert(offsetof(vpcr_plugin_v1, report_info) == 96, "vpcr_plugin_v1 layout");
_Static_assert(sizeof(vpcr_plugin_v1) == 136, "vpcr_plugin_v1 layout");
/* The frozen 1.0 sizes are what today's structs measure; from 1.1 on, sizeof may only be larger. */
_Static_assert(VPCR_PLUGIN_V1_0_SIZE == offsetof(vpcr_plugin_v1, report_info), "VPCR_PLUGIN_V1_0_SIZE");
_Static_assert(VPCR_HOST_API_V1_0_SIZE == sizeof(vpcr_host_api_v1), "VPCR_HOST_API_V1_0_SIZE");
_Static_assert(VPCR_OPTION_DECL_V1_0_SIZE == sizeof(vpcr_option_decl), "VPCR_OPTION_DECL_V1_0_SIZE");
_Static_assert(VPCR_TARGET_V1_0_SIZE == sizeof(vpcr_target), "VPCR_TARGET_V1_0_SIZE");
#endif

#ifdef __cplusplus
}
#endif

#endif /* VPCROUTER_PLUGIN_H */
