extension Duration {
    /// Seconds as a Double, for rates and Date arithmetic.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
