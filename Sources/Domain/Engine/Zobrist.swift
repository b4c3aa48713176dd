/// Random keys for Zobrist hashing: one 64-bit key per colour and point of the largest board.
///
/// A position's hash is the XOR of the keys of its stones, so placing or removing a stone
/// updates it with one XOR. The keys come from a fixed seed so hashes are the same on every run.
enum Zobrist {
    /// The side of the largest supported board; smaller boards use the same row-major layout.
    static let maxSide = 19

    /// Keys for Black, indexed by `row * maxSide + col`.
    static let black: [UInt64] = keys(seed: 0x5EED_B1AC_0000_0001)
    /// Keys for White, indexed by `row * maxSide + col`.
    static let white: [UInt64] = keys(seed: 0x5EED_3417_0000_0002)

    private static func keys(seed: UInt64) -> [UInt64] {
        var random = SplitMix64(seed: seed)
        return (0..<(maxSide * maxSide)).map { _ in random.next() }
    }

    /// The key of `stone` on `point`; the point must be on a supported board.
    @inline(__always) static func key(_ stone: Stone, _ point: Point) -> UInt64 {
        let index = point.row &* maxSide &+ point.col
        return stone == .black ? black[index] : white[index]
    }

    /// The hash of every stone on `board`.
    static func hash(of board: Board) -> UInt64 {
        var hash: UInt64 = 0
        for row in 0..<board.size {
            for col in 0..<board.size {
                switch board.code(row, col) {
                case Cell.black: hash ^= black[row * maxSide + col]
                case Cell.white: hash ^= white[row * maxSide + col]
                default: break
                }
            }
        }
        return hash
    }
}
