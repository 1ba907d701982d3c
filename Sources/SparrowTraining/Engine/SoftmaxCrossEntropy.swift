#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Mean softmax cross-entropy over a mini-batch of logits [N, C], its gradient, and the number of
/// rows whose arg-max is the label.
public enum SoftmaxCrossEntropy {
    static func evaluate(logits: Activation, labels: [Int]) throws -> (loss: Float, correct: Int, gradient: [Float]) {
        let n = logits.shape[0], c = logits.shape[1]
        let (loss, correct, grad) = try evaluate(logits: logits.data, rows: n, classes: c, labels: labels)
        return (loss, correct, grad)
    }

    public static func evaluate(logits: [Float], rows n: Int, classes c: Int,
                                labels: [Int]) throws -> (loss: Float, correct: Int, gradient: [Float]) {
        guard labels.count == n, logits.count == n * c else {
            throw TrainingError.invalidDataset("\(labels.count) labels for \(n) rows of logits")
        }
        var grad = [Float](repeating: 0, count: n * c)
        var total: Double = 0
        var correct = 0
        let invN = 1 / Float(max(n, 1))
        for r in 0..<n {
            let label = labels[r]
            guard label >= 0, label < c else {
                throw TrainingError.invalidDataset("label \(label) is outside the model's \(c) classes")
            }
            let base = r * c
            var mx = -Float.infinity, arg = 0
            for j in 0..<c where logits[base + j] > mx { mx = logits[base + j]; arg = j }
            if arg == label { correct += 1 }
            var sum: Float = 0
            for j in 0..<c { let e = expf(logits[base + j] - mx); grad[base + j] = e; sum += e }
            total += Double(logf(sum) + mx - logits[base + label])
            for j in 0..<c { grad[base + j] = grad[base + j] / sum * invN }
            grad[base + label] -= invN
        }
        return (Float(total / Double(max(n, 1))), correct, grad)
    }
}
