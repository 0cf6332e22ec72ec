/// The EC2 client's calls so far, summed over actions, as `/` `ec2` and the status page show them.
public struct EC2UsageView: Sendable, Equatable {
    /// HTTP attempts sent, retries included.
    public var calls: Int
    public var errors: Int
    public var retries: Int
    /// Attempts EC2 answered with a throttling error.
    public var throttles: Int
    /// Time calls waited for a token of the client's own budget.
    public var budgetWait: Duration

    public init(calls: Int, errors: Int, retries: Int, throttles: Int, budgetWait: Duration) {
        self.calls = calls
        self.errors = errors
        self.retries = retries
        self.throttles = throttles
        self.budgetWait = budgetWait
    }
}
