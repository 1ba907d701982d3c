import SparrowInference

/// The im2col lowering of one convolution group over a mini-batch: the column matrix has rows
/// (channel, ki, kj) and columns (sample, oy, ox), so one GEMM W_g · columns convolves the batch.
///
/// For a given kernel tap, the output columns whose input pixel lies inside the image form one
/// range (`PatchMatrix.insideOutputs`), so both directions move runs of pixels (contiguous for
/// stride 1) instead of testing every tap. `im2col` and `col2im` are adjoint and work on a range of
/// samples; different samples touch disjoint parts of the buffers, so ranges can run on different
/// threads.
struct ConvLowering {
    let n: Int, c: Int, h: Int, w: Int
    let channelStart: Int, channels: Int
    let window: Window2D
    let oh: Int, ow: Int

    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
    static func ceilDiv(_ a: Int, _ b: Int) -> Int { -floorDiv(-a, b) }

    /// Fills the columns of the samples in `samples`; zero where the window reads padding. Each
    /// sample's columns are its own image's patch matrix, lowered by the inference runtime's im2col.
    func im2col(_ x: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>, samples: Range<Int>) {
        let p = oh * ow, np = n * p
        for s in samples {
            PatchMatrix.fill(x + (s * c + channelStart) * h * w, channels: channels, input: (h, w),
                             kernel: window.kernel, stride: window.stride, dilation: window.dilation,
                             pads: (window.pads.t, window.pads.l, window.pads.b, window.pads.r), output: (oh, ow),
                             into: cols + s * p, rowStride: np)
        }
    }

    /// The adjoint of `im2col`: adds each column entry of the samples in `samples` onto the input
    /// position it was read from (in the same order as the naive tap-by-tap loop).
    func col2im(_ cols: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, samples: Range<Int>) {
        let (kh, kw) = window.kernel, (sh, sw) = window.stride, (dh, dw) = window.dilation
        let p = oh * ow, np = n * p
        for s in samples {
            for ch in 0..<channels {
                let plane = dx + (s * c + channelStart + ch) * h * w
                for ki in 0..<kh {
                    let ys = PatchMatrix.insideOutputs(size: oh, extent: h, stride: sh, shift: ki * dh - window.pads.t)
                    for kj in 0..<kw {
                        let shiftX = kj * dw - window.pads.l
                        let xs = PatchMatrix.insideOutputs(size: ow, extent: w, stride: sw, shift: shiftX)
                        if xs.isEmpty { continue }
                        let row = cols + ((ch * kh + ki) * kw + kj) * np + s * p
                        for oy in ys {
                            let src = row + oy * ow
                            let dst = plane + (oy * sh + ki * dh - window.pads.t) * w + shiftX
                            if sw == 1 {
                                let (to, from) = (dst + xs.lowerBound, src + xs.lowerBound)
                                for j in 0..<xs.count { to[j] += from[j] }
                            } else {
                                for ox in xs { dst[ox * sw] += src[ox] }
                            }
                        }
                    }
                }
            }
        }
    }
}
