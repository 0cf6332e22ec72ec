/// What `EC2Client.upsertRoute` ended up doing.
public enum RouteWriteOutcome: Sendable, Equatable {
    case created
    case replaced
}
