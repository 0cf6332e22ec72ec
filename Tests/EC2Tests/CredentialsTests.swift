import Foundation
import HTTPClient
import Synchronization
import Testing
import TestSupport

@testable import EC2

@Suite("Credential chain, profiles, container credentials and IMDSv2", .timeLimit(.minutes(3)))
struct CredentialsTests {
    let transport = CurlTransport(idleTimeout: .seconds(2), requestTimeout: .seconds(5))

    @Test("environment variables, with a session token")
    func environment() async throws {
        let credentials = try await EnvironmentCredentialsProvider(environment: [
            "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
        ]).credentials()
        #expect(credentials.accessKeyId == "AKIAENV" && credentials.sessionToken == "env-token")
        await #expect(throws: CredentialsError.self) { try await EnvironmentCredentialsProvider(environment: [:]).credentials() }
    }

    @Test("descriptions never show the secret or the token")
    func redaction() {
        let credentials = AWSCredentials(accessKeyId: "AKIAABCDEFGH1234", secretAccessKey: "super-secret-value", sessionToken: "token-value-xyz")
        for text in ["\(credentials)", String(reflecting: credentials), "\([credentials])"] {
            #expect(!text.contains("super-secret-value") && !text.contains("token-value-xyz") && !text.contains("AKIAABCDEFGH"))
            #expect(text.contains("1234"))
        }
    }

