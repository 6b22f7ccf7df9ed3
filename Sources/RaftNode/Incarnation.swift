/// Which start of a server this is: a number no earlier start of the same member had. A server
/// puts it in the high 32 bits of its request IDs, which are also its ReadIndex contexts, so a
/// ReadIndex answer still in flight for an earlier start (a transport re-sends what it queued
/// once the member is back) is never taken for the answer to a read of this start: that answer
/// would carry an older read index, and the read could miss writes acknowledged before it.
public enum Incarnation {
    /// The next incarnation of the member whose data is in `directory`: one more than the last
    /// (1 for the first start), kept durably in `DIR/incarnation` before it is returned.
    public static func next(in directory: String) throws -> UInt64 {
        let path = "\(directory)/incarnation"
        var last: UInt64 = 0
        if let bytes = try DurableFile.read(path) {
            guard bytes.count == 8 else { throw StoreError.corrupt(file: path, offset: 0, reason: "expected 8 bytes, found \(bytes.count)") }
            var reader = FieldReader(bytes: bytes, path: path)
            last = try reader.word()
        }
        let next = last &+ 1
        var writer = FieldWriter()
        writer.word(next)
        try DurableFile.write(writer.bytes, to: path)
        return next
    }
}
