/// Decodes packed words (`codeBits` of code under `gapBits` of gap) eight bytes at a time: eight
/// byte words or four 16-bit words per 64-bit load, each with its position (the previous one +
/// gap + 1) and its code.
///
/// Where the lanes have room, the positions of a whole load come from one multiply (a SWAR prefix
/// sum): with ones = 0x0101…01, ((gaps + ones) · ones) holds in lane u the sum of lanes 0…u, so no
/// word waits on the one before it. That needs every lane's sum to fit in its lane: at most
/// 8 · 2^gapBits ≤ 255 for byte words (gaps of up to 4 bits, EIE's format) and 4 · 2^gapBits ≤ 65535
/// for 16-bit words (gaps of up to 13 bits; 12 with a 4-bit code). On `bench-layers` (one thread,
/// warm) it took Alex-6 from 1580 to 1300 µs and NT-We from 205 to 180 µs; for 16-bit words, timed
/// as the best of 400 back-to-back calls, it is 2–3 % faster than word by word on VGG-6/7 in the
/// scaled-table loop and carries the AVX2 lookup loop (VGG-6 571 → 420 µs, VGG-7 161 → 130 µs on one
/// thread). (An earlier median-based run had it slower for 16-bit words; that machine was noisy.)
import CCPU

struct WordDecoder<W: FixedWidthInteger & UnsignedInteger> {
    let codeBits: UInt64
    let codeMask: UInt64
    /// The gap field of every lane, after the shift by codeBits.
    let gapMask: UInt64
    let prefixSumsFit: Bool

    static var lane: UInt64 { UInt64(W.bitWidth) }
    static var laneMask: UInt64 { (1 &<< lane) &- 1 }
    static var perLoad: Int { 8 / MemoryLayout<W>.size }
    static var ones: UInt64 { W.bitWidth == 8 ? 0x0101_0101_0101_0101 : 0x0001_0001_0001_0001 }

    init(codeBits: Int, gapBits: Int) {
        self.codeBits = UInt64(codeBits)
        codeMask = (1 &<< UInt64(codeBits)) &- 1
        gapMask = Self.ones &* ((1 &<< UInt64(gapBits)) &- 1)
        prefixSumsFit = W.bitWidth == 8 ? gapBits <= 4 : gapBits <= 13
    }

    /// Calls body(position, code) for the words of one load in order; `position` continues from the
    /// previous word and ends at the last word's. `summed` must be `prefixSumsFit`; callers pass it as
    /// a constant of their own loop (see `withSummed`) so that the choice is made once per loop.
    @inline(__always)
    func forEachWord(of packed: UInt64, summed: Bool, position: inout Int,
                     _ body: (_ position: Int, _ code: Int) -> Void) {
        if summed {
            let offsets = offsets(packed)
            for u in 0..<Self.perLoad {
                let shift = UInt64(u) &* Self.lane
                body(position &+ Int(truncatingIfNeeded: (offsets &>> shift) & Self.laneMask),
                     Int(truncatingIfNeeded: (packed &>> shift) & codeMask))
            }
            position &+= Int(truncatingIfNeeded: offsets &>> (64 &- Self.lane))
        } else {
            var rest = packed
            for _ in 0..<Self.perLoad {
                let code = decode(W(truncatingIfNeeded: rest), position: &position)
                body(position, code)
                rest &>>= Self.lane
            }
        }
    }

    /// The positions of the eight byte words of one load, for prefix sums that fit: body(u, position)
    /// in order; `position` ends at the last word's. The lanes are read in pairs (the low and the
    /// second byte of a register, one MOVZX each) from a copy shifted 16 bits per pair, through
    /// sparrow_opaque_u64 so that the optimiser cannot fold the chain back into a shift of the sums
    /// per lane, which costs a register copy each. For the scatter loop only: Alex-6/7 at batch 1
    /// (one thread, warm best) 2 % faster, but the row-major gather loop went 5× slower with it.
    @inline(__always)
    func forEachPositionInPairs(of packed: UInt64, position: inout Int, _ body: (_ lane: Int, _ position: Int) -> Void) {
        let offsets = offsets(packed)
        var pair = offsets
        for u in stride(from: 0, to: 8, by: 2) {
            body(u, position &+ Int(truncatingIfNeeded: pair & 0xff))
            body(u &+ 1, position &+ Int(truncatingIfNeeded: (pair &>> 8) & 0xff))
            pair = sparrow_opaque_u64(pair &>> 16)
        }
        position &+= Int(truncatingIfNeeded: offsets &>> 56)
    }

    /// Lane u holds the offset of word u from the position before the load (prefix sums must fit).
    @inline(__always)
    func offsets(_ packed: UInt64) -> UInt64 {
        (((packed &>> codeBits) & gapMask) &+ Self.ones) &* Self.ones
    }

    /// Runs `body` with `prefixSumsFit` as a literal, so each inlined copy of the caller's loop is
    /// specialised to one decoding path.
    @inline(__always)
    func withSummed(_ body: (_ summed: Bool) -> Void) {
        if prefixSumsFit { body(true) } else { body(false) }
    }

    /// One word on its own (the tail of a run): advances `position` and returns the code.
    @inline(__always)
    func decode(_ word: W, position: inout Int) -> Int {
        position &+= Int(truncatingIfNeeded: word &>> W(truncatingIfNeeded: codeBits)) &+ 1
        return Int(truncatingIfNeeded: word & W(truncatingIfNeeded: codeMask))
    }
}
