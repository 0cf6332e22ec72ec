import Testing

/// The end-to-end suites. They share the fixture's router addresses, whose host routes live in the
/// test process's network namespace, so they must never run at the same time: one suite tearing its
/// routers down would take the other's with them.
@Suite(.serialized) enum EndToEnd {}
