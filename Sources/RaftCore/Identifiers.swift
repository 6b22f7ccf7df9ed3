/// A node's identity. `NodeID.none` (0) means "no node": no leader known, no vote cast.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static let none = NodeID(0)
    @inlinable public static func < (a: NodeID, b: NodeID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "\(rawValue)" }
}

/// A Raft term. Terms only grow on a node; 0 marks a local message or "no term".
public struct Term: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static let zero = Term(0)
    @inlinable public static func < (a: Term, b: Term) -> Bool { a.rawValue < b.rawValue }
    @inlinable public static func + (a: Term, b: UInt64) -> Term { Term(a.rawValue + b) }
    public var description: String { "\(rawValue)" }
}

/// A position in the log. Index 0 is the empty prefix; the first real entry is at 1.
public struct LogIndex: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static let zero = LogIndex(0)
    /// Larger than every real index: what an empty quorum has "committed".
    public static let infinity = LogIndex(.max)
    @inlinable public static func < (a: LogIndex, b: LogIndex) -> Bool { a.rawValue < b.rawValue }
    /// How many indexes `other` lies past this one. Precondition: `other >= self`.
    @inlinable public func distance(to other: LogIndex) -> Int { Int(other.rawValue - rawValue) }
    @inlinable public static func + (a: LogIndex, b: UInt64) -> LogIndex { LogIndex(a.rawValue + b) }
    @inlinable public static func - (a: LogIndex, b: UInt64) -> LogIndex { LogIndex(a.rawValue - b) }
    public var description: String { rawValue == .max ? "∞" : "\(rawValue)" }
}

extension NodeID: ExpressibleByIntegerLiteral {
    @inlinable public init(integerLiteral value: UInt64) { self.init(value) }
}
extension Term: ExpressibleByIntegerLiteral {
    @inlinable public init(integerLiteral value: UInt64) { self.init(value) }
}
extension LogIndex: ExpressibleByIntegerLiteral {
    @inlinable public init(integerLiteral value: UInt64) { self.init(value) }
}
