/// The dashboard's stylesheet and script, served by the daemon itself (`/ui/...`): the page fetches
/// nothing from anywhere else, and its Content-Security-Policy allows nothing inline.
enum DashboardAssets {
    static let files: [String: (contentType: String, body: String)] = [
        "/ui/dashboard.css": ("text/css; charset=utf-8", stylesheet),
        "/ui/dashboard.js": ("text/javascript; charset=utf-8", script),
    ]

    static let stylesheet = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 1em 2em; color: #1d2330; background: #fafbfc; }
        h1 { font-size: 1.4em; margin: 0 0 .4em; } h2 { font-size: 1.1em; margin: 1.4em 0 .4em; }
        table { border-collapse: collapse; } th, td { padding: 3px 8px; border: 1px solid #d8dce3; text-align: left; vertical-align: top; }
        thead th { background: #eef1f5; } small { display: block; color: #5a6270; font-size: .8em; }
        .summary th { background: #eef1f5; width: 9em; }
        .good { color: #176b2c; } .warn { color: #8a5a00; } .bad { color: #a11d1d; font-weight: 600; }
        .grid td.route { font-family: ui-monospace, monospace; cursor: help; }
        .state-correct { background: #dff3e3; } .state-repairing { background: #fff1c2; } .state-removing { background: #fde0c5; }
        .state-held { background: #e4e7ec; } .state-no_eligible_router { background: #f9d0d0; }
        .state-ignored { background: #eceff3; color: #5a6270; } .state-foreign { background: #e3e4fb; }
        .legend span { padding: 1px 6px; border-radius: 3px; margin-right: .3em; }
        .condition-healthy { color: #176b2c; } .condition-suspect, .condition-questionable { color: #8a5a00; font-weight: 600; }
        .condition-failed { color: #a11d1d; font-weight: 700; } .condition-unknown { color: #5a6270; }
        .empty { color: #5a6270; }
        .connection { position: sticky; top: 0; padding: .5em 1em; background: #a11d1d; color: #fff; font-weight: 600; }
        body.stale main { opacity: .45; }
        footer { margin-top: 2em; color: #5a6270; font-size: .9em; }
        """

    /// Fetches the page again every two seconds and swaps its `<main>`; says so plainly when the
    /// daemon stops answering, and dims what is shown (it is no longer current).
    static let script = """
        "use strict";
        (function () {
          var failingSince = null;
          function show(message) {
            var banner = document.getElementById("connection");
            if (message) { banner.textContent = message; banner.hidden = false; document.body.classList.add("stale"); }
            else { banner.hidden = true; document.body.classList.remove("stale"); }
          }
          function refresh() {
            var controller = new AbortController();
            var timer = setTimeout(function () { controller.abort(); }, 1800);
            fetch("/", { headers: { "Accept": "text/html" }, cache: "no-store", signal: controller.signal })
              .then(function (response) {
                if (!response.ok) { throw new Error("HTTP " + response.status); }
                return response.text();
              })
              .then(function (text) {
                var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("dashboard");
                var current = document.getElementById("dashboard");
                if (!fresh || !current) { throw new Error("unexpected page"); }
                current.replaceWith(document.importNode(fresh, true));
                failingSince = null;
                show(null);
              })
              .catch(function (error) {
                if (!failingSince) { failingSince = new Date(); }
                show("vpcrouter is not answering since " + failingSince.toLocaleTimeString() + " (" + error.message + "); what is shown is from before then");
              })
              .finally(function () { clearTimeout(timer); });
          }
          setInterval(refresh, 2000);
        })();
        """
}
