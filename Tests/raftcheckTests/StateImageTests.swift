import Foundation
import RaftCheckFiles
import RaftCore
import RaftExplorer
import RaftSim
import Testing

/// A state's image (the BFS frontier's and checkpoints' form) reads back as the same state:
/// equal field by field (RaftCore's nodes compare every stored field), with the same
/// fingerprint, events and successors, on states every shipped spec reaches.
@Suite struct StateImageTests {
    typealias CLI = CommandLineTests

    static var specNames: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot.appendingPathComponent("specs").path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }

    static func model(_ name: String) throws -> ClusterModel? {
        guard case .cluster(let spec) = try SpecLoader.load(path: CLI.packageRoot.appendingPathComponent("specs/\(name)").path) else { return nil }
        return ClusterModel(spec: spec)
    }

    /// States a spec reaches: the first levels of its BFS, then seeded walks deeper.
    static func reachedStates(_ model: ClusterModel) -> [ClusterState] {
        var states = model.initialStates
        var level = states
        var events: [Event] = []
        while states.count < 300, !level.isEmpty {
            var next: [ClusterState] = []
            for state in level {
                events.removeAll()
                model.actions(of: state, into: &events)
                next += events.compactMap { model.nextState(after: state, action: $0) }.filter(model.withinBoundary)
            }
            states += next.prefix(300)
            level = Array(next.prefix(300))
        }
        var rng = SplitMix64(seed: 7)
        for _ in 0..<8 {
            var state = model.initialStates[0]
            for _ in 0..<150 {
                events.removeAll()
                model.actions(of: state, into: &events)
                guard !events.isEmpty else { break }
                let event = events[Int(rng.next(below: UInt64(events.count)))]
                guard let next = model.nextState(after: state, action: event), model.withinBoundary(next) else { continue }
                state = next
                states.append(state)
            }
        }
        return states
    }

    @Test(arguments: specNames)
    func imagesReadBackAsTheSameState(spec name: String) throws {
        guard let model = try Self.model(name) else { return }
        var encoder = StateEncoder()
        var bytes: [UInt8] = []
        var events: [Event] = [], again: [Event] = []
        // One scratch each way for the whole sequence, as a search's worker keeps them: parts
        // remembered from earlier states are reused where they are the same.
        let encoding = ImageScratch(), decoding = ImageScratch()
        for state in Self.reachedStates(model) {
            bytes.removeAll(keepingCapacity: true)
            model.encode(state, into: &bytes, scratch: encoding)
            let decoded = try bytes.withUnsafeBytes { try model.decode($0, scratch: decoding) }
            #expect(decoded == state, "\(name)")
            var image: [UInt8] = []
            model.encode(decoded, into: &image)
            #expect(image == bytes, "\(name): the image of the decoded state differs")
            let fingerprint = model.fingerprint(of: state, width: .bits128, encoder: &encoder)
            #expect(model.fingerprint(of: decoded, width: .bits128, encoder: &encoder) == fingerprint, "\(name)")
            events.removeAll()
            again.removeAll()
            model.actions(of: state, into: &events)
            model.actions(of: decoded, into: &again)
            #expect(events == again, "\(name)")
            for event in events.prefix(4) {
                let a = model.nextState(after: state, action: event), b = model.nextState(after: decoded, action: event)
                #expect(a == b, "\(name): \(event)")
            }
            guard decoded == state else { return }
        }
    }

    /// Cut short or followed by more bytes, an image is refused with an error, never a crash.
    @Test func damagedImagesAreRefused() throws {
        let model = try #require(try Self.model("snapshot-3.yaml"))
        var bytes: [UInt8] = []
        model.encode(Self.reachedStates(model).last!, into: &bytes)
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            #expect(throws: (any Error).self) { try bytes.prefix(length).withUnsafeBytes { try model.decode($0) } }
        }
        #expect(throws: (any Error).self) { try (bytes + [0]).withUnsafeBytes { try model.decode($0) } }
    }
}
