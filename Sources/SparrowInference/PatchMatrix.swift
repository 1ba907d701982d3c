/// The im2col lowering of one image, shared with the training module's convolution (whose column
/// matrix holds a whole mini-batch, so its rows are longer than one image's positions).
public enum PatchMatrix {
    /// Writes row (c, ki, kj) of the patch matrix of the `channels` planes at `x` (each inH × inW):
    /// for each output position (oh, ow) the input under that kernel tap, 0 in the padding. Rows are
    /// `rowStride` floats apart and `outH · outW` long.
    public static func fill(_ x: UnsafePointer<Float>, channels: Int, input: (h: Int, w: Int),
                            kernel: (h: Int, w: Int), stride: (h: Int, w: Int), dilation: (h: Int, w: Int),
                            pads: (top: Int, left: Int, bottom: Int, right: Int), output: (h: Int, w: Int),
                            into col: UnsafeMutablePointer<Float>, rowStride: Int) {
        let g = WindowGeometry(inH: input.h, inW: input.w, kH: kernel.h, kW: kernel.w, sH: stride.h, sW: stride.w,
                               dH: dilation.h, dW: dilation.w, padTop: pads.top, padLeft: pads.left,
                               padBottom: pads.bottom, padRight: pads.right, outH: output.h, outW: output.w)
        DenseRuntime.im2col(x, channels: channels, geometry: g, into: col, rowStride: rowStride)
    }

    /// The output positions o in 0..<size whose input coordinate o·stride + shift lies in 0..<extent:
    /// a kernel tap's in-bounds outputs along one axis (empty, and within 0...size, when none is).
    public static func insideOutputs(size: Int, extent: Int, stride: Int, shift: Int) -> Range<Int> {
        let lo = shift >= 0 ? 0 : Swift.min(size, (-shift + stride - 1) / stride)
        let hi = extent - shift <= 0 ? 0 : Swift.min(size, (extent - shift + stride - 1) / stride)
        return lo..<Swift.max(lo, hi)
    }
}
