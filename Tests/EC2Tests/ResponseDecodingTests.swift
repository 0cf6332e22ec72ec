import Foundation
import HTTPClient
import Synchronization
import RouteModel
import Testing
import TestSupport

@testable import EC2

@Suite("Response decoding, retries and pagination (scripted transport)")
struct ResponseDecodingTests {
    static let routeTablesXML = """
        <?xml version="1.0" ?>
        <DescribeRouteTablesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><routeTableSet><item>
        <associationSet><item><main>true</main><routeTableAssociationId>rtbassoc-1</routeTableAssociationId><routeTableId>rtb-1</routeTableId><associationState><state>associated</state></associationState></item></associationSet>
        <routeTableId>rtb-1</routeTableId><routeSet>
        <item><destinationCidrBlock>10.0.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId><origin>CreateRouteTable</origin><state>active</state></item>
        <item><destinationCidrBlock>192.168.0.0/16</destinationCidrBlock><networkInterfaceId>eni-1</networkInterfaceId><instanceId>i-1</instanceId><origin>CreateRoute</origin><state>blackhole</state></item>
        </routeSet><tagSet><item><key>Name</key><value>main</value></item></tagSet><vpcId>vpc-1</vpcId></item>
        <item><associationSet><item><main>false</main><routeTableAssociationId>rtbassoc-2</routeTableAssociationId><subnetId>subnet-2</subnetId></item></associationSet>
        <routeTableId>rtb-2</routeTableId><routeSet/><vpcId>vpc-1</vpcId></item>
        </routeTableSet><requestId>request-id</requestId></DescribeRouteTablesResponse>
        """

    @Test("route tables decode with targets, state, origin and associations")
    func decodesRouteTables() async throws {
        let transport = ScriptedTransport { _, _ in ScriptedTransport.xml(200, Self.routeTablesXML) }
        let tables = try await scriptedClient(transport).describeRouteTables(vpcId: "vpc-1")
        #expect(tables.count == 2)
        let main = try #require(tables.first)
        #expect(main.isMain && main.tags["Name"] == "main")
        let route = try #require(main.route(to: "192.168.0.0/16"))
        #expect(route.networkInterfaceId == "eni-1" && route.instanceId == "i-1" && route.isBlackhole && route.origin == "CreateRoute")
        #expect(main.route(to: "10.0.0.0/16")?.gatewayId == "local")
        #expect(tables[1].subnetIds == ["subnet-2"] && !tables[1].isMain && tables[1].routes.isEmpty)
        let body = try #require(transport.requestBodies.first)
        #expect(body.contains("Action=DescribeRouteTables") && body.contains("Filter.1.Name=vpc-id") && body.contains("Filter.1.Value.1=vpc-1"))
        #expect(body.contains("MaxResults=100"))
    }

    @Test("an item that cannot be read fails the whole read instead of being dropped", arguments: [
        ("DescribeRouteTables", "<DescribeRouteTablesResponse><routeTableSet><item><routeTableId>rtb-1</routeTableId><vpcId>vpc-1</vpcId></item>"
            + "<item><vpcId>vpc-1</vpcId><routeSet/></item></routeTableSet></DescribeRouteTablesResponse>", "routeTableSet"),
        ("DescribeNetworkInterfaces", "<DescribeNetworkInterfacesResponse><networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId></item>"
            + "<item><subnetId>subnet-1</subnetId></item></networkInterfaceSet></DescribeNetworkInterfacesResponse>", "networkInterfaceSet"),
        ("DescribeInstances", "<DescribeInstancesResponse><reservationSet><item><instancesSet><item><instanceId>i-1</instanceId></item>"
            + "<item><instanceState><name>running</name></instanceState></item></instancesSet></item></reservationSet></DescribeInstancesResponse>",
         "instancesSet"),
    ])
    func undecodableItemFailsTheRead(action: String, answer: String, set: String) async throws {
        let transport = ScriptedTransport { _, _ in ScriptedTransport.xml(200, answer) }
        let client = scriptedClient(transport)
        do {
            switch action {
            case "DescribeRouteTables": _ = try await client.describeRouteTables(vpcId: "vpc-1")
            case "DescribeNetworkInterfaces": _ = try await client.describeNetworkInterfaces(vpcId: "vpc-1")
            default: _ = try await client.describeInstances(vpcId: "vpc-1", instanceIds: ["i-1"])
            }
            Issue.record("\(action): a partial answer was accepted")
        } catch let error as EC2Error {
            #expect(error.code == .undecodableItem, "\(error)")
            #expect(error.action == action && error.description.contains("item 2 of <\(set)>"), "\(error)")
            #expect(transport.requestBodies.count == 1, "the same answer is not asked for again")
        }
    }