    @Test("shared credentials and config files with AWS_PROFILE")
    func profiles() async throws {
        let directory = try ToolPaths.makeTemporaryDirectory(prefix: "aws-profiles")
        defer { try? FileManager.default.removeItem(at: directory) }
        let credentialsFile = directory.appendingPathComponent("credentials").path
        let configFile = directory.appendingPathComponent("config").path
        try """
            # comment
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key = default-secret

            [router]
            aws_access_key_id=AKIAROUTER
            aws_secret_access_key=router-secret ; trailing comment
            aws_session_token = router-token
            """.write(toFile: credentialsFile, atomically: true, encoding: .utf8)
        try """
            [default]
            region = eu-west-1
            [profile from-config]
            region = ap-south-1
            aws_access_key_id = AKIACONFIG
            aws_secret_access_key = config-secret
            s3 =
              max_concurrent_requests = 2
            """.write(toFile: configFile, atomically: true, encoding: .utf8)
        let base = ["AWS_SHARED_CREDENTIALS_FILE": credentialsFile, "AWS_CONFIG_FILE": configFile, "HOME": directory.path]

        let fallback = ProfileCredentialsProvider(environment: base)
        #expect(try await fallback.credentials().accessKeyId == "AKIADEFAULT")
        #expect(fallback.region() == "eu-west-1")

        let router = try await ProfileCredentialsProvider(environment: base.merging(["AWS_PROFILE": "router"]) { $1 }).credentials()
        #expect(router.accessKeyId == "AKIAROUTER" && router.secretAccessKey == "router-secret" && router.sessionToken == "router-token")

        let fromConfig = ProfileCredentialsProvider(environment: base.merging(["AWS_PROFILE": "from-config"]) { $1 })
        #expect(try await fromConfig.credentials().accessKeyId == "AKIACONFIG")
        #expect(fromConfig.region() == "ap-south-1")

        // A profile asked for by name that does not exist stops the chain instead of falling through.
        do {
            _ = try await ProfileCredentialsProvider(environment: base.merging(["AWS_PROFILE": "missing"]) { $1 }).credentials()
            Issue.record("expected an error")
        } catch let error as CredentialsError {
            #expect(!error.notConfigured)
        }

        // The chain takes the environment first, then the profile.
        let chain = try DefaultCredentialsChain(environment: base.merging(["AWS_EC2_METADATA_DISABLED": "true"]) { $1 }, transport: transport)
        #expect(try await chain.credentials().accessKeyId == "AKIADEFAULT")
        let envChain = try DefaultCredentialsChain(
            environment: base.merging(["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "s"]) { $1 }, transport: transport)
        #expect(try await envChain.credentials().source == "environment")
    }

    @Test("temporary credentials are refreshed five minutes before they expire")
    func refreshBeforeExpiry() async throws {
        let provider = CountingProvider(lifetime: 240)
        let chain = DefaultCredentialsChain(providers: [("counting", provider)])
        _ = try await chain.credentials()
        _ = try await chain.credentials()
        #expect(provider.calls == 2, "credentials expiring within 5 minutes are fetched again")

        let longLived = CountingProvider(lifetime: 3600)
        let cachingChain = DefaultCredentialsChain(providers: [("counting", longLived)])
        for _ in 0..<5 { _ = try await cachingChain.credentials() }
        #expect(longLived.calls == 1)
    }

    @Test("an empty chain explains every provider it tried")
    func nothingFound() async throws {
        let server = try await FakeMetadataServer.start()
        defer { server.stop() }
        // IMDS answers but has no role: the chain must end with a clear error.
        let environment = ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint.absoluteString, "HOME": "/nonexistent"]
        let chain = try DefaultCredentialsChain(environment: environment, transport: transport)
        do {
            _ = try await chain.credentials()
            Issue.record("expected an error")
        } catch let error as CredentialsError {
            #expect(error.description.contains("environment") && error.description.contains("instance profile"))
        }
    }

    @Test("container credentials, relative and full URI, with authorization token and token file")
    func container() async throws {
        let server = try await FakeMetadataServer.start(arguments: ["--container-auth", "Bearer abc", "--token", "container-token"])
        defer { server.stop() }
        let relative = try await ContainerCredentialsProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/container-credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer abc"],
            transport: transport, relativeBase: server.endpoint.absoluteString
        ).credentials()
        #expect(relative.sessionToken == "container-token" && relative.expiration != nil)

        let directory = try ToolPaths.makeTemporaryDirectory(prefix: "container-token")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token").path
        try "Bearer abc\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let full = try await ContainerCredentialsProvider(
            environment: [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.endpoint.absoluteString + "/container-credentials",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
            ], transport: transport
        ).credentials()
        #expect(full.accessKeyId == "ASIAFAKEMETADATA")

        await #expect(throws: CredentialsError.self) {
            try await ContainerCredentialsProvider(
                environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": server.endpoint.absoluteString + "/container-credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer wrong"],
                transport: transport
            ).credentials()
        }
        await #expect(throws: CredentialsError.self) {
            try await ContainerCredentialsProvider(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"], transport: transport).credentials()
        }
    }

    @Test("IMDSv2: one token, then region, VPC and instance profile credentials")
    func instanceMetadata() async throws {
        let server = try await FakeMetadataServer.start(arguments: ["--role", "router-role", "--region", "eu-central-1", "--vpc", "vpc-0abc", "--mac", "0e:11:22:33:44:55"])
        defer { server.stop() }
        let imds = try IMDSClient(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint.absoluteString], transport: transport)
        #expect(try await imds.region() == "eu-central-1")
        #expect(try await imds.vpcId() == "vpc-0abc")
        let credentials = try await InstanceProfileCredentialsProvider(imds: imds).credentials()
        #expect(credentials.accessKeyId == "ASIAFAKEMETADATA" && credentials.sessionToken == "metadata-token")
        #expect(credentials.source == "instance profile router-role")
        let stats = try await server.stats()
        #expect(stats["PUT /latest/api/token"] == 1)

        // Only what is missing is looked up.
        let onlyVPC = try await EC2Location.resolve(region: "us-west-2", vpcId: nil, imds: imds)
        #expect(onlyVPC == EC2Location(region: "us-west-2", vpcId: "vpc-0abc"))
        #expect(try await server.stats()["GET /latest/meta-data/placement/region"] == 1)
        let both = try await EC2Location.resolve(region: nil, vpcId: nil, imds: imds)
        #expect(both == EC2Location(region: "eu-central-1", vpcId: "vpc-0abc"))
    }

    @Test("without options or metadata the location error says what is missing")
    func locationErrors() async throws {
        do {
            _ = try await EC2Location.resolve(region: nil, vpcId: "vpc-1", imds: nil)
            Issue.record("expected an error")
        } catch let error as LocationError {
            #expect(error.missing == ["region"])
        }
        // A closed port stands in for "not on EC2": it must fail rather than hang (the bound is generous for loaded machines).
        let nowhere = IMDSClient(baseURL: URL(string: "http://127.0.0.1:9")!, transport: transport, timeout: .seconds(1))
        let started = ContinuousClock.now
        await #expect(throws: LocationError.self) { try await EC2Location.resolve(region: nil, vpcId: nil, imds: nowhere) }
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test("endpoints follow AWS_ENDPOINT_URL_EC2, then AWS_ENDPOINT_URL, then the regional default")
    func endpoints() throws {
        #expect(try AWSEndpoints(environment: [:]).ec2(region: "eu-west-1").absoluteString == "https://ec2.eu-west-1.amazonaws.com")
        #expect(try AWSEndpoints(environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:1"]).ec2(region: "x").absoluteString == "http://127.0.0.1:1")
        let both = AWSEndpoints(environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:2", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:3"])
        #expect(try both.ec2(region: "x").absoluteString == "http://127.0.0.1:2")
        #expect(try both.sts(region: "x").absoluteString == "http://127.0.0.1:3")
        #expect(try AWSEndpoints(environment: [:]).instanceMetadata().absoluteString == "http://169.254.169.254")
        #expect(throws: EndpointError.self) { try AWSEndpoints(environment: ["AWS_ENDPOINT_URL_EC2": "not a url"]).ec2(region: "x") }
    }
}

