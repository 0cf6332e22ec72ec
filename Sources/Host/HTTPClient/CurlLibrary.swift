import CCurl

/// libcurl's process-wide initialisation, done once. `curl_global_init` is reference counted, so a
/// plugin that pairs its own init and cleanup does not undo ours; everything else the transport
/// uses (multi handle, connection cache, thread) belongs to one transport instance.
enum CurlLibrary {
    /// CURLE_OK once libcurl is ready; Swift runs this initialiser exactly once, under a lock.
    static let initialization: CURLcode = curl_global_init(Int(vpcr_curl_global_default_flags()))

    /// The libcurl version in use, e.g. "7.88.1".
    static var version: String { String(cString: vpcr_curl_version_string()) }
}