    @Test("NextToken is followed until the last page")
    func paginates() async throws {
        let transport = ScriptedTransport { request, _ in
            let body = String(decoding: request.body, as: UTF8.self)
            let page = body.contains("NextToken=t2") ? 3 : body.contains("NextToken=t1") ? 2 : 1
            let next = page < 3 ? "<nextToken>t\(page)</nextToken>" : ""
            return ScriptedTransport.xml(200, "<DescribeSubnetsResponse><subnetSet><item><subnetId>subnet-\(page)</subnetId><vpcId>vpc-1</vpcId></item></subnetSet>\(next)</DescribeSubnetsResponse>")
        }
        let subnets = try await scriptedClient(transport, maxResults: 5).describeSubnets(vpcId: "vpc-1")
        #expect(subnets.map(\.subnetId) == ["subnet-1", "subnet-2", "subnet-3"])
        #expect(transport.requestBodies.allSatisfy { $0.contains("MaxResults=5") && $0.contains("Filter.1.Value.1=vpc-1") })
    }

    @Test("a repeated NextToken is an error, not an endless loop")
    func repeatedToken() async {
        let transport = ScriptedTransport { _, _ in
            ScriptedTransport.xml(200, "<DescribeSubnetsResponse><subnetSet/><nextToken>same</nextToken></DescribeSubnetsResponse>")
        }
        await #expect(throws: EC2Error.self) { try await scriptedClient(transport).describeSubnets(vpcId: "vpc-1") }
    }

