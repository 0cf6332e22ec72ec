import Foundation

/// One headless Chromium page, driven through `Tests/Tools/browserdriver.py` (the DevTools
/// protocol behind a small loopback API). The page is only ever navigated by `open`.
public final class BrowserPage: Sendable {
    private let driver: ManagedProcess
    private let base: URL

    private init(driver: ManagedProcess) {
        self.driver = driver
        base = URL(string: "http://127.0.0.1:\(driver.port)")!
    }

    public static func start() async throws -> BrowserPage {
        let driver = try ManagedProcess(name: "chromium", command: ["python3", ToolPaths.tool("browserdriver.py"), "--port", "{PORT}"],
                                        startTimeout: .seconds(60))
        let page = BrowserPage(driver: driver)
        do {
            try await LocalHTTP.waitUntilReady(page.base.appendingPathComponent("health"), timeout: .seconds(90))
        } catch {
            driver.stop()
            throw HarnessError("the browser did not start: \(error); log: \(driver.logTail())")
        }
        return page
    }

    public func open(_ url: String) async throws {
        _ = try await command("open", ["url": url])
    }

    /// Evaluates a JavaScript expression in the page; its value as JSON decodes it.
    public func evaluate(_ expression: String) async throws -> Any? {
        try await command("eval", ["expression": expression])["value"].flatMap { $0 is NSNull ? nil : $0 }
    }

    public func screenshot(to path: String) async throws {
        _ = try await command("screenshot", ["path": path])
    }

    public func stop() { driver.stop() }

    private func command(_ name: String, _ arguments: [String: String]) async throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: arguments)
        let answer = try await LocalHTTP.request("POST", base.appendingPathComponent(name), body: body, timeout: 60)
        let document = (try? JSONSerialization.jsonObject(with: answer.body)) as? [String: Any] ?? [:]
        guard answer.status == 200 else {
            throw HarnessError("browser \(name) failed: \(document["error"] ?? String(decoding: answer.body, as: UTF8.self))")
        }
        return document
    }
}
