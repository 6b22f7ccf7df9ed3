import Foundation
import Testing
import RaftCore

/// What crosses the network and goes to disk survives a coder: messages (with entries and a
/// snapshot, or without), hard state, configurations.
@Suite struct CodingTests {
    func roundTrip<T: Codable & Equatable>(_ value: T) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
    }

    @Test func messagesEntriesAndStateRoundTrip() throws {
        let conf = ConfState(voters: [3, 1, 2], learners: [5], votersOutgoing: [1, 2, 4], learnersNext: [4], autoLeave: true)
        let snapshot = Snapshot(metadata: SnapshotMetadata(index: 9, term: 3, confState: conf), data: [1, 2, 3])
        let messages = [
            Message(type: .append, from: 1, to: 2, term: 4, logTerm: 3, index: 7,
                    entries: [Entry(term: 4, index: 8, data: [42]), Entry(term: 4, index: 9, kind: .confChange, data: [0, 1])], commit: 7),
            Message(type: .snapshot, from: 1, to: 3, term: 4, snapshot: snapshot),
            Message(type: .appendResponse, from: 2, to: 1, term: 4, index: 6, reject: true, rejectHint: 5),
            Message(type: .vote, from: 2, to: 3, term: 5, logTerm: 4, index: 9, campaignTransfer: true),
            Message(type: .readIndexResponse, from: 1, to: 2, term: 4, index: 9, context: 77),
        ]
        for message in messages { #expect(try roundTrip(message) == message) }
        #expect(try roundTrip(HardState(term: 4, vote: 2, commit: 7)) == HardState(term: 4, vote: 2, commit: 7))
        #expect(try roundTrip(conf) == conf)
        #expect(try roundTrip(snapshot) == snapshot)
        // A message type is written by name; a heartbeat carries no entries key.
        let heartbeat = String(decoding: try JSONEncoder().encode(Message(type: .heartbeat, from: 1, to: 2, term: 1)), as: UTF8.self)
        #expect(heartbeat.contains(#""type":"heartbeat""#) && !heartbeat.contains("entries"))
        // So is an entry's kind.
        let entry = String(decoding: try JSONEncoder().encode(Entry(term: 1, index: 2, kind: .confChange)), as: UTF8.self)
        #expect(entry.contains(#""kind":"conf-change""#))
    }

    @Test func unknownEntryKindsAreRefused() {
        let text = #"{"term":1,"index":2,"kind":"barrier","data":[]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Entry.self, from: Data(text.utf8)) }
    }

    @Test func unknownMessageTypesAreRefused() {
        let text = #"{"type":"gossip","from":1,"to":2,"term":1,"logTerm":0,"index":0,"commit":0,"reject":false,"rejectHint":0,"context":0,"campaignTransfer":false}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Message.self, from: Data(text.utf8)) }
    }
}