    @Test("throttling and 5xx are retried with backoff; metrics count it", arguments: [
        ScriptedTransport.ec2Error(503, code: "RequestLimitExceeded", message: "Request limit exceeded."),
        ScriptedTransport.ec2Error(500, code: "InternalError"),
    ])
    func retriesTransientErrors(failure: HTTPResponse) async throws {
        let transport = ScriptedTransport { _, index in
            index <= 2 ? failure : ScriptedTransport.xml(200, "<DescribeVpcsResponse><vpcSet><item><vpcId>vpc-1</vpcId><cidrBlock>10.0.0.0/16</cidrBlock></item></vpcSet></DescribeVpcsResponse>")
        }
        let clock = ManualClock(autoAdvance: true)
        let client = scriptedClient(transport, clock: clock, retry: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(100), maxDelay: .seconds(1)))
        let vpcs = try await client.describeVpcs(vpcId: "vpc-1")
        #expect(vpcs.first?.cidrBlock == "10.0.0.0/16")
        let counters = try #require(client.metrics.snapshot()["DescribeVpcs"])
        #expect(counters.calls == 3 && counters.retries == 2 && counters.errors == 0)
        #expect(counters.throttles == (failure.status == 503 ? 2 : 0))
        // Full jitter never exceeds the ceilings: 100 ms + 200 ms.
        #expect(clock.totalSlept <= .milliseconds(300))
    }

    @Test("attempts are capped and the last error is reported with its details")
    func attemptsCapped() async {
        let transport = ScriptedTransport { _, _ in ScriptedTransport.ec2Error(503, code: "RequestLimitExceeded") }
        let client = scriptedClient(transport, retry: RetryPolicy(maxAttempts: 3))
        do {
            _ = try await client.describeSubnets(vpcId: "vpc-1")
            Issue.record("expected an error")
        } catch let error as EC2Error {
            #expect(error.code == .requestLimitExceeded && error.httpStatus == 503 && error.requestId == "req-1" && error.action == "DescribeSubnets")
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(transport.requestBodies.count == 3)
        #expect(client.metrics.snapshot()["DescribeSubnets"]?.errors == 1)
    }

    @Test("client errors are not retried")
    func clientErrorsNotRetried() async {
        let transport = ScriptedTransport { _, _ in ScriptedTransport.ec2Error(400, code: "InvalidRouteTableID.NotFound", message: "nope") }
        await #expect(throws: EC2Error.self) {
            try await scriptedClient(transport).createRoute(routeTableId: "rtb-x", destination: IPCIDR("10.9.0.0/16")!, networkInterfaceId: "eni-1")
        }
        #expect(transport.requestBodies.count == 1)
    }

    @Test("garbage answers become typed errors, never crashes", arguments: [
        (200, ""), (200, "   \n"), (200, "<DescribeVpcsResponse><vpcSet><item>"), (200, "<html><body>hi</body></html>"),
        (500, "<html><head><title>500</title></head><body><h1>Internal Server Error</h1></body></html>"),
        (502, "Bad Gateway"), (200, "<DescribeVpcsResponse></Broken>"), (200, "\u{0}\u{1}\u{2}binary"),
        (403, "<Response><Errors></Errors></Response>"), (200, "<a/><b/>"),
    ])
    func garbage(status: Int, body: String) async {
        let transport = ScriptedTransport { _, _ in HTTPResponse(status: status, body: Array(body.utf8)) }
        do {
            _ = try await scriptedClient(transport, retry: RetryPolicy(maxAttempts: 2)).describeVpcs(vpcId: "vpc-1")
            Issue.record("expected an error for \(status) \(body)")
        } catch let error as EC2Error {
            #expect(error.code == .malformedResponse)
            #expect(error.httpStatus == status)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("errors in the ErrorResponse shape (auth failures) decode too")
    func errorResponseShape() throws {
        let response = ScriptedTransport.xml(401, "<ErrorResponse><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate the provided access credentials</Message><Type>Sender</Type></Error></Errors></ErrorResponse>")
        #expect(throws: EC2Error(code: .authFailure, message: "AWS was not able to validate the provided access credentials", httpStatus: 401, action: "DescribeVpcs")) {
            try EC2Client.decodeResponse(response, action: "DescribeVpcs")
        }
    }

    @Test("ENIs list every private address and their attachment")
    func decodesInterfaces() async throws {
        let xml = """
            <DescribeNetworkInterfacesResponse><networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId><subnetId>subnet-1</subnetId><vpcId>vpc-1</vpcId>
            <status>in-use</status><privateIpAddress>10.0.1.40</privateIpAddress><sourceDestCheck>false</sourceDestCheck>
            <attachment><attachmentId>eni-attach-1</attachmentId><instanceId>i-1</instanceId><deviceIndex>1</deviceIndex><status>attached</status></attachment>
            <privateIpAddressesSet><item><privateIpAddress>10.0.1.40</privateIpAddress><primary>true</primary></item><item><privateIpAddress>10.0.1.41</privateIpAddress><primary>false</primary></item></privateIpAddressesSet>
            </item></networkInterfaceSet></DescribeNetworkInterfacesResponse>
            """
        let transport = ScriptedTransport { _, _ in ScriptedTransport.xml(200, xml) }
        let eni = try #require(try await scriptedClient(transport).describeNetworkInterfaces(vpcId: "vpc-1").first)
        #expect(eni.privateAddresses.map(\.address) == ["10.0.1.40", "10.0.1.41"])
        #expect(eni.primaryAddress == "10.0.1.40" && eni.holds("10.0.1.41") && !eni.sourceDestCheck)
        #expect(eni.attachment?.deviceIndex == 1 && eni.instanceId == "i-1")
    }

    @Test("IPv6 routes and ENI IPv6 addresses decode; IPv6 writes name DestinationIpv6CidrBlock")
    func decodesAndWritesIPv6() async throws {
        let xml = """
            <DescribeRouteTablesResponse><routeTableSet><item><routeTableId>rtb-1</routeTableId><vpcId>vpc-1</vpcId><associationSet/><routeSet>
            <item><destinationIpv6CidrBlock>2600:1f18::/56</destinationIpv6CidrBlock><networkInterfaceId>eni-1</networkInterfaceId><origin>CreateRoute</origin><state>active</state></item>
            <item><destinationCidrBlock>10.55.0.0/16</destinationCidrBlock><networkInterfaceId>eni-1</networkInterfaceId><origin>CreateRoute</origin><state>active</state></item>
            </routeSet></item></routeTableSet></DescribeRouteTablesResponse>
            """
        let eniXML = """
            <DescribeNetworkInterfacesResponse><networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId><privateIpAddress>10.0.1.10</privateIpAddress>
            <ipv6AddressesSet><item><ipv6Address>2600:1F18:0:1:0:0:0:10</ipv6Address><isPrimaryIpv6>false</isPrimaryIpv6></item></ipv6AddressesSet>
            </item></networkInterfaceSet></DescribeNetworkInterfacesResponse>
            """
        let transport = ScriptedTransport { request, _ in
            let body = String(decoding: request.body, as: UTF8.self)
            if body.contains("Action=DescribeRouteTables") { return ScriptedTransport.xml(200, xml) }
            if body.contains("Action=DescribeNetworkInterfaces") { return ScriptedTransport.xml(200, eniXML) }
            let action = ["CreateRoute", "ReplaceRoute", "DeleteRoute"].first { body.contains("Action=\($0)&") } ?? "Unknown"
            return ScriptedTransport.xml(200, "<\(action)Response><return>true</return></\(action)Response>")
        }
        let client = scriptedClient(transport)
        let table = try #require(try await client.describeRouteTables(vpcId: "vpc-1").first)
        let v6 = try #require(table.route(to: IPCIDR("2600:1f18::/56")!))
        #expect(v6.destinationIpv6CidrBlock == "2600:1f18::/56" && v6.destinationCidrBlock == nil && v6.networkInterfaceId == "eni-1")
        #expect(table.route(to: IPCIDR("10.55.0.0/16")!)?.destinationIpv6CidrBlock == nil)
        let eni = try #require(try await client.describeNetworkInterfaces(vpcId: "vpc-1").first)
        #expect(eni.ipv6Addresses == ["2600:1F18:0:1:0:0:0:10"])
        #expect(eni.holds("2600:1f18:0:1::10") && eni.holds("10.0.1.10") && !eni.holds("2600:1f18:0:1::11"))

        try await client.createRoute(routeTableId: "rtb-1", destination: IPCIDR("2600:1f18::/56")!, networkInterfaceId: "eni-1")
        try await client.replaceRoute(routeTableId: "rtb-1", destination: IPCIDR("2600:1f18::/56")!, networkInterfaceId: "eni-2")
        _ = try await client.deleteRoute(routeTableId: "rtb-1", destination: IPCIDR("2600:1f18::/56")!)
        let writes = transport.requestBodies.filter { !$0.contains("Action=Describe") }
        #expect(writes.count == 3)
        #expect(writes.allSatisfy { $0.contains("DestinationIpv6CidrBlock=2600%3A1f18%3A%3A%2F56") && !$0.contains("DestinationCidrBlock=") })
    }

    @Test("upsert falls back both ways with real EC2's codes", arguments: [true, false])
    func upsertFallbacks(believedPresent: Bool) async throws {
        let transport = ScriptedTransport { request, _ in
            let body = String(decoding: request.body, as: UTF8.self)
            if body.contains("Action=ReplaceRoute") {
                return believedPresent
                    ? ScriptedTransport.ec2Error(400, code: "InvalidRoute.NotFound", message: "no route with destination-cidr-block 10.9.0.0/16")
                    : ScriptedTransport.xml(200, "<ReplaceRouteResponse><return>true</return></ReplaceRouteResponse>")
            }
            return believedPresent
                ? ScriptedTransport.xml(200, "<CreateRouteResponse><return>true</return></CreateRouteResponse>")
                : ScriptedTransport.ec2Error(400, code: "RouteAlreadyExists", message: "The route identified by 10.9.0.0/16 already exists.")
        }
        let outcome = try await scriptedClient(transport).upsertRoute(
            routeTableId: "rtb-1", destination: IPCIDR("10.9.0.0/16")!, networkInterfaceId: "eni-1", existing: believedPresent)
        #expect(outcome == (believedPresent ? .created : .replaced))
        #expect(transport.requestBodies.count == 2)
        #expect(transport.requestBodies.allSatisfy { $0.contains("NetworkInterfaceId=eni-1") && $0.contains("DestinationCidrBlock=10.9.0.0%2F16") })
    }
}

