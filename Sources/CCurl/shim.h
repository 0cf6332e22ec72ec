#ifndef VPCROUTER_CCURL_SHIM_H
#define VPCROUTER_CCURL_SHIM_H

// The host's HTTP client runs on libcurl (libcurl4-openssl-dev). curl_easy_setopt and
// curl_easy_getinfo are variadic, which Swift cannot call, so each argument type gets a typed
// wrapper here.
#include <curl/curl.h>
#include <sys/prctl.h>

/// "7.88.1": CURLVERSION_NOW is a macro Swift does not import.
static inline const char *vpcr_curl_version_string(void) {
    const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
    return info && info->version ? info->version : "unknown";
}

/// Names the calling thread (shown by top -H and in /proc); prctl is variadic, hence here.
static inline void vpcr_name_current_thread(const char *name) {
    prctl(PR_SET_NAME, name, 0, 0, 0);
}

/// CURL_GLOBAL_DEFAULT is a macro expression Swift does not import.
static inline long vpcr_curl_global_default_flags(void) {
    return CURL_GLOBAL_DEFAULT;
}

static inline CURLcode vpcr_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode vpcr_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode vpcr_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode vpcr_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode vpcr_curl_set_list(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

/// For CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION (both take this shape).
static inline CURLcode vpcr_curl_set_data_callback(CURL *handle, CURLoption option, curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode vpcr_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode vpcr_curl_get_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode vpcr_curl_multi_set_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

#endif
