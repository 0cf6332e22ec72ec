import EC2
import Foundation
import RouteModel
import Testing
import TestSupport

extension EndToEnd {
    /// A whole daemon session with real secrets: moto checking signatures and IAM, temporary
    /// credentials with a session token (a role carrying only the documented policy), a fault
    /// proxy recording every signature it forwards, the http mode with a bearer token, routes
    /// written, bad requests refused, every status page fetched. None of the secrets may appear in
    /// anything the daemon wrote or served.
    @Suite(.serialized, .timeLimit(.minutes(5))) struct SecurityTests {
        let routerA = "10.0.1.10"
        let routerB = "10.0.2.20"
        static let bearerToken = "security-test-bearer-token-7f3a9c1e5b"

        @Test func aFullSessionLeaksNoSecret() async throws {
            let started = ContinuousClock.now
            defer { print("security session: \(ContinuousClock.now - started)") }
            let moto = try await MotoServer.start(verifySignatures: true)
            defer { moto.stop() }
            let fixture = try await moto.fixture()
            let proxy = try await FaultProxy.start(upstream: moto.endpoint)
            defer { proxy.stop() }
            // Some answers fail, so the error paths (retries, their log lines) run too.
            try await proxy.configure(["error503": 0.1, "malformed": 0.05, "seed": 5])
            let ec2 = moto.client(for: fixture)
            let routers = try await RouterNamespaces.listening([routerA, routerB], port: 9)
            defer { routers.remove() }

            let directory = try PackagePaths.temporaryDirectory("vpcr-security")
            defer { try? FileManager.default.removeItem(at: directory) }
            let tokenFile = directory.appendingPathComponent("token")
            try Data((Self.bearerToken + "\n").utf8).write(to: tokenFile)
            let logfile = directory.appendingPathComponent("vpcrouter.log")
            var environment = VPCRouterUnderTest.environment(ec2Endpoint: proxy.endpoint.absoluteString)
            environment["AWS_ACCESS_KEY_ID"] = fixture.sessionAccessKeyId
            environment["AWS_SECRET_ACCESS_KEY"] = fixture.sessionSecretAccessKey
            environment["AWS_SESSION_TOKEN"] = fixture.sessionToken
            let port = freeLoopbackPort()
            let base = "http://127.0.0.1:\(port)"
            let daemon = try DaemonProcess(PackagePaths.vpcrouter, [
                "-r", fixture.region, "-v", fixture.vpcId, "-m", "http", "-H", "tcp", "--tcp_check_port", "9",
                "--tcp_check_interval", "0.5", "-p", "\(port)", "--http-token-file", tokenFile.path, "--verbose",
                "-l", logfile.path, "--state-dir", directory.appendingPathComponent("state").path, "--route_recheck_interval", "5",
            ], environment: environment)
            defer { _ = daemon.stop() }
            let log = { (try? String(contentsOf: logfile, encoding: .utf8)) ?? "" }
            for _ in 0..<300 where !log().contains("HTTP server listening") { try await Task.sleep(for: .milliseconds(50)) }
            #expect(log().contains("HTTP server listening"), "\(daemon.output)\(log())")

            var served: [String] = []
            func fetch(_ path: String, method: String = "GET", headers: [String: String] = [:], body: String? = nil) async throws -> HTTPAnswer {
                let answer = try await HTTPProbe.request(base + path, method: method, headers: headers, body: body.map { Data($0.utf8) })
                served.append("\(method) \(path) \(answer.status)\n\(answer.headers)\n\(answer.text)")
                return answer
            }
            let authorized = ["Content-Type": "application/json", "Authorization": "Bearer \(Self.bearerToken)"]
            let spec = #"{"10.88.0.0/16": ["\#(routerA)", "\#(routerB)"]}"#
            #expect(try await fetch("/route_spec", method: "POST", headers: authorized, body: spec).status == 200)

            // Routes are written through the proxy, signed with the session's credentials.
            var created = false
            for _ in 0..<300 where !created {
                let tables = try await ec2.describeRouteTables(vpcId: fixture.vpcId)
                created = [fixture.routeTableA, fixture.routeTableB].allSatisfy { id in
                    tables.first { $0.routeTableId == id }?.route(to: "10.88.0.0/16") != nil
                }
                if !created { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(created, "\(log().suffix(3000))")
            print("security session: routes created after \(ContinuousClock.now - started)")

            // Refusals, with and without the token, and a wrong one.
            _ = try await fetch("/route_spec", method: "POST", headers: authorized, body: #"{"10.88.0.1/16": ["\#(routerA)"]}"#)
            _ = try await fetch("/route_spec", method: "POST", headers: ["Content-Type": "application/json"], body: spec)
            _ = try await fetch("/route_spec", method: "POST",
                                headers: ["Content-Type": "application/json", "Authorization": "Bearer \(Self.bearerToken.dropLast())"], body: spec)
            _ = try await fetch("/route_spec", method: "POST", headers: ["Content-Type": "text/plain", "Authorization": "Bearer \(Self.bearerToken)"], body: spec)
            _ = try await fetch("/nosuch")
            _ = try await fetch("/ips", method: "DELETE")
            for path in ["/", "/ips", "/plugins", "/route_info", "/vpc", "/metrics", "/healthz", "/readyz", "/route_spec"] {
                for accept in ["application/json", "text/html", "text/plain"] {
                    _ = try await fetch(path, headers: ["Accept": accept])
                }
            }
            let signatures = try await proxy.signatures()
            #expect(signatures.count >= 5, "the proxy saw the signed requests")
            #expect(await daemon.stopped() == 0)

            let outputs = ["stdout and stderr": daemon.output, "log file": log(), "HTTP answers": served.joined(separator: "\n")]
            #expect(log().contains("NOTICE vpcrouter: create"), "the session wrote routes")
            #expect(outputs["HTTP answers"]!.contains("route spec refused"), "the refusals were served")
            var secrets = [
                "the secret access key": fixture.sessionSecretAccessKey, "the access key id": fixture.sessionAccessKeyId,
                "the session token": fixture.sessionToken, "the bearer token": Self.bearerToken,
                "the bearer token less its last character": String(Self.bearerToken.dropLast()),
            ]
            for (index, signature) in Set(signatures).enumerated() { secrets["signature \(index)"] = signature }
            #expect(fixture.sessionToken.count > 100 && fixture.sessionAccessKeyId.hasPrefix("ASIA"))
            for (where_, text) in outputs {
                // With -l everything goes to the file; stdout and stderr stay empty unless something leaks there.
                #expect(!text.isEmpty || where_ == "stdout and stderr", "\(where_) is empty")
                for (name, secret) in secrets where text.contains(secret) {
                    Issue.record("\(name) appears in \(where_)")
                }
                // The half of the secret key that would already help an attacker.
                #expect(!text.contains(fixture.sessionSecretAccessKey.prefix(20)), "part of the secret key in \(where_)")
            }
        }

        /// The documented policy is one file, and the README and docs/security.md name exactly its
        /// actions; the IAM fixture reads that file, so what is tested is what is documented.
        @Test func thePolicyIsTheOneDocumented() throws {
            let root = PackagePaths.root
            let policy = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("docs/iam-policy.json"))) as? [String: Any]
            let statements = policy?["Statement"] as? [[String: Any]] ?? []
            let documented = Set(statements.flatMap { $0["Action"] as? [String] ?? [] })
            #expect(documented == ["ec2:DescribeRouteTables", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
                                   "ec2:DescribeInstances", "ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute",
                                   // --prefix-lists only; CreateTags only to tag a list as it is created.
                                   "ec2:DescribeManagedPrefixLists", "ec2:GetManagedPrefixListEntries", "ec2:CreateManagedPrefixList",
                                   "ec2:ModifyManagedPrefixList", "ec2:DeleteManagedPrefixList", "ec2:CreateTags"])
            for file in ["README.md", "docs/security.md"] {
                let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                // ec2:CreateAction is the condition key of the CreateTags statement, not an action.
                let named = Set(text.matches(of: /ec2:[A-Za-z]+/).map { String($0.output) }).subtracting(["ec2:CreateAction"])
                #expect(named == documented, "\(file) names \(named.sorted())")
            }
            let fixture = try String(contentsOf: root.appendingPathComponent("Tests/Tools/motofixture.py"), encoding: .utf8)
            #expect(fixture.contains("docs\", \"iam-policy.json\""))
        }

        /// The same key, asked for an action outside the policy, is refused: IAM is really enforced.
        @Test func theDaemonsKeyCanDoNothingElse() async throws {
            let moto = try await MotoServer.start(verifySignatures: true)
            defer { moto.stop() }
            let fixture = try await moto.fixture()
            let client = EC2Client(
                configuration: EC2ClientConfiguration(region: fixture.region, endpoint: moto.endpoint),
                credentials: StaticCredentialsProvider(AWSCredentials(
                    accessKeyId: fixture.sessionAccessKeyId, secretAccessKey: fixture.sessionSecretAccessKey, sessionToken: fixture.sessionToken)))
            #expect(try await client.describeRouteTables(vpcId: fixture.vpcId).count == 3)
            do {
                _ = try await client.describeVpcs(vpcId: fixture.vpcId)
                Issue.record("DescribeVpcs is outside the policy and was allowed")
            } catch let error as EC2Error {
                #expect(error.httpStatus == 403, "\(error)")
            }
        }
    }
}