/// Web identity needs an STS: moto's AssumeRoleWithWebIdentity (no signature checks, the call is unsigned).
@Suite("Web identity credentials against moto's STS", .moto(), .timeLimit(.minutes(3)))
struct WebIdentityTests {
    @Test("AssumeRoleWithWebIdentity from AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN")
    func webIdentity() async throws {
        let context = try MotoContext.require()
        let directory = try ToolPaths.makeTemporaryDirectory(prefix: "web-identity")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token").path
        try "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyb3V0ZXIifQ.c2lnbmF0dXJl\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let environment = [
            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/vpcrouter",
            "AWS_ROLE_SESSION_NAME": "router-test", "AWS_ENDPOINT_URL_STS": context.server.endpoint.absoluteString,
            "AWS_EC2_METADATA_DISABLED": "true", "HOME": directory.path,
        ]
        let transport = CurlTransport()
        let chain = try DefaultCredentialsChain(environment: environment, transport: transport)
        let credentials = try await chain.credentials()
        #expect(credentials.sessionToken != nil && credentials.expiration != nil)
        #expect(credentials.source.hasPrefix("web identity"))
        // The temporary key works for EC2 calls.
        let client = EC2Client(configuration: EC2ClientConfiguration(region: "us-east-1", endpoint: context.server.endpoint), credentials: chain, transport: transport)
        #expect(try await client.describeVpcs(vpcId: context.fixture.vpcId).count == 1)

        await #expect(throws: CredentialsError.self) {
            try await WebIdentityCredentialsProvider(environment: environment.merging(["AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent"]) { $1 }, transport: transport).credentials()
        }
    }
}

/// The daemon's construction path: region + environment only.
@Suite("Client from the environment", .moto(), .timeLimit(.minutes(3)))
struct ClientFromEnvironmentTests {
    @Test("AWS_ENDPOINT_URL_EC2 and environment keys are enough to observe a VPC")
    func fromEnvironment() async throws {
        let context = try MotoContext.require()
        let client = try EC2Client.fromEnvironment(region: "us-east-1", environment: [
            "AWS_ENDPOINT_URL_EC2": context.server.endpoint.absoluteString,
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "HOME": "/nonexistent",
        ])
        #expect(client.configuration.endpoint == context.server.endpoint)
        let observation = try await client.observeVPC(context.fixture.vpcId)
        #expect(observation.routeTables.count == 3 && observation.subnets.count == 2)
    }
}

/// Hands out credentials with a fixed lifetime and counts how often it was asked.
final class CountingProvider: CredentialsProvider {
    private let counter = Mutex(0)
    let lifetime: TimeInterval

    init(lifetime: TimeInterval) { self.lifetime = lifetime }

    var calls: Int { counter.withLock { $0 } }

    func credentials() async throws -> AWSCredentials {
        let call = counter.withLock { value -> Int in
            value += 1
            return value
        }
        return AWSCredentials(accessKeyId: "ASIA\(call)", secretAccessKey: "s", sessionToken: "t", expiration: Date().addingTimeInterval(lifetime), source: "counting")
    }
}
