/// A key's value as etcd stores it, with the revisions that tell one write from another.
public struct EtcdKeyValue: Sendable, Equatable {
    public let key: String
    public let value: [UInt8]
    /// The store revision of the write that set this value.
    public let modRevision: Int64
    /// The store revision that created the key; a key deleted and created again gets a new one.
    public let createRevision: Int64
    /// The lease the key is bound to, or 0.
    public let lease: Int64

    public var text: String { String(decoding: value, as: UTF8.self) }
}

/// A read of one key: the store's revision at the time, and the key if it exists.
public struct EtcdRead: Sendable, Equatable {
    /// Watch from `revision + 1` to miss nothing after this read.
    public let revision: Int64
    public let keyValue: EtcdKeyValue?
}

/// A change to a watched key.
public enum EtcdEvent: Sendable, Equatable {
    case put(EtcdKeyValue)
    case delete(key: String, modRevision: Int64)
}

/// A granted lease: its id and the TTL etcd applied (it may raise a small one).
public struct EtcdLease: Sendable, Equatable {
    public let id: Int64
    public let ttl: Duration
}

/// What a create-if-absent transaction found.
public enum EtcdCreateOutcome: Sendable, Equatable {
    case created
    /// The key exists; what it holds.
    case exists(EtcdKeyValue?)
}