/// A write's authority (leadership) passed down: no attempt leaves once it ends.
@Suite struct SendAuthorityTests {
    @Test func noRetryLeavesAfterTheAuthorityEnds() async throws {
        let authority = Mutex(true)
        let transport = ScriptedTransport { _, _ in
            // The first attempt fails; while it was out, leadership ended.
            authority.withLock { $0 = false }
            return ScriptedTransport.ec2Error(503, code: "RequestLimitExceeded")
        }
        let client = scriptedClient(transport, retry: RetryPolicy(maxAttempts: 5))
        await #expect {
            try await SendAuthority.withAuthority({ authority.withLock { $0 } }) {
                try await client.replaceRoute(routeTableId: "rtb-1", destination: IPCIDR("10.55.0.0/16")!, networkInterfaceId: "eni-1")
            }
        } throws: { error in
            (error as? EC2Error)?.code == .authorityExpired
        }
        #expect(transport.requestBodies.count == 1, "one attempt was sent, none after the authority ended")
    }

    @Test func aWriteWithoutAuthorityNeverLeaves() async throws {
        let transport = ScriptedTransport { _, _ in ScriptedTransport.xml(200, "<DeleteRouteResponse><return>true</return></DeleteRouteResponse>") }
        let client = scriptedClient(transport)
        await #expect(throws: EC2Error.self) {
            try await SendAuthority.withAuthority({ false }) {
                try await client.deleteRoute(routeTableId: "rtb-1", destination: IPCIDR("10.55.0.0/16")!)
            }
        }
        #expect(transport.requestBodies.isEmpty)
        // Without an authority bound, the same call goes out.
        #expect(try await client.deleteRoute(routeTableId: "rtb-1", destination: IPCIDR("10.55.0.0/16")!))
        #expect(transport.requestBodies.count == 1)
    }
}
