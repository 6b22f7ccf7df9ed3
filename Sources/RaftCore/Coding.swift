/// `Codable` for what an application sends and stores: messages, entries, snapshots, hard state
/// and configurations, with any coder (JSON, property lists, a binary coder of its choice).
/// Identifiers are plain integers; a message type is its name (`"append-response"`), and so is
/// an entry's kind (`"normal"`, `"conf-change"`). A decoded value is checked as RaftCore's
/// initializers check it (a configuration's lists are sorted and made duplicate-free). Keys
/// and names are part of the format: they only grow.

/// `NodeID`, `Term` and `LogIndex`: a plain integer on the wire.
public protocol NumericIdentifier: Codable {
    var rawValue: UInt64 { get }
    init(_ rawValue: UInt64)
}

extension NumericIdentifier {
    public init(from decoder: Decoder) throws { self.init(try decoder.singleValueContainer().decode(UInt64.self)) }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension NodeID: NumericIdentifier {}
extension Term: NumericIdentifier {}
extension LogIndex: NumericIdentifier {}

extension MessageType: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let type = Self.allCases.first(where: { $0.description == name }) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown message type '\(name)'")
        }
        self = type
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Entry.Kind: Codable {
    /// The kind's name on the wire.
    public var name: String {
        switch self {
        case .normal: "normal"
        case .confChange: "conf-change"
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        switch name {
        case "normal": self = .normal
        case "conf-change": self = .confChange
        default: throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown entry kind '\(name)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

extension ConfState: Codable {
    private enum CodingKeys: String, CodingKey { case voters, learners, votersOutgoing, learnersNext, autoLeave }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(voters: try c.decode([NodeID].self, forKey: .voters), learners: try c.decode([NodeID].self, forKey: .learners),
                  votersOutgoing: try c.decode([NodeID].self, forKey: .votersOutgoing),
                  learnersNext: try c.decode([NodeID].self, forKey: .learnersNext), autoLeave: try c.decode(Bool.self, forKey: .autoLeave))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(voters, forKey: .voters)
        try c.encode(learners, forKey: .learners)
        try c.encode(votersOutgoing, forKey: .votersOutgoing)
        try c.encode(learnersNext, forKey: .learnersNext)
        try c.encode(autoLeave, forKey: .autoLeave)
    }
}

extension Snapshot: Codable {
    private enum CodingKeys: String, CodingKey { case metadata, data }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(metadata: try c.decode(SnapshotMetadata.self, forKey: .metadata), data: try c.decode([UInt8].self, forKey: .data))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(data, forKey: .data)
    }
}

extension Message: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, from, to, term, logTerm, index, entries, commit, snapshot, reject, rejectHint, context, campaignTransfer
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(type: try c.decode(MessageType.self, forKey: .type), from: try c.decode(NodeID.self, forKey: .from),
                  to: try c.decode(NodeID.self, forKey: .to), term: try c.decode(Term.self, forKey: .term),
                  logTerm: try c.decode(Term.self, forKey: .logTerm), index: try c.decode(LogIndex.self, forKey: .index),
                  entries: try c.decodeIfPresent([Entry].self, forKey: .entries) ?? [],
                  commit: try c.decode(LogIndex.self, forKey: .commit), snapshot: try c.decodeIfPresent(Snapshot.self, forKey: .snapshot),
                  reject: try c.decode(Bool.self, forKey: .reject), rejectHint: try c.decode(LogIndex.self, forKey: .rejectHint),
                  context: try c.decode(UInt64.self, forKey: .context), campaignTransfer: try c.decode(Bool.self, forKey: .campaignTransfer))
    }

    /// Entries and the snapshot are written only when present.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        try c.encode(from, forKey: .from)
        try c.encode(to, forKey: .to)
        try c.encode(term, forKey: .term)
        try c.encode(logTerm, forKey: .logTerm)
        try c.encode(index, forKey: .index)
        if !entries.isEmpty { try c.encode(entries, forKey: .entries) }
        try c.encode(commit, forKey: .commit)
        try c.encodeIfPresent(snapshot, forKey: .snapshot)
        try c.encode(reject, forKey: .reject)
        try c.encode(rejectHint, forKey: .rejectHint)
        try c.encode(context, forKey: .context)
        try c.encode(campaignTransfer, forKey: .campaignTransfer)
    }
}
