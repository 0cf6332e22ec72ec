import EtcdClient
import Foundation
import Testing

/// The one parser of etcd endpoints, for the etcd mode and the leader election alike.
@Suite struct EtcdEndpointTests {
    @Test(arguments: [
        ("http://10.0.0.5:2379", "10.0.0.5", 2379, "http://10.0.0.5:2379"),
        ("http://10.0.0.5:12379/", "10.0.0.5", 12379, "http://10.0.0.5:12379"),
        // etcd's client port when none is given (a URL parser alone would call port 80).
        ("http://etcd.internal", "etcd.internal", 2379, "http://etcd.internal:2379"),
        ("http://etcd.internal/", "etcd.internal", 2379, "http://etcd.internal:2379"),
        ("http://[fd00::5]:2379", "fd00::5", 2379, "http://[fd00::5]:2379"),
        ("http://[fd00::5]", "fd00::5", 2379, "http://[fd00::5]:2379"),
    ])
    func accepted(text: String, host: String, port: Int, url: String) throws {
        let endpoint = try #require(EtcdEndpoint(text))
        #expect(endpoint.host == host && endpoint.port == port, "\(endpoint)")
        #expect(endpoint.url.absoluteString == url)
    }

    @Test(arguments: [
        "https://10.0.0.5:2379", "10.0.0.5:2379", "http://", "http://:2379", "http://10.0.0.5:0", "http://10.0.0.5:65536",
        "http://10.0.0.5:port", "http://10.0.0.5:2379/v3", "http://etcd one:2379", "http://[fd00::5", "http://[fd00::5]x",
        "http://[fd00::5]:", "http://10.0.0.5:",
    ])
    func refused(text: String) {
        #expect(EtcdEndpoint(text) == nil, "\(text) was accepted as \(String(describing: EtcdEndpoint(text)))")
    }

    @Test func aListNamesItsOptionAndTheEntryItCannotUse() throws {
        let list = try EtcdEndpoint.parseList(" http://10.0.0.5 , http://10.0.0.6:2380", option: "--etcd-endpoints").get()
        #expect(list.map(\.description) == ["http://10.0.0.5:2379", "http://10.0.0.6:2380"])
        let refusal = EtcdEndpoint.parseList("http://10.0.0.5,https://10.0.0.6", option: "--leader-etcd-endpoints")
        guard case .failure(let problem) = refusal else {
            Issue.record("a TLS endpoint was accepted: \(refusal)")
            return
        }
        #expect(problem.message == "--leader-etcd-endpoints: 'https://10.0.0.6' is not an http://host:port URL (TLS is not supported)")
        guard case .failure(let empty) = EtcdEndpoint.parseList("http://10.0.0.5,", option: "--etcd-endpoints") else {
            Issue.record("an empty entry was accepted")
            return
        }
        #expect(empty.message.contains("'' is not an http://host:port URL"), "\(empty.message)")
    }
}
